"""The case's hand-over page: choose a verified outside recipient and what to send, then
download one encrypted bundle made in this reader's session (services/handover)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, stream_with_context
from flask_babel import gettext as _

from intake.crypto import DecryptionError
from intake.models import Case
from intake.review.access import (
    case_scoped,
    current_case,
    current_private_key,
    current_staff,
    roles,
)
from intake.review.handover_forms import HandOverForm
from intake.services import handover, recipients
from intake.services.cases import CaseIntegrityError, CaseView, read_case
from intake.services.handover_items import safe_copy_holders
from intake.web.app import db_session, settings_of

bp = Blueprint("handover", __name__)


def _view(case: Case) -> CaseView | None:
    db = db_session()
    try:
        return read_case(db, current_staff(), current_private_key(), case.reference)
    except CaseIntegrityError:
        return None


def _form(view: CaseView) -> HandOverForm:
    """The form with this case's and this directory's ids as its only valid choices."""
    form = HandOverForm()
    form.recipient.choices = [(r.id, r.name) for r in _verified()]
    readable = [e for e in view.entries if e.text is not None]
    form.messages.choices = [(e.item_id, e.kind) for e in readable if e.kind != "note"]
    form.notes.choices = [(e.item_id, e.kind) for e in readable if e.kind == "note"]
    form.originals.choices = [(a.item_id, a.item_id) for a in view.attachments]
    holders = safe_copy_holders(db_session(), current_staff().id,
                                [a.item_id for a in view.attachments])
    form.safe.choices = [(a.item_id, a.item_id) for a in view.attachments
                         if a.item_id in holders]
    return form


def _verified() -> list[recipients.RecipientRow]:
    return [r for r in recipients.listing(db_session()) if r.verified]


def _page(view: CaseView, form: HandOverForm, problem: str | None = None,
          status: int = 200) -> tuple[str, int]:
    rows = _verified()
    safe = {value for value, _label in form.safe.choices or []}
    return render_template("review/handover.html", case=view.case, view=view, form=form,
                           verified=rows, with_safe=safe, problem=problem), status


def _integrity_page() -> tuple[str, int]:
    return render_template("error.html", code=422, message=_(
        "Part of what you chose failed its integrity check: something stored for this case "
        "was changed, so nothing was sent. Please tell an administrator.")), 422


@bp.get("/cases/<reference>/handover")
@roles("admin", "reviewer")
@case_scoped("reference")
def page(reference: str) -> tuple[str, int]:
    """What can be sent and to whom; notes are listed but never pre-ticked."""
    view = _view(current_case())
    if view is None:
        return _integrity_page()
    return _page(view, _form(view))


@bp.post("/cases/<reference>/handover")
@roles("admin", "reviewer")
@case_scoped("reference")
def download(reference: str) -> Response | tuple[str, int]:
    """One encrypted bundle of the chosen items to the chosen verified recipient."""
    view = _view(current_case())
    if view is None:
        return _integrity_page()
    form = _form(view)
    if not form.recipient.choices:
        return _page(view, form, _("There is no verified recipient yet. Add the recipient "
                                   "in the directory and ask a colleague to verify their "
                                   "fingerprint."), 400)
    if not form.validate():
        return _page(view, form, _("Choose a verified recipient and only items of this "
                                   "case. Nothing was sent."), 400)
    db = db_session()
    selection = handover.Selection(
        report=bool(form.report.data), messages=tuple(form.messages.data or ()),
        notes=tuple(form.notes.data or ()), originals=tuple(form.originals.data or ()),
        safe=tuple(form.safe.data or ()))
    try:
        made = handover.prepare(db, settings_of(current_app), current_staff(),
                                current_private_key(), view.case, form.recipient.data or "",
                                selection)
    except handover.HandOverRefused as exc:
        db.rollback()
        return _page(view, form, str(exc.args[0]), 400)
    except DecryptionError:
        return _integrity_page()
    response = Response(stream_with_context(made.chunks), mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
