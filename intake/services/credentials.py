"""A staff passphrase's whole lifecycle in one place: the Argon2id costs, the hash and the
key wrap it protects, unlocking, re-wrapping on change and upgrading costs in place.

Each wrapped private key records the costs its KEK was derived with, so the `staff_kdf_*`
settings only decide what new wraps (and new passphrase hashes) use. A successful sign-in
or passphrase change brings an account to the current settings.
"""

from __future__ import annotations

import secrets

from intake.crypto import (
    Argon2Params,
    DecryptionError,
    derive_kek,
    generate_keypair,
    hash_needs_rehash,
    hash_params,
    hash_passphrase,
    unwrap_private_key,
    verify_passphrase,
    wrap_private_key,
)
from intake.models import READER_ROLES, Staff
from intake.services.errors import StaffError
from intake.services.reading import NoAccess
from intake.settings import Settings

MIN_PASSPHRASE = 12


class WrongPassphrase(StaffError):
    """The passphrase given does not unlock the account."""


def staff_params(settings: Settings) -> Argon2Params:
    """Argon2id cost of a staff login, tuned so one login costs 0.3–1 s."""
    return Argon2Params(
        settings.staff_kdf_time_cost,
        settings.staff_kdf_memory_kib,
        settings.staff_kdf_parallelism,
    )


def stored_kek_params(staff: Staff) -> Argon2Params | None:
    """The parameters recorded with the wrap; None on rows wrapped before they were kept."""
    if staff.kek_time_cost is None or staff.kek_memory_kib is None \
            or staff.kek_parallelism is None:
        return None
    return Argon2Params(staff.kek_time_cost, staff.kek_memory_kib, staff.kek_parallelism)


def kek_params(settings: Settings, staff: Staff) -> Argon2Params:
    """The parameters to unwrap this account's key with.

    Older rows stored none, but their wrap and passphrase hash were always made together
    with the same parameters, and the encoded hash carries them; the settings are the last
    resort.
    """
    stored = stored_kek_params(staff)
    if stored is not None:
        return stored
    from_hash = hash_params(staff.password_hash) if staff.password_hash else None
    return from_hash or staff_params(settings)


def _record(staff: Staff, params: Argon2Params | None) -> None:
    staff.kek_time_cost = params.time_cost if params else None
    staff.kek_memory_kib = params.memory_cost_kib if params else None
    staff.kek_parallelism = params.parallelism if params else None


def _wrap(staff: Staff, passphrase: str, private_raw: bytes, params: Argon2Params) -> None:
    """A fresh salt, a KEK with `params`, the key wrapped under it, the parameters recorded."""
    staff.kek_salt = secrets.token_bytes(16)
    kek = derive_kek(passphrase, staff.kek_salt, params)
    staff.wrapped_private_key = wrap_private_key(private_raw, kek, staff.id)
    _record(staff, params)


def write_credentials(settings: Settings, staff: Staff, passphrase: str,
                      private_raw: bytes | None) -> None:
    """New passphrase: hash it and (for key holders) wrap the key, with the current settings."""
    params = staff_params(settings)
    staff.password_hash = hash_passphrase(passphrase, params)
    if private_raw is None:
        staff.kek_salt = secrets.token_bytes(16)
        staff.wrapped_private_key = None
        _record(staff, None)
        return
    _wrap(staff, passphrase, private_raw, params)


def upgrade_credentials(settings: Settings, staff: Staff, passphrase: str,
                        private_raw: bytes | None) -> Argon2Params | None:
    """After a verified passphrase (and unwrapped key): bring the wrap and the hash to the
    current settings. Returns the new parameters if anything changed, else None.

    Only what is outdated costs a derivation; a row that merely lacks the record but already
    uses the current parameters is stamped.
    """
    current = staff_params(settings)
    changed = False
    if private_raw is not None:  # first: kek_params may read the hash about to be replaced
        if kek_params(settings, staff) != current:
            _wrap(staff, passphrase, private_raw, current)
            changed = True
        elif stored_kek_params(staff) is None:
            _record(staff, current)
            changed = True
    if staff.password_hash is None or hash_needs_rehash(staff.password_hash, current):
        staff.password_hash = hash_passphrase(passphrase, current)
        changed = True
    return current if changed else None


def unlock_private_key(settings: Settings, staff: Staff, passphrase: str) -> bytes:
    """The staff member's private key, unwrapped with their passphrase (raises if wrong), using
    the Argon2id parameters recorded with the wrap, not the current settings."""
    if staff.wrapped_private_key is None or staff.kek_salt is None:
        raise NoAccess("this account holds no key")
    kek = derive_kek(passphrase, staff.kek_salt, kek_params(settings, staff))
    return unwrap_private_key(staff.wrapped_private_key, kek, staff.id)


def set_passphrase(settings: Settings, staff: Staff, passphrase: str,
                   private_raw: bytes | None) -> None:
    """Hash the passphrase and, for key holders, wrap the private key under it (analysts hold
    no key pair: only the verification hash changes)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise StaffError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    write_credentials(settings, staff, passphrase, private_raw)


def give_credentials(settings: Settings, staff: Staff, passphrase: str) -> None:
    """Passphrase hash plus, for readers, a fresh key pair wrapped under the passphrase."""
    if staff.role not in READER_ROLES:
        set_passphrase(settings, staff, passphrase, None)
        return
    private_raw, public_raw = generate_keypair()
    set_passphrase(settings, staff, passphrase, private_raw)
    staff.public_key = public_raw


def replace_passphrase(settings: Settings, staff: Staff, old: str, new: str) -> None:
    """Re-wrap the private key under a new passphrase (the data keys are untouched);
    WrongPassphrase if `old` does not verify and unlock."""
    if staff.password_hash is None or not verify_passphrase(staff.password_hash, old):
        raise WrongPassphrase("the current passphrase is not right")
    if new == old:
        raise StaffError("the new passphrase must differ from the current one")
    private_raw = None
    if staff.wrapped_private_key is not None:
        try:
            private_raw = unlock_private_key(settings, staff, old)
        except (DecryptionError, NoAccess) as exc:
            raise WrongPassphrase("the current passphrase is not right") from exc
    set_passphrase(settings, staff, new, private_raw)
