"""Per-item envelope encryption: a fresh data key per item, HPKE-wrapped to each recipient."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke

from intake.crypto._common import KEY_LEN, frame, gcm_open, gcm_seal, require_key
from intake.crypto.errors import DecryptionError
from intake.crypto.keys import load_private, load_public

FORMAT_VERSION = 1
SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

K = TypeVar("K")


def _item_aad(item_id: str, kind: str) -> bytes:
    """Bind label, version, kind and id, so a blob cannot be replayed as another item."""
    return frame(b"intake/item", bytes([FORMAT_VERSION]), kind, item_id)


def _wrap_info(item_id: str) -> bytes:
    """Bind label, version and id, so a wrap cannot be moved onto another item's row."""
    return frame(b"intake/wrap", bytes([FORMAT_VERSION]), item_id)


def new_data_key() -> bytes:
    """A fresh 256-bit data key; one per item, so deleting its wraps shreds that item."""
    return secrets.token_bytes(KEY_LEN)


def _encrypt_item_with_nonce(
    data_key: bytes, item_id: str, kind: str, plaintext: bytes, nonce: bytes
) -> bytes:
    """Deterministic form of encrypt_item, only for the known-answer test."""
    return gcm_seal(data_key, FORMAT_VERSION, _item_aad(item_id, kind), plaintext, nonce)


def encrypt_item(data_key: bytes, item_id: str, kind: str, plaintext: bytes) -> bytes:
    """AES-256-GCM under the data key: version ‖ random nonce ‖ ciphertext+tag."""
    return gcm_seal(data_key, FORMAT_VERSION, _item_aad(item_id, kind), plaintext)


def decrypt_item(data_key: bytes, item_id: str, kind: str, blob: bytes) -> bytes:
    """Reverse encrypt_item; DecryptionError on any change, wrong id, kind, key or version."""
    return gcm_open(data_key, FORMAT_VERSION, _item_aad(item_id, kind), blob)


def wrap_data_key(data_key: bytes, recipient_public_raw: bytes, item_id: str) -> bytes:
    """HPKE-seal the data key to one recipient: version ‖ HPKE single-shot ciphertext."""
    require_key(data_key, "data key")
    sealed = SUITE.encrypt(data_key, load_public(recipient_public_raw), info=_wrap_info(item_id))
    return bytes([FORMAT_VERSION]) + sealed


def _load_reader(recipient_private_raw: bytes) -> hpke.MLKEM768X25519PrivateKey:
    try:
        return load_private(recipient_private_raw)
    except ValueError:
        raise DecryptionError("cannot unwrap data key") from None


def _unwrap_with(wrapped: bytes, private_key: hpke.MLKEM768X25519PrivateKey,
                 item_id: str) -> bytes:
    if not wrapped or wrapped[0] != FORMAT_VERSION:
        raise DecryptionError("unknown wrap format version")
    try:
        data_key = SUITE.decrypt(wrapped[1:], private_key, info=_wrap_info(item_id))
    except (InvalidTag, ValueError):
        raise DecryptionError("cannot unwrap data key") from None
    if len(data_key) != KEY_LEN:
        raise DecryptionError("wrapped data key has the wrong length")
    return data_key


def unwrap_data_key(wrapped: bytes, recipient_private_raw: bytes, item_id: str) -> bytes:
    """Recover the data key; DecryptionError for the wrong recipient, item or any tampering."""
    return _unwrap_with(wrapped, _load_reader(recipient_private_raw), item_id)


def unwrap_data_keys(
    wrapped_by_item: Mapping[str, bytes], recipient_private_raw: bytes
) -> dict[str, bytes | None]:
    """Many wraps for one reader: the private key is rebuilt once (half the cost of a wrap).

    Each item id maps to its data key, or None where that wrap fails as unwrap_data_key would.
    """
    private_key = _load_reader(recipient_private_raw)
    keys: dict[str, bytes | None] = {}
    for item_id, wrapped in wrapped_by_item.items():
        try:
            keys[item_id] = _unwrap_with(wrapped, private_key, item_id)
        except DecryptionError:
            keys[item_id] = None
    return keys


def seal(
    item_id: str, kind: str, plaintext: bytes, recipients: Mapping[K, bytes]
) -> tuple[bytes, dict[K, bytes]]:
    """Encrypt one item under a fresh data key and wrap that key once per recipient."""
    if not recipients:
        raise ValueError("no recipients: nobody could ever read this item")
    data_key = new_data_key()
    blob = encrypt_item(data_key, item_id, kind, plaintext)
    wraps = {ref: wrap_data_key(data_key, public, item_id) for ref, public in recipients.items()}
    return blob, wraps


def open_sealed(item_id: str, kind: str, blob: bytes, wrapped: bytes, private_raw: bytes) -> bytes:
    """Unwrap with the reader's private key, then decrypt; DecryptionError on any failure."""
    return decrypt_item(unwrap_data_key(wrapped, private_raw, item_id), item_id, kind, blob)
