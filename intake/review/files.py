"""Attachment downloads for reviewers: always a download, never rendered, decrypted as sent."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_babel import gettext as _

from intake.attachments.clean import UnreadableFile
from intake.attachments.detect import CLEANABLE
from intake.crypto import DecryptionError
from intake.review.access import case_scoped, current_private_key, current_staff, roles
from intake.services.downloads import CLEANED, ORIGINAL, NotCleanable, prepare_download
from intake.services.reading import NoAccess
from intake.web.app import db_session, settings_of

bp = Blueprint("files", __name__)


def _problem(code: int, message: str) -> tuple[str, int]:
    return render_template("error.html", code=code, message=message), code


@bp.get("/files/<item_id>")
@roles("admin", "reviewer")
@case_scoped("item_id")
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


@dataclass(frozen=True)
class AttachmentEntry:
    """One attachment as the case page lists it."""

    item_id: str
    filename: str
    mime: str
    size: int
    sha256: str
    cleaned: bool

    @property
    def cleanable(self) -> bool:
        return self.mime in CLEANABLE


def _field(entry: Any, name: str) -> Any:
    if isinstance(entry, dict):
        return entry.get(name)
    return getattr(entry, name, None)


def _metadata(entry: Any) -> dict[str, Any] | None:
    """The decrypted metadata, whatever shape the case page passes it in."""
    for name in ("meta", "metadata", "data", "content", "plaintext", "payload", "body"):
        value = _field(entry, name)
        if isinstance(value, bytes | str):
            try:
                value = json.loads(value)
            except ValueError:
                continue
        if isinstance(value, dict) and "sha256" in value:
            return value
    return None


def attachment_entries(items: Iterable[Any]) -> list[AttachmentEntry]:
    """The attachments among a case page's decrypted items."""
    out = []
    for entry in items or ():
        row = _field(entry, "item") or entry
        if _field(row, "kind") != "attachment" and _field(entry, "kind") != "attachment":
            continue
        meta = _metadata(entry)
        item_id = _field(row, "id") or _field(entry, "id")
        if meta is None or not item_id:
            continue
        out.append(AttachmentEntry(str(item_id), str(meta.get("filename", "")),
                                   str(meta.get("mime", "")), int(meta.get("size", 0)),
                                   str(meta.get("sha256", "")), bool(meta.get("cleaned"))))
    return out


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"attachment_entries": attachment_entries}
