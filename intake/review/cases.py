"""The inbox and case pages: thin views that parse a form, call the triage service, render."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from intake.models import Case, Item, Staff
from intake.review.access import current_private_key, current_staff, roles
from intake.review.case_forms import LabelForm, TextForm, TriageForm
from intake.services import need_to_know as ntk
from intake.services import triage as tr
from intake.services.cases import CaseIntegrityError, read_case
from intake.services.inbox import InboxFilter, inbox_page, inbox_restricted
from intake.services.inbox_filters import label_groups
from intake.vocab import (
    ACT_TYPES,
    LABEL_LEGENDS,
    PERPETRATORS,
    PRIORITY_LABELS,
    REGIONS,
    STATUS_LABELS,
    TARGETS,
)
from intake.web.app import db_session

bp = Blueprint("cases", __name__)


@bp.get("/")
@roles("admin", "reviewer")
def inbox() -> tuple[str, int]:
    """One page of cases, urgent first, excerpts decrypted with the viewer's key."""
    filters = InboxFilter.from_args(request.args)
    try:
        page = inbox_page(db_session(), current_staff().id, current_private_key(),
                          request.args.get("after"), filters=filters,
                          before=request.args.get("before"))
    except ValueError:
        return render_template("error.html", code=400, message=_(
            "This page link is not valid. Please start again from the first page.")), 400
    restricted = inbox_restricted(db_session(), current_staff().id)
    return render_template("review/inbox.html", page=page, statuses=STATUS_LABELS,
                           restricted=restricted,
                           priorities=PRIORITY_LABELS, label_groups=label_groups(),
                           filters=filters, keep=filters.query_args()), 200


@bp.get("/cases/<reference>")
@roles("admin", "reviewer")
def case(reference: str) -> tuple[str, int]:
    """The decrypted report and its follow-ups, replies and notes, all escaped."""
    return _render_case(reference, None, {}, 200)


def _render_case(reference: str, problem: object, typed: dict[str, str],
                 code: int) -> tuple[str, int]:
    session = db_session()
    found = tr.find_case(session, reference)
    if found is not None and not ntk.holds_case(session, current_staff().id, found.id):
        if ntk.sees_restricted(session, current_staff().id, found):
            return render_template("review/case_restricted.html",
                                   reference=found.reference), 403
        abort(404)  # outside its teams: as if it did not exist
    try:
        view = read_case(session, current_staff(), current_private_key(), reference[:16])
    except CaseIntegrityError:
        return render_template("error.html", code=422, message=_(
            "This case failed its integrity check: part of what is stored for it was changed, "
            "or was moved here from another case, so nothing of it is shown. Please tell an "
            "administrator.")), 422
    if view is None:
        abort(404)
    return render_template("review/case.html", view=view, case=view.case,
                           statuses=STATUS_LABELS, priorities=PRIORITY_LABELS,
                           acts=ACT_TYPES, perpetrators=PERPETRATORS, regions=REGIONS,
                           targets=TARGETS, periods=tr.period_codes(), legends=LABEL_LEGENDS,
                           transitions=tr.TRANSITIONS.get(view.case.status, ()),
                           staff_choices=tr.assignable_staff(session),
                           labels=tr.case_labels(session, view.case),
                           problem=problem, typed=typed), code


def _case_or_404(reference: str) -> Case:
    """The case if the signed-in reader holds it; writes by anyone else are refused alike."""
    found = tr.find_case(db_session(), reference)
    if found is None or not ntk.holds_case(db_session(), current_staff().id, found.id):
        abort(404)
    return found


def _back(reference: str) -> Response:
    return redirect(url_for("cases.case", reference=reference), code=303)


@bp.post("/cases/<reference>/triage")
@roles("admin", "reviewer")
def triage(reference: str) -> Response | tuple[str, int]:
    """Status, priority, assignee and acknowledgement."""
    found = _case_or_404(reference)
    form = TriageForm()
    if not form.validate():
        return _render_case(found.reference, _("This status change is not allowed."), {}, 400)
    try:
        tr.triage(db_session(), current_staff(), found, form.change())
    except tr.TriageError as exc:
        db_session().rollback()
        return _render_case(found.reference, exc.args[0], {}, 400)
    return _back(found.reference)


@bp.post("/cases/<reference>/labels")
@roles("admin", "reviewer")
def labels(reference: str) -> Response | tuple[str, int]:
    """Replace the coded labels."""
    found = _case_or_404(reference)
    form = LabelForm()
    if not form.validate():
        return _render_case(found.reference, _("Unknown label code."), {}, 400)
    try:
        tr.set_labels(db_session(), current_staff(), found, form.chosen())
    except tr.TriageError as exc:
        db_session().rollback()
        return _render_case(found.reference, exc.args[0], {}, 400)
    return _back(found.reference)


@bp.post("/cases/<reference>/consent-withdrawn")
@roles("admin", "reviewer")
def consent_withdrawn(reference: str) -> Response:
    """Record that the reporter asked (e.g. in a follow-up) not to be counted any more."""
    found = _case_or_404(reference)
    if FlaskForm().validate():
        tr.withdraw_consent(db_session(), current_staff(), found)
    return _back(found.reference)


@bp.post("/cases/<reference>/notes")
@roles("admin", "reviewer")
def note(reference: str) -> Response | tuple[str, int]:
    """An internal note for staff."""
    return _text(reference, "note", tr.add_note)


@bp.post("/cases/<reference>/replies")
@roles("admin", "reviewer")
def reply(reference: str) -> Response | tuple[str, int]:
    """A reply the reporter reads with the receipt code."""
    return _text(reference, "reply", tr.add_reply)


def _text(reference: str, kind: str,
          add: Callable[[Session, Staff, Case, str], Item]) -> Response | tuple[str, int]:
    found = _case_or_404(reference)
    form = TextForm()
    form.validate()
    text = form.text.data or ""
    try:
        add(db_session(), current_staff(), found, text)
    except tr.TriageError as exc:
        db_session().rollback()
        return _render_case(found.reference, exc.args[0], {kind: text[:tr.MAX_TEXT + 100]}, 400)
    return _back(found.reference)
