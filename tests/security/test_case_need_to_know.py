"""Issue 13, finding 2, from the attacker's side: a reviewer created after a case existed
(the case page showed them "No access") tries to reply to its reporter asking for their
name and phone number, mark it rejected, clear its unread flag, label it and annotate it.
Every attempt is refused, and nothing about the case changes in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from intake.models import Case
from tests.review.test_roles import _case_urls, _case_with_attachment
from tests.support.factories import csrf_token

# Every table that holds a case or something of it (the audit log and session rows are
# the only writes a refused request may cause: they belong to the staff member).
CASE_TABLES = ("cases", "items", "key_wraps", "case_labels", "stats_counts",
               "pending_notifications")


def _snapshot(session: Any) -> dict[str, list[tuple[Any, ...]]]:
    session.expire_all()
    return {table: sorted(tuple(map(repr, row)) for row in
                          session.execute(text(f"SELECT * FROM {table}")).all())  # noqa: S608
            for table in CASE_TABLES}


def test_a_reviewer_without_access_cannot_write_to_the_case(
        review_app, public_client, make_staff, login_as, recovery_key, session, database):
    make_staff("reviewer")  # the team that can read it
    reference, item_id = _case_with_attachment(public_client, session)
    case = session.scalars(select(Case)).one()
    case.unread_followup = True  # the reporter wrote again; someone should look
    session.commit()
    before = _snapshot(session)

    late = review_app.test_client()
    login_as(late, make_staff("reviewer"))
    assert reference.encode() not in late.get("/").data  # the inbox does not list it
    token = csrf_token(late.get("/login").get_data(as_text=True))
    for endpoint, method, url, form in _case_urls(reference, item_id):
        response = late.open(url, method=method, data={"csrf_token": token, **form})
        assert response.status_code == 403, (endpoint, response.status_code)
    # the references of cases they cannot read are not even links
    assert f'href="/cases/{reference}"'.encode() not in late.get("/").data

    assert _snapshot(session) == before
    session.expire_all()
    after = session.scalars(select(Case)).one()
    assert after.status == "new" and after.unread_followup
