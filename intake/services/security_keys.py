"""WebAuthn security keys (python-fido2): register, sign in with, remove; clone check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fido2.server import Fido2Server
from fido2.webauthn import (
    AttestedCredentialData,
    AuthenticationResponse,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
    RegistrationResponse,
    UserVerificationRequirement,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import SecurityKey, Staff, StaffSession, utcnow
from intake.services.audit import record
from intake.settings import Settings

# A key is added only within this long after a full passphrase + second-factor sign-in.
FRESH_SIGN_IN = timedelta(minutes=10)
MAX_KEYS = 10


class KeyRefused(Exception):
    """The browser's answer did not verify (wrong key, origin, challenge or a clone)."""


@dataclass(frozen=True)
class Ceremony:
    """Options for the browser's navigator.credentials call, and the state we keep signed."""

    options: dict[str, Any]
    state: dict[str, Any]


def enabled(settings: Settings) -> bool:
    """Security keys need a relying-party id (the review host name) and its origin."""
    return bool(settings.webauthn_rp_id and settings.webauthn_origin)


def _server(settings: Settings) -> Fido2Server:
    """The origin must match the configured one exactly: a phishing host never does."""
    rp = PublicKeyCredentialRpEntity(name=settings.site_name or "Intake",
                                     id=settings.webauthn_rp_id)
    return Fido2Server(rp, verify_origin=lambda origin: origin == settings.webauthn_origin)


def keys_of(session: Session, staff: Staff) -> list[SecurityKey]:
    """The staff member's keys, oldest first."""
    return list(session.scalars(select(SecurityKey).where(SecurityKey.staff_id == staff.id)
                                .order_by(SecurityKey.created_at)))


def has_keys(session: Session, staff: Staff) -> bool:
    """Whether the sign-in should offer (and prefer) a security key."""
    return session.scalar(select(SecurityKey.id).where(SecurityKey.staff_id == staff.id)
                          .limit(1)) is not None


def keys_required(settings: Settings, staff: Staff) -> bool:
    """The admin setting: admins must use a key (TOTP stays for everyone else).

    With keys switched off (no RP id) nobody can use one, so nobody is required to.
    """
    return staff.role == "admin" and bool(settings.admins_need_security_key) \
        and enabled(settings)


def fresh(row: StaffSession) -> bool:
    """Both factors within FRESH_SIGN_IN (the re-issue after the second factor keeps the time)."""
    return bool(row.totp_verified) and utcnow() - row.created_at <= FRESH_SIGN_IN


def _credentials(keys: list[SecurityKey]) -> list[AttestedCredentialData]:
    return [AttestedCredentialData(key.credential_data) for key in keys]


def begin_registration(session: Session, settings: Settings, staff: Staff) -> Ceremony:
    """Options to create a credential; the keys already registered are excluded."""
    user = PublicKeyCredentialUserEntity(id=staff.id.encode(), name=staff.username,
                                         display_name=staff.username)
    options, state = _server(settings).register_begin(
        user, _credentials(keys_of(session, staff)),
        user_verification=UserVerificationRequirement.DISCOURAGED)
    return Ceremony(dict(options), dict(state))


def finish_registration(session: Session, settings: Settings, staff: Staff,
                        state: Mapping[str, Any], response: Mapping[str, Any],
                        name: str) -> SecurityKey:
    """Verify the attestation answer and store the public credential (audited)."""
    if len(keys_of(session, staff)) >= MAX_KEYS:
        raise KeyRefused("too many keys")
    try:
        parsed = RegistrationResponse.from_dict(dict(response))
        auth_data = _server(settings).register_complete(dict(state), parsed)
    except Exception as exc:  # fido2 raises ValueError, KeyError, TypeError alike  # noqa: BLE001
        raise KeyRefused(str(exc)) from exc
    data = auth_data.credential_data
    if data is None:
        raise KeyRefused("no credential")
    if session.scalar(select(SecurityKey.id).where(
            SecurityKey.credential_id == bytes(data.credential_id))) is not None:
        raise KeyRefused("credential already registered")
    key = SecurityKey(staff_id=staff.id, credential_id=bytes(data.credential_id),
                      credential_data=bytes(data), sign_count=auth_data.counter,
                      name=name.strip()[:64])
    session.add(key)
    session.flush()
    record(session, staff, "security_key.add", target=staff.username,
           detail={"key": key.id, "name": key.name})
    session.commit()
    return key


def begin_sign_in(session: Session, settings: Settings, staff: Staff) -> Ceremony:
    """Options to get an assertion from one of the staff member's keys."""
    options, state = _server(settings).authenticate_begin(
        _credentials(keys_of(session, staff)),
        user_verification=UserVerificationRequirement.DISCOURAGED)
    return Ceremony(dict(options), dict(state))


def verify_sign_in(session: Session, settings: Settings, staff: Staff,
                   state: Mapping[str, Any], response: Mapping[str, Any]) -> SecurityKey:
    """Verify an assertion; a counter that does not grow means a cloned key and is refused.

    The caller counts a refusal as a failed sign-in (the throttle) and commits.
    """
    keys = keys_of(session, staff)
    try:
        parsed = AuthenticationResponse.from_dict(dict(response))
        _server(settings).authenticate_complete(dict(state), _credentials(keys), parsed)
    except Exception as exc:  # noqa: BLE001 - any malformed or wrong answer is a refusal
        raise KeyRefused(str(exc)) from exc
    key = next(k for k in keys if k.credential_id == bytes(parsed.raw_id))
    counter = parsed.response.authenticator_data.counter
    if (counter or key.sign_count) and counter <= key.sign_count:
        record(session, staff, "security_key.clone_suspected", target=staff.username,
               detail={"key": key.id, "stored": key.sign_count, "presented": counter})
        session.commit()
        raise KeyRefused("signature counter did not increase")
    key.sign_count = counter
    key.last_used_at = utcnow()
    return key


def remove(session: Session, staff: Staff, key_id: str) -> bool:
    """Delete one of the staff member's own keys (audited); False if it is not theirs."""
    key = session.get(SecurityKey, key_id)
    if key is None or key.staff_id != staff.id:
        return False
    record(session, staff, "security_key.remove", target=staff.username,
           detail={"key": key.id, "name": key.name})
    session.delete(key)
    session.commit()
    return True
