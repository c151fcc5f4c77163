"""Per-item envelope encryption: a fresh data key per item, HPKE-wrapped to each recipient.

New items are sealed in FORMAT_VERSION (2), bound to their id, kind, case and parent.
Items and wraps of version 1 (bound to id and kind only) still open: the version byte
each one starts with chooses the binding, and it is itself authenticated (it is part of
the associated data and of the HPKE info), so a version-2 item cannot be relabelled 1.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke

from intake.crypto._common import KEY_LEN, gcm_open, gcm_seal, require_key
from intake.crypto.binding import FORMAT_VERSION, VERSIONS, ItemBinding, item_aad, wrap_info
from intake.crypto.errors import DecryptionError
from intake.crypto.keys import load_private, load_public

SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

K = TypeVar("K")


def new_data_key() -> bytes:
    """A fresh 256-bit data key; one per item, so deleting its wraps shreds that item."""
    return secrets.token_bytes(KEY_LEN)


def _encrypt_item_with_nonce(data_key: bytes, binding: ItemBinding, plaintext: bytes,
                             nonce: bytes, version: int = FORMAT_VERSION) -> bytes:
    """Deterministic form of encrypt_item, only for the known-answer tests (any version)."""
    return gcm_seal(data_key, version, item_aad(binding, version), plaintext, nonce)


def encrypt_item(data_key: bytes, binding: ItemBinding, plaintext: bytes) -> bytes:
    """AES-256-GCM under the data key: version ‖ random nonce ‖ ciphertext+tag."""
    return gcm_seal(data_key, FORMAT_VERSION, item_aad(binding, FORMAT_VERSION), plaintext)


def decrypt_item(data_key: bytes, binding: ItemBinding, blob: bytes) -> bytes:
    """Reverse encrypt_item; DecryptionError on any change, other binding, key or version."""
    version = blob[0] if blob else 0
    if version not in VERSIONS:
        raise DecryptionError("unknown format version or truncated ciphertext")
    return gcm_open(data_key, version, item_aad(binding, version), blob)


def wrap_data_key(data_key: bytes, recipient_public_raw: bytes, binding: ItemBinding) -> bytes:
    """HPKE-seal the data key to one recipient: version ‖ HPKE single-shot ciphertext."""
    require_key(data_key, "data key")
    sealed = SUITE.encrypt(data_key, load_public(recipient_public_raw),
                           info=wrap_info(binding, FORMAT_VERSION))
    return bytes([FORMAT_VERSION]) + sealed


def _load_reader(recipient_private_raw: bytes) -> hpke.MLKEM768X25519PrivateKey:
    try:
        return load_private(recipient_private_raw)
    except ValueError:
        raise DecryptionError("cannot unwrap data key") from None


def _unwrap_with(wrapped: bytes, private_key: hpke.MLKEM768X25519PrivateKey,
                 binding: ItemBinding) -> bytes:
    if not wrapped or wrapped[0] not in VERSIONS:
        raise DecryptionError("unknown wrap format version")
    try:
        data_key = SUITE.decrypt(wrapped[1:], private_key, info=wrap_info(binding, wrapped[0]))
    except (InvalidTag, ValueError):
        raise DecryptionError("cannot unwrap data key") from None
    if len(data_key) != KEY_LEN:
        raise DecryptionError("wrapped data key has the wrong length")
    return data_key


def unwrap_data_key(wrapped: bytes, recipient_private_raw: bytes, binding: ItemBinding) -> bytes:
    """Recover the data key; DecryptionError for the wrong recipient, binding or tampering."""
    return _unwrap_with(wrapped, _load_reader(recipient_private_raw), binding)


def unwrap_data_keys(
    wrapped_by_item: Mapping[ItemBinding, bytes], recipient_private_raw: bytes
) -> dict[str, bytes | None]:
    """Many wraps for one reader: the private key is rebuilt once (half the cost of a wrap).

    Each item id maps to its data key, or None where that wrap fails as unwrap_data_key would.
    """
    private_key = _load_reader(recipient_private_raw)
    keys: dict[str, bytes | None] = {}
    for binding, wrapped in wrapped_by_item.items():
        try:
            keys[binding.item_id] = _unwrap_with(wrapped, private_key, binding)
        except DecryptionError:
            keys[binding.item_id] = None
    return keys


def seal(
    binding: ItemBinding, plaintext: bytes, recipients: Mapping[K, bytes]
) -> tuple[bytes, dict[K, bytes]]:
    """Encrypt one item under a fresh data key and wrap that key once per recipient."""
    if not recipients:
        raise ValueError("no recipients: nobody could ever read this item")
    data_key = new_data_key()
    blob = encrypt_item(data_key, binding, plaintext)
    wraps = {ref: wrap_data_key(data_key, public, binding) for ref, public in recipients.items()}
    return blob, wraps


def open_sealed(binding: ItemBinding, blob: bytes, wrapped: bytes, private_raw: bytes) -> bytes:
    """Unwrap with the reader's private key, then decrypt; DecryptionError on any failure."""
    return decrypt_item(unwrap_data_key(wrapped, private_raw, binding), binding, blob)
