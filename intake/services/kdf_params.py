"""Argon2id parameters per staff account: which ones a key wrap used, and upgrading in place.

Each wrapped private key records the costs its KEK was derived with, so the `staff_kdf_*`
settings only decide what new wraps (and new passphrase hashes) use. A successful sign-in
or passphrase change brings an account to the current settings.
"""

from __future__ import annotations

import secrets

from intake.crypto import (
    Argon2Params,
    derive_kek,
    hash_needs_rehash,
    hash_params,
    hash_passphrase,
    wrap_private_key,
)
from intake.models import Staff
from intake.settings import Settings


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
