"""Inbox orderings as keyset segments, so every page costs what the first one does.

A sort is a list of segments (urgent cases first, then the rest). Each segment has a
predicate and a key that some index in `Case.__table_args__` walks in order, ending with
the unique id; a page continues from the key of a row with a row-value comparison
`(k1, k2, id) < (v1, v2, x)` that SQLite (3.15+) and PostgreSQL both turn into an index range.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, literal, or_, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from intake.models import Case

Ts = TypeVarTuple("Ts")
CURSOR_SEP = "~"
MAX_ID_CHARS = 36


@dataclass(frozen=True)
class Segment:
    """Rows matching `where`, walked by `keys` (the last one unique) in one direction."""

    where: ColumnElement[bool]
    keys: tuple[InstrumentedAttribute[Any], ...]
    descending: bool


URGENT = Case.priority == "urgent"
NOT_URGENT = Case.priority != "urgent"
# Every report gets both dates at submission; a case missing either sorts with the undated.
DATED = and_(Case.ack_due.is_not(None), Case.response_due.is_not(None))
UNDATED = or_(Case.ack_due.is_(None), Case.response_due.is_(None))
BY_RECEIVED: tuple[InstrumentedAttribute[Any], ...] = (Case.received_at, Case.id)
BY_DUE: tuple[InstrumentedAttribute[Any], ...] = (Case.ack_due, Case.response_due, Case.id)

SORTS: dict[str, tuple[Segment, ...]] = {
    # Newest first, urgent cases above all others.
    "received": (Segment(URGENT, BY_RECEIVED, True), Segment(NOT_URGENT, BY_RECEIVED, True)),
    # Soonest acknowledgement due, then response due; undated cases last; urgent still first.
    "due": (Segment(and_(URGENT, DATED), BY_DUE, False),
            Segment(and_(URGENT, UNDATED), BY_RECEIVED, True),
            Segment(and_(NOT_URGENT, DATED), BY_DUE, False),
            Segment(and_(NOT_URGENT, UNDATED), BY_RECEIVED, True)),
}
DEFAULT_SORT = "received"


@dataclass(frozen=True)
class Cursor:
    """The segment and key of one row: a page starts after (or ends before) it."""

    segment: int
    values: tuple[Any, ...]


def _format(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def encode_cursor(segment: int, sort: str, case: Case) -> str:
    """Opaque to the browser: `segment~key1~...~id`, all values ISO or plain text."""
    keys = SORTS[sort][segment].keys
    return CURSOR_SEP.join([str(segment)] + [_format(getattr(case, k.key)) for k in keys])


def _aware(raw: str) -> datetime:
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise ValueError("cursor time without a zone")
    return moment


def _case_id(raw: str) -> str:
    if not raw or len(raw) > MAX_ID_CHARS:
        raise ValueError("cursor id out of range")
    return raw


PARSERS: dict[str, Callable[[str], Any]] = {
    "received_at": _aware, "ack_due": date.fromisoformat,
    "response_due": date.fromisoformat, "id": _case_id,
}


def parse_cursor(raw: str | None, sort: str) -> Cursor | None:
    """The cursor of a page link; ValueError for anything this sort could not have made."""
    if not raw:
        return None
    head, *rest = raw.split(CURSOR_SEP)
    segment = int(head)
    segments = SORTS[sort]
    if not 0 <= segment < len(segments) or len(rest) != len(segments[segment].keys):
        raise ValueError("cursor does not fit this sort")
    keys = segments[segment].keys
    return Cursor(segment, tuple(PARSERS[k.key](v) for k, v in zip(keys, rest, strict=True)))


def ordered(query: Select[*Ts], segment: Segment, start: tuple[Any, ...] | None,
            backward: bool) -> Select[*Ts]:
    """Restrict to the segment, continue past `start`, and order; backward walks up."""
    query = query.where(segment.where)
    down = segment.descending != backward
    if start is not None:
        row = tuple_(*segment.keys)
        bound = tuple_(*(literal(v, k.type) for k, v in zip(segment.keys, start, strict=True)))
        query = query.where(row < bound if down else row > bound)
    return query.order_by(*(k.desc() if down else k.asc() for k in segment.keys))
