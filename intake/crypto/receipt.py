"""Reporter receipt codes: one Argon2id derivation gives the look-up id and the reply key."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import Type
from argon2.low_level import hash_secret_raw

from intake.crypto.keys import PRIVATE_KEY_LEN, keypair_from_seed
from intake.crypto.params import Argon2Params

RECEIPT_DIGITS = 30  # 10^30 ≈ 2^99.7 ≥ 96 bits; digits are typeable on every keyboard layout
GROUP = 5
LOOKUP_ID_LEN = 32
MIN_SALT_LEN = 16
_MAX_INPUT = 200  # nothing this long is a pasted receipt code; refuse before any work
# Separators people type or paste: spaces, dashes, dots, bidi marks, zero-width characters.
_SEPARATOR_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Pd", "Pc", "Po"})
_EXTRA_SEPARATORS = frozenset("\u2212")  # MINUS SIGN, which some editors substitute for "-"


@dataclass(frozen=True)
class ReceiptKeys:
    """What a receipt code derives: the stored look-up id and the reporter's reply key pair."""

    lookup_id: bytes
    reply_private: bytes
    reply_public: bytes


def generate_code() -> str:
    """A uniformly random 30-digit code shown as six groups of five digits."""
    digits = f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"
    return " ".join(digits[i : i + GROUP] for i in range(0, RECEIPT_DIGITS, GROUP))


def normalize_code(text: str) -> str | None:
    """The code's 30 ASCII digits whatever digits or separators were typed, else None."""
    if len(text) > _MAX_INPUT:
        return None
    digits: list[str] = []
    for char in text:
        value = unicodedata.decimal(char, None)
        if value is not None:
            digits.append(str(value))
        elif unicodedata.category(char) not in _SEPARATOR_CATEGORIES and (
            char not in _EXTRA_SEPARATORS
        ):
            return None
    return "".join(digits) if len(digits) == RECEIPT_DIGITS else None


def derive_receipt_keys(code: str, site_salt: bytes, params: Argon2Params) -> ReceiptKeys:
    """One Argon2id call: bytes 0–32 are the look-up id, bytes 32–128 seed the reply key."""
    normalized = normalize_code(code)
    if normalized is None:
        raise ValueError("not a receipt code")
    if len(site_salt) < MIN_SALT_LEN:
        raise ValueError(f"site salt must be at least {MIN_SALT_LEN} bytes")
    raw = hash_secret_raw(
        secret=normalized.encode("ascii"),
        salt=site_salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
        hash_len=LOOKUP_ID_LEN + PRIVATE_KEY_LEN,
        type=Type.ID,
    )
    private_raw, public_raw = keypair_from_seed(raw[LOOKUP_ID_LEN:])
    return ReceiptKeys(
        lookup_id=raw[:LOOKUP_ID_LEN], reply_private=private_raw, reply_public=public_raw
    )
