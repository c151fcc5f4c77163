"""Reviewer downloads of attachments: verify, then decrypt as it streams; audited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.attachments import blobs
from intake.attachments.budget import PixelBudget, cleaning_slot
from intake.attachments.clean import UnreadableFile, clean
from intake.attachments.detect import CLEANABLE, UNKNOWN
from intake.crypto import DecryptionError, decrypt_item
from intake.models import Case, Item, Staff
from intake.payloads import AttachmentMeta
from intake.services.audit import record
from intake.services.binding import item_binding
from intake.services.reading import item_data_key
from intake.settings import Settings

ORIGINAL, CLEANED = "original", "cleaned"


class NotCleanable(ValueError):
    """A cleaned copy was asked for a type we cannot clean."""


@dataclass(frozen=True)
class Attachment:
    """An attachment a reader has unlocked: its row, case, metadata and data key."""

    item: Item
    case: Case
    meta: AttachmentMeta
    data_key: bytes
    number: int

    @property
    def safe_name(self) -> str:
        """CASE-REF-n.ext from the detected type: nothing the reporter chose reaches a header."""
        return f"{self.case.reference}-{self.number}.{extension(self.meta.mime)}"


@dataclass(frozen=True)
class Download:
    """What the view sends: a generated name, the size and the plaintext chunks."""

    filename: str
    size: int
    chunks: Iterator[bytes]


def extension(mime: str) -> str:
    """A safe extension for a detected MIME type."""
    if mime in CLEANABLE:
        return CLEANABLE[mime]
    kind = filetype.get_type(mime=mime) if mime and mime != UNKNOWN[0] else None
    ext = getattr(kind, "extension", "") or UNKNOWN[1]
    return ext if ext.isalnum() and len(ext) <= 8 else UNKNOWN[1]


def attachment_number(session: Session, item: Item) -> int:
    """1-based position of the attachment in its case, for the generated file name."""
    ids = session.scalars(select(Item.id).where(Item.case_id == item.case_id,
                                                Item.kind == "attachment")
                          .order_by(Item.created_at, Item.id)).all()
    return ids.index(item.id) + 1


def unlock(session: Session, item_id: str, private_key: bytes, *, staff_id: str | None = None,
           recovery_key_id: str | None = None) -> Attachment:
    """Unwrap the data key and decrypt the metadata; LookupError, NoAccess, DecryptionError."""
    item = session.get(Item, item_id)
    if item is None or item.kind != "attachment" or item.ciphertext is None:
        raise LookupError("no such attachment")
    key = item_data_key(session, item, private_key, staff_id=staff_id,
                        recovery_key_id=recovery_key_id)
    meta = AttachmentMeta.decode(decrypt_item(key, item_binding(item), item.ciphertext))
    case = session.get(Case, item.case_id)
    assert case is not None
    return Attachment(item, case, meta, key, attachment_number(session, item))


def verify_blob(settings: Settings, att: Attachment) -> None:
    """Authenticate every segment before a byte is sent, so tampering is an error page."""
    for _chunk in iter_original(settings, att):
        pass


def iter_original(settings: Settings, att: Attachment) -> Iterator[bytes]:
    """The stored file, decrypted chunk by chunk."""
    if att.item.blob_name is None:
        raise DecryptionError("attachment has no stored content")
    return blobs.iter_blob(settings.blob_dir, att.item.blob_name, att.data_key, att.item.id)


def cleaned_copy(settings: Settings, att: Attachment) -> bytes:
    """A cleaned copy made in memory from the stored file (≤ max_file_mb), in one of the
    process's cleaning slots and within one request's pixel budget (CleanerBusy if none
    frees). UnreadableFile('partial') when some part could not be cleaned: a reviewer
    must not pass such a copy on as clean."""
    mime = att.meta.mime
    if mime not in CLEANABLE:
        raise NotCleanable(mime)
    budget = PixelBudget(settings.max_image_pixels, settings.max_request_pixels)
    with cleaning_slot(settings.cleaning_slots):
        result = clean(mime, b"".join(iter_original(settings, att)), budget)
    if not result.complete:
        raise UnreadableFile("partial")
    return result.data


def prepare_download(session: Session, settings: Settings, staff: Staff, private_key: bytes,
                     item_id: str, variant: str) -> Download:
    """Unlock, verify (or clean), audit and commit; then the caller streams the chunks."""
    att = unlock(session, item_id, private_key, staff_id=staff.id)
    detail = {"item": item_id, "variant": variant}
    try:
        if variant == CLEANED:
            data = cleaned_copy(settings, att)
            download = Download(att.safe_name, len(data), iter((data,)))
        else:
            verify_blob(settings, att)
            size = att.meta.stored_size
            download = Download(att.safe_name, size, iter_original(settings, att))
    except DecryptionError:
        record(session, staff, "attachment.integrity_failure", target=att.case.reference,
               detail=detail)
        session.commit()
        raise
    record(session, staff, "attachment.download", target=att.case.reference, detail=detail)
    session.commit()
    return download
