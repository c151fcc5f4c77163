"""The review app's statistics pages: roles, exports, audit, releases; the public page."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from intake.models import AuditEvent, StaffSession, StatsRelease
from tests.support.factories import csrf_token


@pytest.fixture
def analyst_client(review_client, make_staff, login_as):
    login_as(review_client, make_staff("analyst"))
    return review_client


def test_analyst_reaches_statistics_but_no_case(analyst_client, session, make_case):
    make_case(6)
    page = analyst_client.get("/stats")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Reported cases, not prevalence" in html
    assert "Being followed, watched or photographed (physical surveillance)" in html
    app = analyst_client.application
    case_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("cases.")]
    for rule in case_rules:
        url = rule.rule.replace("<", "").replace(">", "").replace("case_id", "x")
        assert analyst_client.get(url).status_code in (403, 404, 405)
    for url in ("/cases", "/cases/", "/inbox"):
        assert analyst_client.get(url).status_code in (403, 404)
    rows = session.scalars(select(StaffSession)).all()
    assert rows and all(row.wrapped_private_key is None for row in rows)


def test_reviewer_is_refused_statistics(review_client, make_staff, login_as):
    login_as(review_client, make_staff("reviewer"))
    assert review_client.get("/stats").status_code == 403
    assert review_client.get("/stats/export.csv").status_code == 403


def test_anonymous_is_sent_to_login(review_client):
    assert review_client.get("/stats").status_code == 302


@pytest.mark.parametrize(("fmt", "mime"), [("csv", "text/csv"), ("json", "application/json"),
                                           ("svg", "image/svg+xml"), ("png", "image/png")])
def test_exports_are_served_and_audited(analyst_client, session, make_case, fmt, mime):
    make_case(7)
    out = analyst_client.get(f"/stats/export.{fmt}?period=2026-Q2")
    assert out.status_code == 200 and out.mimetype == mime
    assert out.headers["Content-Type"].count("charset") <= 1
    if fmt in ("csv", "json"):
        assert b"reported cases, not prevalence" in out.data
        assert b"2026-Q2" in out.data and b"threshold" in out.data
        assert b"hidden to protect people" in out.data and b"+00:00" not in out.data
    if fmt == "svg":
        assert b"<script" not in out.data.lower() and b"<svg" in out.data
    if fmt == "png":
        assert out.data.startswith(b"\x89PNG")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "stats.export")).one()
    detail = json.loads(event.detail)
    assert detail["format"] == fmt and detail["filters"]["period"] == "2026-Q2"


def test_bad_filter_is_a_clear_400_that_keeps_the_input(analyst_client):
    page = analyst_client.get("/stats?period=2026-Q9")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Choose a period from the list." in html
    missing = analyst_client.get("/stats?period=1999")
    assert missing.status_code == 400 and "no statistics for this period" in missing.get_data(
        as_text=True)
    assert analyst_client.get("/stats/export.csv?period=nope").status_code == 400
    assert analyst_client.get("/stats/export.exe").status_code == 404


def test_release_flow_analyst_creates_admin_approves(review_client, make_staff, login_as,
                                                     session, make_case, settings, database):
    make_case(8)
    login_as(review_client, make_staff("analyst"))
    token = csrf_token(review_client.get("/stats").get_data(as_text=True))
    assert review_client.post("/stats/releases", data={"csrf_token": token}).status_code == 303
    release = session.scalars(select(StatsRelease)).one()
    assert review_client.post(f"/stats/releases/{release.id}/approve",
                              data={"csrf_token": token}).status_code == 403
    login_as(review_client, make_staff("admin"))
    token = csrf_token(review_client.get("/stats").get_data(as_text=True))
    assert review_client.post("/stats/releases/nope/approve",
                              data={"csrf_token": token}).status_code == 404
    assert review_client.post(f"/stats/releases/{release.id}/approve",
                              data={"csrf_token": token}).status_code == 303
    session.expire_all()
    assert session.get(StatsRelease, release.id).approved_at is not None
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "stats.release.create" in actions and "stats.release.approve" in actions


def test_transparency_page_is_off_by_default(public_client):
    assert public_client.get("/transparency").status_code == 404
    assert public_client.get("/transparency/chart.svg").status_code == 404


def _public(settings, database):
    from intake.public import create_app

    return create_app(settings.replace(transparency_page=True), database).test_client()


def test_transparency_shows_only_the_latest_approved_release(settings, database, session,
                                                            make_case, make_staff):
    from intake.models import Staff
    from intake.services.stats_releases import approve_release, create_release
    from intake.stats.filters import Filters

    client = _public(settings, database)
    assert "No statistics" in client.get("/transparency").get_data(as_text=True)
    assert client.get("/transparency/chart.svg").status_code == 404
    admin = session.get(Staff, make_staff("admin").id)
    make_case(6, acts=("raid",))
    first = create_release(session, settings, admin, Filters())
    approve_release(session, admin, first.id)
    make_case(9, acts=("detention",))
    create_release(session, settings, admin, Filters())  # not approved: never public
    page = client.get("/transparency")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Raid or search" in html and ">6<" in html and ">9<" not in html
    assert "+00:00" not in html and "hidden to protect people" in html
    chart = client.get("/transparency/chart.svg")
    assert chart.mimetype == "image/svg+xml" and b"<script" not in chart.data.lower()
    assert len(page.data) + len(chart.data) < 30 * 1024
    # The only script is the app's own quick-exit file, present on every public page.
    html_without_exit = html.replace('<script src="/static/exit.js" defer></script>', "")
    assert "script" not in html_without_exit.lower().replace("description", "")


@pytest.mark.parametrize(("lang", "shown"), [("en", "12,345"), ("ru", "12\u00a0345"),
                                             ("ky", "12\u00a0345"), ("uz", "12\u00a0345")])
def test_counts_and_times_are_written_in_the_viewers_language(
        analyst_client, make_case, monkeypatch, lang, shown):
    """A large count gets the language's group separator (cells, totals, threshold), the
    "generated" time the viewer's zone and month names; the hidden "x" stays as it is."""
    from intake.review import stats_views

    make_case(6)
    real = stats_views.analyst_page

    def _large(*args, **kwargs):
        page = real(*args, **kwargs)
        table = page["payload"]["tables"][0]
        table["cells"][0] = [12345, "x", *table["cells"][0][2:]]
        table["total"] = 12345
        page["payload"]["threshold"] = 12345
        page["payload"]["generated_at"] = "2026-01-15T21:30:00Z"
        return page

    monkeypatch.setattr(stats_views, "analyst_page", _large)
    html = analyst_client.get(f"/stats?lang={lang}").get_data(as_text=True)
    assert html.count(f'<td class="num">{shown}</td>') >= 2  # a cell and the total
    assert '<td class="num">x</td>' in html and "12345" not in html
    assert "UTC" in html and "2026-01-15T" not in html
    assert {"en": "Jan 15, 2026", "ru": "15 янв. 2026", "ky": "15-янв.",
            "uz": "15-yan, 2026"}[lang] in html
