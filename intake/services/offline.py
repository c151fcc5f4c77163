"""Decrypting a whole case with the offline recovery key: no server, only database + blobs."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.crypto import public_from_private
from intake.models import Case, Item, RecoveryKey
from intake.payloads import ReportAnswers, TextPayload
from intake.services import safe_copies
from intake.services.downloads import iter_original, unlock
from intake.services.reading import NoAccess, open_item, wrap_for
from intake.settings import Settings

_UNSAFE = re.compile(r"[^\w.\- ()]+")


@dataclass
class CaseFile:
    """One output file: a relative path, and either bytes or authenticated chunks."""

    path: str
    size: int
    data: bytes | None = None
    chunks: Iterator[bytes] | None = None

    def iter_bytes(self) -> Iterator[bytes]:
        """The content, whether in memory or streamed from the blob store."""
        if self.data is not None:
            yield self.data
        elif self.chunks is not None:
            yield from self.chunks


def recovery_key_id(session: Session, private_raw: bytes) -> str:
    """The stored recovery key whose public half matches this private key."""
    public = public_from_private(private_raw)
    for key_id, stored in session.execute(select(RecoveryKey.id, RecoveryKey.public_key)):
        if stored == public:
            return str(key_id)
    raise LookupError("this key is not a recovery key of this instance")


def sanitize(name: str) -> str:
    """An original file name made safe for any file system: no folders, no control chars."""
    name = unicodedata.normalize("NFC", PurePath(name.replace("\\", "/")).name)
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:120] or "file"


def report_text(answers: ReportAnswers) -> str:
    """A readable rendering of the report for people without a JSON viewer."""
    lines = [f"What happened:\n{answers.what}\n"]
    when = answers.when_date or " ".join(x for x in (answers.when_month, answers.when_year) if x)
    for label, value in (("When", when), ("Region", answers.region), ("Place", answers.place),
                         ("Acts", ", ".join(answers.acts)),
                         ("Perpetrators", ", ".join(answers.perpetrators)),
                         ("In danger now", "yes" if answers.danger_now else "no"),
                         ("Contact", answers.contact),
                         ("Consent to statistics", "yes" if answers.consent_stats else "no"),
                         ("Language", answers.language)):
        lines.append(f"{label}: {value or ''}")
    return "\n".join(lines) + "\n"


def _readable(session: Session, item: Item, recovery_id: str) -> bool:
    """Items stored before this recovery key existed have no wrap for it."""
    try:
        wrap_for(session, item.id, recovery_key_id=recovery_id)
    except NoAccess:
        return False
    return True


def case_files(session: Session, settings: Settings, reference: str,
               private_raw: bytes) -> Iterator[CaseFile]:
    """Every item of the case as readable files, in order; attachments stream from blobs."""
    case = session.scalar(select(Case).where(Case.reference == reference.strip().upper()))
    if case is None:
        raise LookupError(f"no case with reference {reference}")
    rid = recovery_key_id(session, private_raw)
    counters: dict[str, int] = {}
    manifest: list[dict[str, object]] = []
    items = session.scalars(select(Item).where(Item.case_id == case.id)
                            .order_by(Item.created_at, Item.id)).all()
    for item in items:
        entry: dict[str, object] = {"kind": item.kind, "item": item.id,
                                    "created_at": item.created_at.isoformat()}
        if not _readable(session, item, rid):
            entry["error"] = "not encrypted to this recovery key (older than the key?)"
            manifest.append(entry)
            continue
        n = counters[item.kind] = counters.get(item.kind, 0) + 1
        if item.kind == "attachment":
            att = unlock(session, item.id, private_raw, recovery_key_id=rid)
            path = f"attachments/{n:02d}-{sanitize(att.meta.filename)}"
            size = att.meta.stored_size
            entry.update(file=path, metadata=att.meta.as_dict())
            manifest.append(entry)
            yield CaseFile(path, size, chunks=iter_original(settings, att))
            continue
        if item.kind == safe_copies.KIND:
            meta, chunks = safe_copies.open_stored(session, settings, item, private_raw,
                                                   recovery_key_id=rid)
            path = f"safe-copies/{n:02d}-of-{item.parent_id}.pdf"
            entry.update(file=path, metadata=meta.as_dict())
            manifest.append(entry)
            yield CaseFile(path, meta.size, chunks=chunks)
            continue
        raw = open_item(session, item, private_raw, recovery_key_id=rid)
        if item.kind == "report":
            answers = ReportAnswers.decode(raw)
            pretty = answers.pretty()
            yield CaseFile("report.json", len(pretty), data=pretty)
            readable = report_text(answers).encode()
            entry.update(file="report.txt", sha256=hashlib.sha256(readable).hexdigest())
            manifest.append(entry)
            yield CaseFile("report.txt", len(readable), data=readable)
            continue
        body = (TextPayload.decode(raw).text + "\n").encode()
        path = f"{item.kind}-{n:02d}.txt"
        entry.update(file=path)
        manifest.append(entry)
        yield CaseFile(path, len(body), data=body)
    summary = json.dumps({"reference": case.reference, "status": case.status,
                          "received_at": case.received_at.isoformat(), "items": manifest},
                         ensure_ascii=False, indent=2).encode()
    yield CaseFile("manifest.json", len(summary), data=summary)
