"""Attachments of a report or follow-up: check, clean if asked, and store as encrypted items."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from intake.attachments import blobs
from intake.attachments.clean import UnreadableFile, clean
from intake.attachments.detect import FileType, detect, mislabelled
from intake.attachments.sink import EncryptingSink
from intake.crypto import encrypt_item
from intake.models import Case, Item, hour_floor
from intake.payloads import AttachmentMeta
from intake.services.keyring import Recipient, add_wraps
from intake.settings import Settings

MAX_FILES = 20
MB = 1024 * 1024


class UploadProblem(ValueError):
    """A translated message for the reporter; nothing of the request is kept."""


@dataclass
class PreparedFile:
    """A checked upload: its detected type and whether the stored copy was cleaned."""

    sink: EncryptingSink
    ftype: FileType
    cleaned: bool
    stored_sha256: str
    stored_size: int

    @property
    def display_name(self) -> str:
        """The name the reporter chose, without any folder part."""
        return original_name(self.sink.filename)


@dataclass
class FileBatch:
    """What the form sent (files, metadata choice) and, once stored, what became of each."""

    files: Sequence[EncryptingSink]
    remove_metadata: bool = True
    prepared: list[PreparedFile] = field(default_factory=list)


def original_name(filename: str) -> str:
    """Last path component, trimmed; what the reporter's device called the file."""
    name = PurePath(filename.replace("\\", "/")).name.strip()
    return name[:200] or "file"


def prepare(settings: Settings, batch: FileBatch | None) -> list[PreparedFile]:
    """Enforce the limits, detect each type, clean or verify in memory; UploadProblem if not."""
    if batch is None or not batch.files:
        return []
    files = list(batch.files)
    if len(files) > MAX_FILES:
        raise UploadProblem(_("Please send at most %(n)d files at once.", n=MAX_FILES))
    for sink in files:
        if sink.too_large:
            raise UploadProblem(_(
                "The file “%(name)s” is larger than %(mb)d MB. Please send a smaller file.",
                name=original_name(sink.filename), mb=settings.max_file_mb))
    if sum(sink.size for sink in files) > settings.max_request_mb * MB:
        raise UploadProblem(_(
            "These files together are larger than %(mb)d MB. Please send fewer or smaller "
            "files, or send the rest later with your receipt code.", mb=settings.max_request_mb))
    batch.prepared = [_prepare_one(settings, sink, batch.remove_metadata) for sink in files]
    return batch.prepared


def _prepare_one(settings: Settings, sink: EncryptingSink, remove: bool) -> PreparedFile:
    """Decrypt a cleanable file into memory (≤ max_file_mb), clean or verify, re-encrypt."""
    ftype = detect(bytes(sink.head))
    name = original_name(sink.filename)
    if mislabelled(sink.filename, ftype):
        raise UploadProblem(_(
            "The file “%(name)s” is not the kind of file its name says, or it is damaged. "
            "Please check it and choose it again.", name=name))
    if not ftype.cleanable:
        return PreparedFile(sink, ftype, False, sink.sha256, sink.size)
    assert sink.blob_name is not None
    original = blobs.read_blob(settings.blob_dir, sink.blob_name, sink.data_key, sink.item_id)
    try:
        cleaned = clean(ftype.mime, original)
    except UnreadableFile as exc:
        if exc.reason == "bomb":
            raise UploadProblem(_(
                "The image “%(name)s” is too large to process safely (too many pixels). "
                "Please send a smaller version.", name=name)) from None
        raise UploadProblem(_(
            "The file “%(name)s” seems damaged or incomplete and cannot be opened. "
            "Please check it and choose it again.", name=name)) from None
    if not remove:
        return PreparedFile(sink, ftype, False, sink.sha256, sink.size)
    blob_name, blob_size = blobs.write_blob(settings.blob_dir, sink.data_key, sink.item_id,
                                            cleaned)
    sink.replace_blob(blob_name, blob_size)
    return PreparedFile(sink, ftype, True, hashlib.sha256(cleaned).hexdigest(), len(cleaned))


def metadata(prepared: PreparedFile) -> bytes:
    """The attachment item's plaintext: the original's size and digest, and the stored
    copy's own when it was cleaned."""
    return AttachmentMeta(
        filename=prepared.display_name, mime=prepared.ftype.mime, size=prepared.sink.size,
        sha256=prepared.sink.sha256, cleaned=prepared.cleaned,
        stored_size=prepared.stored_size, stored_sha256=prepared.stored_sha256).encode()


def store(session: Session, case: Case, parent: Item, prepared: Sequence[PreparedFile],
          recipients: list[Recipient]) -> None:
    """One item per file: metadata sealed inline under the data key the blob already uses."""
    for entry in prepared:
        sink = entry.sink
        item = Item(id=sink.item_id, case_id=case.id, parent_id=parent.id, kind="attachment",
                    created_at=hour_floor(), blob_name=sink.blob_name,
                    blob_size=sink.stored_size)
        item.ciphertext = encrypt_item(sink.data_key, item.id, item.kind, metadata(entry))
        session.add(item)
        add_wraps(session, item.id, sink.data_key, recipients)


def mark_kept(prepared: Sequence[PreparedFile]) -> None:
    """Called after the commit: these blobs now belong to items and must survive teardown."""
    for entry in prepared:
        entry.sink.kept = True
