"""The invitee's one-time setup link (no sign-in): choose a passphrase, then enrol the
authenticator on the same link. The TOTP secret is shown here and nowhere else."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from intake.models import Staff
from intake.review.auth import CodeForm
from intake.services import onboarding
from intake.services.credentials import MIN_PASSPHRASE
from intake.services.enrolment import provisioning_uri, qr_svg
from intake.services.errors import StaffError
from intake.services.staff import totp_secret
from intake.web.app import db_session, settings_of

bp = Blueprint("setup", __name__)


class SetupForm(FlaskForm):
    """The invitee's own passphrase, twice."""

    passphrase = PasswordField(
        _l("Passphrase"), validators=[DataRequired(), Length(min=MIN_PASSPHRASE, max=1024)],
        description=_l("At least %(n)s characters; a few random words work well.",
                       n=MIN_PASSPHRASE))
    confirm = PasswordField(_l("Passphrase again"), validators=[
        DataRequired(), EqualTo("passphrase", _l("The two do not match."))])


def _enrol_page(invited: Staff, token: str, form: CodeForm, problem: str | None,
                status: int) -> tuple[str, int]:
    return render_template(
        "review/enrol.html", form=form, problem=problem,
        secret=totp_secret(settings_of(current_app), invited),
        qr_url=url_for("setup.qr", token=token),
        action=url_for("setup.code", token=token)), status


@bp.get("/setup/<token>")
def page(token: str) -> tuple[str, int]:
    """Step one (passphrase) or, once it is set, step two (authenticator)."""
    invited = onboarding.find_invite(db_session(), token)
    if invited is None:
        return _invalid_link()
    if onboarding.awaiting_code(invited):
        return _enrol_page(invited, token, CodeForm(), None, 200)
    return render_template("review/setup.html", form=SetupForm(), username=invited.username,
                           token=token, problem=None), 200


@bp.post("/setup/<token>")
def passphrase(token: str) -> tuple[str, int] | WerkzeugResponse:
    """Create the key pair under the chosen passphrase, then show the authenticator step."""
    db = db_session()
    invited = onboarding.find_invite(db, token)
    if invited is None:
        return _invalid_link()
    if onboarding.awaiting_code(invited):
        return redirect(url_for("setup.page", token=token), code=303)
    form = SetupForm()
    if not form.validate():
        return render_template("review/setup.html", form=form, username=invited.username,
                               token=token, problem=None), 400
    try:
        onboarding.complete_setup(db, settings_of(current_app), token, form.passphrase.data or "")
    except StaffError:
        return _invalid_link()
    return redirect(url_for("setup.page", token=token), code=303)


@bp.post("/setup/<token>/code")
def code(token: str) -> tuple[str, int] | WerkzeugResponse:
    """A code from the authenticator confirms it; the account is then ready to sign in."""
    db = db_session()
    invited = onboarding.find_invite(db, token)
    if invited is None or not onboarding.awaiting_code(invited):
        return _invalid_link()
    form = CodeForm()
    if not form.validate():
        return _enrol_page(invited, token, form, None, 400)
    if not onboarding.confirm_setup(db, settings_of(current_app), token, form.code.data or ""):
        db.rollback()
        return _enrol_page(invited, token, form, _(
            "That code was not accepted. Wait for a new code and try again."), 400)
    return redirect(url_for("review.login", ready="1"), code=303)


@bp.get("/setup/<token>/qr.svg")
def qr(token: str) -> Response:
    """The provisioning QR of step two, only while the link is valid and unconfirmed."""
    invited = onboarding.find_invite(db_session(), token)
    if invited is None or not onboarding.awaiting_code(invited):
        return Response(status=404)
    uri = provisioning_uri(invited.username, totp_secret(settings_of(current_app), invited))
    return Response(qr_svg(uri), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


def _invalid_link() -> tuple[str, int]:
    return render_template("error.html", code=404, message=_(
        "This setup link is not valid: it was already used, has expired (links last 72 "
        "hours) or was mistyped. Ask an administrator for a new one.")), 404
