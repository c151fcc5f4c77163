"""Reading one case for a staff member: decrypt what they hold wraps for, audit the view."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.crypto import DecryptionError
from intake.models import Case, Item, Staff
from intake.services.audit import record
from intake.services.reading import NoAccess, open_item
from intake.services.reports import ReportAnswers


@dataclass(frozen=True)
class OpenedAttachment:
    """An attachment item and its decrypted metadata (file name, type, digests), for listing."""

    item: Item
    data: dict[str, object]
    kind: str = "attachment"


@dataclass
class CaseView:
    """The case row, its report (None = no access), its other items in time order and the
    attachments this reader can open (their metadata only; the file streams on download)."""

    case: Case
    report: ReportAnswers | None
    entries: list[tuple[Item, str | None]] = field(default_factory=list)
    attachments: list[OpenedAttachment] = field(default_factory=list)


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


def read_case(session: Session, staff: Staff, key: bytes, reference: str) -> CaseView | None:
    """Decrypt for this reader; records "case.view" and clears the unread flag.

    Raises CaseIntegrityError, showing nothing, if any item fails authentication here."""
    case = session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        return None
    items = session.scalars(select(Item).where(Item.case_id == case.id)
                            .order_by(Item.created_at, Item.id)).all()
    view = CaseView(case, None)
    for item in items:
        try:
            raw = _open(session, item, staff.id, key)
        except DecryptionError:
            raise _refuse(session, staff, case) from None
        if item.kind == "report":
            if raw is not None or view.report is None:
                view.report = ReportAnswers.from_bytes(raw) if raw is not None else None
        elif item.kind in ("followup", "reply", "note"):
            text = str(json.loads(raw).get("text", "")) if raw is not None else None
            view.entries.append((item, text))
        elif item.kind == "attachment" and raw is not None:
            view.attachments.append(OpenedAttachment(item, json.loads(raw)))
    case.unread_followup = False
    record(session, staff, "case.view", target=case.reference)
    session.commit()
    return view
