"""Shared browser-test set-up: one live public app, one live review app, one Chromium.

Everything here is session-scoped and started once. Other test modules use:
  - `live_public`, `live_review`: running servers (`.url`, `.settings`, `.database`, `.app`)
  - `reviewer`: a staff member who can read reports (a recovery key exists too)
  - `admin`: an admin who can read every case sent after it exists (review pages as admin)
  - `live_case`: the reference of a case with a note, a reply and a photo, sent through
    the public app; `review_pages`: REVIEW_SIGNED_IN_PAGES with their ids filled in
  - `new_page(...)`: a fresh, isolated browser context + page (JS on/off, CSP bypass, size)
  - `signed_in(page, handle)`: put a fully signed-in staff cookie into a page's context
  - helpers in tests/browser/support.py (axe, screenshots, page weight, flows)

Chromium is Debian's /usr/bin/chromium driven by Playwright. Without it these tests
skip with the reason, unless the CI environment variable is set: then they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from intake import migrate
from intake.crypto import fingerprint, generate_keypair
from intake.db import Database
from intake.models import RecoveryKey
from intake.services.staff import create_staff, totp_secret
from intake.settings import Settings, load_settings
from tests.support.factories import StaffHandle

CHROMIUM = os.environ.get("INTAKE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test (`-m "not browser"` skips them all)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def unavailable(reason: str) -> None:
    """Skip with the reason; in CI a missing prerequisite is a failure, never a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


@dataclass
class LiveServer:
    """A real HTTP server running one of the apps in a background thread."""

    app: Flask
    settings: Settings
    database: Database
    server: BaseWSGIServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


class _Quiet(WSGIRequestHandler):
    """Like production (no access log): the live servers log no requests either."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _serve(app: Flask, settings: Settings, database: Database) -> LiveServer:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return LiveServer(app, settings, database, server)


@pytest.fixture(scope="session")
def live_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the live apps: a temporary SQLite data dir, cheap KDFs, no rate limits."""
    data = tmp_path_factory.mktemp("browser-data")
    return load_settings(
        environ={}, data_dir=str(data), database_url=f"sqlite:///{data / 'intake.db'}",
        public_secret_key="browser-public-" + "p" * 40,
        review_secret_key="browser-review-" + "r" * 40,
        rate_limit_secret="browser-ratelimit-" + "l" * 40,
        staff_kdf_time_cost=1, staff_kdf_memory_kib=1024, staff_kdf_parallelism=1,
        receipt_kdf_time_cost=1, receipt_kdf_memory_kib=1024, receipt_kdf_parallelism=1,
        rate_limit_submit="100000/hour", rate_limit_receipt="100000/hour",
        rate_limit_login="100000/hour",
        transparency_page=True,  # so every browser check visits /transparency too
    )


@pytest.fixture(scope="session")
def live_database(live_settings: Settings) -> Iterator[Database]:
    """The migrated database both live apps use."""
    db = Database(live_settings)
    migrate.upgrade(live_settings.database_url, engine=db.engine)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def reviewer(live_settings: Settings, live_database: Database) -> StaffHandle:
    """A reviewer (TOTP enrolled) and a recovery key, so the public form accepts reports."""
    passphrase = "correct horse battery staple"
    with live_database.transaction() as s:
        staff, _uri = create_staff(s, live_settings, "reviewer", "reviewer", passphrase)
        staff.totp_enrolled = True
        handle = StaffHandle(staff.id, "reviewer", "reviewer", passphrase,
                             totp_secret(live_settings, staff))
        private_raw, public_raw = generate_keypair()
        del private_raw  # offline in real life; no browser test needs it
        s.add(RecoveryKey(public_key=public_raw, fingerprint=fingerprint(public_raw)))
    return handle


def enrolled_staff(settings: Settings, database: Database, username: str, role: str,
                   passphrase: str) -> StaffHandle:
    """A staff member with a key pair and TOTP enrolled, created like `reviewer`."""
    with database.transaction() as s:
        staff, _uri = create_staff(s, settings, username, role, passphrase)
        staff.totp_enrolled = True
        return StaffHandle(staff.id, username, role, passphrase, totp_secret(settings, staff))


@pytest.fixture(scope="session")
def admin(live_settings: Settings, live_database: Database, reviewer: StaffHandle) -> StaffHandle:
    """An admin (also a reader): opens every signed-in review page, admin pages included."""
    return enrolled_staff(live_settings, live_database, "admin", "admin",
                          "admin correct horse battery staple")


@pytest.fixture(scope="session")
def live_case(live_public: LiveServer, admin: StaffHandle, reviewer: StaffHandle) -> str:
    """A case both readers hold keys for: sent through the public app with a photo (urgent:
    "in danger now"), then a note and a reply from the service layer, and its
    acknowledgement made overdue, so the pages show every state they style. Returns its
    staff reference."""
    from datetime import timedelta

    from intake.models import Staff
    from intake.services import triage
    from tests.attachments.samples import jpeg_with_gps, send_report
    from tests.support.factories import receipt_code

    client = live_public.app.test_client()
    response = send_report(client, [("IMG_0042.jpeg", jpeg_with_gps())],
                           what="A case for the page checks: someone followed me home.",
                           danger_now="y")
    code = receipt_code(response.get_data(as_text=True))
    with live_public.database.transaction() as s:
        case = case_for_receipt(s, live_public.settings, code)
        staff = s.get(Staff, reviewer.id)
        assert staff is not None
        triage.add_note(s, staff, case, "Internal note: call back on Monday.")
        triage.add_reply(s, staff, case, "Thank you. We have read your report.")
        case.ack_due = case.received_at.date() - timedelta(days=1)
        assert case.priority == "urgent"
        return case.reference


def case_for_receipt(session: Any, settings: Settings, code: str) -> Any:
    """The case a receipt code opens (what the public app looks up), for service-layer steps."""
    from sqlalchemy import select

    from intake.crypto import derive_receipt_keys
    from intake.crypto.receipt import normalize_code
    from intake.models import Case
    from intake.services import site
    from intake.services.reports import receipt_params

    normalized = normalize_code(code)
    assert normalized is not None, code
    keys = derive_receipt_keys(normalized, site.receipt_salt(session), receipt_params(settings))
    case = session.scalar(select(Case).where(Case.lookup_id == keys.lookup_id))
    assert case is not None, "no case for this receipt code"
    return case


@pytest.fixture(scope="session")
def review_pages(live_case: str, admin: StaffHandle, reviewer: StaffHandle,
                 live_database: Database) -> dict[str, str]:
    """The signed-in review pages (name -> path) with the ids of things that exist."""
    from sqlalchemy import select

    from intake.models import Case, Item
    from tests.browser.support import REVIEW_SIGNED_IN_PAGES

    with live_database.transaction() as s:
        recovery = s.scalars(select(RecoveryKey.id)).first()
        attachment = s.scalars(select(Item.id).join(Case).where(
            Case.reference == live_case, Item.kind == "attachment")).first()
    ids = {"case": live_case, "staff": reviewer.id, "recovery": recovery,
           "attachment": attachment}
    return {name: path.format(**ids) for name, path in REVIEW_SIGNED_IN_PAGES.items()}


@pytest.fixture(scope="session")
def newcomer(live_settings: Settings, live_database: Database) -> dict[str, str]:
    """Two invited accounts' setup links: one at the passphrase step, one at the
    authenticator step (the only page that shows a TOTP secret)."""
    from intake.services.onboarding import complete_setup, invite_staff, setup_path

    with live_database.transaction() as s:
        first = invite_staff(s, None, "newcomer", "reviewer")
        second = invite_staff(s, None, "newcomer2", "reviewer")
    with live_database.transaction() as s:
        complete_setup(s, live_settings, second, "another correct horse battery")
    return {"passphrase": setup_path(first), "code": setup_path(second)}


@pytest.fixture(scope="session")
def live_public(live_settings: Settings, live_database: Database,
                reviewer: StaffHandle) -> Iterator[LiveServer]:
    """The public (reporter) app on a free loopback port."""
    from intake.public import create_app

    live = _serve(create_app(live_settings, live_database), live_settings, live_database)
    yield live
    live.server.shutdown()


@pytest.fixture(scope="session")
def live_review(live_settings: Settings, live_database: Database,
                reviewer: StaffHandle) -> Iterator[LiveServer]:
    """The review (staff) app on another free loopback port."""
    from intake.review import create_app

    live = _serve(create_app(live_settings, live_database), live_settings, live_database)
    yield live
    live.server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole run."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (make install-dev)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Factory of pages, each in its own context (own cookies, own cache).

    new_page(js=True, bypass_csp=False, viewport=DESKTOP, locale="en-US")
    """
    contexts: list[Any] = []

    def _new(js: bool = True, bypass_csp: bool = False, viewport: dict[str, int] | None = None,
             locale: str = "en-US") -> Any:
        context = browser.new_context(java_script_enabled=js, bypass_csp=bypass_csp,
                                      viewport=viewport or DESKTOP, locale=locale)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def signed_in(live_review: LiveServer) -> Callable[[Any, StaffHandle], None]:
    """Give a page's context the cookie of a fully signed-in staff member (2FA done).

    Goes through the real split-key session like tests.support's `login_as`, without
    typing TOTP codes (a code is accepted only once per time step).
    """
    from intake.models import Staff, StaffSession
    from intake.services.credentials import unlock_private_key
    from intake.services.sessions import _id_hash, mark_second_factor, start_session

    def _sign_in(page: Any, handle: StaffHandle) -> None:
        settings, db, app = live_review.settings, live_review.database, live_review.app
        with db.transaction() as s:
            staff = s.get(Staff, handle.id)
            assert staff is not None
            private = unlock_private_key(settings, staff, handle.passphrase)
            half = start_session(s, staff, private)
            s.flush()
            row = s.get(StaffSession, _id_hash(half.session_id))
            assert row is not None
            mark_second_factor(s, row)
        with app.test_request_context():
            from flask import session as flask_session

            from intake.review.access import store_cookie_half

            store_cookie_half(half)
            value = app.session_interface.get_signing_serializer(app).dumps(
                dict(flask_session))
        page.context.add_cookies([{
            "name": app.config["SESSION_COOKIE_NAME"], "value": value,
            "url": live_review.url, "httpOnly": True, "sameSite": "Strict",
        }])

    return _sign_in
