"""The stored statistics formats decode only what they encode: releases and generations."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from intake.payloads import (
    StatsPayloadError,
    decode_generation,
    decode_payload,
    encode_generation,
    encode_payload,
)
from intake.stats.compute import payload, protect_counts
from intake.stats.payload import ProtectedResult

CUBE = {("raid", "naryn", "2026-Q1"): 2, ("threats", "naryn", "2026-Q1"): 9,
        ("threats", "talas", "2026-Q1"): 7, ("raid", "talas", "2026-Q1"): 8}
ONE_WAY = {"perpetrator": {("police", "2026-Q1"): 26}, "target": {("lawyer", "2026-Q1"): 22}}


def _result() -> ProtectedResult:
    return protect_counts(CUBE, ONE_WAY, ("naryn", "talas"), 5, 0,
                          datetime(2026, 5, 1, tzinfo=UTC))[2]


def test_generation_round_trip_keeps_every_number():
    result = _result()
    back = decode_generation(encode_generation(result))
    assert back == result
    assert ("cube", "raid", "naryn", "2026-Q1") in back.numbers
    assert back.numbers[("cube", "raid", "naryn", "2026-Q1")] == "x"


def test_release_round_trip_and_numbers_as_rows():
    data = payload(_result(), "2026")
    back = decode_payload(encode_payload(data))
    assert back["tables"] == json.loads(json.dumps(data["tables"]))
    assert back["numbers"] == [tuple(r) for r in data["numbers"]]


@pytest.mark.parametrize("change", [
    lambda raw: raw.update(version=9),
    lambda raw: raw["numbers"].append(["cube", "raid", "*", "2026", -3]),
    lambda raw: raw["numbers"].append(["cube", "raid", "*", "2026", "<5"]),
    lambda raw: raw["tables"][0]["cells"][0].__setitem__(0, True),
    lambda raw: raw.pop("tables"),
])
def test_a_release_that_is_not_one_is_refused(change):
    raw = json.loads(encode_payload(payload(_result(), "all")))
    change(raw)
    with pytest.raises(StatsPayloadError):
        decode_payload(json.dumps(raw))


@pytest.mark.parametrize("text", ["", "[]", '{"v": 2}', '{"v": 1, "axes": {}}',
                                  encode_generation(_result()).replace('"x"', '"<5"')])
def test_a_generation_that_is_not_one_is_refused(text):
    with pytest.raises(StatsPayloadError):
        decode_generation(text)
