"""Purpose-bound secrets (TOTP seeds, wrapped private keys) and the session split key."""

import pytest

from intake.crypto import (
    DecryptionError,
    generate_keypair,
    new_session_key,
    open_secret,
    seal_secret,
    unwrap_for_session,
    wrap_for_session,
)
from tests.crypto.helpers import flipped, truncations

KEY = bytes(range(32))


def test_round_trip_and_layout():
    blob = seal_secret(KEY, "totp", "staff-1", b"JBSWY3DPEHPK3PXP")
    assert blob[0] == 1 and len(blob) == 1 + 12 + 16 + 16
    assert open_secret(KEY, "totp", "staff-1", blob) == b"JBSWY3DPEHPK3PXP"
    assert seal_secret(KEY, "totp", "staff-1", b"x") != seal_secret(KEY, "totp", "staff-1", b"x")


def test_unicode_secret():
    text = "Кыргызча ң ө ү, oʻ gʻ".encode()
    blob = seal_secret(KEY, "totp", "сотрудник", text)
    assert open_secret(KEY, "totp", "сотрудник", blob) == text


def test_every_flip_and_truncation_fails():
    blob = seal_secret(KEY, "totp", "staff-1", b"secret")
    for bad in [*flipped(blob), *truncations(blob)]:
        with pytest.raises(DecryptionError):
            open_secret(KEY, "totp", "staff-1", bad)


@pytest.mark.parametrize(
    ("key", "purpose", "bound_id"),
    [
        (bytes(32), "totp", "staff-1"),
        (KEY, "staff-private-key", "staff-1"),
        (KEY, "totp", "staff-2"),
        (KEY, "totpstaff-1", ""),
        (KEY, "", "totpstaff-1"),
        (KEY[:16], "totp", "staff-1"),
    ],
)
def test_binding(key, purpose, bound_id):
    blob = seal_secret(KEY, "totp", "staff-1", b"secret")
    with pytest.raises(DecryptionError):
        open_secret(key, purpose, bound_id, blob)


def test_seal_rejects_short_key():
    with pytest.raises(ValueError):
        seal_secret(b"short", "totp", "x", b"data")


def test_session_split_key():
    private_raw, _ = generate_keypair()
    key = new_session_key()
    assert len(key) == 32 and key != new_session_key()
    blob = wrap_for_session(private_raw, key, "session-hash")
    assert unwrap_for_session(blob, key, "session-hash") == private_raw
    cases = ((new_session_key(), "session-hash"), (key, "other"), (b"", "session-hash"))
    for bad_key, sid in cases:
        with pytest.raises(DecryptionError):
            unwrap_for_session(blob, bad_key, sid)
    for bad in flipped(blob):
        with pytest.raises(DecryptionError):
            unwrap_for_session(bad, key, "session-hash")


def test_session_wrap_is_not_a_staff_key_wrap():
    from intake.crypto import unwrap_private_key

    private_raw, _ = generate_keypair()
    key = new_session_key()
    blob = wrap_for_session(private_raw, key, "id-1")
    with pytest.raises(DecryptionError):
        unwrap_private_key(blob, key, "id-1")


def test_session_wrap_rejects_wrong_private_length():
    with pytest.raises(ValueError):
        wrap_for_session(b"x" * 95, new_session_key(), "s")


def test_blob_built_from_the_spec_opens():
    """AAD = frame("intake/secret", version 1, purpose, owner): built here by hand, not by us."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    def field(raw: bytes) -> bytes:
        return len(raw).to_bytes(4, "big") + raw

    aad = field(b"intake/secret") + field(b"\x01") + field(b"totp") + field(b"staff-1")
    nonce = bytes(12)
    blob = b"\x01" + nonce + AESGCM(KEY).encrypt(nonce, b"seed", aad)
    assert open_secret(KEY, "totp", "staff-1", blob) == b"seed"
