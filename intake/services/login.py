"""Staff login: passphrase, then TOTP; no username oracle; failures slow one client down.

Failures are throttled per (account, client), never per account alone: a hard account lock
would let anyone who knows a username keep that person out. After `login_free_failures`
failures from one client, that client waits `login_delay_seconds`, doubling with each further
failure up to `login_max_delay_hours`; other clients of the same account are not affected.
The client is the keyed, rotating identifier of `intake.web.ratelimit.client_key` (never an
address), passed in by the view.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from intake.crypto import DecryptionError, hash_passphrase, verify_passphrase
from intake.models import LoginFailure, Staff, StaffSession, utcnow
from intake.services import security_keys
from intake.services.audit import record
from intake.services.credentials import staff_params, unlock_private_key, upgrade_credentials
from intake.services.kdf_gate import kdf_slot
from intake.services.sessions import (
    CookieHalf,
    mark_second_factor,
    reissue,
    start_session,
    sweep_expired,
)
from intake.services.staff import totp_secret
from intake.settings import Settings

_DUMMY: dict[tuple[int, int, int], str] = {}


@dataclass(frozen=True)
class LoginResult:
    """Success carries the staff member and the cookie half; failure carries nothing."""

    staff: Staff | None = None
    half: CookieHalf | None = None
    unenrolled: bool = False

    @property
    def ok(self) -> bool:
        return self.staff is not None


def _dummy_hash(settings: Settings) -> str:
    """A hash with the real parameters, so an unknown username costs the same Argon2id."""
    params = staff_params(settings)
    key = (params.time_cost, params.memory_cost_kib, params.parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = hash_passphrase("intake-dummy-passphrase-never-valid", params)
    return _DUMMY[key]


def counting_since(settings: Settings, now: datetime) -> datetime:
    """Failures older than the longest delay no longer count."""
    return now - timedelta(hours=settings.login_max_delay_hours)


def retry_at(session: Session, settings: Settings, staff: Staff, client: str,
             now: datetime | None = None) -> datetime | None:
    """When this client may next try this account; None if it may try now."""
    now = now or utcnow()
    count, last = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.staff_id == staff.id, LoginFailure.client == client,
            LoginFailure.at >= counting_since(settings, now))).one()
    extra = int(count or 0) - settings.login_free_failures
    if extra < 0 or last is None:
        return None
    delay = min(timedelta(seconds=settings.login_delay_seconds) * 2 ** min(extra, 32),
                timedelta(hours=settings.login_max_delay_hours))
    ready: datetime = last + delay
    return ready if ready > now else None


def is_throttled(session: Session, settings: Settings, staff: Staff, client: str) -> bool:
    """A throttled client is refused even the right passphrase or code until its delay ends."""
    return retry_at(session, settings, staff, client) is not None


def record_failure(session: Session, settings: Settings, staff: Staff, client: str) -> None:
    """Count one failure of this client on this account; drop this account's stale ones."""
    now = utcnow()
    session.execute(delete(LoginFailure).where(
        LoginFailure.staff_id == staff.id, LoginFailure.at < counting_since(settings, now)))
    session.add(LoginFailure(staff_id=staff.id, client=client, at=now))
    session.flush()


def check_passphrase(
    session: Session, settings: Settings, username: str, passphrase: str, client: str
) -> LoginResult:
    """First factor. Unknown, inactive, throttled and wrong all fail alike and cost alike."""
    staff = session.scalar(select(Staff).where(Staff.username == username.strip()))
    usable = staff is not None and staff.active and staff.password_hash is not None
    with kdf_slot(settings.data_dir):  # logins take turns; reporters keep their cores
        encoded = staff.password_hash if usable and staff and staff.password_hash \
            else _dummy_hash(settings)
        good = verify_passphrase(encoded, passphrase)
        throttled = usable and staff is not None and is_throttled(session, settings, staff,
                                                                  client)
        unlock = staff is not None and usable and good and not throttled
        private, upgraded = None, None
        if unlock and staff is not None:
            try:
                private = (unlock_private_key(settings, staff, passphrase)
                           if staff.wrapped_private_key is not None else None)
            except DecryptionError:  # a damaged wrap: refuse the sign-in, never a 500
                session.rollback()
                return LoginResult()
            upgraded = upgrade_credentials(settings, staff, passphrase, private)
    if staff is None or not usable:
        return LoginResult()
    if not good or throttled:
        if not throttled:
            record_failure(session, settings, staff, client)
        session.commit()
        return LoginResult()
    if upgraded is not None:
        record(session, staff, "account.kdf_upgrade", target=staff.username, detail={
            "time_cost": upgraded.time_cost, "memory_kib": upgraded.memory_cost_kib,
            "parallelism": upgraded.parallelism})
    if not staff.totp_enrolled:
        # The secret is shown only where enrolment is confirmed (terminal, setup link):
        # a passphrase alone opens no session, so it can never reach a secret.
        session.commit()
        return LoginResult(unenrolled=True)
    # Failures are cleared only after the second factor: clearing them here would let
    # someone who knows the passphrase guess TOTP codes forever by signing in again.
    sweep_expired(session, settings)  # every sign-in also clears everyone's expired halves
    half = start_session(session, staff, private)
    session.commit()
    return LoginResult(staff, half)


def _accept_totp(session: Session, settings: Settings, staff: Staff, code: str,
                 now: float | None, client: str) -> bool:
    """±1 step, and a step already used is refused (replay); a failure is counted."""
    if is_throttled(session, settings, staff, client) or not staff.totp_enrolled:
        return False
    code = "".join(ch for ch in code if ch.isdigit())
    totp = pyotp.TOTP(totp_secret(settings, staff))
    moment = time.time() if now is None else now
    current = int(moment // totp.interval)
    for step in (current - 1, current, current + 1):
        if len(code) == totp.digits and pyotp.utils.strings_equal(totp.generate_otp(step), code):
            if step <= staff.totp_last_step:
                break
            staff.totp_last_step = step
            # Only this client's failures: someone else's slowed client stays slowed.
            session.execute(delete(LoginFailure).where(
                LoginFailure.staff_id == staff.id, LoginFailure.client == client))
            return True
    record_failure(session, settings, staff, client)
    session.commit()
    return False


def check_totp(session: Session, settings: Settings, staff: Staff, row: StaffSession,
               code: str, client: str, now: float | None = None) -> bool:
    """Second factor for this session row (it keeps its id; see complete_sign_in)."""
    if not _accept_totp(session, settings, staff, code, now, client):
        return False
    mark_second_factor(session, row)
    session.commit()
    return True


def totp_allowed(session: Session, settings: Settings, staff: Staff) -> bool:
    """TOTP completes a sign-in unless admins must use keys and this admin has one."""
    return not (security_keys.keys_required(settings, staff)
                and security_keys.has_keys(session, staff))


def _accept_key(session: Session, settings: Settings, staff: Staff,
                state: Mapping[str, Any], response: Mapping[str, Any], client: str) -> bool:
    """A security-key assertion; a refusal counts as a failure exactly like a wrong code."""
    if is_throttled(session, settings, staff, client):
        return False
    try:
        security_keys.verify_sign_in(session, settings, staff, state, response)
    except security_keys.KeyRefused:
        record_failure(session, settings, staff, client)
        session.commit()
        return False
    # Only this client's failures, as after a right TOTP code.
    session.execute(delete(LoginFailure).where(
        LoginFailure.staff_id == staff.id, LoginFailure.client == client))
    return True


def _reissue_verified(session: Session, row: StaffSession,
                      half: CookieHalf) -> CookieHalf | None:
    """Mark the second factor, then a new session id and key in the same commit."""
    mark_second_factor(session, row)
    try:
        fresh = reissue(session, row, half)
    except DecryptionError:
        session.rollback()
        return None
    session.commit()
    return fresh


def complete_sign_in(session: Session, settings: Settings, staff: Staff, row: StaffSession,
                     half: CookieHalf, code: str, client: str,
                     now: float | None = None) -> CookieHalf | None:
    """Second factor, then a new session id and key (no session fixation); None if refused.

    The pre-2FA id stops working in the same commit that verifies the code. An admin who
    must use a security key and has one is refused before the code is looked at.
    """
    if not totp_allowed(session, settings, staff):
        return None
    if not _accept_totp(session, settings, staff, code, now, client):
        return None
    return _reissue_verified(session, row, half)


def complete_with_key(session: Session, settings: Settings, staff: Staff, row: StaffSession,
                      half: CookieHalf, state: Mapping[str, Any],
                      response: Mapping[str, Any], client: str) -> CookieHalf | None:
    """Like complete_sign_in, with a security-key assertion instead of a code."""
    if not _accept_key(session, settings, staff, state, response, client):
        return None
    return _reissue_verified(session, row, half)
