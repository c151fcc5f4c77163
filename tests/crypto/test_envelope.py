"""Envelope encryption: round trips, binding of id/kind/case/parent/version, tampering,
recipients, and version-1 items (bound to id and kind only) still opening."""

import pytest

from intake.crypto import (
    FORMAT_VERSION,
    UNBOUND_VERSION,
    DecryptionError,
    ItemBinding,
    decrypt_item,
    encrypt_item,
    generate_keypair,
    load_public,
    new_data_key,
    open_sealed,
    seal,
    unwrap_data_key,
    unwrap_data_keys,
    wrap_data_key,
)
from intake.crypto.binding import wrap_info
from intake.crypto.envelope import SUITE, _encrypt_item_with_nonce
from tests.crypto.helpers import flipped, truncations

UNICODE = "Меня задержали у офиса. Кыргызча: ң ө ү Ң Ө Ү. Oʻzbekcha: oʻ gʻ Oʻ Gʻ. 😀"


def B(item_id="item-1", kind="report", case_id="case-A", parent_id=None):  # noqa: N802
    """A binding with defaults, so each test names only what it changes."""
    return ItemBinding(item_id, kind, case_id, parent_id)


def v1_wrap(data_key, public_raw, binding):
    """A wrap as version 1 wrote it (HPKE info = item id only), for the compatibility tests."""
    sealed = SUITE.encrypt(data_key, load_public(public_raw), info=wrap_info(binding, 1))
    return bytes([1]) + sealed


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
    blob = encrypt_item(key, B(), plaintext)
    assert blob[0] == FORMAT_VERSION == 2
    assert len(blob) == 1 + 12 + len(plaintext) + 16
    assert decrypt_item(key, B(), blob) == plaintext


def test_unicode_round_trip_text():
    key = new_data_key()
    binding = B("элемент-ң", "note", "дело-ө", "родитель-ү")
    blob = encrypt_item(key, binding, UNICODE.encode())
    assert decrypt_item(key, binding, blob).decode() == UNICODE


def test_encryption_is_randomised():
    key = new_data_key()
    assert encrypt_item(key, B(), b"same") != encrypt_item(key, B(), b"same")


def test_every_flipped_byte_and_truncation_fails():
    key = new_data_key()
    blob = encrypt_item(key, B(), b"short secret text")
    for bad in [*flipped(blob), *flipped(blob, 0x80), *truncations(blob), blob + b"\x00"]:
        with pytest.raises(DecryptionError):
            decrypt_item(key, B(), bad)


ELSEWHERE = [
    B(item_id="item-2"),
    B(kind="reply"),
    B(case_id="case-B"),  # moved to another case
    B(parent_id="item-0"),  # given a parent it never had
    B(item_id="item-1report", kind="x"),
    B(item_id="item-1", kind="report", case_id="", parent_id="case-A"),  # fields shifted
    B(item_id="item-1\x00"),
    B(case_id="case-A\x00"),
]


@pytest.mark.parametrize("other", ELSEWHERE)
def test_item_opens_only_where_it_was_sealed(other):
    key = new_data_key()
    blob = encrypt_item(key, B(), b"data")
    with pytest.raises(DecryptionError):
        decrypt_item(key, other, blob)


def test_parent_is_bound_both_ways():
    key = new_data_key()
    child = B("att-1", "attachment", "case-A", "report-1")
    blob = encrypt_item(key, child, b"meta")
    for other in (B("att-1", "attachment", "case-A", None),
                  B("att-1", "attachment", "case-A", "followup-1"),
                  B("att-1", "attachment", "case-B", "report-1")):
        with pytest.raises(DecryptionError):
            decrypt_item(key, other, blob)


def test_binding_refuses_empty_fields():
    with pytest.raises(ValueError):
        ItemBinding("", "report", "case-A")
    with pytest.raises(ValueError):
        ItemBinding("item-1", "", "case-A")
    with pytest.raises(ValueError):
        ItemBinding("item-1", "report", "case-A", "")


def test_wrong_key_and_unknown_version_fail():
    key = new_data_key()
    blob = encrypt_item(key, B(), b"data")
    for bad_key in (new_data_key(), b"", key[:16]):
        with pytest.raises(DecryptionError):
            decrypt_item(bad_key, B(), blob)
    for version in (0, 3, 255):
        with pytest.raises(DecryptionError):
            decrypt_item(key, B(), bytes([version]) + blob[1:])
    with pytest.raises(DecryptionError):
        decrypt_item(key, B(), b"")


def test_version_2_item_relabelled_version_1_does_not_open_anywhere():
    """The downgrade an attacker would try: mark a bound item as unbound, then move it."""
    key = new_data_key()
    blob = encrypt_item(key, B(), b"data")
    relabelled = bytes([UNBOUND_VERSION]) + blob[1:]
    for where in (B(), B(case_id="case-B")):
        with pytest.raises(DecryptionError):
            decrypt_item(key, where, relabelled)


def test_version_1_item_still_opens_and_is_not_bound_to_its_case():
    """Items stored before format 2 stay readable; they are bound to id and kind only, which
    is the documented limit (docs/decisions.md): moving one is not detected."""
    key = new_data_key()
    old = _encrypt_item_with_nonce(key, B(), b"old report", bytes(12), version=UNBOUND_VERSION)
    assert old[0] == 1
    assert decrypt_item(key, B(), old) == b"old report"
    assert decrypt_item(key, B(case_id="case-B", parent_id="p"), old) == b"old report"
    for other in (B(item_id="item-2"), B(kind="note")):
        with pytest.raises(DecryptionError):
            decrypt_item(key, other, old)


def test_encrypt_rejects_short_key():
    with pytest.raises(ValueError):
        encrypt_item(b"k" * 16, B(), b"data")


def test_wrap_round_trip(alice):
    private_raw, public_raw = alice
    key = new_data_key()
    wrapped = wrap_data_key(key, public_raw, B())
    assert wrapped[0] == FORMAT_VERSION
    assert unwrap_data_key(wrapped, private_raw, B()) == key


@pytest.mark.parametrize("other", ELSEWHERE)
def test_wrap_opens_only_where_it_was_made(alice, other):
    wrapped = wrap_data_key(new_data_key(), alice[1], B())
    with pytest.raises(DecryptionError):
        unwrap_data_key(wrapped, alice[0], other)


def test_version_1_wrap_still_unwraps_and_relabelling_fails(alice):
    private_raw, public_raw = alice
    key = new_data_key()
    old = v1_wrap(key, public_raw, B())
    assert unwrap_data_key(old, private_raw, B()) == key
    assert unwrap_data_key(old, private_raw, B(case_id="case-B")) == key  # the documented limit
    with pytest.raises(DecryptionError):
        unwrap_data_key(old, private_raw, B(item_id="item-2"))
    new = wrap_data_key(key, public_raw, B())
    with pytest.raises(DecryptionError):
        unwrap_data_key(bytes([UNBOUND_VERSION]) + new[1:], private_raw, B())
    with pytest.raises(DecryptionError):
        unwrap_data_key(bytes([3]) + new[1:], private_raw, B())


def test_batch_unwrap_matches_single_and_isolates_failures(alice, bob):
    private_raw, public_raw = alice
    keys = {f"item-{n}": new_data_key() for n in range(3)}
    wrapped = {B(i): wrap_data_key(k, public_raw, B(i)) for i, k in keys.items()}
    damaged = wrapped[B("item-1")]
    wrapped[B("item-1")] = damaged[:-1] + bytes([damaged[-1] ^ 1])
    wrapped[B("moved")] = wrapped[B("item-0")]  # a wrap copied onto another item's id
    wrapped[B("item-2", case_id="case-B")] = wrapped.pop(B("item-2"))  # moved to case B
    wrapped[B("for-bob")] = wrap_data_key(new_data_key(), bob[1], B("for-bob"))
    wrapped[B("old")] = v1_wrap(keys["item-0"], public_raw, B("old"))
    got = unwrap_data_keys(wrapped, private_raw)
    assert got == {"item-0": keys["item-0"], "item-1": None, "item-2": None,
                   "moved": None, "for-bob": None, "old": keys["item-0"]}
    assert got["item-0"] == unwrap_data_key(wrapped[B("item-0")], private_raw, B("item-0"))
    with pytest.raises(DecryptionError):
        unwrap_data_keys(wrapped, b"short")


def test_wrap_every_flipped_byte_fails(alice):
    private_raw, public_raw = alice
    wrapped = wrap_data_key(new_data_key(), public_raw, B())
    for bad in flipped(wrapped):
        with pytest.raises(DecryptionError):
            unwrap_data_key(bad, private_raw, B())


def test_wrap_truncated_or_extended_fails(alice):
    private_raw, public_raw = alice
    wrapped = wrap_data_key(new_data_key(), public_raw, B())
    for bad in [wrapped[:n] for n in (0, 1, 100, 1120, 1121, len(wrapped) - 1)] + [wrapped + b"x"]:
        with pytest.raises(DecryptionError):
            unwrap_data_key(bad, private_raw, B())


def test_wrap_bound_to_recipient(alice, bob):
    wrapped = wrap_data_key(new_data_key(), alice[1], B())
    with pytest.raises(DecryptionError):
        unwrap_data_key(wrapped, bob[0], B())
    with pytest.raises(DecryptionError):
        unwrap_data_key(wrapped, b"short private key", B())


def test_wrap_rejects_bad_inputs(alice):
    with pytest.raises(ValueError):
        wrap_data_key(b"short", alice[1], B())
    with pytest.raises(ValueError):
        wrap_data_key(new_data_key(), b"not a key", B())


def test_seal_and_open_for_each_recipient(alice, bob):
    reply = B("item-9", "reply", "case-A")
    blob, wraps = seal(reply, UNICODE.encode(), {"alice": alice[1], 7: bob[1]})
    assert set(wraps) == {"alice", 7}
    assert open_sealed(reply, blob, wraps["alice"], alice[0]).decode() == UNICODE
    assert open_sealed(reply, blob, wraps[7], bob[0]).decode() == UNICODE
    with pytest.raises(DecryptionError):
        open_sealed(reply, blob, wraps["alice"], bob[0])
    for other in (B("item-9", "note", "case-A"), B("item-8", "reply", "case-A"),
                  B("item-9", "reply", "case-B")):
        with pytest.raises(DecryptionError):
            open_sealed(other, blob, wraps["alice"], alice[0])


def test_seal_uses_a_fresh_key_per_item(alice):
    blob1, wraps1 = seal(B("a"), b"x", {1: alice[1]})
    blob2, wraps2 = seal(B("a"), b"x", {1: alice[1]})
    assert unwrap_data_key(wraps1[1], alice[0], B("a")) != unwrap_data_key(
        wraps2[1], alice[0], B("a"))
    with pytest.raises(DecryptionError):  # a wrap of another item's key does not open this one
        open_sealed(B("a"), blob1, wraps2[1], alice[0])


def test_seal_without_recipients_refuses():
    with pytest.raises(ValueError):
        seal(B("a"), b"x", {})
