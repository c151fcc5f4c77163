"""Envelope encryption: round trips, binding of id/kind/version, tampering, recipients."""

import pytest

from intake.crypto import (
    FORMAT_VERSION,
    DecryptionError,
    decrypt_item,
    encrypt_item,
    generate_keypair,
    new_data_key,
    open_sealed,
    seal,
    unwrap_data_key,
    unwrap_data_keys,
    wrap_data_key,
)
from tests.crypto.helpers import flipped, truncations

UNICODE = "Меня задержали у офиса. Кыргызча: ң ө ү Ң Ө Ү. Oʻzbekcha: oʻ gʻ Oʻ Gʻ. 😀"


@pytest.fixture(scope="module")
def alice():
    return generate_keypair()


@pytest.fixture(scope="module")
def bob():
    return generate_keypair()


def test_data_keys_are_fresh_32_bytes():
    keys = {new_data_key() for _ in range(20)}
    assert len(keys) == 20 and all(len(k) == 32 for k in keys)


@pytest.mark.parametrize("plaintext", [b"", b"x", UNICODE.encode(), bytes(range(256)) * 100])
def test_item_round_trip(plaintext):
    key = new_data_key()
    blob = encrypt_item(key, "item-1", "report", plaintext)
    assert blob[0] == FORMAT_VERSION == 1
    assert len(blob) == 1 + 12 + len(plaintext) + 16
    assert decrypt_item(key, "item-1", "report", blob) == plaintext


def test_unicode_round_trip_text():
    key = new_data_key()
    blob = encrypt_item(key, "элемент-ң", "note", UNICODE.encode())
    assert decrypt_item(key, "элемент-ң", "note", blob).decode() == UNICODE


def test_encryption_is_randomised():
    key = new_data_key()
    assert encrypt_item(key, "i", "k", b"same") != encrypt_item(key, "i", "k", b"same")


def test_every_flipped_byte_and_truncation_fails():
    key = new_data_key()
    blob = encrypt_item(key, "item-1", "report", b"short secret text")
    for bad in [*flipped(blob), *flipped(blob, 0x80), *truncations(blob), blob + b"\x00"]:
        with pytest.raises(DecryptionError):
            decrypt_item(key, "item-1", "report", bad)


@pytest.mark.parametrize(
    ("item_id", "kind"),
    [
        ("item-2", "report"),
        ("item-1", "reply"),
        ("item-1report", ""),
        ("", "reportitem-1"),
        ("report", "item-1"),
        ("item-1\x00", "report"),
        ("item-1", "report\x00"),
    ],
)
def test_wrong_id_or_kind_fails(item_id, kind):
    key = new_data_key()
    blob = encrypt_item(key, "item-1", "report", b"data")
    with pytest.raises(DecryptionError):
        decrypt_item(key, item_id, kind, blob)


def test_wrong_key_and_version_fail():
    key = new_data_key()
    blob = encrypt_item(key, "i", "k", b"data")
    for bad_key in (new_data_key(), b"", key[:16]):
        with pytest.raises(DecryptionError):
            decrypt_item(bad_key, "i", "k", blob)
    with pytest.raises(DecryptionError):
        decrypt_item(key, "i", "k", bytes([2]) + blob[1:])


def test_encrypt_rejects_short_key():
    with pytest.raises(ValueError):
        encrypt_item(b"k" * 16, "i", "k", b"data")


def test_wrap_round_trip(alice):
    private_raw, public_raw = alice
    key = new_data_key()
    wrapped = wrap_data_key(key, public_raw, "item-1")
    assert wrapped[0] == FORMAT_VERSION
    assert unwrap_data_key(wrapped, private_raw, "item-1") == key


def test_batch_unwrap_matches_single_and_isolates_failures(alice, bob):
    private_raw, public_raw = alice
    keys = {f"item-{n}": new_data_key() for n in range(3)}
    wrapped = {i: wrap_data_key(k, public_raw, i) for i, k in keys.items()}
    wrapped["item-1"] = wrapped["item-1"][:-1] + bytes([wrapped["item-1"][-1] ^ 1])
    wrapped["moved"] = wrapped["item-0"]  # a wrap copied onto another item's id
    wrapped["for-bob"] = wrap_data_key(new_data_key(), bob[1], "for-bob")
    got = unwrap_data_keys(wrapped, private_raw)
    assert got == {"item-0": keys["item-0"], "item-1": None, "item-2": keys["item-2"],
                   "moved": None, "for-bob": None}
    assert got["item-2"] == unwrap_data_key(wrapped["item-2"], private_raw, "item-2")
    with pytest.raises(DecryptionError):
        unwrap_data_keys(wrapped, b"short")


def test_wrap_every_flipped_byte_fails(alice):
    private_raw, public_raw = alice
    wrapped = wrap_data_key(new_data_key(), public_raw, "item-1")
    for bad in flipped(wrapped):
        with pytest.raises(DecryptionError):
            unwrap_data_key(bad, private_raw, "item-1")


def test_wrap_truncated_or_extended_fails(alice):
    private_raw, public_raw = alice
    wrapped = wrap_data_key(new_data_key(), public_raw, "item-1")
    for bad in [wrapped[:n] for n in (0, 1, 100, 1120, 1121, len(wrapped) - 1)] + [wrapped + b"x"]:
        with pytest.raises(DecryptionError):
            unwrap_data_key(bad, private_raw, "item-1")


def test_wrap_bound_to_item_and_recipient(alice, bob):
    wrapped = wrap_data_key(new_data_key(), alice[1], "item-1")
    with pytest.raises(DecryptionError):
        unwrap_data_key(wrapped, alice[0], "item-2")
    with pytest.raises(DecryptionError):
        unwrap_data_key(wrapped, bob[0], "item-1")
    with pytest.raises(DecryptionError):
        unwrap_data_key(wrapped, b"short private key", "item-1")


def test_wrap_rejects_bad_inputs(alice):
    with pytest.raises(ValueError):
        wrap_data_key(b"short", alice[1], "i")
    with pytest.raises(ValueError):
        wrap_data_key(new_data_key(), b"not a key", "i")


def test_seal_and_open_for_each_recipient(alice, bob):
    blob, wraps = seal("item-9", "reply", UNICODE.encode(), {"alice": alice[1], 7: bob[1]})
    assert set(wraps) == {"alice", 7}
    assert open_sealed("item-9", "reply", blob, wraps["alice"], alice[0]).decode() == UNICODE
    assert open_sealed("item-9", "reply", blob, wraps[7], bob[0]).decode() == UNICODE
    with pytest.raises(DecryptionError):
        open_sealed("item-9", "reply", blob, wraps["alice"], bob[0])
    with pytest.raises(DecryptionError):
        open_sealed("item-9", "note", blob, wraps["alice"], alice[0])
    with pytest.raises(DecryptionError):
        open_sealed("item-8", "reply", blob, wraps["alice"], alice[0])


def test_seal_uses_a_fresh_key_per_item(alice):
    blob1, wraps1 = seal("a", "k", b"x", {1: alice[1]})
    blob2, wraps2 = seal("a", "k", b"x", {1: alice[1]})
    assert unwrap_data_key(wraps1[1], alice[0], "a") != unwrap_data_key(wraps2[1], alice[0], "a")
    with pytest.raises(DecryptionError):  # a wrap of another item's key does not open this one
        open_sealed("a", "k", blob1, wraps2[1], alice[0])


def test_seal_without_recipients_refuses():
    with pytest.raises(ValueError):
        seal("a", "k", b"x", {})
