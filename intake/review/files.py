"""Attachment downloads for reviewers: always a download, never rendered, decrypted as sent."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_babel import gettext as _

from intake.attachments.budget import CleanerBusy
from intake.attachments.clean import UnreadableFile
from intake.crypto import DecryptionError
from intake.review.access import current_private_key, current_staff, roles
from intake.services.downloads import CLEANED, ORIGINAL, NotCleanable, prepare_download
from intake.services.reading import NoAccess
from intake.web.app import db_session, settings_of

bp = Blueprint("files", __name__)


def _problem(code: int, message: str) -> tuple[str, int]:
    return render_template("error.html", code=code, message=message), code


@bp.get("/files/<item_id>")
@roles("admin", "reviewer")
def download(item_id: str) -> Response | tuple[str, int]:
    """?variant=original (as stored, the default) or ?variant=cleaned (made on the fly)."""
    variant = CLEANED if request.args.get("variant") == CLEANED else ORIGINAL
    db = db_session()
    try:
        dl = prepare_download(db, settings_of(current_app), current_staff(),
                              current_private_key(), item_id, variant)
    except (LookupError, NoAccess):
        db.rollback()
        return _problem(404, _("This file does not exist or you cannot open it."))
    except DecryptionError:
        return _problem(422, _(
            "This file failed its integrity check: the stored copy has been damaged or "
            "altered, so it is not shown. Please tell an administrator."))
    except NotCleanable:
        db.rollback()
        return _problem(400, _("A cleaned copy can only be made of JPEG, PNG, WebP and PDF "
                               "files. Download the original instead."))
    except UnreadableFile:
        db.rollback()
        return _problem(422, _("A cleaned copy of this file could not be made. "
                               "Download the original instead."))
    except CleanerBusy:
        db.rollback()
        return _problem(503, _("Other files are being cleaned right now. "
                               "Please try again in a minute."))
    response = Response(stream_with_context(_abort_on_tamper(dl.chunks)),
                        mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{dl.filename}"'
    response.headers["Content-Length"] = str(dl.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _abort_on_tamper(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """If tampering shows mid-stream (changed after verification), cut the connection:
    the declared length is never reached, so no client takes the part as the file."""
    try:
        yield from chunks
    except DecryptionError:
        current_app.logger.error("attachment failed authentication while streaming")
        raise
