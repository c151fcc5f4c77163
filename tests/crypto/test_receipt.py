"""Reporter receipt codes: format, entropy, normalisation and the single derivation."""

import re

import pytest

from intake.crypto import (
    RECEIPT_DIGITS,
    TEST_FAST,
    DecryptionError,
    ItemBinding,
    derive_receipt_keys,
    generate_code,
    keypair_from_seed,
    normalize_code,
    open_sealed,
    seal,
)

SALT = bytes(range(16))
CODE = "40213 99812 00001 73650 12345 67890"
DIGITS = CODE.replace(" ", "")


def test_generate_code_format():
    for _ in range(200):
        code = generate_code()
        assert re.fullmatch(r"\d{5}( \d{5}){5}", code)
        assert normalize_code(code) == code.replace(" ", "")
    assert RECEIPT_DIGITS == 30
    assert 10**RECEIPT_DIGITS >= 2**96


def test_generate_code_entropy():
    codes = [generate_code().replace(" ", "") for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    digits = "".join(codes)
    counts = [digits.count(str(d)) for d in range(10)]
    expected = len(digits) / 10
    assert all(abs(c - expected) < 0.1 * expected for c in counts)  # roughly uniform
    assert any(c.startswith("0") for c in codes)  # leading zeros are kept
    # Uniform at every position too: a code drawn from a range wider than 10**30 and cut
    # to 30 digits would favour small leading digits (a guesser would start there). Each
    # count is ~200 ± 13; the bound is over 5 standard deviations.
    for position in range(RECEIPT_DIGITS):
        column = [c[position] for c in codes]
        assert all(abs(column.count(str(d)) - 200) < 70 for d in range(10)), position


@pytest.mark.parametrize(
    "text",
    [
        CODE,
        DIGITS,
        "40213-99812-00001-73650-12345-67890",
        "40213.99812.00001.73650.12345.67890",
        "  40213 — 99812 – 00001\t73650\n12345_67890  ",
        "40213\u00a099812\u200b00001\u200f73650\u202f12345\u221267890",
        "٤٠٢١٣ ٩٩٨١٢ ٠٠٠٠١ ٧٣٦٥٠ ١٢٣٤٥ ٦٧٨٩٠",  # Arabic-Indic
        "۴۰۲۱۳ ۹۹۸۱۲ ۰۰۰۰۱ ۷۳۶۵۰ ۱۲۳۴۵ ۶۷۸۹۰",  # Extended Arabic-Indic (Persian)
        "४०२१३ ९९८१२ ०००० १७३६५० १२३४५ ६७८९०",  # Devanagari
        "４０２１３ ９９８１２ ００００１ ７３６５０ １２３４５ ６７８９０",  # full-width
    ],
)
def test_normalisation(text):
    assert normalize_code(text) == DIGITS


@pytest.mark.parametrize(
    "text",
    ["", DIGITS[:-1], DIGITS + "1", DIGITS[:10] + "O" + DIGITS[11:], DIGITS + "x",
     "²" + DIGITS[1:], "1" * 1000, "40213 99812"],
)
def test_normalisation_rejects(text):
    assert normalize_code(text) is None


def test_derivation_is_deterministic_and_spelling_independent():
    a = derive_receipt_keys(CODE, SALT, TEST_FAST)
    b = derive_receipt_keys("٤٠٢١٣-٩٩٨١٢-٠٠٠٠١-٧٣٦٥٠-١٢٣٤٥-٦٧٨٩٠", SALT, TEST_FAST)
    assert a == b
    assert len(a.lookup_id) == 32 and len(a.reply_private) == 96 and len(a.reply_public) == 1216
    assert keypair_from_seed(a.reply_private) == (a.reply_private, a.reply_public)
    assert a.lookup_id not in a.reply_private


def test_different_codes_and_salts_give_different_keys():
    a = derive_receipt_keys(CODE, SALT, TEST_FAST)
    other = derive_receipt_keys(CODE[:-1] + "1", SALT, TEST_FAST)
    salted = derive_receipt_keys(CODE, bytes(16), TEST_FAST)
    assert len({a.lookup_id, other.lookup_id, salted.lookup_id}) == 3
    assert len({a.reply_public, other.reply_public, salted.reply_public}) == 3


def test_invalid_code_or_salt_raises():
    with pytest.raises(ValueError):
        derive_receipt_keys("12345", SALT, TEST_FAST)
    with pytest.raises(ValueError):
        derive_receipt_keys(CODE, bytes(8), TEST_FAST)


def test_reply_reaches_only_the_reporter():
    keys = derive_receipt_keys(CODE, SALT, TEST_FAST)
    reply = ItemBinding("reply-1", "reply", "case-1")
    blob, wraps = seal(reply, "Ответ ң ө ү".encode(), {"reporter": keys.reply_public})
    again = derive_receipt_keys(CODE, SALT, TEST_FAST)
    opened = open_sealed(reply, blob, wraps["reporter"], again.reply_private)
    assert opened.decode() == "Ответ ң ө ү"
    wrong = derive_receipt_keys(generate_code(), SALT, TEST_FAST)
    with pytest.raises(DecryptionError):
        open_sealed(reply, blob, wraps["reporter"], wrong.reply_private)


def test_input_limit_is_exact_and_small():
    """Up to 200 characters of separators and digits are read; one more is refused unread."""
    padding = 200 - len(CODE)
    assert normalize_code(CODE + " " * padding) == DIGITS
    assert normalize_code(CODE + " " * (padding + 1)) is None
    assert normalize_code(" " * 10_000 + CODE) is None


def test_oversized_input_is_refused_before_any_character_is_read(monkeypatch):
    from intake.crypto import receipt

    looked_at = []
    monkeypatch.setattr(receipt.unicodedata, "decimal",
                        lambda ch, default=None: looked_at.append(ch) or default)
    assert normalize_code("1" * 201) is None
    assert looked_at == []
