"""Known-answer tests: if any of these change, the on-disk format changed (bump the version)."""

import hashlib

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from intake.crypto import (
    DecryptionError,
    ItemBinding,
    decrypt_item,
    fingerprint,
    keypair_from_seed,
    stream_associated_data,
    unwrap_data_key,
)
from intake.crypto import stream as stream_mod
from intake.crypto.envelope import SUITE, _encrypt_item_with_nonce
from intake.crypto.keys import load_private as keypair_private
from intake.crypto.stream import StreamDecryptor, StreamEncryptor
from tests.crypto import vectors as v


def _lp(*parts):
    """The framing spelled out independently: 4-byte big-endian length ‖ bytes, per field."""
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


# Version 1 vectors carry no case: any case id opens them (the documented limit of v1).
V1 = ItemBinding(v.ITEM_ID, v.ITEM_KIND, "any-case")
V2 = ItemBinding(v.ITEM2_ID, v.ITEM2_KIND, v.ITEM2_CASE, v.ITEM2_PARENT)


def test_item_vector_encrypts_to_fixed_hex():
    out = _encrypt_item_with_nonce(v.ITEM_KEY, V1, v.ITEM_PLAINTEXT, v.ITEM_NONCE, version=1)
    assert out == v.ITEM_CIPHERTEXT


def test_item_vector_decrypts():
    assert decrypt_item(v.ITEM_KEY, V1, v.ITEM_CIPHERTEXT) == v.ITEM_PLAINTEXT


def test_item2_vector_encrypts_to_fixed_hex():
    assert _encrypt_item_with_nonce(v.ITEM_KEY, V2, v.ITEM_PLAINTEXT, v.ITEM_NONCE) == (
        v.ITEM2_CIPHERTEXT)
    assert decrypt_item(v.ITEM_KEY, V2, v.ITEM2_CIPHERTEXT) == v.ITEM_PLAINTEXT


def test_item2_vector_layout_matches_spec():
    aad = _lp(b"intake/item", b"\x02", v.ITEM2_KIND.encode(), v.ITEM2_ID.encode(),
              v.ITEM2_CASE.encode(), v.ITEM2_PARENT.encode())
    assert v.ITEM2_CIPHERTEXT[0] == 2 and v.ITEM2_CIPHERTEXT[1:13] == v.ITEM_NONCE
    plain = AESGCM(v.ITEM_KEY).decrypt(v.ITEM_NONCE, v.ITEM2_CIPHERTEXT[13:], aad)
    assert plain == v.ITEM_PLAINTEXT


@pytest.mark.parametrize("where", [
    ItemBinding(v.ITEM2_ID, v.ITEM2_KIND, "case-0002", v.ITEM2_PARENT),
    ItemBinding(v.ITEM2_ID, v.ITEM2_KIND, v.ITEM2_CASE, None),
])
def test_item2_vector_refuses_another_case_or_parent(where):
    with pytest.raises(DecryptionError):
        decrypt_item(v.ITEM_KEY, where, v.ITEM2_CIPHERTEXT)


def test_item_vector_layout_matches_spec():
    aad = _lp(b"intake/item", b"\x01", v.ITEM_KIND.encode(), v.ITEM_ID.encode())
    assert v.ITEM_CIPHERTEXT[0] == 1 and v.ITEM_CIPHERTEXT[1:13] == v.ITEM_NONCE
    plain = AESGCM(v.ITEM_KEY).decrypt(v.ITEM_NONCE, v.ITEM_CIPHERTEXT[13:], aad)
    assert plain == v.ITEM_PLAINTEXT


def test_seed_gives_fixed_keypair():
    private_raw, public_raw = keypair_from_seed(v.SEED)
    assert private_raw == v.SEED
    assert hashlib.sha256(public_raw).hexdigest() == v.PUBLIC_SHA256
    assert fingerprint(public_raw) == v.PUBLIC_FINGERPRINT


def test_fixed_wrap_unwraps():
    private_raw, _ = keypair_from_seed(v.SEED)
    assert unwrap_data_key(v.WRAP, private_raw, ItemBinding(v.WRAP_ITEM_ID, "report", "c")) == (
        v.WRAP_DATA_KEY)


def test_fixed_wrap2_unwraps_and_matches_spec():
    private_raw, _ = keypair_from_seed(v.SEED)
    assert unwrap_data_key(v.WRAP2, private_raw, V2) == v.WRAP_DATA_KEY
    info = _lp(b"intake/wrap", b"\x02", v.ITEM2_KIND.encode(), v.ITEM2_ID.encode(),
               v.ITEM2_CASE.encode(), v.ITEM2_PARENT.encode())
    assert v.WRAP2[0] == 2
    assert SUITE.decrypt(v.WRAP2[1:], keypair_private(private_raw), info=info) == v.WRAP_DATA_KEY
    moved = ItemBinding(v.ITEM2_ID, v.ITEM2_KIND, "case-0002", v.ITEM2_PARENT)
    with pytest.raises(DecryptionError):
        unwrap_data_key(v.WRAP2, private_raw, moved)


def _aad():
    return stream_associated_data(v.STREAM_ITEM_ID, v.STREAM_KIND)


def test_stream_aad_layout():
    expected = _lp(b"intake/stream", b"\x01", v.STREAM_KIND.encode(), v.STREAM_ITEM_ID.encode())
    assert _aad() == expected


def test_small_stream_vector_decrypts_and_matches_spec():
    dec = StreamDecryptor(v.STREAM_KEY, _aad())
    assert dec.update(v.STREAM_SMALL) + dec.finalize() == v.STREAM_SMALL_PLAINTEXT
    assert v.STREAM_SMALL[:8] == b"\x01" + v.STREAM_PREFIX
    nonce = v.STREAM_PREFIX + (0).to_bytes(4, "big") + b"\x01"
    plain = AESGCM(v.STREAM_KEY).decrypt(nonce, v.STREAM_SMALL[8:], _aad())
    assert plain == v.STREAM_SMALL_PLAINTEXT


def test_stream_vectors_encrypt_to_fixed_output(monkeypatch):
    monkeypatch.setattr(stream_mod, "_new_prefix", lambda: v.STREAM_PREFIX)
    enc = StreamEncryptor(v.STREAM_KEY, _aad())
    assert enc.update(v.STREAM_SMALL_PLAINTEXT) + enc.finalize() == v.STREAM_SMALL
    enc = StreamEncryptor(v.STREAM_KEY, _aad())
    big = enc.update(v.STREAM_BIG_PLAINTEXT) + enc.finalize()
    assert len(big) == v.STREAM_BIG_LEN
    assert hashlib.sha256(big).hexdigest() == v.STREAM_BIG_SHA256
    dec = StreamDecryptor(v.STREAM_KEY, _aad())
    assert dec.update(big) + dec.finalize() == v.STREAM_BIG_PLAINTEXT
