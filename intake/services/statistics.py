"""What the views and the CLI call: slices of the stored protected result, exports, audit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from intake.models import Staff
from intake.payloads import StatsPayload
from intake.services import audit
from intake.services.stats_background import Maker, served
from intake.services.stats_generations import Current, current
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


def generation(session: Session, settings: Settings, staff: Staff | None, purpose: str,
               epsilon: float | None = None, maker: Maker | None = None) -> Current:
    """The command line waits for a new state's protection; a staff request (with the
    app's `maker`) waits a little, then gets the last stored result (stats_background)."""
    if maker is None:
        return current(session, settings, staff, purpose, epsilon)
    return served(session, settings, staff, purpose, maker, epsilon)


@dataclass(frozen=True)
class Period:
    """One period of a protected result, and whether newer data are still being protected
    (then it is the newest stored result, which the page says)."""

    data: StatsPayload
    newer_pending: bool = False


def period(session: Session, settings: Settings, staff: Staff | None, filters: Filters,
           purpose: str, epsilon: float | None = None, maker: Maker | None = None) -> Period:
    """One period of the stored protected result (FilterError for a period that does not
    exist); the result is made only when the data state is new."""
    made = generation(session, settings, staff, purpose, epsilon, maker)
    check_period(filters, made.result.periods)
    return Period(payload(made.result, filters.period), made.newer_pending)


def protected(session: Session, settings: Settings, staff: Staff | None, filters: Filters,
              purpose: str, epsilon: float | None = None) -> StatsPayload:
    """One period of today's protected result, however long its protection takes."""
    return period(session, settings, staff, filters, purpose, epsilon).data


def overview(session: Session, settings: Settings, staff: Staff, filters: Filters,
             maker: Maker | None = None) -> Period:
    """The analyst page's tables."""
    try:
        return period(session, settings, staff, filters, "view", maker=maker)
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
           fmt: str, epsilon: float | None = None, maker: Maker | None = None) -> Export:
    """A protected export file; audited as stats.export (format and filters, nothing else)."""
    if fmt not in EXPORT_TYPES:
        raise ValueError(f"unknown export format {fmt!r}")
    data = period(session, settings, staff, filters, f"export:{fmt}", epsilon, maker).data
    content = render(data, fmt)
    audit.record(session, staff, "stats.export",
                 detail={"format": fmt, "filters": filters.as_dict(),
                         "epsilon": data["epsilon"], "threshold": data["threshold"]})
    session.commit()
    stamp = data["generated_at"][:10]
    return Export(content, EXPORT_TYPES[fmt], f"intake-statistics-{stamp}.{fmt}")
