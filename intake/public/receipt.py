"""The receipt page: status and replies for a receipt code, and follow-ups with files."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from intake.public.receipt_forms import FollowupForm, ReceiptForm
from intake.public.throttle import allow_receipt_attempt
from intake.public.uploads import request_uploads
from intake.public.views import bp
from intake.services.attachments import FileBatch, PreparedFile
from intake.services.followups import (
    FollowupRefused,
    ReceiptView,
    add_followup,
    open_receipt,
)
from intake.services.reports import NotAccepting
from intake.webapp import db_session, settings_of

STATUS_WORDS = {
    "new": _l("We have received your report. Nobody has read it yet."),
    "in_review": _l("Someone in our team is reading your report."),
    "verified": _l("We have checked your report and are working on it."),
    "escalated": _l("Your report has been passed on for further action."),
    "rejected": _l("We cannot take this report further."),
    "closed": _l("This case is closed. You can still add information."),
}


def _wrong_code(form: ReceiptForm) -> tuple[str, int]:
    """One message for every wrong code, malformed or not."""
    return render_template("public/receipt.html", form=form, problem=_(
        "We could not open a report with this code. Please check the code and try again.")), 400


def _throttled(form: ReceiptForm) -> tuple[str, int]:
    return render_template("public/receipt.html", form=form, problem=_(
        "Too many attempts. Please wait a while and try again.")), 429


def _case_page(view: ReceiptView, form: FollowupForm, status: int = 200,
               problem: str | None = None, sent: list[PreparedFile] | None = None
               ) -> tuple[str, int]:
    return render_template(
        "public/receipt_case.html", view=view, status_words=STATUS_WORDS.get(view.status, ""),
        form=form, problem=problem, confirmed=sent is not None,
        files=sent or []), status


@bp.get("/receipt")
def receipt() -> tuple[str, int]:
    """Ask for the receipt code."""
    return render_template("public/receipt.html", form=ReceiptForm(), problem=None), 200


@bp.post("/receipt")
def receipt_post() -> tuple[str, int]:
    """Show status and replies for a right code; one generic answer for any other."""
    form = ReceiptForm()
    if not allow_receipt_attempt():
        return _throttled(form)
    if not form.validate():
        return render_template("public/receipt.html", form=form,
                               problem=_("Please enter your receipt code.")), 400
    view = open_receipt(db_session(), settings_of(current_app), form.code.data or "")
    if view is None:
        return _wrong_code(form)
    return _case_page(view, FollowupForm(formdata=None, code=form.code.data))


@bp.post("/receipt/followup")
def followup() -> tuple[str, int]:
    """Add information and files to the case the code opens; keep the text on any refusal."""
    form = FollowupForm()
    code_form = ReceiptForm(formdata=None, code=form.code.data)
    if not allow_receipt_attempt():
        return _throttled(code_form)
    db = db_session()
    cfg = settings_of(current_app)
    if not form.validate():
        view = open_receipt(db, cfg, form.code.data or "")
        if view is None:
            return _wrong_code(code_form)
        return _case_page(view, form, 400, _("Please correct the marked fields."))
    try:
        done = add_followup(db, cfg, form.code.data or "", form.text.data or "",
                            FileBatch(request_uploads(), form.remove_metadata()))
    except FollowupRefused as refused:
        return _case_page(refused.view, form, 400, str(refused))
    except (NotAccepting, SQLAlchemyError):
        db.rollback()
        return render_template("error.html", code=503, message=_(
            "Your information could not be saved because of a problem on our side. "
            "Please try again in a few minutes.")), 503
    if done is None:
        return _wrong_code(code_form)
    return _case_page(done.view, FollowupForm(formdata=None, code=form.code.data),
                      sent=done.files)
