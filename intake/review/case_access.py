"""The case's access page: its teams and readers, and moving, restricting or granting it.

Each POST re-wraps in the signed-in reader's session (their private key is joined from
the cookie and server halves for this request only); services/need_to_know does the work.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from intake.models import Case
from intake.review.access import case_scoped, current_private_key, current_staff, roles
from intake.review.access_forms import GrantForm, MoveForm, RestrictForm
from intake.services import need_to_know as ntk
from intake.services import teams, triage
from intake.web.app import db_session

bp = Blueprint("case_access", __name__)


def _held_case(reference: str) -> Case:
    """The case, if the signed-in reader holds it; 404 otherwise (as if it did not exist)."""
    db = db_session()
    found = triage.find_case(db, reference[:16])
    if found is None or not ntk.holds_case(db, current_staff().id, found.id):
        abort(404)
    return found


def _forms() -> tuple[MoveForm, RestrictForm, GrantForm]:
    db = db_session()
    me = current_staff().id
    move, restrict, grant = MoveForm(), RestrictForm(), GrantForm()
    move.teams.choices = teams.team_choices(db)
    others = [(i, n) for i, n in teams.reader_choices(db) if i != me]
    restrict.readers.choices = others
    grant.colleague.choices = others
    return move, restrict, grant


def _page(case: Case, forms: tuple[MoveForm, RestrictForm, GrantForm],
          problem: str | None = None, status: int = 200) -> tuple[str, int]:
    db = db_session()
    move, restrict, grant = forms
    return render_template("review/case_access.html", case=case, move=move,
                           restrict=restrict, grant=grant, problem=problem,
                           team_names=ntk.case_team_names(db, case),
                           readers=[s.username for s in ntk.case_readers(db, case)]), status


@bp.get("/cases/<reference>/access")
@roles("admin", "reviewer")
@case_scoped("reference")
def access(reference: str) -> tuple[str, int]:
    """Who reads this case, and the forms to change that."""
    return _page(_held_case(reference), _forms())


def _run(case: Case, forms: tuple[MoveForm, RestrictForm, GrantForm],
         form: FlaskForm, action: str) -> Response | tuple[str, int]:
    if not form.validate():
        return _page(case, forms, _("Please correct the marked fields."), 400)
    db = db_session()
    try:
        if action == "move":
            ntk.move_case(db, current_staff(), current_private_key(), case,
                          list(forms[0].teams.data or []))
        elif action == "restrict":
            ntk.restrict_case(db, current_staff(), current_private_key(), case,
                              list(forms[1].readers.data or []))
        else:
            ntk.grant_case(db, current_staff(), current_private_key(), case,
                           forms[2].colleague.data or "")
    except ntk.NeedToKnowError as exc:
        db.rollback()
        return _page(case, forms, str(exc.args[0]), 400)
    if ntk.holds_case(db, current_staff().id, case.id):
        return redirect(url_for("case_access.access", reference=case.reference), code=303)
    return redirect(url_for("cases.inbox"), code=303)  # moved away from the mover's teams


@bp.post("/cases/<reference>/move")
@roles("admin", "reviewer")
@case_scoped("reference")
def move(reference: str) -> Response | tuple[str, int]:
    """Re-wrap the case to other team(s) and delete every other staff wrap."""
    case = _held_case(reference)
    forms = _forms()
    return _run(case, forms, forms[0], "move")


@bp.post("/cases/<reference>/restrict")
@roles("admin", "reviewer")
@case_scoped("reference")
def restrict(reference: str) -> Response | tuple[str, int]:
    """Keep the case for me and the chosen colleagues only."""
    case = _held_case(reference)
    forms = _forms()
    return _run(case, forms, forms[1], "restrict")


@bp.post("/cases/<reference>/grant")
@roles("admin", "reviewer")
@case_scoped("reference")
def grant(reference: str) -> Response | tuple[str, int]:
    """Give one colleague this one case."""
    case = _held_case(reference)
    forms = _forms()
    return _run(case, forms, forms[2], "grant")
