"""Deny by default: every review view declares its roles, or nobody may use it."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from intake.crypto import DecryptionError
from intake.models import Case, Staff, StaffSession
from intake.services import sessions
from intake.services.case_access import CaseNotFound, CaseRefused, require_case
from intake.web.app import db_session, settings_of

F = TypeVar("F", bound=Callable[..., Any])

# Endpoints anyone may reach: the login page, static files, the health check and the
# one-time setup link (its 256-bit token is the credential).
OPEN_ENDPOINTS = {"static", "review.login", "review.login_post", "review.health",
                  "setup.page", "setup.passphrase", "setup.code", "setup.qr"}
ROLES_ATTR = "intake_roles"
PRE_2FA_ATTR = "intake_pre_2fa"
CASE_ATTR = "intake_case_param"
MAX_SID_CHARS = 128  # ids are 43 characters (token_urlsafe(32))
SESSION_KEY_BYTES = 32
SESSION_KEY_CHARS = 44  # the key in urlsafe base64, with its padding
CASE_PARAMS = ("reference", "item_id")


def roles(*allowed: str) -> Callable[[F], F]:
    """Declare which roles may use a view; a view without this is refused to everyone."""
    if not allowed:
        raise ValueError("a view must allow at least one role")

    def mark(view: F) -> F:
        setattr(view, ROLES_ATTR, frozenset(allowed))
        return view

    return mark


def case_scoped(param: str) -> Callable[[F], F]:
    """Declare that a view reads or writes the case its URL names (by `reference`, or by an
    attachment's `item_id`): the guard then requires a key wrap of that case's report."""
    if param not in CASE_PARAMS:
        raise ValueError(f"a case is named by one of {CASE_PARAMS}")

    def mark(view: F) -> F:
        setattr(view, CASE_ATTR, param)
        return view

    return mark


def before_second_factor(view: F) -> F:
    """For the TOTP step and enrolment: reachable after the passphrase, before the code."""
    setattr(view, PRE_2FA_ATTR, True)
    return view


def cookie_half() -> sessions.CookieHalf | None:
    """The browser's half of the split key, from the signed session cookie; None for
    anything that is not an id and a key of the right shape."""
    sid, key = session.get("sid"), session.get("skey")
    if not isinstance(sid, str) or not isinstance(key, str):
        return None
    if not sid.isascii() or not 0 < len(sid) <= MAX_SID_CHARS or len(key) != SESSION_KEY_CHARS:
        return None
    try:
        raw = base64.urlsafe_b64decode(key)
    except ValueError:
        return None
    if len(raw) != SESSION_KEY_BYTES:
        return None
    return sessions.CookieHalf(sid, raw)


def store_cookie_half(half: sessions.CookieHalf) -> None:
    """Put our half in the cookie (HttpOnly, SameSite=Strict, Secure behind TLS)."""
    lang = session.get("lang")  # a fresh session, but in the language chosen before sign-in
    session.clear()
    if isinstance(lang, str):
        session["lang"] = lang
    session["sid"] = half.session_id
    session["skey"] = base64.urlsafe_b64encode(half.session_key).decode()
    # A browser-session cookie: the session key is not written to the laptop's disk as a
    # persistent cookie; the server-side timeouts still bound the session.
    session.permanent = False


def current_staff() -> Staff:
    """The signed-in, verified staff member of this request."""
    staff: Staff | None = g.get("staff")
    if staff is None:
        abort(401)
    return staff


def current_case() -> Case:
    """The case of a case-scoped view, already checked by the guard."""
    case: Case | None = g.get("case")
    if case is None:
        abort(404)
    return case


def current_session() -> StaffSession:
    """The server half of this request's session."""
    row: StaffSession | None = g.get("staff_session")
    if row is None:
        abort(401)
    return row


def current_private_key() -> bytes:
    """The staff member's private key, joined from both halves for this request only."""
    half = cookie_half()
    if half is None:
        abort(401)
    try:
        return sessions.private_key(current_session(), half)
    except DecryptionError:
        abort(403)  # an analyst's session, or a cookie that does not match: never a 500


def _sweep() -> None:
    """Expired server halves go even if their cookies never come back (once a minute)."""
    sessions.sweep_if_due(db_session(), settings_of(current_app), time.monotonic())


def _enforce() -> Response | None:
    """Runs before every review request: anonymous → login, no 2FA → 2FA, wrong role → 403."""
    endpoint = request.endpoint
    if endpoint is None:
        _load_identity()  # the 404/405 page keeps a signed-in member's navigation
        return None  # 404/405 handled by Flask
    if endpoint in OPEN_ENDPOINTS:
        _load_identity()
        return None
    view = current_app.view_functions.get(endpoint)
    allowed = getattr(view, ROLES_ATTR, None)
    pre_2fa = getattr(view, PRE_2FA_ATTR, False)
    row, staff = _load_identity()
    if row is None or staff is None:
        return redirect(url_for("review.login", next=request.path))
    if not row.totp_verified and not pre_2fa:
        return redirect(url_for("review.second_factor"))
    if pre_2fa:
        return None
    if not allowed or staff.role not in allowed:
        abort(403)
    param = getattr(view, CASE_ATTR, None)
    if param is not None:
        return _check_case(staff, param)
    return None


def _check_case(staff: Staff, param: str) -> Response | None:
    """Need to know for reads and writes alike: no wrap of the report, no case."""
    value = (request.view_args or {}).get(param)
    if not isinstance(value, str):
        abort(404)
    try:
        g.case = require_case(db_session(), staff.id, **{param: value})
    except CaseNotFound:
        abort(404)
    except CaseRefused:
        page = render_template("error.html", code=403, message=_(
            "You hold no key for this case, so you can neither read nor change it. "
            "An administrator can give you access."))
        return Response(page, status=403, mimetype="text/html")
    return None


def _load_identity() -> tuple[StaffSession | None, Staff | None]:
    half = cookie_half()
    if half is None:
        return None, None
    db = db_session()
    row = sessions.load_session(db, settings_of(current_app), half.session_id)
    if row is None or not sessions.opens(row, half):
        session.clear()  # gone, expired, or a key that does not open this server half
        return None, None
    staff = db.get(Staff, row.staff_id)
    g.staff_session, g.staff = row, staff
    return row, staff


def install(app: Flask) -> None:
    """Attach the deny-by-default check to the review app."""
    app.before_request(_sweep)
    app.before_request(_enforce)
