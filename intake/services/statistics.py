"""What the views and the CLI call: protected statistics, exports, with ledger and audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from intake.models import PrivacyLedgerEntry, Staff
from intake.services import audit
from intake.services.site import effective
from intake.settings import Settings
from intake.stats import charts, exports
from intake.stats.compute import compute
from intake.stats.filters import Filters

EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
                **charts.FORMATS}


@dataclass(frozen=True)
class Export:
    """A rendered file ready to send or write."""

    content: bytes
    mimetype: str
    filename: str


def protected(session: Session, settings: Settings, staff: Staff | None, filters: Filters,
              purpose: str, epsilon: float | None = None,
              release_id: str | None = None) -> dict[str, Any]:
    """Compute a protected payload; a noisy one spends epsilon and is written to the ledger."""
    current = effective(session, settings)
    eps = current.stats_epsilon if epsilon is None else epsilon
    if eps < 0:
        raise ValueError("epsilon must not be negative")
    payload = compute(session, current, filters, current.stats_threshold, eps)
    if eps > 0:
        session.add(PrivacyLedgerEntry(staff_id=staff.id if staff else None, purpose=purpose,
                                       epsilon=eps, release_id=release_id))
    return payload


def overview(session: Session, settings: Settings, staff: Staff, filters: Filters
             ) -> dict[str, Any]:
    """The analyst page's tables."""
    payload = protected(session, settings, staff, filters, "view")
    session.commit()
    return payload


def render(payload: dict[str, Any], fmt: str) -> bytes:
    """One protected payload in one format."""
    if fmt == "csv":
        return exports.to_csv(payload)
    if fmt == "json":
        return exports.to_json(payload)
    return charts.render(payload, fmt)


def export(session: Session, settings: Settings, staff: Staff | None, filters: Filters,
           fmt: str, epsilon: float | None = None) -> Export:
    """A protected export file; audited as stats.export (format and filters, nothing else)."""
    if fmt not in EXPORT_TYPES:
        raise ValueError(f"unknown export format {fmt!r}")
    payload = protected(session, settings, staff, filters, f"export:{fmt}", epsilon)
    content = render(payload, fmt)
    audit.record(session, staff, "stats.export",
                 detail={"format": fmt, "filters": filters.as_dict(),
                         "epsilon": payload["epsilon"], "threshold": payload["threshold"]})
    session.commit()
    stamp = payload["generated_at"][:10]
    return Export(content, EXPORT_TYPES[fmt], f"intake-statistics-{stamp}.{fmt}")
