"""Attachments of a report or follow-up: check, clean if asked, and store as encrypted items."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from intake.attachments import blobs
from intake.attachments.budget import CleanerBusy, PixelBudget, cleaning_slot
from intake.attachments.clean import UnreadableFile, clean
from intake.attachments.detect import FileType, detect, mislabelled
from intake.attachments.sink import EncryptingSink
from intake.crypto import FORMAT_VERSION, encrypt_item
from intake.models import Item, hour_floor
from intake.payloads import AttachmentMeta
from intake.services.binding import item_binding
from intake.services.keyring import Recipient, add_wraps
from intake.settings import Settings

MAX_FILES = 20
MB = 1024 * 1024


class UploadProblem(ValueError):
    """A translated message for the reporter; nothing of the request is kept.

    `status` is 400 (the files) or 503 (every cleaning slot busy: try again shortly).
    """

    status = 400


class CleaningBusy(UploadProblem):
    """Every cleaning slot of this worker stayed busy; nothing is wrong with the files."""

    status = 503


@dataclass
class PreparedFile:
    """A checked upload: its detected type and whether the stored copy was cleaned."""

    sink: EncryptingSink
    ftype: FileType
    cleaned: bool
    stored_sha256: str
    stored_size: int
    complete: bool = True  # False: cleaned, but some part could not be (reporter is told)

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
    budget = PixelBudget(settings.max_image_pixels, settings.max_request_pixels)
    batch.prepared = [_prepare_one(settings, sink, batch.remove_metadata, budget)
                      for sink in files]
    return batch.prepared


def _prepare_one(settings: Settings, sink: EncryptingSink, remove: bool,
                 budget: PixelBudget) -> PreparedFile:
    """Check the file, clean it if asked, and store what is kept under a fresh data key.

    Cleanable files are decrypted into memory (≤ max_file_mb) and fully decoded, one per
    cleaning slot of the process; every other file is re-encrypted chunk by chunk. Either
    way the stream blob and its throw-away key are dropped, so the original of a cleaned
    file survives under no key anyone holds.
    """
    ftype = detect(bytes(sink.head))
    name = original_name(sink.filename)
    if mislabelled(sink.filename, ftype):
        raise UploadProblem(_(
            "The file “%(name)s” is not the kind of file its name says, or it is damaged. "
            "Please check it and choose it again.", name=name))
    if not ftype.cleanable:
        sink.store(sink.iter_received())
        return PreparedFile(sink, ftype, False, sink.sha256, sink.size)
    try:
        with cleaning_slot(settings.cleaning_slots):
            return _clean_and_store(sink, ftype, remove, budget)
    except CleanerBusy:
        raise CleaningBusy(_(
            "We are processing many files right now and could not check yours. Nothing was "
            "stored. Your text is still below: please send it again in a minute.")) from None
    except UnreadableFile as exc:
        raise UploadProblem(_unreadable_message(exc.reason, name)) from None


def _clean_and_store(sink: EncryptingSink, ftype: FileType, remove: bool,
                     budget: PixelBudget) -> PreparedFile:
    """Inside a cleaning slot: decode (and clean) in memory, store the kept copy."""
    original = b"".join(sink.iter_received())
    cleaned = clean(ftype.mime, original, budget)
    if not remove:
        sink.store((original,))
        return PreparedFile(sink, ftype, False, sink.sha256, sink.size)
    del original
    sink.store((cleaned.data,))
    return PreparedFile(sink, ftype, True, hashlib.sha256(cleaned.data).hexdigest(),
                        len(cleaned.data), cleaned.complete)


def _unreadable_message(reason: str, name: str) -> str:
    """The reporter's message for a file that could not be opened safely."""
    if reason == "bomb":
        return _("The image “%(name)s” is too large to process safely (too many pixels). "
                 "Please send a smaller version.", name=name)
    if reason == "budget":
        return _("The images you chose together have too many pixels to process safely in "
                 "one go (“%(name)s” is over the limit). Please send fewer, or send the rest "
                 "later with your receipt code.", name=name)
    return _("The file “%(name)s” seems damaged or incomplete and cannot be opened. "
             "Please check it and choose it again.", name=name)


def metadata(prepared: PreparedFile) -> bytes:
    """The attachment item's plaintext: the original's size and digest, and the stored
    copy's own when it was cleaned."""
    return AttachmentMeta(
        filename=prepared.display_name, mime=prepared.ftype.mime, size=prepared.sink.size,
        sha256=prepared.sink.sha256, cleaned=prepared.cleaned,
        stored_size=prepared.stored_size, stored_sha256=prepared.stored_sha256,
        complete=prepared.complete).encode()


def store(session: Session, case_id: str, parent_id: str, prepared: Sequence[PreparedFile],
          recipients: list[Recipient]) -> None:
    """One item per file: metadata sealed inline under the stored copy's fresh data key."""
    for entry in prepared:
        sink = entry.sink
        assert sink.data_key is not None, "prepare() stores every file before its item"
        item = Item(id=sink.item_id, case_id=case_id, parent_id=parent_id, kind="attachment",
                    created_at=hour_floor(), blob_name=sink.blob_name,
                    blob_size=sink.stored_size, format_version=FORMAT_VERSION)
        binding = item_binding(item)
        item.ciphertext = encrypt_item(sink.data_key, binding, metadata(entry))
        session.add(item)
        add_wraps(session, binding, sink.data_key, recipients)


def mark_kept(prepared: Sequence[PreparedFile]) -> None:
    """Called after the commit: these blobs now belong to items and must survive teardown.

    Their file times are then set to the hour (writing, cleaning and reading them back
    left the exact second on them)."""
    for entry in prepared:
        entry.sink.kept = True
        if entry.sink.blob_name is not None:
            blobs.coarsen_times(entry.sink.blob_dir, entry.sink.blob_name)
