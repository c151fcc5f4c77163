"""Split custody of the recovery key: k of n shares rebuild it, fewer or tampered ones never."""

import base64
import itertools
from dataclasses import replace as _replace

import pytest

from intake.crypto import fingerprint, keypair_from_seed
from intake.crypto.custody import MAX_SHARES, SHARE_LABEL, combine_shares, parse_share, split_key

PRIVATE, PUBLIC = keypair_from_seed(bytes(range(1, 97)))
OTHER_PRIVATE, _ = keypair_from_seed(bytes(range(101, 197)))
PRINT = fingerprint(PUBLIC)
REBUILT = (r"^the shares do not rebuild the key they claim \(a share is mistyped, damaged or "
           r"from another split\)$")


def test_any_threshold_shares_rebuild_the_key_and_fewer_are_refused():
    shares = split_key(PRIVATE, 5, 3)
    assert [s.index for s in shares] == [1, 2, 3, 4, 5]
    assert all(s.threshold == 3 and s.fingerprint == PRINT for s in shares)
    assert all(len(s.values) == 96 for s in shares)
    for size in (3, 4, 5):
        for chosen in itertools.combinations(shares, size):
            assert combine_shares(list(reversed(chosen))) == PRIVATE
    for pair in itertools.combinations(shares, 2):
        with pytest.raises(ValueError, match=r"^2 distinct share\(s\) given, 3 needed$"):
            combine_shares(list(pair))


def test_the_first_share_says_how_many_are_needed():
    """A share whose Threshold line was edited down does not lower the count for the
    others: the first share's threshold counts (and a wrong one rebuilds nothing)."""
    one, two, *_ = split_key(PRIVATE, 5, 3)
    with pytest.raises(ValueError, match="2 distinct share\\(s\\) given, 3 needed"):
        combine_shares([one, _replace(two, threshold=2)])


def test_a_repeated_share_does_not_count_twice():
    one, two, *_ = split_key(PRIVATE, 5, 3)
    with pytest.raises(ValueError, match="2 distinct"):
        combine_shares([one, two, one])
    with pytest.raises(ValueError, match="2 distinct"):
        combine_shares([one, two, _replace(one)])  # an equal copy typed in again


def test_each_block_gets_its_own_polynomial():
    """Shares of a key whose six 16-byte blocks are equal must still differ block by block,
    or one block's share would tell the others'."""
    same_blocks = bytes(range(16)) * 6
    for share in split_key(same_blocks, 3, 2):
        blocks = {share.values[i:i + 16] for i in range(0, 96, 16)}
        assert len(blocks) == 6
    assert combine_shares(split_key(same_blocks, 3, 2)[1:]) == same_blocks


def test_two_splits_of_one_key_are_independent_and_do_not_mix():
    """Each split draws new polynomials: a trustee's share from an old split, mixed with
    shares of a new one, rebuilds a wrong key, refused by the fingerprint check."""
    first, second = split_key(PRIVATE, 3, 2), split_key(PRIVATE, 3, 2)
    assert all(a.values != b.values for a, b in zip(first, second, strict=True))
    assert combine_shares(second[:2]) == PRIVATE
    with pytest.raises(ValueError, match=REBUILT):
        combine_shares([first[0], second[1]])


def test_split_refuses_bad_sizes_and_accepts_the_limits():
    for bad in (PRIVATE[:-1], PRIVATE + b"\0", b""):
        with pytest.raises(ValueError, match="96 bytes"):
            split_key(bad, 3, 2)
    for shares, threshold in ((3, 1), (3, 4), (1, 1), (MAX_SHARES + 1, 2), (2, 0)):
        with pytest.raises(ValueError, match="threshold <= shares"):
            split_key(PRIVATE, shares, threshold)
    assert len(split_key(PRIVATE, 2, 2)) == 2
    widest = split_key(PRIVATE, MAX_SHARES, 2)
    assert MAX_SHARES == 255 and [s.index for s in widest] == list(range(1, 256))
    assert combine_shares([widest[-1], widest[-2]]) == PRIVATE


def test_combine_refuses_nothing_mixed_damaged_and_mistyped_shares():
    shares = split_key(PRIVATE, 3, 2)
    other = split_key(OTHER_PRIVATE, 3, 2)
    with pytest.raises(ValueError, match="^no shares given$"):
        combine_shares([])
    with pytest.raises(ValueError, match="different keys"):
        combine_shares([shares[0], other[1]])
    with pytest.raises(ValueError, match="damaged"):
        combine_shares([shares[0], _replace(shares[1], values=shares[1].values[:-1])])
    with pytest.raises(ValueError, match="damaged"):
        combine_shares([_replace(shares[0], values=shares[0].values + b"\0"), shares[1]])
    for position in (0, 17, 95):  # a typo in any block
        values = bytearray(shares[1].values)
        values[position] ^= 1
        with pytest.raises(ValueError, match=REBUILT):
            combine_shares([shares[0], _replace(shares[1], values=bytes(values))])


def test_other_shares_claiming_this_key_give_nothing():
    """An attacker relabels shares of their own key with this key's fingerprint: the
    combination is their key, which does not match the fingerprint, so it is refused."""
    forged = [_replace(s, fingerprint=PRINT) for s in split_key(OTHER_PRIVATE, 3, 2)]
    with pytest.raises(ValueError, match=REBUILT):
        combine_shares(forged[:2])


def test_armored_share_layout_fits_on_paper():
    share = split_key(PRIVATE, 3, 2)[2]
    text = share.armored()
    lines = text.split("\n")
    body = base64.b64encode(share.values).decode("ascii")
    assert lines == [
        f"-----BEGIN {SHARE_LABEL}-----",
        "Share: 3",
        "Threshold: 2",
        f"Key-Fingerprint: {PRINT}",
        "",
        body[:64],
        body[64:],
        f"-----END {SHARE_LABEL}-----",
        "",
    ]
    assert len(body) == 128 and SHARE_LABEL == "INTAKE RECOVERY KEY SHARE"


def test_armored_shares_read_back_however_they_were_retyped():
    shares = split_key(PRIVATE, 3, 2)
    for share in shares:
        assert parse_share(share.armored()) == share
    text = shares[0].armored()
    body = base64.b64encode(shares[0].values).decode("ascii")
    retyped = [
        "\ufeff" + text,  # saved by an editor that adds a byte-order mark
        "Forwarded share:\n\n" + text + "\n-- \nsent from my phone",
        text.replace("Share:", "SHARE :").replace("Key-Fingerprint:", "key-fingerprint:"),
        text.replace(PRINT, PRINT.lower().replace(" ", "  ")),
        text.replace(body[:64], " ".join(body[i:i + 8] for i in range(0, 64, 8))),
        "\n".join("   " + line + "\t" for line in text.split("\n")),
    ]
    for variant in retyped:
        assert parse_share(variant) == shares[0], variant
    assert combine_shares([parse_share(retyped[3]), shares[1]]) == PRIVATE


def _armor(index: str = "1", threshold: str = "2", body: str = "", *, print_: str = PRINT,
           headers: list[str] | None = None) -> str:
    body = body or base64.b64encode(bytes(96)).decode("ascii")
    lines = headers if headers is not None else [
        f"Share: {index}", f"Threshold: {threshold}", f"Key-Fingerprint: {print_}"]
    return "\n".join([f"-----BEGIN {SHARE_LABEL}-----", *lines, "", body,
                      f"-----END {SHARE_LABEL}-----"])


def test_parse_accepts_the_extreme_indexes_and_thresholds():
    assert parse_share(_armor("1", "2")).index == 1
    high = parse_share(_armor("255", "255"))
    assert (high.index, high.threshold, high.fingerprint, high.values) == (
        255, 255, PRINT, bytes(96))


@pytest.mark.parametrize("index,threshold", [
    ("0", "2"), ("256", "2"), ("-1", "2"), ("1", "1"), ("1", "256"), ("1", "0")])
def test_parse_refuses_out_of_range_numbers(index, threshold):
    with pytest.raises(ValueError, match=r"^a share is damaged \(index or threshold"):
        parse_share(_armor(index, threshold))


def test_parse_refuses_what_is_not_a_share():
    share = split_key(PRIVATE, 3, 2)[0].armored()
    begin, end = f"-----BEGIN {SHARE_LABEL}-----", f"-----END {SHARE_LABEL}-----"
    not_shares = [
        "",
        share.replace(begin, ""),
        share.replace(end, ""),
        share.replace(begin, "@@").replace(end, begin).replace("@@", end),  # END before BEGIN
        share.replace("KEY SHARE", "PRIVATE KEY"),
    ]
    for text in not_shares:
        with pytest.raises(ValueError, match="^not an Intake recovery key share$"):
            parse_share(text)


@pytest.mark.parametrize("text", [
    _armor(headers=["Threshold: 2", f"Key-Fingerprint: {PRINT}"]),
    _armor(headers=["Share: 1", f"Key-Fingerprint: {PRINT}"]),
    _armor(headers=["Share: 1", "Threshold: 2"]),
    _armor("one"),
    _armor(threshold="2.0"),
    # a character outside base64 is not silently skipped
    _armor(body=base64.b64encode(bytes(96)).decode("ascii").replace("AAAA", "AA*AA", 1)),
    _armor(body="AAA"),  # bad padding
])
def test_parse_refuses_damaged_shares(text):
    with pytest.raises(ValueError, match=r"^a share is damaged \(missing header or bad base64\)$"):
        parse_share(text)
