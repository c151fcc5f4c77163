"""Admin pages for need to know: teams, their members, routing by region, admins' reading."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from intake.review.access import current_staff, roles
from intake.review.access_forms import MemberForm, ReadAllForm, RoutingForm, TeamForm
from intake.services import routing, teams
from intake.services.audit import record
from intake.vocab import REGIONS
from intake.web.app import db_session

bp = Blueprint("teams", __name__)


def _routing_form() -> RoutingForm:
    form = RoutingForm()
    form.region.choices = [(code, str(name)) for code, name in REGIONS.items()]
    form.team.choices = [("", _("Default team")), *teams.team_choices(db_session())]
    return form


def _member_form() -> MemberForm:
    form = MemberForm()
    form.staff.choices = teams.reader_choices(db_session())
    return form


def _page(team_form: TeamForm | None = None, problem: str | None = None,
          status: int = 200) -> tuple[str, int]:
    db = db_session()
    rules = teams.rules(db)
    names = dict(teams.team_choices(db))
    return render_template(
        "review/admin_teams.html", teams=teams.list_teams(db), team_form=team_form or TeamForm(),
        member_form=_member_form(), routing_form=_routing_form(),
        read_all=ReadAllForm(data={"admins_read_all": routing.admins_read_all(db)}),
        routes=[(str(label), names.get(rules.get(code, ""))) for code, label in REGIONS.items()],
        regions={code: str(label) for code, label in REGIONS.items()},
        problem=problem, saved=request.args.get("saved") == "1"), status


def _done() -> Response:
    return redirect(url_for("teams.index", saved="1"), code=303)


@bp.get("/admin/teams")
@roles("admin")
def index() -> tuple[str, int]:
    """Teams with members and regions, the routing table and the admins-read-all setting."""
    return _page()


@bp.post("/admin/teams")
@roles("admin")
def create() -> Response | tuple[str, int]:
    """A new team (the first one becomes the default)."""
    form = TeamForm()
    if not form.validate():
        return _page(form, status=400)
    try:
        teams.create_team(db_session(), current_staff(), form.name.data or "")
    except teams.TeamError as exc:
        db_session().rollback()
        return _page(form, str(exc.args[0]), 409)
    return _done()


@bp.post("/admin/teams/<team_id>/members")
@roles("admin")
def add_member(team_id: str) -> Response | tuple[str, int]:
    """Add a reader to the team (new cases of the team are encrypted to them)."""
    form = _member_form()
    if not form.validate():
        return _page(problem=_("Choose an active reviewer or admin."), status=400)
    return _apply(lambda: teams.add_member(db_session(), current_staff(), team_id,
                                           form.staff.data or ""))


@bp.post("/admin/teams/<team_id>/members/<staff_id>/remove")
@roles("admin")
def remove_member(team_id: str, staff_id: str) -> Response | tuple[str, int]:
    """Remove a reader from the team; their wraps of its cases are deleted."""
    if not _csrf_ok():
        abort(400)
    return _apply(lambda: teams.remove_member(db_session(), current_staff(), team_id,
                                              staff_id))


@bp.post("/admin/teams/<team_id>/default")
@roles("admin")
def make_default(team_id: str) -> Response | tuple[str, int]:
    """Cases from regions without a rule go to this team."""
    if not _csrf_ok():
        abort(400)
    return _apply(lambda: teams.set_default(db_session(), current_staff(), team_id))


@bp.post("/admin/teams/routing")
@roles("admin")
def route() -> Response | tuple[str, int]:
    """Route one region's new cases to a team (or back to the default team)."""
    form = _routing_form()
    if not form.validate():
        return _page(problem=_("Please correct the marked fields."), status=400)
    return _apply(lambda: teams.set_rule(db_session(), current_staff(), form.region.data or "",
                                         form.team.data or None))


@bp.post("/admin/teams/reading")
@roles("admin")
def reading() -> Response | tuple[str, int]:
    """Whether admins receive every new case (off by default)."""
    form = ReadAllForm()
    if not form.validate():
        abort(400)
    db = db_session()
    routing.set_admins_read_all(db, bool(form.admins_read_all.data))
    record(db, current_staff(), "settings.admins_read_all",
           detail={"on": bool(form.admins_read_all.data)})
    db.commit()
    return _done()


def _csrf_ok() -> bool:
    """A bare button form: only its CSRF token to check."""
    return FlaskForm().validate()


def _apply(change: Callable[[], object]) -> Response | tuple[str, int]:
    try:
        change()
    except teams.TeamError as exc:
        db_session().rollback()
        return _page(problem=str(exc.args[0]), status=409)
    return _done()
