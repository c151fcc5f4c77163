"""A slow protection of new data must not hold a staff request, nor leak while it runs.

The interval audit of a new data state can outlast the web server's worker timeout. A
staff request now starts it in the background and, after a short wait, shows the newest
stored generation and says newer numbers are coming. Tried from the attacker's side: while
the protection runs, every output is exactly the last audited generation — nothing of the
new, unprotected counts — and no release can be cut from the older result.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from intake.models import StatsGeneration, StatsRelease
from intake.review.stats_views import MAKER
from intake.services import stats_background, stats_generations
from tests.stats import checker
from tests.support.factories import csrf_token

PENDING = "New data are being protected now"
PREPARING = "The statistics are being prepared."


@pytest.fixture
def analyst_client(review_client: Any, make_staff: Any, login_as: Any) -> Any:
    login_as(review_client, make_staff("analyst"))
    return review_client


def hold(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, list[str]]:
    """Hold every protection until the test sets the returned event; list those started.
    Requests wait 0.3 s for a protection instead of 15."""
    opened, started = threading.Event(), []
    original = stats_generations.make

    def held(*args: Any, **kwargs: Any) -> Any:
        started.append(threading.current_thread().name)
        assert opened.wait(30), "the test never let the protection go on"
        return original(*args, **kwargs)

    monkeypatch.setattr(stats_generations, "make", held)
    monkeypatch.setattr(stats_background, "WAIT_SECONDS", 0.3)
    return opened, started


def _finish(client: Any) -> None:
    """Wait for the app's background protection to end (after the event is set)."""
    client.application.extensions[MAKER].start(None, "test", None).join(30)


def _numbers(client: Any) -> dict[str, Any]:
    """The protected tables of the JSON export, and when they were generated."""
    response = client.get("/stats/export.json")
    assert response.status_code == 200
    data = json.loads(response.data)
    return {"tables": data["tables"], "generated_at": data["generated_at"]}


def test_while_new_data_are_protected_the_page_shows_the_last_stored_numbers(
        analyst_client, make_case, monkeypatch, session):
    make_case(6, region="naryn")
    stored_numbers = _numbers(analyst_client)  # made at once: the first generation
    shown_before = analyst_client.get("/stats").get_data(as_text=True)
    opened, _started = hold(monkeypatch)
    make_case(5, region="talas")  # a new data state: its protection is held
    try:
        started = time.monotonic()
        page = analyst_client.get("/stats")
        assert time.monotonic() - started < 5  # the request did not wait for the audit
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert PENDING in html
        assert 'action="/stats/releases"' not in html  # no button that could only fail
        # Attacker: every output while the protection runs is the stored generation, exactly.
        assert _numbers(analyst_client) == stored_numbers
        assert checker.html_values(html) == checker.html_values(shown_before)
        assert session.scalar(select(func.count()).select_from(StatsGeneration)) == 1
    finally:
        opened.set()
        _finish(analyst_client)
    page = analyst_client.get("/stats").get_data(as_text=True)
    assert PENDING not in page
    assert checker.html_values(page) != checker.html_values(shown_before)
    assert _numbers(analyst_client) != stored_numbers


def test_no_release_is_cut_from_the_older_result(analyst_client, make_case, monkeypatch,
                                                 session):
    make_case(6, region="naryn")
    token = csrf_token(analyst_client.get("/stats").get_data(as_text=True))
    opened, _started = hold(monkeypatch)
    make_case(5, region="talas")
    try:
        response = analyst_client.post("/stats/releases", data={"csrf_token": token})
        assert response.status_code == 409
        assert "still being protected" in response.get_data(as_text=True)
        assert session.scalar(select(func.count()).select_from(StatsRelease)) == 0
    finally:
        opened.set()
        _finish(analyst_client)
    assert analyst_client.post("/stats/releases", data={"csrf_token": token}).status_code == 303


def test_before_the_first_protection_ends_no_number_is_shown(analyst_client, make_case,
                                                             monkeypatch):
    make_case(6, region="naryn")
    opened, _started = hold(monkeypatch)
    try:
        page = analyst_client.get("/stats")
        assert page.status_code == 503
        html = page.get_data(as_text=True)
        assert PREPARING in html and "<table" not in html
        export = analyst_client.get("/stats/export.json")
        assert export.status_code == 503 and export.mimetype == "text/html"
    finally:
        opened.set()
        _finish(analyst_client)
    assert analyst_client.get("/stats").status_code == 200


def test_one_protection_at_a_time_in_a_process(review_app, make_staff, login_as, make_case,
                                               monkeypatch):
    make_case(6, region="naryn")
    opened, calls = hold(monkeypatch)
    clients = []
    for _ in range(3):
        client = review_app.test_client()
        login_as(client, make_staff("analyst"))
        clients.append(client)
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda c=c: statuses.append(c.get("/stats").status_code))
               for c in clients]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert statuses == [503, 503, 503]  # each waited, none protected on its own
    finally:
        opened.set()
        _finish(clients[0])
    assert len(calls) == 1  # a second protection started meanwhile would have run too


def test_a_failed_protection_is_logged_without_data_and_tried_again(
        analyst_client, make_case, monkeypatch, caplog):
    make_case(6, region="naryn")
    original = stats_generations.make
    failures = iter([RuntimeError("naryn 6")])

    def once(*args: Any, **kwargs: Any) -> Any:
        for failure in failures:
            raise failure
        return original(*args, **kwargs)

    monkeypatch.setattr(stats_generations, "make", once)
    with caplog.at_level(logging.ERROR, logger=stats_background.__name__):
        assert analyst_client.get("/stats").status_code == 503
    assert "statistics could not be protected (RuntimeError)" in caplog.text
    assert "naryn" not in caplog.text.lower() and "6" not in caplog.text.split("(")[-1]
    assert analyst_client.get("/stats").status_code == 200


def test_a_write_the_request_holds_does_not_starve_its_protection(settings, database,
                                                                   make_case, monkeypatch):
    """A request that has written before asking (on SQLite a write holds the one write
    lock) ends its transaction first, so the protection can store its result."""
    from intake.models import SiteValue

    make_case(6, region="naryn")
    monkeypatch.setattr(stats_background, "WAIT_SECONDS", 5.0)
    request_session = database.factory()
    maker = stats_background.Maker(database, settings)
    try:
        request_session.add(SiteValue(key="test_pending_write", value="1"))
        request_session.flush()
        shown = stats_background.served(request_session, settings, None, "test", maker)
        assert not shown.newer_pending
    finally:
        maker.start(None, "test", None).join(30)
        request_session.close()
    with database.transaction() as check:
        assert check.get(SiteValue, "test_pending_write") is not None  # committed, not lost
