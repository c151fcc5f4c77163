"""A staff member's own account: passphrase change (re-wraps the key) and time zone."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy.orm import Session

from intake.models import Staff
from intake.services.audit import record
from intake.services.credentials import WrongPassphrase, replace_passphrase
from intake.services.errors import StaffError
from intake.services.login import is_throttled, record_failure
from intake.services.sessions import end_all_sessions
from intake.settings import Settings


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """IANA zone names offered on the account page (sorted, UTC first)."""
    names = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return ("UTC", *names)


def change_passphrase(session: Session, settings: Settings, staff: Staff, old: str, new: str,
                      keep_session_id: str, client: str) -> int:
    """Re-wrap the private key under the new passphrase (data untouched); end other sessions.

    Returns how many other sessions were ended. A wrong current passphrase counts as a
    failed sign-in of this client, and a slowed client is refused before any check, so a
    borrowed session cannot be used to guess it.
    """
    if is_throttled(session, settings, staff, client):
        raise WrongPassphrase("too many failures from this client")
    try:
        replace_passphrase(settings, staff, old, new)
    except WrongPassphrase:
        record_failure(session, settings, staff, client)
        session.commit()
        raise
    ended = end_all_sessions(session, staff.id, keep_session_id=keep_session_id)
    record(session, staff, "account.passphrase", target=staff.username,
           detail={"other_sessions_ended": ended})
    session.commit()
    return ended


def set_time_zone(session: Session, staff: Staff, zone: str) -> None:
    """Times are stored in UTC and shown in this zone; "" follows the instance's zone."""
    if zone and zone not in time_zones():
        raise StaffError("unknown time zone")
    if zone:
        ZoneInfo(zone)
    staff.time_zone = zone
    record(session, staff, "account.time_zone", target=staff.username, detail={"zone": zone})
    session.commit()
