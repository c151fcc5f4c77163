"""What a reader may hand over from one case, and turning a choice into bundle files.

Every chosen id is checked here against the case, its kind and the reader's own wraps,
whatever the form allowed: an id of another case, or one this reader cannot open, refuses
the whole hand-over before anything is decrypted. Files are authenticated in full before
the first byte is sent, then streamed again into the bundle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Case, Item, KeyWrap, Staff
from intake.payloads import ReportAnswers, TextPayload
from intake.services import safe_copies
from intake.services.downloads import iter_original, unlock, verify_blob
from intake.services.offline import CaseFile, report_text
from intake.services.reading import NoAccess, open_item
from intake.settings import Settings

MESSAGE_KINDS = ("followup", "reply")


class HandOverRefused(ValueError):
    """A choice that cannot be sent, with a message for the person; nothing was sent."""


@dataclass(frozen=True)
class Selection:
    """What the reader ticked: the report, follow-ups and replies, notes (each one an
    explicit opt-in), attachments as stored and attachments as their safe copy."""

    report: bool = False
    messages: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    originals: tuple[str, ...] = ()
    safe: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing chosen."""
        return not (self.report or self.messages or self.notes or self.originals or self.safe)


@dataclass
class Resolved:
    """The files of the bundle (contents still to stream) and the audit's item list."""

    files: list[CaseFile] = field(default_factory=list)
    items: list[dict[str, str]] = field(default_factory=list)


def safe_copy_holders(session: Session, staff_id: str, attachment_ids: list[str]) -> set[str]:
    """The attachments among these that have a safe copy this reader holds a wrap for."""
    if not attachment_ids:
        return set()
    return set(session.scalars(select(Item.parent_id).join(KeyWrap, KeyWrap.item_id == Item.id)
                               .where(Item.kind == safe_copies.KIND,
                                      Item.parent_id.in_(attachment_ids),
                                      KeyWrap.staff_id == staff_id)))


def _refuse() -> HandOverRefused:
    return HandOverRefused(_l("Something you chose is not part of this case, or you cannot "
                              "open it. Nothing was sent."))


def _rows(session: Session, case: Case, selection: Selection) -> list[tuple[str, Item]]:
    """(group, item) for every chosen id, in thread order; refused unless each id is an
    item of this case of the kind its group allows."""
    wanted = [("message", i) for i in selection.messages] + \
        [("note", i) for i in selection.notes] + \
        [("original", i) for i in selection.originals] + [("safe", i) for i in selection.safe]
    ids = {item_id[:36] for _group, item_id in wanted}
    found = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(ids)))}
    allowed = {"message": MESSAGE_KINDS, "note": ("note",), "original": ("attachment",),
               "safe": ("attachment",)}
    rows = []
    for group, item_id in wanted:
        item = found.get(item_id)
        if item is None or item.case_id != case.id or item.kind not in allowed[group]:
            raise _refuse()
        rows.append((group, item))
    if len({(g, i.id) for g, i in rows}) != len(rows):
        raise _refuse()
    if selection.report:
        report = session.scalars(select(Item).where(Item.case_id == case.id,
                                                    Item.kind == "report")
                                 .order_by(Item.seq, Item.created_at, Item.id)).first()
        if report is None:
            raise _refuse()
        rows.append(("report", report))
    return sorted(rows, key=lambda row: (row[1].seq or 0, row[1].created_at, row[1].id,
                                         row[0]))


def _text(session: Session, item: Item, staff: Staff, key: bytes) -> bytes:
    try:
        raw = open_item(session, item, key, staff_id=staff.id)
    except NoAccess:
        raise _refuse() from None
    if item.kind == "report":
        return raw
    return (TextPayload.decode(raw).text + "\n").encode()


def resolve(session: Session, settings: Settings, staff: Staff, key: bytes, case: Case,
            selection: Selection) -> Resolved:
    """The bundle's files for this choice. HandOverRefused, or DecryptionError when
    something stored fails its integrity check (nothing sent either way)."""
    out = Resolved()
    counters: dict[str, int] = {}
    for group, item in _rows(session, case, selection):
        n = counters[group] = counters.get(group, 0) + 1
        entry = {"item": item.id, "kind": item.kind}
        if group == "report":
            answers = ReportAnswers.decode(_text(session, item, staff, key))
            for path, data in (("report.txt", report_text(answers).encode()),
                               ("report.json", answers.pretty())):
                out.files.append(CaseFile(path, len(data), data=data))
            entry["file"] = "report.txt"
        elif group in ("message", "note"):
            data = _text(session, item, staff, key)
            folder = "thread" if group == "message" else "notes"
            entry["file"] = f"{folder}/{n:02d}-{item.kind}.txt"
            out.files.append(CaseFile(entry["file"], len(data), data=data))
        else:
            try:
                att = unlock(session, item.id, key, staff_id=staff.id)
            except NoAccess:
                raise _refuse() from None
            if group == "original":
                verify_blob(settings, att)
                entry.update(file=f"files/{att.safe_name}", variant="original",
                             sha256=att.meta.stored_sha256)
                out.files.append(CaseFile(entry["file"], att.meta.stored_size,
                                          chunks=iter_original(settings, att)))
            else:
                copy = safe_copies.find(session, staff, key, item.id)
                if copy is None:
                    raise _refuse()
                chunks = safe_copies.checked_chunks(settings, copy)
                entry.update(file=f"safe-copies/{copy.filename}", variant="safe_copy",
                             sha256=copy.meta.sha256)
                out.files.append(CaseFile(entry["file"], copy.meta.size, chunks=chunks))
        out.items.append(entry)
    return out
