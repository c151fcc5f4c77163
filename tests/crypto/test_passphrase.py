"""Staff passphrases: Argon2id hashes, the KEK and the wrapped private key."""

import unicodedata

import pytest

from intake.crypto import (
    TEST_FAST,
    Argon2Params,
    DecryptionError,
    derive_kek,
    generate_keypair,
    hash_passphrase,
    unwrap_private_key,
    verify_passphrase,
    wrap_private_key,
)
from tests.crypto.helpers import flipped

PASS = "Тоо башы ң ө ү oʻ gʻ — correct horse"
SALT = bytes(range(16))


def test_hash_and_verify():
    encoded = hash_passphrase(PASS, TEST_FAST)
    assert encoded.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert verify_passphrase(encoded, PASS)
    assert not verify_passphrase(encoded, PASS + " ")
    assert not verify_passphrase(encoded, "")
    assert hash_passphrase(PASS, TEST_FAST) != encoded  # salted


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "nonsense",
        "$argon2id$",
        "$argon2id$v=19$m=1024,t=1,p=1$AAAA$BBBB",
        "$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaA",
        "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
        "$argon2id$ünïcode",
    ],
)
def test_verify_never_raises_on_malformed_hashes(encoded):
    assert verify_passphrase(encoded, PASS) is False


def test_unicode_normalisation_is_consistent():
    nfd = unicodedata.normalize("NFD", "Йод ёж")
    nfc = unicodedata.normalize("NFC", "Йод ёж")
    assert nfd != nfc
    assert verify_passphrase(hash_passphrase(nfd, TEST_FAST), nfc)
    assert derive_kek(nfd, SALT, TEST_FAST) == derive_kek(nfc, SALT, TEST_FAST)


def test_derive_kek():
    kek = derive_kek(PASS, SALT, TEST_FAST)
    assert len(kek) == 32
    assert kek == derive_kek(PASS, SALT, TEST_FAST)
    assert kek != derive_kek(PASS, bytes(16), TEST_FAST)
    assert kek != derive_kek(PASS + "!", SALT, TEST_FAST)
    assert kek != derive_kek(PASS, SALT, Argon2Params(2, 1024, 1))


def test_derive_kek_rejects_short_salt():
    with pytest.raises(ValueError):
        derive_kek(PASS, bytes(15), TEST_FAST)


def test_params_validation():
    with pytest.raises(ValueError):
        Argon2Params(0, 1024, 1)
    with pytest.raises(ValueError):
        Argon2Params(1, 8, 4)


def test_wrap_private_key_round_trip_and_failures():
    private_raw, _ = generate_keypair()
    kek = derive_kek(PASS, SALT, TEST_FAST)
    blob = wrap_private_key(private_raw, kek, "staff-1")
    assert unwrap_private_key(blob, kek, "staff-1") == private_raw
    wrong = derive_kek("wrong passphrase", SALT, TEST_FAST)
    with pytest.raises(DecryptionError):
        unwrap_private_key(blob, wrong, "staff-1")
    with pytest.raises(DecryptionError):
        unwrap_private_key(blob, kek, "staff-2")
    for bad in flipped(blob):
        with pytest.raises(DecryptionError):
            unwrap_private_key(bad, kek, "staff-1")


def test_passphrase_change_rewraps_same_key():
    private_raw, _ = generate_keypair()
    old = derive_kek("old", SALT, TEST_FAST)
    new = derive_kek("new", bytes(range(16, 32)), TEST_FAST)
    stored = wrap_private_key(private_raw, old, "s")
    rewrapped = wrap_private_key(unwrap_private_key(stored, old, "s"), new, "s")
    assert unwrap_private_key(rewrapped, new, "s") == private_raw


def test_hash_carries_its_parameters_and_says_when_to_rehash():
    from intake.crypto import hash_needs_rehash, hash_params

    encoded = hash_passphrase(PASS, TEST_FAST)
    assert hash_params(encoded) == TEST_FAST
    assert not hash_needs_rehash(encoded, TEST_FAST)
    for other in (Argon2Params(2, 1024, 1), Argon2Params(1, 2048, 1), Argon2Params(1, 1024, 2)):
        assert hash_needs_rehash(encoded, other)
    for junk in ("", "not a hash", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
                 "$argon2id$v=19$m=x,t=1,p=1$AAAA$AAAA"):
        assert hash_params(junk) is None
        assert hash_needs_rehash(junk, TEST_FAST)


def test_verification_hash_is_argon2id_with_16_byte_salt_and_32_byte_hash():
    encoded = hash_passphrase(PASS, TEST_FAST)
    assert encoded.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    salt, digest = encoded.split("$")[-2:]
    assert len(salt) == 22 and len(digest) == 43  # unpadded base64 of 16 and 32 bytes


def test_params_memory_boundary_is_eight_kib_per_lane():
    assert Argon2Params(1, 8, 1).memory_cost_kib == 8
    assert Argon2Params(1, 32, 4).parallelism == 4
    for memory, lanes in ((7, 1), (31, 4)):
        with pytest.raises(ValueError, match="8 × parallelism"):
            Argon2Params(1, memory, lanes)
