"""What the views and the CLI call: slices of the stored protected result, exports, audit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from intake.models import Staff
from intake.payloads import StatsPayload
from intake.services import audit
from intake.services.stats_generations import current
from intake.settings import Settings
from intake.stats import charts, exports
from intake.stats.compute import payload
from intake.stats.filters import Filters, check_period

EXPORT_TYPES = {"csv": "text/csv", "json": "application/json", **charts.FORMATS}


@dataclass(frozen=True)
class Export:
    """A rendered file ready to send or write."""

    content: bytes
    mimetype: str
    filename: str


def protected(session: Session, settings: Settings, staff: Staff | None, filters: Filters,
              purpose: str, epsilon: float | None = None) -> StatsPayload:
    """One period of the stored protected result (FilterError for a period that does not
    exist); the result is made only when the data state is new."""
    result = current(session, settings, staff, purpose, epsilon).result
    check_period(filters, result.periods)
    return payload(result, filters.period)


def overview(session: Session, settings: Settings, staff: Staff, filters: Filters
             ) -> StatsPayload:
    """The analyst page's tables."""
    try:
        return protected(session, settings, staff, filters, "view")
    finally:
        session.commit()


def render(data: StatsPayload, fmt: str) -> bytes:
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
