"""The account page (every role): change passphrase, choose the display time zone."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from intake.models import ROLES, utcnow
from intake.review.access import cookie_half, current_staff, roles
from intake.services import account as account_service
from intake.services.credentials import MIN_PASSPHRASE, WrongPassphrase
from intake.services.errors import StaffError
from intake.web.app import db_session, settings_of
from intake.web.ratelimit import client_key

bp = Blueprint("account", __name__)


class PassphraseForm(FlaskForm):
    """Old passphrase once, the new one twice."""

    old = PasswordField(_l("Current passphrase"),
                        validators=[DataRequired(), Length(max=1024)])
    new = PasswordField(_l("New passphrase"),
                        description=_l("At least %(n)s characters; a few random words work well.",
                                       n=MIN_PASSPHRASE),
                        validators=[DataRequired(), Length(min=MIN_PASSPHRASE, max=1024)])
    confirm = PasswordField(_l("New passphrase again"), validators=[
        DataRequired(), EqualTo("new", _l("The two do not match."))])


class ZoneForm(FlaskForm):
    """Which zone times are shown in."""

    zone = SelectField(_l("Time zone"))


def _zone_form(**kwargs: object) -> ZoneForm:
    form = ZoneForm(**kwargs)
    site = settings_of(current_app).time_zone
    form.zone.choices = [("", _("The organisation's zone (%(zone)s)", zone=site))] + [
        (z, z) for z in account_service.time_zones()]
    return form


def _page(pw: PassphraseForm | None = None, zone: ZoneForm | None = None,
          problem: str | None = None, status: int = 200) -> tuple[str, int]:
    messages = {"passphrase": _("Your passphrase was changed. Your other sessions were ended."),
                "zone": _("Your time zone was saved.")}
    done = messages.get(request.args.get("done", ""))
    return render_template(
        "review/account.html", staff=current_staff(), pw_form=pw or PassphraseForm(),
        zone_form=zone or _zone_form(zone=current_staff().time_zone),
        problem=problem, done=done, now_utc=utcnow()), status


@bp.get("/account")
@roles(*ROLES)
def account() -> tuple[str, int]:
    """Show the account page."""
    return _page()


@bp.post("/account/passphrase")
@roles(*ROLES)
def account_passphrase() -> tuple[str, int] | Response:
    """Re-wrap the private key under the new passphrase and end every other session."""
    form = PassphraseForm()
    if not form.validate():
        return _page(pw=form, status=400)
    half = cookie_half()
    try:
        account_service.change_passphrase(
            db_session(), settings_of(current_app), current_staff(), form.old.data or "",
            form.new.data or "", keep_session_id=half.session_id if half else "",
            client=client_key())
    except WrongPassphrase:
        return _page(pw=form, problem=_("The current passphrase is not right."), status=400)
    except StaffError:
        return _page(pw=form, problem=_("Choose a new passphrase that differs from the "
                                        "current one."), status=400)
    return redirect(url_for("account.account", done="passphrase"))


@bp.post("/account/time-zone")
@roles(*ROLES)
def account_zone() -> tuple[str, int] | Response:
    """Save the display time zone."""
    form = _zone_form()
    if not form.validate():
        return _page(zone=form, status=400)
    try:
        account_service.set_time_zone(db_session(), current_staff(), form.zone.data or "")
    except StaffError:
        return _page(zone=form, problem=_("Unknown time zone."), status=400)
    return redirect(url_for("account.account", done="zone"))

