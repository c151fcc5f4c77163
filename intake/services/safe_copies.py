"""Safe copies of attachments: made on demand in the sandbox, stored as encrypted items.

A safe copy is an item of kind "safe_copy" whose parent is the attachment: a fresh data
key, wrapped to the readers of the attachment who are still active readers now (never
wider), bound to the case and the parent; its blob is the pixel-only PDF.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.attachments import blobs
from intake.convert import availability
from intake.convert.pixelpdf import build, page_image, verify
from intake.convert.sandbox import ConversionRefused, Limits, convert
from intake.crypto import FORMAT_VERSION, DecryptionError, decrypt_item, encrypt_item, new_data_key
from intake.models import Item, KeyWrap, Staff, hour_floor, new_id
from intake.payloads import SafeCopyMeta
from intake.services.audit import record
from intake.services.binding import item_binding
from intake.services.downloads import Attachment, iter_original, unlock
from intake.services.keyring import Recipient, add_wraps, current_recipients
from intake.services.reading import item_data_key
from intake.settings import Settings

KIND = "safe_copy"


@dataclass(frozen=True)
class SafeCopy:
    """A safe copy this reader can open, with the attachment it was made from."""

    attachment: Attachment
    item: Item
    meta: SafeCopyMeta
    data_key: bytes

    @property
    def filename(self) -> str:
        """CASE-REF-n-safe.pdf: generated, nothing the reporter chose."""
        return f"{self.attachment.case.reference}-{self.attachment.number}-safe.pdf"


def limits(settings: Settings) -> Limits:
    """The conversion limits from settings."""
    return Limits(max_pages=settings.convert_max_pages, seconds=settings.convert_seconds,
                  memory_mb=settings.convert_memory_mb, dpi=settings.convert_dpi)


def find(session: Session, staff: Staff, private_key: bytes, item_id: str) -> SafeCopy | None:
    """The attachment's safe copy if one exists and this reader holds a wrap for it."""
    att = unlock(session, item_id, private_key, staff_id=staff.id)
    return _existing(session, att, staff, private_key)


def _existing(session: Session, att: Attachment, staff: Staff,
              private_key: bytes) -> SafeCopy | None:
    copies = session.scalars(select(Item).join(KeyWrap, KeyWrap.item_id == Item.id).where(
        Item.parent_id == att.item.id, Item.kind == KIND, KeyWrap.staff_id == staff.id)
        .order_by(Item.created_at, Item.id)).all()
    for item in copies:
        if item.ciphertext is None:
            continue
        key = item_data_key(session, item, private_key, staff_id=staff.id)
        meta = SafeCopyMeta.decode(decrypt_item(key, item_binding(item), item.ciphertext))
        return SafeCopy(att, item, meta, key)
    return None


def _readers_of(session: Session, att: Attachment) -> list[Recipient]:
    """Current readers who also hold a wrap for the attachment: a copy never widens access."""
    holders = session.execute(select(KeyWrap.staff_id, KeyWrap.recovery_key_id)
                              .where(KeyWrap.item_id == att.item.id)).all()
    staff_ids = {row[0] for row in holders if row[0]}
    recovery_ids = {row[1] for row in holders if row[1]}
    return [r for r in current_recipients(session)
            if (r.staff_id in staff_ids) or (r.recovery_key_id in recovery_ids)]


def make(session: Session, settings: Settings, staff: Staff, private_key: bytes,
         item_id: str) -> SafeCopy:
    """The existing safe copy, or a new one converted in the sandbox and stored encrypted.

    ConversionRefused (audited) when the sandbox is missing or the document is refused."""
    att = unlock(session, item_id, private_key, staff_id=staff.id)
    existing = _existing(session, att, staff, private_key)
    if existing is not None:
        return existing
    detail: dict[str, object] = {"item": item_id}
    try:
        if not availability.cached().usable:
            raise ConversionRefused("unavailable")
        original = b"".join(iter_original(settings, att))
        pages = convert(original, limits(settings))
        pdf = build(pages, settings.convert_dpi)
        verify(pdf)
    except ConversionRefused as refusal:
        record(session, staff, "attachment.safe_copy_refused", target=att.case.reference,
               detail={**detail, "reason": refusal.code})
        session.commit()
        raise
    except DecryptionError:
        record(session, staff, "attachment.integrity_failure", target=att.case.reference,
               detail={**detail, "variant": "safe"})
        session.commit()
        raise
    return _store(session, settings, staff, att, pdf, len(pages))


def _store(session: Session, settings: Settings, staff: Staff, att: Attachment, pdf: bytes,
           count: int) -> SafeCopy:
    """Encrypt the PDF into a new blob and seal its metadata under a fresh data key."""
    item = Item(id=new_id(), case_id=att.item.case_id, parent_id=att.item.id, kind=KIND,
                created_at=hour_floor(), format_version=FORMAT_VERSION)
    key = new_data_key()
    meta = SafeCopyMeta(pages=count, dpi=settings.convert_dpi, size=len(pdf),
                        sha256=hashlib.sha256(pdf).hexdigest(),
                        source_sha256=att.meta.stored_sha256)
    name, size = blobs.write_blob(settings.blob_dir, key, item.id, (pdf,))
    try:
        item.blob_name, item.blob_size = name, size
        binding = item_binding(item)
        item.ciphertext = encrypt_item(key, binding, meta.encode())
        session.add(item)
        session.flush()
        add_wraps(session, binding, key, _readers_of(session, att))
        record(session, staff, "attachment.safe_copy", target=att.case.reference,
               detail={"item": att.item.id, "pages": count})
        session.commit()
    except Exception:
        session.rollback()
        blobs.remove_blob(settings.blob_dir, name)
        raise
    blobs.coarsen_times(settings.blob_dir, name)
    return SafeCopy(att, item, meta, key)


def _stored_name(copy: SafeCopy) -> str:
    if copy.item.blob_name is None:
        raise DecryptionError("safe copy has no stored content")
    return copy.item.blob_name


def _require_digest(copy: SafeCopy, hexdigest: str) -> None:
    if hexdigest != copy.meta.sha256:
        raise DecryptionError("safe copy does not match its digest")


def pdf_bytes(settings: Settings, copy: SafeCopy) -> bytes:
    """The stored safe PDF, authenticated and checked against its recorded digest."""
    data = blobs.read_blob(settings.blob_dir, _stored_name(copy), copy.data_key, copy.item.id)
    _require_digest(copy, hashlib.sha256(data).hexdigest())
    return data


def checked_chunks(settings: Settings, copy: SafeCopy) -> Iterator[bytes]:
    """Authenticate the whole stored safe copy and its digest now, then a fresh stream of
    it: a hand-over sends nothing of a copy that fails either check."""
    name, digest = _stored_name(copy), hashlib.sha256()
    for chunk in blobs.iter_blob(settings.blob_dir, name, copy.data_key, copy.item.id):
        digest.update(chunk)
    _require_digest(copy, digest.hexdigest())
    return blobs.iter_blob(settings.blob_dir, name, copy.data_key, copy.item.id)


def preview(settings: Settings, copy: SafeCopy, number: int) -> bytes:
    """One page of the safe copy as JPEG (IndexError for a page it does not have)."""
    return page_image(pdf_bytes(settings, copy), number)


def audit_view(session: Session, staff: Staff, copy: SafeCopy, action: str) -> None:
    """Record a view or download of a safe copy (never its content)."""
    record(session, staff, action, target=copy.attachment.case.reference,
           detail={"item": copy.attachment.item.id})
    session.commit()


def open_stored(session: Session, settings: Settings, item: Item, private_key: bytes, *,
                recovery_key_id: str) -> tuple[SafeCopyMeta, Iterator[bytes]]:
    """A safe copy's metadata and PDF chunks for an offline export with a recovery key."""
    if item.ciphertext is None or item.blob_name is None:
        raise DecryptionError("safe copy has no stored content")
    key = item_data_key(session, item, private_key, recovery_key_id=recovery_key_id)
    meta = SafeCopyMeta.decode(decrypt_item(key, item_binding(item), item.ciphertext))
    return meta, blobs.iter_blob(settings.blob_dir, item.blob_name, key, item.id)
