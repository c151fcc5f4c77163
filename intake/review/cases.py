"""The inbox and case pages: thin views that parse a form, call the triage service, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from intake.models import Case, Item, Staff
from intake.payloads import ReportAnswers
from intake.review.access import (
    case_scoped,
    current_case,
    current_private_key,
    current_staff,
    roles,
)
from intake.review.case_forms import (
    SEND_CONFIRMED,
    CaseForm,
    LabelForm,
    ReplyForm,
    TextForm,
    TriageForm,
)
from intake.services import triage as tr
from intake.services.cases import CaseIntegrityError, read_case
from intake.services.inbox import InboxFilter, inbox_page, inbox_restricted
from intake.services.inbox_filters import label_groups
from intake.services.label_suggestions import reported_month, suggested_labels
from intake.vocab import (
    ACT_TYPES,
    LABEL_LEGENDS,
    PERPETRATORS,
    PRIORITY_LABELS,
    REGIONS,
    STATUS_LABELS,
    TARGETS,
)
from intake.web.app import db_session, settings_of
from intake.web.headers import allow_own_script

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
@case_scoped("reference")
def case(reference: str) -> tuple[str, int]:
    """The decrypted report and its follow-ups, replies and notes, all escaped."""
    return _render_case(current_case().reference, None, {}, 200)


def _render_case(reference: str, problem: object, typed: dict[str, str],
                 code: int) -> tuple[str, int]:
    session = db_session()  # the guard (@case_scoped) let only a reader with a wrap here
    try:
        view = read_case(session, current_staff(), current_private_key(), reference[:16])
    except CaseIntegrityError:
        return render_template("error.html", code=422, message=_(
            "This case failed its integrity check: part of what is stored for it was changed, "
            "or was moved here from another case, so nothing of it is shown. Please tell an "
            "administrator.")), 422
    if view is None:
        abort(404)
    periods = tr.period_codes()
    labels = tr.case_labels(session, view.case)
    suggested = not labels and view.case.status == "new"
    if suggested:
        labels = suggested_labels(view.report, periods)
    allow_own_script()  # static/reply_check.js: the reply check in the page
    return render_template("review/case.html", view=view, case=view.case, confirm=SEND_CONFIRMED,
                           statuses=STATUS_LABELS, priorities=PRIORITY_LABELS,
                           acts=ACT_TYPES, perpetrators=PERPETRATORS, regions=REGIONS,
                           targets=TARGETS, periods=periods, legends=LABEL_LEGENDS,
                           transitions=tr.transitions(view.case.status,
                                                      verify_from_new=_verify_from_new()),
                           staff_choices=tr.assignable_staff(session),
                           labels=labels, suggested=suggested and bool(labels),
                           reported_when=_reported_when(view.report),
                           problem=problem, typed=typed), code


def _reported_when(answers: ReportAnswers | None) -> str:
    """The incident date in the viewer's language: a day, "October 2024" or a year."""
    if answers is None:
        return ""
    if answers.when_date:
        try:
            return format_date(date.fromisoformat(answers.when_date), "long")
        except ValueError:
            return answers.when_date
    when = reported_month(answers)
    if when is None:
        return ""
    year, month = when
    try:
        return format_date(date(year, month, 1), "LLLL y") if month else str(year)
    except ValueError:
        return str(year)


def _verify_from_new() -> bool:
    return settings_of(current_app).verify_from_new


def _back(reference: str) -> Response:
    return redirect(url_for("cases.case", reference=reference), code=303)


@bp.post("/cases/<reference>/save")
@roles("admin", "reviewer")
@case_scoped("reference")
def save(reference: str) -> Response | tuple[str, int]:
    """The one save of the case page: status, priority, assignee and labels together."""
    found = current_case()
    form = CaseForm()
    if not form.validate():
        return _render_case(found.reference, _("This status change is not allowed."), {}, 400)
    try:
        changed = tr.save_case(db_session(), current_staff(), found, form.change(),
                               form.chosen(), verify_from_new=_verify_from_new())
    except tr.TriageError as exc:
        db_session().rollback()
        return _render_case(found.reference, exc.args[0], {}, 400)
    flash(_("Saved.") if changed else _("Nothing was changed."))
    return _back(found.reference)


@bp.post("/cases/<reference>/triage")
@roles("admin", "reviewer")
@case_scoped("reference")
def triage(reference: str) -> Response | tuple[str, int]:
    """Status, priority, assignee and acknowledgement."""
    found = current_case()
    form = TriageForm()
    if not form.validate():
        return _render_case(found.reference, _("This status change is not allowed."), {}, 400)
    try:
        tr.triage(db_session(), current_staff(), found, form.change(),
                  verify_from_new=_verify_from_new())
    except tr.TriageError as exc:
        db_session().rollback()
        return _render_case(found.reference, exc.args[0], {}, 400)
    flash(_("Saved."))
    return _back(found.reference)


@bp.post("/cases/<reference>/labels")
@roles("admin", "reviewer")
@case_scoped("reference")
def labels(reference: str) -> Response | tuple[str, int]:
    """Replace the coded labels."""
    found = current_case()
    form = LabelForm()
    if not form.validate():
        return _render_case(found.reference, _("Unknown label code."), {}, 400)
    try:
        tr.set_labels(db_session(), current_staff(), found, form.chosen())
    except tr.TriageError as exc:
        db_session().rollback()
        return _render_case(found.reference, exc.args[0], {}, 400)
    flash(_("Saved."))
    return _back(found.reference)


@bp.post("/cases/<reference>/consent-withdrawn")
@roles("admin", "reviewer")
@case_scoped("reference")
def consent_withdrawn(reference: str) -> Response:
    """Record that the reporter asked (e.g. in a follow-up) not to be counted any more."""
    found = current_case()
    if FlaskForm().validate() and tr.withdraw_consent(db_session(), current_staff(), found):
        flash(_("Recorded: this case is no longer counted in statistics."))
    return _back(found.reference)


@bp.post("/cases/<reference>/urgent-ack")
@roles("admin", "reviewer")
@case_scoped("reference")
def urgent_ack(reference: str) -> Response:
    """One click: I am on it. Stops the escalation to administrators; audited."""
    found = current_case()
    if FlaskForm().validate() and tr.acknowledge_urgent(db_session(), current_staff(), found):
        flash(_("Acknowledged: administrators will not be alerted about this report."))
    return _back(found.reference)


@bp.post("/cases/<reference>/notes")
@roles("admin", "reviewer")
@case_scoped("reference")
def note(reference: str) -> Response | tuple[str, int]:
    """An internal note for staff: this route only ever stores a note, whatever is posted."""
    return _text(reference, "note", tr.add_note,
                 _("Internal note saved. Only staff can read it."))


@bp.post("/cases/<reference>/replies/preview")
@roles("admin", "reviewer")
@case_scoped("reference")
def reply_preview(reference: str) -> tuple[str, int]:
    """Show the reply exactly as the reporter will read it; nothing is sent yet."""
    found = current_case()
    form = ReplyForm()
    form.validate()
    return _preview(found, form.text.data or "")


@bp.post("/cases/<reference>/replies/edit")
@roles("admin", "reviewer")
@case_scoped("reference")
def reply_edit(reference: str) -> tuple[str, int]:
    """Back from the preview to the case page, the draft in the reply box, nothing sent."""
    found = current_case()
    form = ReplyForm()
    form.validate()
    draft = (form.text.data or "")[:tr.MAX_TEXT + 100]
    return _render_case(found.reference, None, {"reply": draft}, 200)


@bp.post("/cases/<reference>/replies")
@roles("admin", "reviewer")
@case_scoped("reference")
def reply(reference: str) -> Response | tuple[str, int]:
    """Send a reply the reporter reads with the receipt code: only from a send button shown
    with the exact text (the preview page's, or the case page's in-page check); any other
    post here, or text that storing would still change, shows the preview instead."""
    found = current_case()
    form = ReplyForm()
    form.validate()
    if not form.confirmed() or not form.as_previewed():
        return _preview(found, form.text.data or "")
    return _text(found.reference, "reply", tr.add_reply,
                 _("Reply sent. The reporter will read it when they next enter their receipt "
                   "code."))


def _preview(found: Case, text: str) -> tuple[str, int]:
    try:
        exact = tr.check_text(text)
    except tr.TriageError as exc:
        return _render_case(found.reference, exc.args[0], {"reply": text[:tr.MAX_TEXT + 100]},
                            400)
    return render_template("review/reply_preview.html", case=found, text=exact,
                           confirm=SEND_CONFIRMED), 200


def _text(reference: str, kind: str, add: Callable[[Session, Staff, Case, str], Item],
          done: str) -> Response | tuple[str, int]:
    found = current_case()
    form = TextForm()
    form.validate()
    text = form.text.data or ""
    try:
        add(db_session(), current_staff(), found, text)
    except tr.TriageError as exc:
        db_session().rollback()
        return _render_case(found.reference, exc.args[0], {kind: text[:tr.MAX_TEXT + 100]}, 400)
    flash(done)
    return _back(found.reference)
