"""Factories for staff, recovery keys and reports, shared by every test module."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest

from intake.crypto import fingerprint, generate_keypair
from intake.db import Database
from intake.models import RecoveryKey, Staff
from intake.services.staff import create_staff, totp_secret
from intake.settings import Settings

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RECEIPT_RE = re.compile(r'class="receipt"[^>]*><strong>([0-9 ]+)</strong>')


@dataclass
class StaffHandle:
    """A created staff member with the secrets a test needs to act as them."""

    id: str
    username: str
    role: str
    passphrase: str
    totp_secret: str

    def totp_now(self) -> str:
        return pyotp.TOTP(self.totp_secret).now()


@dataclass
class RecoveryHandle:
    """The recovery key pair (the private half would be offline in real life)."""

    id: str
    private_key: bytes
    public_key: bytes


@pytest.fixture
def make_staff(database: Database, settings: Settings) -> Any:
    """Create staff members: make_staff('reviewer') -> StaffHandle."""
    counter = {"n": 0}

    def _make(role: str = "reviewer", username: str | None = None,
              passphrase: str = "correct horse battery staple") -> StaffHandle:
        counter["n"] += 1
        name = username or f"{role}{counter['n']}"
        with database.transaction() as s:
            staff, _uri = create_staff(s, settings, name, role, passphrase)
            secret = totp_secret(settings, staff)
            staff_id = staff.id
        return StaffHandle(staff_id, name, role, passphrase, secret)

    return _make


@pytest.fixture
def recovery_key(database: Database) -> RecoveryHandle:
    """An active organisation recovery key."""
    private_raw, public_raw = generate_keypair()
    with database.transaction() as s:
        key = RecoveryKey(public_key=public_raw, fingerprint=fingerprint(public_raw))
        s.add(key)
        s.flush()
        key_id = key.id
    return RecoveryHandle(key_id, private_raw, public_raw)


def csrf_token(html: str) -> str:
    """The CSRF token a real browser would send back."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def receipt_code(html: str) -> str:
    """The receipt code shown after a successful submission."""
    match = RECEIPT_RE.search(html)
    assert match, "no receipt code in the page"
    return match.group(1)


def report_fields(**overrides: Any) -> dict[str, Any]:
    """A complete, valid report form body."""
    fields: dict[str, Any] = {
        "what": "Two men followed me from the office to my home.",
        "when_date": "",
        "when_month": "3",
        "when_year": "2026",
        "region": "naryn",
        "place": "Naryn town",
        "acts": ["surveillance", "threats"],
        "perpetrators": ["unknown"],
        "contact": "",
        "consent_stats": "yes",
    }
    fields.update(overrides)
    return fields


def submit_report(client: Any, **overrides: Any) -> Any:
    """GET the form, then POST it with its real CSRF token; returns the response."""
    page = client.get("/").get_data(as_text=True)
    data = {"receipt_code": form_receipt_code(page), **report_fields(**overrides)}
    data["csrf_token"] = csrf_token(page)
    return client.post("/", data=data, content_type="multipart/form-data")


def form_receipt_code(page: str) -> str:
    """The receipt code a served report form carries (hidden field), as a browser sends it."""
    match = re.search(r'name="receipt_code" type="hidden" value="([0-9 ]+)"', page) or \
        re.search(r'id="receipt_code" name="receipt_code" type="hidden" value="([0-9 ]+)"', page)
    assert match, "the report form carries no receipt code"
    return match.group(1)


def staff_row(database: Database, staff_id: str) -> Staff:
    """Reload a staff row."""
    with database.transaction() as s:
        row = s.get(Staff, staff_id)
        assert row is not None
        s.expunge(row)
        return row


@pytest.fixture
def login_as(database: Database, settings: Settings) -> Any:
    """Sign a test client in as a staff member without the UI (2FA done unless told not).

    Goes through the real split-key path: unlock with the passphrase, re-wrap under a
    session key, cookie half into the signed session cookie.
    """
    from intake.review.access import store_cookie_half
    from intake.services.credentials import unlock_private_key
    from intake.services.sessions import mark_second_factor, start_session

    def _login(client: Any, handle: StaffHandle, second_factor: bool = True) -> None:
        with database.transaction() as s:
            staff = s.get(Staff, handle.id)
            assert staff is not None
            private = (unlock_private_key(settings, staff, handle.passphrase)
                       if staff.wrapped_private_key is not None else None)
            half = start_session(s, staff, private)
            s.flush()
            if second_factor:
                from intake.models import StaffSession
                from intake.services.sessions import _id_hash

                row = s.get(StaffSession, _id_hash(half.session_id))
                assert row is not None
                mark_second_factor(s, row)
        app = client.application
        with app.test_request_context():
            from flask import session as flask_session

            store_cookie_half(half)
            values = dict(flask_session)
        with client.session_transaction() as sess:
            sess.clear()
            sess.update(values)
            sess.permanent = True

    return _login
