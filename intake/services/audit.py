"""Hash-chained audit log: append staff actions, verify the chain, never store content."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from intake.models import AuditEvent, Staff, utcnow

GENESIS = "0" * 64
ADVISORY_LOCK = 0x1A7A
# An anchor is a chain position and the hash of the entry there ("1234:<64 hex>"), as the
# notification mail, the audit page and `intake audit anchor` print it.
ANCHOR_RE = re.compile(r"^\s*(\d{1,12}):([0-9a-f]{64})\s*$")


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

    @property
    def anchor(self) -> str:
        """This head as an anchor to keep off the server."""
        return format_anchor(self.count, self.head)


def format_anchor(position: int, digest: str) -> str:
    """"position:hash", the one form every place prints and `verify --anchor` reads."""
    return f"{position}:{digest}"


def parse_anchor(text: str) -> tuple[int, str]:
    """(position, hash) from "position:hash"; ValueError otherwise."""
    match = ANCHOR_RE.match(text.lower())
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"not an audit anchor (expected N:<64 hex digits>): {text[:80]!r}")
    return int(match.group(1)), match.group(2)


def current_anchor(session: Session) -> str | None:
    """The head of the chain as stored now (not verified), or None when it is empty."""
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    return None if last is None else format_anchor(int(last[0]), str(last[1]))


def verify(session: Session, anchors: Iterable[tuple[int, str]] = ()) -> ChainReport:
    """Walk the chain in id order; an edit, deletion or insertion breaks it visibly.

    Anchors kept off the server (mail, paper) catch what the chain alone cannot: someone
    with the database who rewrote entries and recomputed every hash after them. The entry
    at each anchor's position must still carry the anchor's hash."""
    expected = dict(anchors)
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
        if event.id in expected and expected.pop(event.id) != event.hash:
            return ChainReport(False, count, prev_hash, event.id,
                               "differs from the anchor kept off the server: the log up to "
                               "here was rewritten")
        prev_hash, expected_id = event.hash, expected_id + 1
    if expected:
        first = min(expected)
        return ChainReport(False, count, prev_hash, first,
                           f"entry {first} named by an anchor is gone: the log was cut short")
    return ChainReport(True, count, prev_hash)


def page(session: Session, number: int, per_page: int = 50) -> tuple[list[AuditEvent], int]:
    """One page of entries, newest first, and the total count."""
    total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    number = max(1, number)
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())
                           .offset((number - 1) * per_page).limit(per_page)).all()
    return list(rows), total
