"""Reading one case for a staff member: decrypt what they hold wraps for, audit the view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.attachments.detect import CLEANABLE
from intake.crypto import DecryptionError
from intake.models import Case, Item, Staff
from intake.payloads import AttachmentMeta, PayloadError, ReportAnswers, TextPayload
from intake.services.audit import record
from intake.services.reading import NoAccess, open_item


@dataclass(frozen=True)
class ThreadEntry:
    """A follow-up, reply or note as the case page shows it; text None = no access."""

    item_id: str
    kind: str
    created_at: datetime
    text: str | None


@dataclass(frozen=True)
class AttachmentEntry:
    """An attachment this reader can open: its item, parent message and decrypted metadata
    (the file itself streams on download)."""

    item_id: str
    parent_id: str | None
    meta: AttachmentMeta

    @property
    def cleanable(self) -> bool:
        """Whether a cleaned copy can be made of this type."""
        return self.meta.mime in CLEANABLE


@dataclass
class CaseView:
    """The case row, its report (None = no access), its other items in thread order (the
    per-case sequence) and the attachments this reader can open."""

    case: Case
    report: ReportAnswers | None
    entries: list[ThreadEntry] = field(default_factory=list)
    attachments: list[AttachmentEntry] = field(default_factory=list)
    report_id: str | None = None

    def files_of(self, item_id: str | None) -> list[AttachmentEntry]:
        """The files that came with one message (the report or a follow-up)."""
        return [a for a in self.attachments if item_id is not None and a.parent_id == item_id]

    def loose_files(self) -> list[AttachmentEntry]:
        """Files whose message this reader cannot see, so they are not lost from the page."""
        shown = {self.report_id} | {e.item_id for e in self.entries}
        return [a for a in self.attachments if a.parent_id not in shown]


class CaseIntegrityError(RuntimeError):
    """An item this reader holds a wrap for does not open here: changed, or moved in from
    another case or parent (its binding no longer matches), so nothing of the case is shown."""


def _open(session: Session, item: Item, staff_id: str, key: bytes) -> bytes | None:
    """The item's plaintext; None where this reader holds no wrap."""
    try:
        return open_item(session, item, key, staff_id=staff_id)
    except NoAccess:
        return None


def _refuse(session: Session, staff: Staff, case: Case) -> CaseIntegrityError:
    """Record the failed check (no content, no item ids) and refuse the whole case."""
    record(session, staff, "case.integrity_failure", target=case.reference)
    session.commit()
    return CaseIntegrityError(case.reference)


def _decoded_text(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:
        return TextPayload.decode(raw).text
    except PayloadError:
        return None


def read_case(session: Session, staff: Staff, key: bytes, reference: str) -> CaseView | None:
    """Decrypt for this reader; records "case.view" and clears the unread flag.

    Raises CaseIntegrityError, showing nothing, if any item fails authentication here."""
    case = session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        return None
    items = session.scalars(select(Item).where(Item.case_id == case.id)
                            .order_by(Item.seq, Item.created_at, Item.id)).all()
    view = CaseView(case, None)
    for item in items:
        try:
            raw = _open(session, item, staff.id, key)
        except DecryptionError:
            raise _refuse(session, staff, case) from None
        try:
            if item.kind == "report":
                view.report_id = view.report_id or item.id
                if raw is not None or view.report is None:
                    view.report = ReportAnswers.decode(raw) if raw is not None else None
            elif item.kind in ("followup", "reply", "note"):
                view.entries.append(ThreadEntry(item.id, item.kind, item.created_at,
                                                _decoded_text(raw)))
            elif item.kind == "attachment" and raw is not None:
                view.attachments.append(AttachmentEntry(item.id, item.parent_id,
                                                        AttachmentMeta.decode(raw)))
        except PayloadError:
            continue  # unreadable content is shown as no access, never a 500
    case.unread_followup = False
    record(session, staff, "case.view", target=case.reference)
    session.commit()
    return view
