""""View safely": page previews and a PDF rebuilt from pixels in the sandbox, never the
original bytes; conversions run only in the sandbox (intake/convert)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from intake.convert import availability
from intake.convert.sandbox import ConversionRefused
from intake.crypto import DecryptionError
from intake.payloads import PayloadError
from intake.review.access import case_scoped, current_private_key, current_staff, roles
from intake.services import safe_copies
from intake.services.reading import NoAccess
from intake.web.app import db_session, settings_of

bp = Blueprint("safe_view", __name__)
PER_PAGE = 10


def refusal_message(refusal: ConversionRefused) -> str:
    """A translated sentence for each way a conversion can be refused."""
    settings = settings_of(current_app)
    if refusal.code == "unavailable":
        return _("Safe copies cannot be made on this server: the sandbox (bubblewrap) or the "
                 "PDF renderer is not installed. An administrator can run “intake doctor”.")
    if refusal.code == "no_office":
        return _("Office documents cannot be converted on this server: LibreOffice is not "
                 "installed. An administrator can run “intake doctor”.")
    if refusal.code == "too_many_pages":
        if refusal.count:
            return _("This document has %(count)d pages; safe copies are made of documents "
                     "with at most %(max)d pages.", count=refusal.count,
                     max=settings.convert_max_pages)
        return _("This document has more than %(max)d pages; safe copies are made of "
                 "documents with at most %(max)d pages.", max=settings.convert_max_pages)
    if refusal.code == "timeout":
        return _("Converting this document took longer than %(seconds)d seconds, so it was "
                 "stopped. No safe copy was made.", seconds=settings.convert_seconds)
    if refusal.code == "too_large":
        return _("This document needs more memory to convert than is allowed "
                 "(%(mb)d MB). No safe copy was made.", mb=settings.convert_memory_mb)
    if refusal.code == "unsupported":
        return _("Safe copies can be made of PDF, Office and OpenDocument documents, RTF "
                 "and images. This file is none of these.")
    return _("This file could not be converted: it is damaged, or it is built to resist "
             "being opened. No safe copy was made.")


def _problem(code: int, message: str) -> tuple[str, int]:
    return render_template("error.html", code=code, message=message), code


def _nosniff(response: Response, filename: str | None = None) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    if filename is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _not_found() -> tuple[str, int]:
    return _problem(404, _("This file does not exist or you cannot open it."))


def _damaged() -> tuple[str, int]:
    return _problem(422, _(
        "This file failed its integrity check: the stored copy has been damaged or "
        "altered, so it is not shown. Please tell an administrator."))


@bp.get("/files/<item_id>/safe")
@roles("admin", "reviewer")
@case_scoped("item_id")
def view(item_id: str) -> tuple[str, int]:
    """Previews of the safe copy, a page of them at a time; or the button to make one."""
    copy = _lookup(item_id)
    if isinstance(copy, tuple):
        return copy
    db = db_session()
    if copy is None:
        return render_template("review/safe_view.html", item_id=item_id, copy=None,
                               form=FlaskForm(), available=availability.cached(),
                               problem=None), 200
    first = max(1, min(request.args.get("from", 1, type=int), copy.meta.pages))
    shown = range(first, min(first + PER_PAGE, copy.meta.pages + 1))
    safe_copies.audit_view(db, current_staff(), copy, "attachment.safe_view")
    return render_template("review/safe_view.html", item_id=item_id, copy=copy,
                           shown=shown, per_page=PER_PAGE, problem=None), 200


@bp.post("/files/<item_id>/safe")
@roles("admin", "reviewer")
@case_scoped("item_id")
def make(item_id: str) -> BaseResponse | tuple[str, int]:
    """Convert in the sandbox (or find the copy already made), then show it."""
    db = db_session()
    if not FlaskForm().validate():
        return _problem(400, _("This form has expired. Please go back and try again."))
    try:
        safe_copies.make(db, settings_of(current_app), current_staff(), current_private_key(),
                         item_id)
    except (LookupError, NoAccess, PayloadError):
        db.rollback()
        return _not_found()
    except DecryptionError:
        db.rollback()
        return _damaged()
    except ConversionRefused as refusal:
        return render_template("review/safe_view.html", item_id=item_id, copy=None,
                               form=FlaskForm(), available=availability.cached(),
                               problem=refusal_message(refusal)), 422
    return redirect(url_for("safe_view.view", item_id=item_id), code=303)


def _lookup(item_id: str) -> safe_copies.SafeCopy | None | tuple[str, int]:
    """The reader's safe copy of the attachment, None if none yet, or an error page."""
    db = db_session()
    try:
        return safe_copies.find(db, current_staff(), current_private_key(), item_id)
    except (LookupError, NoAccess, PayloadError):
        db.rollback()
        return _not_found()
    except DecryptionError:
        db.rollback()
        return _damaged()


def _copy_or_problem(item_id: str) -> safe_copies.SafeCopy | tuple[str, int]:
    found = _lookup(item_id)
    if found is None:
        return _problem(404, _("No safe copy of this file has been made yet."))
    return found


@bp.get("/files/<item_id>/safe/pages/<int:number>.jpg")
@roles("admin", "reviewer")
@case_scoped("item_id")
def page(item_id: str, number: int) -> Response | tuple[str, int]:
    """One page image, inline: pixels from the safe copy, never the original's bytes."""
    found = _copy_or_problem(item_id)
    if not isinstance(found, safe_copies.SafeCopy):
        return found
    try:
        jpeg = safe_copies.preview(settings_of(current_app), found, number)
    except IndexError:
        return _problem(404, _("This page does not exist."))
    except DecryptionError:
        return _damaged()
    return _nosniff(Response(jpeg, mimetype="image/jpeg"))


@bp.get("/files/<item_id>/safe.pdf")
@roles("admin", "reviewer")
@case_scoped("item_id")
def download(item_id: str) -> Response | tuple[str, int]:
    """The safe PDF as a download; audited."""
    found = _copy_or_problem(item_id)
    if not isinstance(found, safe_copies.SafeCopy):
        return found
    try:
        data = safe_copies.pdf_bytes(settings_of(current_app), found)
    except DecryptionError:
        return _damaged()
    safe_copies.audit_view(db_session(), current_staff(), found, "attachment.safe_download")
    return _nosniff(Response(data, mimetype="application/pdf"), found.filename)
