"""The receipt page: status and replies for a receipt code, and follow-ups with files."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from intake.public import views
from intake.public.receipt_forms import FollowupForm, ReceiptForm
from intake.public.throttle import count_wrong_code, receipt_allowed
from intake.public.uploads import request_uploads
from intake.services.attachments import FileBatch, PreparedFile
from intake.services.followups import (
    FollowupRefused,
    ReceiptView,
    add_followup,
    open_receipt,
)
from intake.services.reports import NotAccepting, receipt_code_for
from intake.web.app import db_session, settings_of

bp = Blueprint("receipt", __name__)

STATUS_WORDS = {
    "new": _l("We have received your report. Nobody has read it yet."),
    "in_review": _l("Someone in our team is reading your report."),
    "verified": _l("We have checked your report and are working on it."),
    "escalated": _l("Your report has been passed on for further action."),
    "rejected": _l("We cannot take this report further."),
    "closed": _l("This case is closed. You can still add information."),
}


def _wrong_code(form: ReceiptForm) -> tuple[str, int]:
    """One message for every wrong code, malformed or not; each one spends a guess."""
    count_wrong_code()
    return render_template("public/receipt.html", form=form, problem=_(
        "We could not open a report with this code. Please check the code and try again.")), 400


def _throttled(form: ReceiptForm) -> tuple[str, int]:
    return render_template("public/receipt.html", form=form, problem=_(
        "Too many attempts. Please wait a while and try again.")), 429


def _case_page(view: ReceiptView | None, form: FollowupForm, status: int = 200,
               problem: str | None = None, sent: list[PreparedFile] | None = None
               ) -> tuple[str, int]:
    return render_template(
        "public/receipt_case.html", view=view,
        status_words=STATUS_WORDS.get(view.status, "") if view else "",
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
    view = _opened(form)
    if not isinstance(view, ReceiptView):
        return view
    return _case_page(view, FollowupForm(formdata=None, code=form.code.data))


def _opened(form: ReceiptForm) -> ReceiptView | tuple[str, int]:
    """Throttle, check, one derivation: the view a right code opens, else the answer."""
    if not receipt_allowed():
        return _throttled(form)
    if not form.validate():
        return render_template("public/receipt.html", form=form,
                               problem=_("Please enter your receipt code.")), 400
    view = open_receipt(db_session(), settings_of(current_app), form.code.data or "")
    return _wrong_code(form) if view is None else view


@bp.post("/receipt/shown")
def receipt_shown() -> tuple[str, int]:
    """The receipt page again, in the language chosen on it: the code travels in the POST
    body and is written only into this answer, never a link, cookie or log."""
    form = ReceiptForm()
    view = _opened(form)
    if not isinstance(view, ReceiptView):
        return view
    return render_template("public/receipt_new.html",
                           code=receipt_code_for(form.code.data), files=[]), 200


def _typed_text_kept(form: FollowupForm, status: int, problem: str) -> tuple[str, int]:
    """The follow-up form with what was typed, without deriving the code again (429, 503)."""
    return _case_page(None, form, status, problem)


def _unsaved(form: FollowupForm) -> tuple[str, int]:
    return _typed_text_kept(form, 503, _(
        "Your information could not be saved because of a problem on our side. Nothing was "
        "stored. Your text is still below: please try again in a few minutes."))


def _followup_throttled(form: FollowupForm) -> tuple[str, int]:
    return _typed_text_kept(form, 429, _(
        "Too many attempts, so this was not sent. Your text is still below: please wait a "
        "while and send it again."))


def _form_again(form: FollowupForm, problem: str) -> tuple[str, int]:
    """The case page again with the typed text (one derivation); a wrong code gets the
    generic answer."""
    db = db_session()
    try:
        view = open_receipt(db, settings_of(current_app), form.code.data or "")
    except SQLAlchemyError:
        db.rollback()
        return _unsaved(form)
    if view is None:
        return _wrong_code(ReceiptForm(formdata=None, code=form.code.data))
    return _case_page(view, form, 400, problem)


@bp.post("/receipt/followup")
def followup() -> tuple[str, int]:
    """Add information and files to the case the code opens; keep the text on any refusal."""
    form = FollowupForm()
    if not receipt_allowed():
        return _followup_throttled(form)
    if not form.validate():
        return _form_again(form, _("Please correct the marked fields."))
    db = db_session()
    try:
        done = add_followup(db, settings_of(current_app), form.code.data or "",
                            form.text.data or "",
                            FileBatch(request_uploads(), form.remove_metadata()))
    except FollowupRefused as refused:
        return _case_page(refused.view, form, refused.status, str(refused))
    except (NotAccepting, SQLAlchemyError):
        db.rollback()
        current_app.logger.error("follow-up could not be stored")
        return _unsaved(form)
    if done is None:
        return _wrong_code(ReceiptForm(formdata=None, code=form.code.data))
    return _case_page(done.view, FollowupForm(formdata=None, code=form.code.data),
                      sent=done.files)


def csrf_failed(error: CSRFError) -> tuple[str, int]:
    """A missing or stale token never loses what was typed: the code form comes back with
    the code, a follow-up with its text; the report form has its own handler."""
    if request.endpoint in ("receipt.receipt_post", "receipt.receipt_shown"):
        # The typed code comes back only in this answer's form, as the follow-up's does.
        return render_template("public/receipt.html", form=ReceiptForm(), problem=_(
            "Your session expired before you sent the code. Nothing was lost: please "
            "check the code below and press Open again.")), 400
    if request.endpoint != "receipt.followup":
        return views.csrf_failed(error)
    form = FollowupForm()
    if not receipt_allowed():  # the same guess budget as a sent follow-up
        return _followup_throttled(form)
    form.validate()  # also mark other problems (e.g. too long) in the same answer
    return _form_again(form, _(
        "Your session expired before you sent this. Nothing was sent: please check your "
        "text below and send it again. If you chose files, please choose them again."))
