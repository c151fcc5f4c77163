"""The inbox query: urgent cases first, keyset pagination so deep pages cost what page one does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from intake.crypto import DecryptionError
from intake.models import Case, Item, Staff
from intake.services.reading import NoAccess, open_item

PAGE_SIZE = 50
EXCERPT_CHARS = 120
SEGMENTS = (Case.priority == "urgent", Case.priority != "urgent")


@dataclass(frozen=True)
class InboxRow:
    """One visible case: triage fields in clear, excerpt decrypted for this page only."""

    reference: str
    received_at: datetime
    status: str
    priority: str
    assignee: str | None
    ack_due: date | None
    response_due: date | None
    overdue: bool
    excerpt: str | None


@dataclass(frozen=True)
class InboxPage:
    """A page of rows and the opaque cursor of the next page, if any."""

    rows: list[InboxRow]
    next_cursor: str | None


def parse_cursor(raw: str | None) -> tuple[int, datetime, str] | None:
    """Cursor = segment, received time, id of the last row shown; ValueError if malformed."""
    if not raw:
        return None
    seg, when, case_id = raw.split("~", 2)
    return int(seg) % len(SEGMENTS), datetime.fromisoformat(when), case_id


@dataclass(frozen=True)
class InboxFilter:
    """Plain GET filters; empty strings mean "any"; assignee may be "me" or "unassigned"."""

    status: str = ""
    priority: str = ""
    assignee: str = ""


def _segment_rows(session: Session, seg: int, after: tuple[datetime, str] | None,
                  limit: int, filters: InboxFilter, staff_id: str) -> list[tuple[Case, str | None]]:
    query = (select(Case, Staff.username).outerjoin(Staff, Staff.id == Case.assignee_id)
             .where(SEGMENTS[seg]))
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.priority:
        query = query.where(Case.priority == filters.priority)
    if filters.assignee == "unassigned":
        query = query.where(Case.assignee_id.is_(None))
    elif filters.assignee:
        query = query.where(Case.assignee_id == (
            staff_id if filters.assignee == "me" else filters.assignee))
    if after is not None:
        when, case_id = after
        query = query.where(or_(Case.received_at < when,
                                and_(Case.received_at == when, Case.id < case_id)))
    query = query.order_by(Case.received_at.desc(), Case.id.desc()).limit(limit)
    return [(c, name) for c, name in session.execute(query).all()]


def _excerpt(session: Session, case: Case, staff_id: str, private_key: bytes) -> str | None:
    item = session.scalars(select(Item).where(Item.case_id == case.id, Item.kind == "report")
                           .limit(1)).first()
    if item is None:
        return None
    try:
        what = str(json.loads(open_item(session, item, private_key, staff_id=staff_id))
                   .get("what", ""))
    except (NoAccess, DecryptionError, ValueError):
        return None
    return what if len(what) <= EXCERPT_CHARS else what[:EXCERPT_CHARS] + "…"


def inbox_page(session: Session, staff_id: str, private_key: bytes,
               cursor: str | None = None, today: date | None = None,
               filters: InboxFilter | None = None) -> InboxPage:
    """Urgent first, then the rest, each newest first; None excerpt means no access."""
    filters = filters or InboxFilter()
    start = parse_cursor(cursor)
    seg0 = start[0] if start else 0
    found: list[tuple[int, Case, str | None]] = []
    for seg in range(seg0, len(SEGMENTS)):
        after = (start[1], start[2]) if start and seg == seg0 else None
        found += [(seg, c, n) for c, n in
                  _segment_rows(session, seg, after, PAGE_SIZE + 1 - len(found),
                                              filters, staff_id)]
        if len(found) > PAGE_SIZE:
            break
    today = today or date.today()
    shown = found[:PAGE_SIZE]
    rows = [InboxRow(c.reference, c.received_at, c.status, c.priority, n, c.ack_due,
                     c.response_due,
                     c.acknowledged_at is None and c.ack_due is not None and c.ack_due < today,
                     _excerpt(session, c, staff_id, private_key)) for _s, c, n in shown]
    next_cursor = None
    if len(found) > PAGE_SIZE:
        seg, last, _n = shown[-1]
        next_cursor = f"{seg}~{last.received_at.isoformat()}~{last.id}"
    return InboxPage(rows, next_cursor)
