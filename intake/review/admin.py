"""Admin pages: staff (invite, deactivate, grant access), recovery key, settings."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from intake.review.access import current_private_key, current_staff, roles
from intake.services import admin as admin_service
from intake.services import grants, onboarding
from intake.services.admin import SETTING_RANGES
from intake.services.errors import StaffError
from intake.web.app import db_session, settings_of

bp = Blueprint("admin", __name__)

ROLE_LABELS = {"admin": _l("Admin"), "reviewer": _l("Reviewer"), "analyst": _l("Analyst")}


class InviteForm(FlaskForm):
    """Who to invite, and as what."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    # Reviewer by default: the least surprising role for a new colleague; Administrator
    # (who can deactivate others and grant every case) must be chosen on purpose.
    role = SelectField(_l("Role"), choices=list(ROLE_LABELS.items()), default="reviewer",
                       validators=[DataRequired()])


def _days(label: str, name: str) -> IntegerField:
    low, high = SETTING_RANGES[name]
    return IntegerField(label, validators=[InputRequired(), NumberRange(low, high)])


class SettingsForm(FlaskForm):
    """The instance settings admins may change in the app."""

    ack_due_days = _days(_l("Days to acknowledge a report"), "ack_due_days")
    response_due_days = _days(_l("Days to the first response"), "response_due_days")
    stats_threshold = _days(_l("Smallest count shown in statistics (k)"), "stats_threshold")
    retention_days = _days(_l("Days a closed case is kept (0 = keep)"), "retention_days")
    admins_need_security_key = SelectField(
        _l("Admins must sign in with a security key"), coerce=int,
        choices=[(0, _l("No: a security key or an authenticator code")),
                 (1, _l("Yes: admins sign in only with a security key"))],
        description=_l("An admin without a key can then only add one until it is done."))


def _batch() -> int:
    return grants.DEFAULT_BATCH


def _staff_page(form: InviteForm | None = None, problem: str | None = None,
                status: int = 200) -> tuple[str, int]:
    db = db_session()
    return render_template("review/admin_staff.html", form=form or InviteForm(),
                           staff=admin_service.list_staff(db), problem=problem,
                           failures=admin_service.failed_sign_ins(db, settings_of(current_app)),
                           roles=ROLE_LABELS, me=current_staff()), status


@bp.get("/admin/staff")
@roles("admin")
def staff() -> tuple[str, int]:
    """Everyone with an account, with invite, deactivate and grant actions."""
    return _staff_page()


@bp.post("/admin/staff/invite")
@roles("admin")
def invite() -> tuple[str, int]:
    """Create an inactive account and show its one-time setup link once."""
    form = InviteForm()
    if not form.validate():
        return _staff_page(form, status=400)
    try:
        token = onboarding.invite_staff(db_session(), current_staff(), form.username.data or "",
                                        form.role.data or "")
    except StaffError:
        return _staff_page(form, _("That username is taken or not allowed."), 409)
    link = url_for("setup.page", token=token, _external=True)
    return render_template("review/admin_invited.html", link=link,
                           username=form.username.data), 201


# The value only the confirmation page's button carries.
DEACTIVATE_CONFIRMED = "deactivate"


@bp.get("/admin/staff/<staff_id>/deactivate")
@roles("admin")
def deactivate_confirm(staff_id: str) -> tuple[str, int]:
    """Say what deactivating does (their keys to every case are deleted) and ask once more."""
    member = admin_service.find_staff(db_session(), staff_id)
    if member is None or member.deactivated_at is not None:
        abort(404)
    return render_template("review/admin_deactivate.html", member=member,
                           confirm=DEACTIVATE_CONFIRMED), 200


@bp.post("/admin/staff/<staff_id>/deactivate")
@roles("admin")
def deactivate(staff_id: str) -> tuple[str, int] | Response:
    """Delete their wraps and sessions; the audit trail stays. Only from the confirmation
    page: any other post here shows that page instead."""
    if request.form.get("confirm") != DEACTIVATE_CONFIRMED:
        return deactivate_confirm(staff_id)
    try:
        admin_service.deactivate_staff(db_session(), current_staff(), staff_id)
    except StaffError:
        return _staff_page(problem=_(
            "This account cannot be deactivated (it may be the last active admin)."),
            status=409)
    flash(_("Deactivated: their sessions are ended and their keys to every case deleted."))
    return redirect(url_for("admin.staff"))


@bp.post("/admin/staff/<staff_id>/clear-failures")
@roles("admin")
def clear_failures(staff_id: str) -> Response:
    """Let every client of this account sign in again at once (audited)."""
    try:
        admin_service.clear_failed_sign_ins(db_session(), current_staff(), staff_id)
    except StaffError:
        abort(404)
    return redirect(url_for("admin.staff"))


def _grant_page(target: grants.Target, progress: grants.Progress, action: str,
                status: int = 200) -> tuple[str, int]:
    return render_template("review/admin_grant.html", target=target, progress=progress,
                           action=action), status


@bp.get("/admin/staff/<staff_id>/access")
@roles("admin")
def grant(staff_id: str) -> tuple[str, int]:
    """How many existing items this person can already open, and a button to continue."""
    try:
        target, progress = grants.staff_access(db_session(), current_staff(), staff_id)
    except StaffError:
        abort(404)
    return _grant_page(target, progress, url_for("admin.grant_post", staff_id=staff_id))


@bp.post("/admin/staff/<staff_id>/access")
@roles("admin")
def grant_post(staff_id: str) -> tuple[str, int]:
    """Re-wrap the next batch of data keys to this person; works without JavaScript."""
    try:
        target, progress = grants.grant_staff_batch(
            db_session(), current_staff(), current_private_key(), staff_id, _batch())
    except StaffError:
        abort(404)
    return _grant_page(target, progress, url_for("admin.grant_post", staff_id=staff_id))


@bp.get("/admin/recovery")
@roles("admin")
def recovery() -> tuple[str, int]:
    """Recovery key status: present, fingerprint, created, items not yet wrapped to it."""
    return render_template("review/admin_recovery.html",
                           keys=grants.recovery_status(db_session())), 200


@bp.route("/admin/recovery/<key_id>/wrap", methods=["GET", "POST"])
@roles("admin")
def recovery_wrap(key_id: str) -> tuple[str, int]:
    """Wrap existing items to a newly added recovery key, one batch per POST."""
    try:
        if request.method == "POST":
            target, progress = grants.wrap_recovery_batch(
                db_session(), current_staff(), current_private_key(), key_id, _batch())
        else:
            target, progress = grants.recovery_access(db_session(), current_staff(), key_id)
    except StaffError:
        abort(404)
    return _grant_page(target, progress, url_for("admin.recovery_wrap", key_id=key_id))


@bp.get("/admin/settings")
@roles("admin")
def settings() -> tuple[str, int]:
    """Deadlines, statistics threshold and retention as they apply now."""
    values = admin_service.current_values(db_session(), settings_of(current_app))
    return render_template("review/admin_settings.html", form=SettingsForm(data=values),
                           saved=request.args.get("saved") == "1", problem=None), 200


@bp.post("/admin/settings")
@roles("admin")
def settings_post() -> tuple[str, int] | Response:
    """Validate and store the settings; a bad value is shown back as typed."""
    form = SettingsForm()
    if not form.validate():
        return render_template("review/admin_settings.html", form=form, saved=False,
                               problem=None), 400
    values = {name: int(form[name].data) for name in SETTING_RANGES}
    admin_service.save_settings(db_session(), settings_of(current_app), current_staff(), values)
    return redirect(url_for("admin.settings", saved="1"))
