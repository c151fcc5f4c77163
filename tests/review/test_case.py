"""Case page: every answer escaped, viewing audited, analysts refused, unknown 404."""

from __future__ import annotations

from sqlalchemy import select

from intake.models import AuditEvent
from tests.review.test_inbox import REF_RE
from tests.support.factories import submit_report

HTML = "<script>alert(1)</script><b>x</b>"


def test_case_page_escapes_and_audits(public_client, review_client, make_staff, login_as,
                                      database):
    reviewer = make_staff("reviewer")
    assert submit_report(public_client, what=HTML, place=HTML, contact=HTML).status_code == 200
    login_as(review_client, reviewer)
    ref = REF_RE.findall(review_client.get("/").get_data(as_text=True))[0]
    html = review_client.get(f"/cases/{ref}").get_data(as_text=True)
    assert "<script>alert" not in html and "<b>x</b>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3
    assert "Being followed, watched or photographed (physical surveillance)" in html
    with database.transaction() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "case.view")).all()
        assert [e.target for e in events] == [ref]
        assert "script" not in events[0].detail


def test_case_page_refuses_analyst_and_unknown(review_client, make_staff, login_as):
    reviewer = make_staff("reviewer")
    login_as(review_client, reviewer)
    assert review_client.get("/cases/NOPE-NOPE").status_code == 404
    login_as(review_client, make_staff("analyst"))
    assert review_client.get("/cases/NOPE-NOPE").status_code == 403
