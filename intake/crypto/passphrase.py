"""Staff passphrases: Argon2id verification hashes and the key that wraps each private key."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import Argon2Error, InvalidHashError
from argon2.low_level import hash_secret_raw

from intake.crypto._common import KEY_LEN
from intake.crypto.errors import DecryptionError
from intake.crypto.keys import PRIVATE_KEY_LEN
from intake.crypto.params import Argon2Params
from intake.crypto.symmetric import open_secret, seal_secret

MIN_SALT_LEN = 16
PURPOSE = "staff-private-key"
_ARGON2ID_PREFIX = "$argon2id$"


def _normalize(passphrase: str) -> bytes:
    """NFC, so the same passphrase typed on different systems gives the same bytes."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _hasher(params: Argon2Params) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def hash_passphrase(passphrase: str, params: Argon2Params) -> str:
    """An encoded Argon2id hash (salt and costs included) for login verification."""
    return _hasher(params).hash(_normalize(passphrase))


def hash_needs_rehash(encoded: str, params: Argon2Params) -> bool:
    """True when the encoded hash was not made with `params` (or cannot be read)."""
    try:
        return _hasher(params).check_needs_rehash(encoded)
    except (InvalidHashError, ValueError):
        return True


def hash_params(encoded: str) -> Argon2Params | None:
    """The Argon2id costs an encoded hash carries; None if it is not a readable Argon2id hash."""
    if not encoded.startswith(_ARGON2ID_PREFIX):
        return None
    try:
        found = extract_parameters(encoded)
        return Argon2Params(found.time_cost, found.memory_cost, found.parallelism)
    except (InvalidHashError, ValueError):
        return None


def verify_passphrase(encoded: str, passphrase: str) -> bool:
    """True only for a matching Argon2id hash; never raises on mismatch or malformed input."""
    if not encoded.startswith(_ARGON2ID_PREFIX):
        return False
    try:
        return PasswordHasher().verify(encoded, _normalize(passphrase))
    except (Argon2Error, ValueError):
        return False


def derive_kek(passphrase: str, salt: bytes, params: Argon2Params) -> bytes:
    """The 32-byte key-encryption key for the staff private key (Argon2id, per-user salt)."""
    if len(salt) < MIN_SALT_LEN:
        raise ValueError(f"salt must be at least {MIN_SALT_LEN} bytes")
    return hash_secret_raw(
        secret=_normalize(passphrase),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
        hash_len=KEY_LEN,
        type=Type.ID,
    )


def wrap_private_key(private_raw: bytes, kek: bytes, staff_id: str) -> bytes:
    """Seal the private key under the KEK; a passphrase change re-wraps only this blob."""
    if len(private_raw) != PRIVATE_KEY_LEN:
        raise ValueError(f"private key must be {PRIVATE_KEY_LEN} bytes")
    return seal_secret(kek, PURPOSE, staff_id, private_raw)


def unwrap_private_key(blob: bytes, kek: bytes, staff_id: str) -> bytes:
    """Recover the private key; DecryptionError for a wrong passphrase or tampering."""
    private_raw = open_secret(kek, PURPOSE, staff_id, blob)
    if len(private_raw) != PRIVATE_KEY_LEN:
        raise DecryptionError("unwrapped private key has the wrong length")
    return private_raw
