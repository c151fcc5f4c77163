"""Times are stored in UTC and shown in each staff member's zone (the `localtime` filter,
intake/web/display_time.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from flask import g

from intake.models import Staff
from tests.support.factories import csrf_token


def test_localtime_filter_converts_to_the_viewers_zone(review_app):
    """(Languages and the instance's zone: tests/review/test_display_time.py.)"""
    moment = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)
    render = review_app.jinja_env.from_string("{{ t|localtime }}")
    with review_app.test_request_context("/?lang=en"):
        assert render.render(t=moment) == "Jan 15, 2026, 12:30\u202fPM UTC"
        g.staff = SimpleNamespace(time_zone="Asia/Bishkek")
        assert render.render(t=moment) == "Jan 15, 2026, 6:30\u202fPM +0600"
        g.staff = SimpleNamespace(time_zone="Europe/Berlin")
        assert render.render(t=datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == \
            "Jul 1, 2026, 2:00\u202fPM +0200"
        g.staff = SimpleNamespace(time_zone="Not/AZone")
        assert render.render(t=moment) == "Jan 15, 2026, 12:30\u202fPM UTC"
        assert render.render(t=None) == ""
        assert render.render(t=date(2026, 1, 2)) == "Jan 2, 2026"


def test_staff_member_chooses_their_zone(review_client, make_staff, login_as, session):
    member = make_staff("reviewer")
    login_as(review_client, member)
    token = csrf_token(review_client.get("/account").get_data(as_text=True))
    response = review_client.post("/account/time-zone",
                                  data={"csrf_token": token, "zone": "Asia/Tashkent"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Staff, member.id).time_zone == "Asia/Tashkent"
    assert "+0500" in review_client.get("/account").get_data(as_text=True)
    bad = review_client.post("/account/time-zone",
                             data={"csrf_token": token, "zone": "Mars/Olympus"})
    assert bad.status_code == 400
    session.expire_all()
    assert session.get(Staff, member.id).time_zone == "Asia/Tashkent"
