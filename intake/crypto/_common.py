"""Shared AES-256-GCM framing, so every sealed blob has the same versioned, bound layout."""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from intake.crypto.errors import DecryptionError

KEY_LEN = 32
NONCE_LEN = 12
TAG_LEN = 16


def frame(*parts: bytes | str) -> bytes:
    """Length-prefix every part so no two different tuples of fields encode to the same bytes."""
    out = bytearray()
    for part in parts:
        raw = part.encode("utf-8") if isinstance(part, str) else part
        out += len(raw).to_bytes(4, "big")
        out += raw
    return bytes(out)


def require_key(key: bytes, what: str = "key") -> None:
    """Refuse anything but a 256-bit key, so a short key is never silently accepted."""
    if len(key) != KEY_LEN:
        raise ValueError(f"{what} must be {KEY_LEN} bytes, got {len(key)}")


def gcm_seal(
    key: bytes, version: int, aad: bytes, plaintext: bytes, nonce: bytes | None = None
) -> bytes:
    """Encrypt to version ‖ nonce ‖ ciphertext+tag; the nonce is random unless pinned by a test."""
    require_key(key)
    nonce = secrets.token_bytes(NONCE_LEN) if nonce is None else nonce
    if len(nonce) != NONCE_LEN:
        raise ValueError(f"nonce must be {NONCE_LEN} bytes")
    return bytes([version]) + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def gcm_open(key: bytes, version: int, aad: bytes, blob: bytes) -> bytes:
    """Reverse gcm_seal; every failure (key, version, length, tag) is a DecryptionError."""
    if len(key) != KEY_LEN:
        raise DecryptionError("wrong key length")
    if len(blob) < 1 + NONCE_LEN + TAG_LEN or blob[0] != version:
        raise DecryptionError("unknown format version or truncated ciphertext")
    try:
        return AESGCM(key).decrypt(blob[1 : 1 + NONCE_LEN], blob[1 + NONCE_LEN :], aad)
    except InvalidTag:
        raise DecryptionError("authentication failed") from None
