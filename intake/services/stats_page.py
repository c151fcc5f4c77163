"""The analyst page in one call: protected tables plus the releases list."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from intake.models import Staff
from intake.services.statistics import overview
from intake.services.stats_releases import list_releases
from intake.settings import Settings
from intake.stats.filters import Filters


def analyst_page(session: Session, settings: Settings, staff: Staff,
                 filters: Filters) -> dict[str, Any]:
    """Everything stats.html shows; counts come from coded labels only."""
    return {"payload": overview(session, settings, staff, filters),
            "releases": list_releases(session)}
