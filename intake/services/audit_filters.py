"""Audit page filters from the query string (action, staff member, case, dates in the
viewer's zone); unknown or malformed values are ignored, never an error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from intake.models import AuditEvent

MAX_FIELD = 80


def _text(raw: str) -> str:
    """Bounded, without control characters (PostgreSQL refuses NUL in a string)."""
    return "".join(ch for ch in raw[:MAX_FIELD] if ord(ch) >= 32).strip()


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw[:10]) if raw else None
    except ValueError:
        return None


@dataclass(frozen=True)
class AuditFilter:
    """Empty means "any"; dates are whole days in the viewer's time zone."""

    action: str = ""
    actor: str = ""
    case: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> AuditFilter:
        """Read the filter form, bounded."""
        return cls(action=_text(args.get("action", "")), actor=_text(args.get("actor", "")),
                   case=_text(args.get("case", "")).upper(),
                   since=_day(args.get("since", "")), until=_day(args.get("until", "")))

    def query_args(self) -> dict[str, str]:
        """What page links carry so the filters survive paging."""
        values = {"action": self.action, "actor": self.actor, "case": self.case,
                  "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in values.items() if v}

    def clauses(self, zone: tzinfo) -> list[ColumnElement[bool]]:
        """SQL conditions; a day starts at midnight in the viewer's zone."""
        found: list[ColumnElement[bool]] = []
        if self.action:
            found.append(AuditEvent.action == self.action)
        if self.actor:
            found.append(AuditEvent.actor == self.actor)
        if self.case:
            found.append(AuditEvent.target == self.case)
        if self.since:
            found.append(AuditEvent.at >= datetime.combine(self.since, time(), zone))
        if self.until:
            found.append(AuditEvent.at < datetime.combine(self.until + timedelta(days=1),
                                                          time(), zone))
        return found


def choices(session: Session) -> tuple[list[str], list[str]]:
    """The actions and the actors that occur in the log, for the filter's lists."""
    actions = session.scalars(select(AuditEvent.action).distinct().order_by(
        AuditEvent.action)).all()
    actors = session.scalars(select(AuditEvent.actor).distinct().order_by(
        AuditEvent.actor)).all()
    return list(actions), list(actors)


def filtered_page(session: Session, filters: AuditFilter, zone: tzinfo, number: int,
                  per_page: int) -> tuple[list[AuditEvent], int]:
    """One page of the matching entries, newest first, and how many match."""
    where = filters.clauses(zone)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    rows = session.scalars(select(AuditEvent).where(*where).order_by(AuditEvent.id.desc())
                           .offset((max(1, number) - 1) * per_page).limit(per_page)).all()
    return list(rows), total
