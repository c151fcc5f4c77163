"""Staff sign-in: passphrase, then TOTP, and sign-out. Enrolment happens only where its
secret is shown (the terminal, the setup link), never behind a passphrase alone."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from intake.models import Staff
from intake.review.access import (
    before_second_factor,
    cookie_half,
    current_session,
    current_staff,
    store_cookie_half,
)
from intake.review.nav import home_for
from intake.services import login as login_service
from intake.services import security_keys, site
from intake.services.audit import record
from intake.services.sessions import end_session
from intake.web.app import db_session, settings_of
from intake.web.ratelimit import client_key

bp = Blueprint("review", __name__)


class LoginForm(FlaskForm):
    """First factor: who you are and your passphrase."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    passphrase = PasswordField(_l("Passphrase"), validators=[DataRequired(), Length(max=1024)])


class CodeForm(FlaskForm):
    """Second factor: the six digits from the authenticator app."""

    code = StringField(_l("Authenticator code"),
                       validators=[DataRequired(), Length(min=6, max=10)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


def safe_next(target: str | None) -> str:
    """Only same-app paths; never an open redirect. "" means: the staff member's home."""
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and not any(ord(ch) < 32 for ch in target)):
        return target
    return ""


@bp.get("/login")
def login() -> str:
    """The sign-in page."""
    return render_template("review/login.html", form=LoginForm(), problem=None)


@bp.post("/login")
def login_post() -> tuple[str, int] | WerkzeugResponse:
    """Check the passphrase; the message never says whether the username exists."""
    form = LoginForm()
    db = db_session()
    if not form.validate():
        return render_template("review/login.html", form=form, problem=None), 400
    result = login_service.check_passphrase(
        db, settings_of(current_app), form.username.data or "", form.passphrase.data or "",
        client_key())
    if result.unenrolled:
        form.passphrase.data = ""
        return render_template("review/login.html", form=form, problem=_(
            "This account has not set up its authenticator app yet. Finish the setup with "
            "your one-time setup link, or ask an administrator.")), 403
    if not result.ok or result.half is None or result.staff is None:
        record(db, None, "login.failed", anonymous="(sign-in form)")
        db.commit()
        form.passphrase.data = ""
        return render_template("review/login.html", form=form, problem=_(
            "Sign-in failed. Check your username and passphrase, or wait if you "
            "tried several times.")), 401
    store_cookie_half(result.half)
    cookie["next"] = safe_next(request.args.get("next"))
    return redirect(url_for(_second_step(result.staff)))


def _second_step(staff: Staff) -> str:
    """A security key when one is registered (and keys are on), else the code."""
    settings = site.effective(db_session(), settings_of(current_app))
    if security_keys.enabled(settings) and security_keys.has_keys(db_session(), staff):
        return "keys.sign_in"
    return "review.second_factor"


@bp.route("/login/2fa", methods=["GET", "POST"])
@before_second_factor
def second_factor() -> tuple[str, int] | WerkzeugResponse:
    """The TOTP step; a code already used is refused."""
    if not current_staff().totp_enrolled:  # a session from before enrolment moved off the web
        half = cookie_half()
        if half is not None:
            end_session(db_session(), half.session_id)
            db_session().commit()
        cookie.clear()
        return redirect(url_for("review.login"))
    staff = current_staff()
    db = db_session()
    settings = site.effective(db, settings_of(current_app))
    if not login_service.totp_allowed(db, settings, staff):
        return redirect(url_for("keys.sign_in"))
    has_key = security_keys.enabled(settings) and security_keys.has_keys(db, staff)
    form = CodeForm()
    if request.method == "GET" or not form.validate():
        return render_template("review/second_factor.html", form=form, problem=None,
                               has_key=has_key), 200 if request.method == "GET" else 400
    return _finish(form, "review/second_factor.html", has_key=has_key)


def _finish(form: CodeForm, template: str, **extra: object) -> tuple[str, int] | WerkzeugResponse:
    """Check the code; on success the browser gets a new session id and key."""
    staff, row, half = current_staff(), current_session(), cookie_half()
    db = db_session()
    fresh = None if half is None else login_service.complete_sign_in(
        db, settings_of(current_app), staff, row, half, form.code.data or "", client_key())
    if fresh is None:
        record(db, staff, "login.failed_2fa")
        db.commit()
        return render_template(template, form=form, problem=_(
            "That code was not accepted. Wait for a new code and try again."), **extra), 401
    record(db, staff, "login")
    db.commit()
    target = safe_next(cookie.pop("next", None))
    store_cookie_half(fresh)
    return redirect(target or home_for(staff.role))


@bp.post("/logout")
@before_second_factor
def logout() -> WerkzeugResponse:
    """Delete the server half; the cookie's half is then worthless."""
    half = cookie_half()
    db = db_session()
    if half is not None:
        staff = current_staff()
        end_session(db, half.session_id)
        record(db, staff, "logout")
        db.commit()
    cookie.clear()
    return redirect(url_for("review.login"))


@bp.get("/healthz")
def health() -> tuple[str, int, dict[str, str]]:
    """Liveness for the proxy."""
    return "ok", 200, {"Content-Type": "text/plain"}
