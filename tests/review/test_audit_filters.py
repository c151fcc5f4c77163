"""Issue 16: the audit page filters by action, staff member, case and day (a day in the
viewer's time zone); filters survive paging; junk in any field is ignored, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from intake.models import AuditEvent, Staff
from intake.review.audit_views import PER_PAGE
from intake.services import audit
from tests.review.test_audit_page import _ids


def test_filters_by_action_staff_case_and_local_day(review_client, make_staff, login_as,
                                                    session):
    admin, other = make_staff("admin"), make_staff("reviewer")
    me = session.get(Staff, admin.id)
    me.time_zone = "Asia/Bishkek"  # UTC+6
    them = session.get(Staff, other.id)
    for i in range(PER_PAGE + 3):
        audit.record(session, me, "case.view", target=f"REF-{i:04d}")
    audit.record(session, them, "case.note", target="REF-0001")
    session.commit()
    last = session.scalar(AuditEvent.__table__.select().with_only_columns(
        AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    # 2026-03-01 20:30 UTC is already 2 March in Bishkek.
    session.execute(update(AuditEvent).where(AuditEvent.id == last)
                    .values(at=datetime(2026, 3, 1, 20, 30, tzinfo=UTC)))
    session.commit()
    login_as(review_client, admin)

    def ids(query: str) -> list[int]:
        response = review_client.get("/audit?" + query)
        assert response.status_code == 200, query
        return _ids(response.get_data(as_text=True))

    assert ids("action=case.note") == [last]
    assert ids(f"actor={other.username}") == [last]
    assert len(ids("case=REF-0001")) == 2 and last in ids("case=ref-0001")
    assert ids("since=2026-03-02&until=2026-03-02") == [last]
    assert ids("until=2026-03-01") == []
    page = review_client.get("/audit?action=case.view").get_data(as_text=True)
    assert "action=case.view" in page.split('rel="next"')[0].rsplit("href=", 1)[1]
    assert len(ids("action=case.view&page=2")) == 3
    for junk in ("since=yesterday", "until=2026-13-40", "case=" + "x" * 500, "actor=%00"):
        assert review_client.get("/audit?" + junk).status_code == 200, junk
