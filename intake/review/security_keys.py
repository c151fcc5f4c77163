"""Security keys (WebAuthn): the sign-in step, and adding/removing keys on the account page."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from intake.crypto import verify_passphrase
from intake.models import ROLES, Staff
from intake.review.access import (
    before_second_factor,
    cookie_half,
    current_session,
    current_staff,
    roles,
    store_cookie_half,
)
from intake.review.auth import safe_next
from intake.review.nav import home_for
from intake.services import login as login_service
from intake.services import security_keys as keys_service
from intake.services import site
from intake.services.audit import record
from intake.services.kdf_gate import kdf_slot
from intake.web.app import db_session, settings_of
from intake.web.headers import allow_webauthn_page
from intake.web.ratelimit import client_key

bp = Blueprint("keys", __name__)
STATE = "webauthn_state"
# Reachable by an admin who must add a key first (admins_need_security_key).
KEY_SETUP_ENDPOINTS = {"keys.manage", "keys.add", "review.logout", "static", "review.health"}


class KeySignInForm(FlaskForm):
    """The browser's signed answer (filled in by static/webauthn.js)."""

    credential = HiddenField()


class AddKeyForm(FlaskForm):
    """A name for the new key; the script adds the browser's answer."""

    name = StringField(_l("Name of the key"),
                       description=_l("For example “blue key” or “spare key in the safe”."),
                       validators=[DataRequired(), Length(max=64)])
    credential = HiddenField()


class RemoveKeyForm(FlaskForm):
    """Removing a key needs the passphrase again."""

    passphrase = PasswordField(_l("Your passphrase"),
                               validators=[DataRequired(), Length(max=1024)])


def _settings() -> Any:
    return site.effective(db_session(), settings_of(current_app))


def _answer(form_value: str | None) -> dict[str, Any] | None:
    """The JSON the script posted, or None when there is none or it is not an object."""
    try:
        value = json.loads(form_value or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _begin_sign_in(staff: Staff) -> dict[str, Any]:
    ceremony = keys_service.begin_sign_in(db_session(), _settings(), staff)
    cookie[STATE] = ceremony.state
    allow_webauthn_page()
    return ceremony.options


@bp.route("/login/key", methods=["GET", "POST"])
@before_second_factor
def sign_in() -> tuple[str, int] | Response:
    """Second step with a security key; the failure answer is the same for every cause."""
    staff, db, settings = current_staff(), db_session(), _settings()
    if current_session().totp_verified:
        return redirect(home_for(staff.role))
    if not keys_service.enabled(settings) or not keys_service.has_keys(db, staff):
        return redirect(url_for("review.second_factor"))
    form = KeySignInForm()
    totp_ok = login_service.totp_allowed(db, settings, staff)
    if request.method == "GET":
        return render_template("review/key_sign_in.html", form=form, totp_ok=totp_ok,
                               options=_begin_sign_in(staff), problem=None), 200
    state, answer, half = cookie.pop(STATE, None), _answer(form.credential.data), cookie_half()
    fresh = None
    if form.validate() and isinstance(state, dict) and answer is not None and half is not None:
        fresh = login_service.complete_with_key(db, settings, staff, current_session(), half,
                                                state, answer, client_key())
    if fresh is None:
        record(db, staff, "login.failed_2fa", detail={"method": "security_key"})
        db.commit()
        return render_template("review/key_sign_in.html", form=form, totp_ok=totp_ok,
                               options=_begin_sign_in(staff), problem=_(
            "The security key was not accepted. Try again, or use another key.")), 401
    record(db, staff, "login", detail={"method": "security_key"})
    db.commit()
    target = safe_next(cookie.pop("next", None))
    store_cookie_half(fresh)
    return redirect(target or home_for(staff.role))  # "" means: this role's home page


def _manage_page(add: AddKeyForm | None = None, remove: RemoveKeyForm | None = None,
                 problem: str | None = None, status: int = 200) -> tuple[str, int]:
    staff, db, settings = current_staff(), db_session(), _settings()
    can_add = keys_service.enabled(settings) and keys_service.fresh(current_session())
    options = None
    if can_add:
        ceremony = keys_service.begin_registration(db, settings, staff)
        cookie[STATE] = ceremony.state
        allow_webauthn_page()
        options = ceremony.options
    done = {"added": _("The security key was added."),
            "removed": _("The security key was removed.")}.get(request.args.get("done", ""))
    return render_template(
        "review/security_keys.html", keys=keys_service.keys_of(db, staff),
        add_form=add or AddKeyForm(), remove_form=remove or RemoveKeyForm(),
        enabled=keys_service.enabled(settings), can_add=can_add, options=options,
        required=keys_service.keys_required(settings, staff), problem=problem,
        done=done), status


@bp.get("/account/keys")
@roles(*ROLES)
def manage() -> tuple[str, int]:
    """The list of keys; adding one needs a sign-in within the last few minutes."""
    return _manage_page()


@bp.post("/account/keys")
@roles(*ROLES)
def add() -> tuple[str, int] | Response:
    """Verify the new key's answer against the challenge we kept, and store it."""
    form = AddKeyForm()
    state, answer = cookie.pop(STATE, None), _answer(form.credential.data)
    if not keys_service.fresh(current_session()):
        return _manage_page(add=form, problem=_(
            "Sign out and sign in again to add a key (it needs a recent sign-in)."), status=403)
    if not form.validate():
        return _manage_page(add=form, status=400)
    if not isinstance(state, dict) or answer is None:
        return _manage_page(add=form, problem=_(
            "Your browser did not send an answer from a security key. It needs JavaScript "
            "and a browser that supports security keys."), status=400)
    try:
        keys_service.finish_registration(db_session(), _settings(), current_staff(), state,
                                         answer, form.name.data or "")
    except keys_service.KeyRefused:
        return _manage_page(add=form, problem=_(
            "The security key could not be added. Try again."), status=400)
    return redirect(url_for("keys.manage", done="added"))


@bp.post("/account/keys/<key_id>/remove")
@roles(*ROLES)
def remove(key_id: str) -> tuple[str, int] | Response:
    """Remove a key after the passphrase again; a wrong one counts toward the sign-in throttle."""
    form = RemoveKeyForm()
    if not form.validate():
        return _manage_page(remove=form, status=400)
    staff, db, settings = current_staff(), db_session(), _settings()
    with kdf_slot(settings.data_dir):
        good = bool(staff.password_hash) and verify_passphrase(
            staff.password_hash or "", form.passphrase.data or "")
    throttled = login_service.is_throttled(db, settings, staff, client_key())
    if throttled or not good:
        if not throttled:
            login_service.record_failure(db, settings, staff, client_key())
        record(db, staff, "security_key.remove_refused", target=staff.username)
        db.commit()
        return _manage_page(remove=RemoveKeyForm(), problem=_(
            "The passphrase is not right, or you tried too often. The key was kept."),
            status=403)
    if not keys_service.remove(db, staff, key_id):
        return _manage_page(problem=_("That key does not exist."), status=404)
    return redirect(url_for("keys.manage", done="removed"))


def _require_key_for_admins() -> Response | None:
    """After access control: an admin who must use a key and has none can only add one."""
    staff: Staff | None = g.get("staff")
    row = g.get("staff_session")
    if staff is None or row is None or not row.totp_verified:
        return None
    if request.endpoint in KEY_SETUP_ENDPOINTS or request.endpoint is None:
        return None
    settings = _settings()
    if keys_service.keys_required(settings, staff) and keys_service.enabled(settings) \
            and not keys_service.has_keys(db_session(), staff):
        return redirect(url_for("keys.manage"))
    return None


def install(app: Flask) -> None:
    """Register the admin key requirement (runs after access.install's check)."""
    app.before_request(_require_key_for_admins)
