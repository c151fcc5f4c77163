"""The directory of recipients outside the organisation: list, add, verify, remove.

Readers (admins and reviewers) hand cases over, so they keep the directory; a recipient
becomes usable only when a second reader verifies its fingerprint (services/recipients).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from intake.review.access import current_staff, roles
from intake.review.handover_forms import RecipientForm, VerifyForm
from intake.services import recipients
from intake.web.app import db_session

bp = Blueprint("recipients", __name__)


def _page(form: RecipientForm | None = None, problem: object = None,
          status: int = 200) -> tuple[str, int]:
    return render_template("review/recipients.html", rows=recipients.listing(db_session()),
                           form=form or RecipientForm(), verify_form=VerifyForm(),
                           me=current_staff().id, problem=problem,
                           done=request.args.get("done")), status


def _done(what: str) -> Response:
    return redirect(url_for("recipients.index", done=what), code=303)


@bp.get("/recipients")
@roles("admin", "reviewer")
def index() -> tuple[str, int]:
    """Every recipient with its fingerprint, who added it and who verified it."""
    return _page()


@bp.post("/recipients")
@roles("admin", "reviewer")
def add() -> Response | tuple[str, int]:
    """A new, unverified recipient; what was typed stays in the form on any problem."""
    form = RecipientForm()
    if not form.validate():
        return _page(form, status=400)
    db = db_session()
    try:
        recipients.add(db, current_staff(), form.name.data or "",
                       form.organisation.data or "", form.key.data or "")
    except recipients.RecipientError as exc:
        db.rollback()
        return _page(form, exc.args[0], 400)
    return _done("added")


@bp.post("/recipients/<recipient_id>/verify")
@roles("admin", "reviewer")
def verify(recipient_id: str) -> Response | tuple[str, int]:
    """A second reader confirms the fingerprint was compared out of band."""
    form = VerifyForm()
    if not form.validate() or not form.compared.data:
        return _page(problem=_("Verify only after you have compared the whole fingerprint "
                               "with the recipient, and tick the box to say so."), status=400)
    return _apply(lambda: recipients.verify(db_session(), current_staff(), recipient_id),
                  "verified", 409)


@bp.post("/recipients/<recipient_id>/remove")
@roles("admin", "reviewer")
def remove(recipient_id: str) -> Response | tuple[str, int]:
    """Remove a recipient: no later hand-over can use its key."""
    if not FlaskForm().validate():  # a bare button: only its CSRF token to check
        return _page(problem=_("This form has expired. Please go back and try again."), status=400)
    return _apply(lambda: recipients.remove(db_session(), current_staff(), recipient_id),
                  "removed", 404)


def _apply(change: Callable[[], None], done: str, refused: int) -> Response | tuple[str, int]:
    """Run one directory change; its refusal is shown on the page with `refused` status."""
    try:
        change()
    except recipients.RecipientError as exc:
        db_session().rollback()
        return _page(problem=exc.args[0], status=refused)
    return _done(done)
