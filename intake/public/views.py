"""Reporter-facing views: thin; parse the form, call the service, render."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests

from intake.payloads import ReportAnswers
from intake.public.forms import ReportForm
from intake.public.uploads import request_uploads
from intake.services.attachments import FileBatch, UploadProblem
from intake.services.keyring import accepting_reports
from intake.services.reports import NotAccepting, receipt_code_for, submit_report
from intake.web import app as webapp
from intake.web.app import db_session, settings_of

bp = Blueprint("public", __name__)


def _form(**kwargs: object) -> ReportForm:
    """The report form; it always carries a well-formed receipt code (the one it was served
    with, or a fresh one), so whatever happens next the page shows the code to keep."""
    form = ReportForm(regions=settings_of(current_app).regions, **kwargs)
    form.receipt_code.data = receipt_code_for(form.receipt_code.data)
    return form


def _answers(form: ReportForm) -> ReportAnswers:
    """Turn validated form data into the structure that gets encrypted."""
    return ReportAnswers(
        what=form.what.data or "",
        when_date=form.when_date.data.isoformat() if form.when_date.data else None,
        when_month=form.when_month.data or None,
        when_year=str(form.when_year.data) if form.when_year.data else None,
        region=form.region.data or None,
        place=form.place.data or "",
        acts=list(form.acts.data or []),
        perpetrators=list(form.perpetrators.data or []),
        danger_now=bool(form.danger_now.data),
        contact=form.contact.data or "",
        consent_stats=form.consent_stats.data == "yes",
        language=str(get_locale() or "en"),
    )


def _render_form(form: ReportForm, status: int = 200, problem: str | None = None,
                 accepting: bool = True) -> tuple[str, int]:
    return render_template(
        "public/report.html", form=form, problem=problem, accepting=accepting
    ), status


@bp.get("/")
def report_form() -> tuple[str, int]:
    """The form, or a plain notice while nobody could read a report yet."""
    db = db_session()
    try:
        accepting = accepting_reports(db)
    except SQLAlchemyError:
        db.rollback()
        return _render_form(_form(), 503, _("The service is not available right now. "
                                            "Please try again in a few minutes."))
    return _render_form(_form(), accepting=accepting)


@bp.post("/")
def report_submit() -> tuple[str, int]:
    """Validate, store encrypted, and only then show the receipt; on failure keep the text."""
    form = _form()
    if not form.validate():
        return _render_form(form, 400, _("Please correct the marked fields."))
    db = db_session()
    batch = FileBatch(request_uploads(), form.remove_metadata())
    try:
        done = submit_report(db, settings_of(current_app), _answers(form), batch,
                             form.receipt_code.data)
    except UploadProblem as problem:
        db.rollback()
        return _render_form(form, problem.status, str(problem))
    except NotAccepting:
        db.rollback()
        return _render_form(form, 503, accepting=False)
    except SQLAlchemyError:
        db.rollback()
        current_app.logger.error("report could not be stored (database error)")
        return _render_form(form, 503, _(
            "Your report could not be saved because of a problem on our side. Nothing was "
            "stored. Your text is still below: please try again in a few minutes."))
    return render_template("public/receipt_new.html", code=done.code,
                           files=[] if done.already_received else batch.prepared,
                           already=done.already_received), 200


@bp.get("/healthz")
def health() -> tuple[str, int, dict[str, str]]:
    """Liveness for the proxy; says nothing about the instance."""
    return "ok", 200, {"Content-Type": "text/plain"}


def csrf_failed(error: CSRFError) -> tuple[str, int]:
    """An expired or missing token must not lose what the person typed."""
    if request.endpoint == "public.report_submit":
        form = _form(meta={"csrf": True})
        form.validate()
        return _render_form(form, 400, _(
            "Your session expired before you sent the form. Nothing was lost: "
            "please check your text below and send it again."))
    return render_template("error.html", code=400, message=_(
        "Your session expired. Please go back and try again.")), 400


def rate_limited(error: TooManyRequests) -> tuple[str, int]:
    """Too many reports from one place: say so, and give the typed text back unsent."""
    if request.endpoint == "public.report_submit":
        form = _form()
        return _render_form(form, 429, _(
            "Too many reports were sent from your connection recently, so this one was not "
            "stored. Your text is still below: please wait an hour and send it again."))
    return webapp.error_page(error)
