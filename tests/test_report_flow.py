"""The report form end to end: not accepting, receipt after commit, stored shape."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from intake.crypto import normalize_code
from intake.models import Case, Item, KeyWrap
from tests.support.factories import receipt_code, submit_report


def test_form_says_plainly_when_no_recipient_exists(public_client, session):
    page = public_client.get("/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "not being accepted yet" in body
    assert 'name="what"' not in body


def test_post_after_last_reader_left_is_refused_and_stores_nothing(
        public_client, make_staff, database, session):
    from intake.models import Staff
    from tests.support.factories import csrf_token, report_fields

    reader = make_staff("reviewer")
    data = report_fields(what="Sent while nobody can read it")
    data["csrf_token"] = csrf_token(public_client.get("/").get_data(as_text=True))
    with database.transaction() as s:
        s.get(Staff, reader.id).active = False
    response = public_client.post("/", data=data, content_type="multipart/form-data")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "not being accepted yet" in body
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_submission_shows_receipt_once_after_commit(public_client, make_staff, recovery_key,
                                                    session):
    make_staff("reviewer")
    make_staff("admin")
    response = submit_report(public_client, danger_now="y")
    assert response.status_code == 200
    code = receipt_code(response.get_data(as_text=True))
    assert normalize_code(code) is not None and len(normalize_code(code)) == 30
    assert response.headers["Cache-Control"] == "no-store"
    case = session.scalars(select(Case)).one()
    assert case.priority == "urgent"
    assert case.consent_stats is True
    assert len(case.reference) == 9 and case.status == "new"
    assert case.ack_due is not None and case.response_due > case.ack_due
    item = session.scalars(select(Item)).one()
    wraps = session.scalar(select(func.count()).select_from(KeyWrap)
                           .where(KeyWrap.item_id == item.id))
    assert wraps == 3  # reviewer, admin, recovery key
    # The code is not in any cookie.
    assert all(code.replace(" ", "") not in c.value.replace(" ", "")
               for c in public_client._cookies.values())


def test_receipt_codes_are_unique_and_random(public_client, make_staff):
    make_staff("reviewer")
    codes = {receipt_code(submit_report(public_client).get_data(as_text=True))
             for _ in range(4)}
    assert len(codes) == 4


def test_form_works_without_javascript(public_client, make_staff):
    make_staff("reviewer")
    body = public_client.get("/").get_data(as_text=True)
    # Only the optional quick-exit and character-count enhancements, from our own origin;
    # never inline script.
    assert re.findall(r"<script[^>]*>", body) == ['<script src="/static/exit.js" defer>',
                                                  '<script src="/static/counter.js" defer>']
    assert 'method="post"' in body
    for name in ("what", "when_date", "when_month", "when_year", "region", "place", "acts",
                 "perpetrators", "danger_now", "contact", "consent_stats"):
        assert f'name="{name}"' in body, name
