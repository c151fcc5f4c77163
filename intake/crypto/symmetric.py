"""Secrets sealed under a symmetric key and bound to a purpose and an owner id."""

from __future__ import annotations

from intake.crypto._common import frame, gcm_open, gcm_seal

SECRET_VERSION = 1


def _aad(purpose: str, bound_id: str) -> bytes:
    """Bind label, version, purpose and owner, so a blob cannot be reused elsewhere."""
    return frame(b"intake/secret", bytes([SECRET_VERSION]), purpose, bound_id)


def seal_secret(key: bytes, purpose: str, bound_id: str, data: bytes) -> bytes:
    """AES-256-GCM: version ‖ random nonce ‖ ciphertext+tag."""
    return gcm_seal(key, SECRET_VERSION, _aad(purpose, bound_id), data)


def open_secret(key: bytes, purpose: str, bound_id: str, blob: bytes) -> bytes:
    """Reverse seal_secret; DecryptionError for a wrong key, purpose, id or any tampering."""
    return gcm_open(key, SECRET_VERSION, _aad(purpose, bound_id), blob)
