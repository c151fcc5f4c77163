"""Times and dates on screen: one zone rule for every page, the viewer's language (Babel) for
month names, order and separators. The database keeps UTC; only display converts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_skeleton, format_time
from flask import current_app, g, has_request_context
from flask_babel import get_locale

FALLBACK_ZONE = "UTC"


def display_zone() -> ZoneInfo:
    """The zone rule: the signed-in staff member's own zone if they chose one (account
    page), else the instance's `time_zone` setting; UTC only if neither is a known zone."""
    own = getattr(g.get("staff"), "time_zone", None) if has_request_context() else None
    settings = current_app.extensions.get("intake_settings")
    for name in (own, getattr(settings, "time_zone", None)):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo(FALLBACK_ZONE)


def _locale() -> Locale:
    return get_locale() or Locale.parse("en")


def localtime(moment: datetime | date | None, seconds: bool = False) -> str:
    """A moment in the display zone and the viewer's language: "15 янв. 2026 г., 17:30
    +0500"; a plain date is shown as a day."""
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return localdate(moment)
    locale, zone = _locale(), display_zone()
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    day = format_skeleton("yMMMd", aware, tzinfo=zone, locale=locale)
    clock = format_time(aware, "medium" if seconds else "short", tzinfo=zone, locale=locale)
    offset = format_time(aware, "z", tzinfo=zone, locale=locale)
    pattern = str(locale.datetime_formats["medium"])
    return pattern.replace("{1}", day).replace("{0}", f"{clock} {offset}")


def localdate(day: date | datetime | None) -> str:
    """A day in the viewer's language ("15 янв. 2026 г."); a moment is first put in the
    display zone, so the day is the viewer's day."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        aware = day if day.tzinfo else day.replace(tzinfo=UTC)
        return format_skeleton("yMMMd", aware, tzinfo=display_zone(), locale=_locale())
    return format_skeleton("yMMMd", day, locale=_locale())


def localstamp(stamp: str | None) -> str:
    """An ISO 8601 UTC stamp as stored in a statistics payload ("2026-11-30T08:00:00Z"),
    shown like every other moment; a stamp that does not parse is shown as it is."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return localtime(moment)
