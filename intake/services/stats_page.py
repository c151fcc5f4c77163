"""The analyst page in one call: protected tables plus the releases list."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy.orm import Session

from intake.models import Staff, StatsRelease
from intake.payloads import StatsPayload
from intake.services.statistics import overview
from intake.services.stats_background import Maker
from intake.services.stats_releases import list_releases
from intake.settings import Settings
from intake.stats.filters import Filters


class AnalystPage(TypedDict):
    """What stats.html shows besides its labels."""

    payload: StatsPayload
    newer_pending: bool
    releases: list[StatsRelease]


def analyst_page(session: Session, settings: Settings, staff: Staff, filters: Filters,
                 maker: Maker | None = None) -> AnalystPage:
    """Everything stats.html shows; counts come from coded labels only."""
    shown = overview(session, settings, staff, filters, maker)
    return {"payload": shown.data, "newer_pending": shown.newer_pending,
            "releases": list_releases(session)}
