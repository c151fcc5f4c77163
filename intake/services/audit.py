"""Hash-chained audit log: append staff actions, verify the chain, never store content."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from intake.models import AuditEvent, Staff, utcnow

GENESIS = "0" * 64
ADVISORY_LOCK = 0x1A7A


def _digest(prev_hash: str, event: AuditEvent) -> str:
    """Each entry commits to the previous hash and to its own fields, in canonical JSON."""
    body = json.dumps(
        [event.id, event.at.isoformat(), event.staff_id, event.actor, event.action,
         event.target, event.detail],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def record(
    session: Session,
    actor: Staff | None,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    anonymous: str = "(command line)",
) -> AuditEvent:
    """Append one entry in the caller's transaction (PostgreSQL serialises appenders).

    `anonymous` names the actor when there is no staff member (the CLI, the sign-in form).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    prev_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    event = AuditEvent(
        id=prev_id + 1,
        at=utcnow().replace(microsecond=0),
        staff_id=actor.id if actor else None,
        actor=actor.username if actor else anonymous,
        action=action,
        target=target,
        detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
        prev_hash=prev_hash,
    )
    event.hash = _digest(prev_hash, event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    """Result of a verification: ok, the count, and the first broken entry if any."""

    ok: bool
    count: int
    head: str
    broken_id: int | None = None
    reason: str = ""


def verify(session: Session) -> ChainReport:
    """Walk the chain in id order; an edit, deletion or insertion breaks it visibly."""
    prev_hash, expected_id, count = GENESIS, 1, 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        count += 1
        if event.id != expected_id:
            return ChainReport(False, count, prev_hash, event.id,
                               f"entry {expected_id} is missing or out of sequence")
        if event.prev_hash != prev_hash:
            return ChainReport(False, count, prev_hash, event.id,
                               "does not follow the previous entry")
        if _digest(prev_hash, event) != event.hash:
            return ChainReport(False, count, prev_hash, event.id, "content was changed")
        prev_hash, expected_id = event.hash, expected_id + 1
    return ChainReport(True, count, prev_hash)


def page(session: Session, number: int, per_page: int = 50) -> tuple[list[AuditEvent], int]:
    """One page of entries, newest first, and the total count."""
    total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    number = max(1, number)
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())
                           .offset((number - 1) * per_page).limit(per_page)).all()
    return list(rows), total
