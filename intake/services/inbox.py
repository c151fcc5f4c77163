"""The inbox: one page of cases in keyset order, excerpts decrypted for that page only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from intake.models import Case, CaseTeam, Item, KeyWrap, Staff, TeamMember
from intake.payloads import PayloadError, ReportAnswers
from intake.services.inbox_filters import InboxFilter
from intake.services.inbox_order import SORTS, Cursor, encode_cursor, ordered, parse_cursor
from intake.services.reading import open_items

PAGE_SIZE = 50
EXCERPT_CHARS = 120

__all__ = ["EXCERPT_CHARS", "PAGE_SIZE", "InboxFilter", "InboxPage", "InboxRow", "inbox_page",
           "inbox_restricted"]


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
    new_info: bool = False
    danger_now: bool = False
    files: int = 0
    awaiting_ack: bool = False


@dataclass(frozen=True)
class InboxPage:
    """A page of rows and the opaque cursors of its neighbours, if any."""

    rows: list[InboxRow]
    next_cursor: str | None
    prev_cursor: str | None = None
    at_start: bool = True


Found = list[tuple[int, Case, str | None]]


def _walk(session: Session, filters: InboxFilter, staff_id: str, start: Cursor | None,
          backward: bool, want: int) -> Found:
    """Up to `want` rows from `start` on, crossing segments (one indexed query each)."""
    segments = SORTS[filters.sort]
    first = start.segment if start else 0
    order = range(first, -1, -1) if backward else range(first, len(segments))
    found: Found = []
    clauses = [*filters.clauses(staff_id, filters.few_labelled(session)), _held_by(staff_id)]
    for seg in order:
        query = (select(Case, Staff.username).outerjoin(Staff, Staff.id == Case.assignee_id)
                 .where(*clauses))
        after = start.values if start is not None and seg == first else None
        query = ordered(query, segments[seg], after, backward).limit(want - len(found))
        found += [(seg, case, name) for case, name in session.execute(query).all()]
        if len(found) >= want:
            break
    return found


@dataclass(frozen=True)
class _Opened:
    """What the inbox shows of a report it could open: an excerpt and the danger answer."""

    excerpt: str
    danger_now: bool


def _file_counts(session: Session, cases: list[Case]) -> dict[str, int]:
    """How many files each case holds (counted, not opened): one grouped query."""
    if not cases:
        return {}
    rows = session.execute(select(Item.case_id, func.count()).where(
        Item.case_id.in_([c.id for c in cases]), Item.kind == "attachment")
        .group_by(Item.case_id)).all()
    return {case_id: int(n) for case_id, n in rows}


def _held_by(staff_id: str) -> ColumnElement[bool]:
    """Only cases whose report this reader holds a wrap of: no row, status, priority or
    order of anyone else's case leaks into the page (or its filters and counts).

    Nested correlated EXISTS, probed per candidate row through items.case_id and then the
    unique (item_id, staff_id) index, so the keyset walk still stops after one page. Both
    an IN over every case the reader holds and a flat EXISTS over items and key_wraps
    (where SQLite drove the probe from the staff_id index) took seconds on 20,000 cases
    (docs/performance.md)."""
    wrap = exists().where(KeyWrap.item_id == Item.id, KeyWrap.staff_id == staff_id)
    return exists().where(Item.case_id == Case.id, Item.kind == "report", wrap)


def inbox_restricted(session: Session, staff_id: str, limit: int = PAGE_SIZE) -> list[str]:
    """References of restricted cases of this reader's teams that they no longer hold:
    listed apart, reference only, so no filter or sort order reveals their triage state."""
    mine = select(CaseTeam.case_id).join(TeamMember, TeamMember.team_id == CaseTeam.team_id) \
        .where(TeamMember.staff_id == staff_id)
    return list(session.scalars(select(Case.reference).where(
        Case.restricted.is_(True), Case.id.in_(mine), ~_held_by(staff_id))
        .order_by(Case.reference).limit(limit)))


def _excerpts(session: Session, cases: list[Case], staff_id: str,
              private_key: bytes) -> dict[str, _Opened | None]:
    """Each case's report excerpt in two queries and one key load; None means no access."""
    if not cases:
        return {}
    reports: dict[str, Item] = {}
    for item in session.scalars(select(Item).where(
            Item.case_id.in_([c.id for c in cases]), Item.kind == "report")
            .order_by(Item.created_at, Item.id)):
        reports.setdefault(item.case_id, item)
    opened = open_items(session, list(reports.values()), private_key, staff_id=staff_id)
    excerpts: dict[str, _Opened | None] = {}
    for case_id, item in reports.items():
        excerpts[case_id] = _excerpt_of(opened.get(item.id))
    return excerpts


def _excerpt_of(content: bytes | None) -> _Opened | None:
    if content is None:
        return None
    try:
        answers = ReportAnswers.decode(content)
    except PayloadError:
        return None
    what = answers.what
    return _Opened(what if len(what) <= EXCERPT_CHARS else what[:EXCERPT_CHARS] + "…",
                   answers.danger_now)


def _rows(session: Session, shown: Found, staff_id: str, private_key: bytes,
          today: date) -> list[InboxRow]:
    cases = [c for _s, c, _n in shown]
    excerpts = _excerpts(session, cases, staff_id, private_key)
    files = _file_counts(session, cases)
    rows = []
    for _s, c, n in shown:
        opened = excerpts.get(c.id)
        rows.append(InboxRow(
            c.reference, c.received_at, c.status, c.priority, n, c.ack_due, c.response_due,
            c.acknowledged_at is None and c.ack_due is not None and c.ack_due < today,
            opened.excerpt if opened else None, new_info=c.unread_followup,
            danger_now=bool(opened and opened.danger_now), files=files.get(c.id, 0),
            awaiting_ack=c.awaiting_ack))
    return rows


def inbox_page(session: Session, staff_id: str, private_key: bytes,
               cursor: str | None = None, today: date | None = None,
               filters: InboxFilter | None = None, before: str | None = None) -> InboxPage:
    """The page after `cursor` (or before `before`); ValueError for a malformed cursor.

    A "previous" walk that finds a page or less before its cursor shows the first page,
    so paging back always lands on the same rows paging forward showed.
    """
    filters = filters or InboxFilter()
    sort = filters.sort
    today = today or date.today()
    start = parse_cursor(cursor, sort)
    back = parse_cursor(before, sort) if start is None else None
    if back is not None:
        found = _walk(session, filters, staff_id, back, True, PAGE_SIZE + 1)
        if len(found) > PAGE_SIZE:
            shown = found[:PAGE_SIZE][::-1]
            return InboxPage(_rows(session, shown, staff_id, private_key, today),
                             next_cursor=encode_cursor(shown[-1][0], sort, shown[-1][1]),
                             prev_cursor=encode_cursor(shown[0][0], sort, shown[0][1]),
                             at_start=False)
    found = _walk(session, filters, staff_id, start, False, PAGE_SIZE + 1)
    shown = found[:PAGE_SIZE]
    next_cursor = None
    if len(found) > PAGE_SIZE:
        next_cursor = encode_cursor(shown[-1][0], sort, shown[-1][1])
    prev_cursor = None
    if start is not None and shown:
        prev_cursor = encode_cursor(shown[0][0], sort, shown[0][1])
    return InboxPage(_rows(session, shown, staff_id, private_key, today), next_cursor,
                     prev_cursor, at_start=start is None)
