"""What the views and the CLI call: the protected result, its slices, exports, ledger, audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from intake.models import PrivacyLedgerEntry, Staff, utcnow
from intake.services import audit
from intake.services.site import effective
from intake.settings import Settings
from intake.stats import charts, exports, queries
from intake.stats.compute import payload, protect_counts
from intake.stats.filters import Filters, check_period
from intake.stats.master import ONE_WAY, Master
from intake.stats.protection import Protected
from intake.stats.slices import ProtectedResult

EXPORT_TYPES = {"csv": "text/csv", "json": "application/json", **charts.FORMATS}


@dataclass(frozen=True)
class Export:
    """A rendered file ready to send or write."""

    content: bytes
    mimetype: str
    filename: str


@dataclass(frozen=True)
class Generation:
    """One data state protected once: the master tables, the audit and the result."""

    master: Master
    audit: Protected
    result: ProtectedResult


def generation(session: Session, settings: Settings, staff: Staff | None, purpose: str,
               epsilon: float | None = None, release_id: str | None = None) -> Generation:
    """Protect all periods together; a noisy result spends epsilon, written to the ledger."""
    current = effective(session, settings)
    eps = current.stats_epsilon if epsilon is None else epsilon
    if eps < 0:
        raise ValueError("epsilon must not be negative")
    cube = queries.act_region_quarter(session)
    one_way = {v: queries.by_vocabulary(session, v) for v in ONE_WAY}
    master, checked, result = protect_counts(cube, one_way, current.regions,
                                             current.stats_threshold, eps, utcnow())
    if eps > 0:
        session.add(PrivacyLedgerEntry(staff_id=staff.id if staff else None, purpose=purpose,
                                       epsilon=eps, release_id=release_id))
    return Generation(master, checked, result)


def protected(session: Session, settings: Settings, staff: Staff | None, filters: Filters,
              purpose: str, epsilon: float | None = None) -> dict[str, Any]:
    """One period of the protected result (FilterError for a period that does not exist)."""
    result = generation(session, settings, staff, purpose, epsilon).result
    check_period(filters, result.periods)
    return payload(result, filters.period)


def overview(session: Session, settings: Settings, staff: Staff, filters: Filters
             ) -> dict[str, Any]:
    """The analyst page's tables."""
    try:
        return protected(session, settings, staff, filters, "view")
    finally:
        session.commit()


def render(data: dict[str, Any], fmt: str) -> bytes:
    """One protected payload in one format."""
    if fmt == "csv":
        return exports.to_csv(data)
    if fmt == "json":
        return exports.to_json(data)
    return charts.render(data, fmt)


def export(session: Session, settings: Settings, staff: Staff | None, filters: Filters,
           fmt: str, epsilon: float | None = None) -> Export:
    """A protected export file; audited as stats.export (format and filters, nothing else)."""
    if fmt not in EXPORT_TYPES:
        raise ValueError(f"unknown export format {fmt!r}")
    data = protected(session, settings, staff, filters, f"export:{fmt}", epsilon)
    content = render(data, fmt)
    audit.record(session, staff, "stats.export",
                 detail={"format": fmt, "filters": filters.as_dict(),
                         "epsilon": data["epsilon"], "threshold": data["threshold"]})
    session.commit()
    stamp = data["generated_at"][:10]
    return Export(content, EXPORT_TYPES[fmt], f"intake-statistics-{stamp}.{fmt}")
