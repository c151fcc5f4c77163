"""Dates and times on the staff pages: the viewer's language (Babel month names, order and
separators) and one zone rule — the staff member's own zone, else the instance's — the
same on the inbox, the case page and everywhere else."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from flask import g
from sqlalchemy import select

from intake.models import Case, Item, Staff
from intake.review import create_app
from tests.review.test_triage import _post, _setup

MOMENT = datetime(2026, 1, 15, 21, 30, tzinfo=UTC)  # 02:30 on the 16th at UTC+5
# The same instant at UTC+5 (Asia/Tashkent), as each language writes it.
AT_PLUS_5 = {
    "en": "Jan 16, 2026, 2:30\u202fAM +0500",
    "ru": "16 янв. 2026\u202fг., 02:30 +0500",
    "ky": "2026-ж. 16-янв. 02:30 +0500",
    "uz": "16-yan, 2026, 02:30 +0500",
    "uz_Cyrl": "16 янв, 2026 02:30 +0500",
}


@pytest.mark.parametrize("lang", sorted(AT_PLUS_5))
def test_the_filters_write_the_instant_in_each_language(review_app, lang):
    render = review_app.jinja_env.from_string(
        "{{ t|localtime }}|{{ t|localtime(seconds=True) }}|{{ t|localdate }}|{{ d|localdate }}")
    with review_app.test_request_context(f"/?lang={lang}"):
        g.staff = SimpleNamespace(time_zone="Asia/Tashkent")
        shown, seconds, day, plain = render.render(t=MOMENT, d=date(2026, 1, 15)).split("|")
    assert shown == AT_PLUS_5[lang]
    assert seconds == AT_PLUS_5[lang].replace("2:30", "2:30:00")
    assert day in shown and "16" in day  # the viewer's day, not the UTC one
    assert "15" in plain and "16" not in plain  # a calendar date is not moved by a zone


def test_one_zone_rule_own_zone_else_the_instances(settings, database):
    app = create_app(settings.replace(time_zone="Asia/Bishkek"), database)  # UTC+6
    render = app.jinja_env.from_string("{{ t|localtime }}")
    with app.test_request_context("/?lang=en"):
        assert render.render(t=MOMENT) == "Jan 16, 2026, 3:30\u202fAM +0600"  # nobody signed in
        g.staff = SimpleNamespace(time_zone="")  # has not chosen: the instance's
        assert render.render(t=MOMENT) == "Jan 16, 2026, 3:30\u202fAM +0600"
        g.staff = SimpleNamespace(time_zone="Not/AZone")  # a stale or forged value
        assert render.render(t=MOMENT) == "Jan 16, 2026, 3:30\u202fAM +0600"
        g.staff = SimpleNamespace(time_zone="UTC")  # an explicit choice wins
        assert render.render(t=MOMENT) == "Jan 15, 2026, 9:30\u202fPM UTC"
        assert render.render(t=None) == ""


@pytest.mark.parametrize("lang", ["en", "ru", "ky", "uz"])
def test_a_member_at_utc_plus_5_sees_one_instant_on_every_page(
        public_client, review_client, make_staff, login_as, database, lang):
    """The report, a note and the inbox row carry the same stored instant: every page
    shows it identically, in the member's zone and language, never the UTC day."""
    _code, ref, staff = _setup(public_client, review_client, make_staff, login_as)
    assert _post(review_client, f"/cases/{ref}/notes", ref, {"text": "n"}).status_code == 303
    with database.transaction() as s:
        s.get(Staff, staff.id).time_zone = "Asia/Tashkent"
        case = s.scalar(select(Case).where(Case.reference == ref))
        assert case is not None
        case.received_at = MOMENT
        for item in s.scalars(select(Item).where(Item.case_id == case.id)):
            item.created_at = MOMENT
    expected = AT_PLUS_5[lang]
    inbox = review_client.get(f"/?lang={lang}").get_data(as_text=True)
    page = review_client.get(f"/cases/{ref}?lang={lang}").get_data(as_text=True)
    assert f"<td>{expected}</td>" in inbox
    assert page.count(f"· {expected}</h2>") == 2  # the report and the note
    for html in (inbox, page):
        assert "2026-01-15" not in html and "21:30" not in html and "9:30" not in html


def test_due_dates_in_the_inbox_are_written_in_the_language(
        public_client, review_client, make_staff, login_as, database):
    _code, _ref, _staff = _setup(public_client, review_client, make_staff, login_as)
    with database.transaction() as s:
        for case in s.scalars(select(Case)):
            case.ack_due, case.response_due = date(2031, 3, 2), date(2031, 4, 9)
    ru = review_client.get("/?lang=ru").get_data(as_text=True)
    assert "2 мар. 2031\u202fг." in ru and "9 апр. 2031\u202fг." in ru
    assert "2031-03-02" not in ru


def test_the_account_page_offers_the_organisations_zone(review_client, make_staff, login_as,
                                                        session: Any):
    from tests.support.factories import csrf_token

    member = make_staff("reviewer")
    login_as(review_client, member)
    page = review_client.get("/account").get_data(as_text=True)
    assert "The organisation&#39;s zone (UTC)" in page
    for zone in ("Asia/Tashkent", ""):
        saved = review_client.post("/account/time-zone",
                                   data={"csrf_token": csrf_token(page), "zone": zone})
        assert saved.status_code == 302
        session.expire_all()
        assert session.get(Staff, member.id).time_zone == zone
