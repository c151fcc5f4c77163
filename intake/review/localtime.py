"""The `localtime` Jinja filter: UTC in the database, the staff member's zone on screen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g

DEFAULT_FORMAT = "%Y-%m-%d %H:%M"


def zone_of_viewer() -> ZoneInfo:
    """The signed-in staff member's zone, UTC when unknown or not signed in."""
    name = getattr(g.get("staff"), "time_zone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def localtime(moment: datetime | date | None, fmt: str = DEFAULT_FORMAT) -> str:
    """Format a UTC time in the viewer's zone, with the zone's abbreviation."""
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return moment.isoformat()
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    local = aware.astimezone(zone_of_viewer())
    return f"{local.strftime(fmt)} {local.tzname()}"
