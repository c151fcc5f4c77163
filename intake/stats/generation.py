"""One protected result per data generation: what names a generation, and how it is made.

A generation is the state of the counts and of the settings that shape the result
(threshold, epsilon, regions) plus the set of approved releases. The same state is
protected once; every output slices that result. A new state is protected together with
what is already out — the previous generation and every approved release — and only if
that joint audit cannot be satisfied, with less (the stored `audited_with` says which).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from intake.stats.compute import Cube, OneWay, protect_counts
from intake.stats.payload import NumberRow, ProtectedResult
from intake.stats.protection import ProtectionError

WITH_PREVIOUS = "previous"  # the previous generation and every approved release
WITH_RELEASES = "releases"  # every approved release (the previous generation could not be)
ALONE = "alone"  # neither could be kept consistent: releases are refused from it


@dataclass(frozen=True)
class Made:
    """A freshly protected generation and what it was audited together with."""

    result: ProtectedResult
    audited_with: str


def fingerprint(cube: Cube, one_way: OneWay, regions: Sequence[str], threshold: int,
                epsilon: float, releases: Sequence[str]) -> str:
    """SHA-256 over the exact counts and settings; it never leaves the database.

    (A hash of exact counts could be matched by trying the few values a hidden number can
    take, so it is not shown anywhere.)
    """
    state = {"threshold": threshold, "epsilon": epsilon, "regions": list(regions),
             "releases": sorted(releases),
             "cube": sorted([a, r, q, n] for (a, r, q), n in cube.items() if n),
             "one_way": {v: sorted([c, q, n] for (c, q), n in one_way[v].items() if n)
                         for v in sorted(one_way)}}
    return hashlib.sha256(json.dumps(state, separators=(",", ":")).encode()).hexdigest()


def make(cube: Cube, one_way: OneWay, regions: tuple[str, ...], threshold: int,
         epsilon: float, now: datetime, previous: Sequence[NumberRow] | None,
         releases: Sequence[Sequence[NumberRow]]) -> Made:
    """Protect the counts with everything already out; less only where that cannot hold."""
    attempts = [(WITH_RELEASES, list(releases)), (ALONE, [])]
    if previous is not None:
        attempts.insert(0, (WITH_PREVIOUS, [previous, *releases]))
    for audited_with, earlier in attempts[:-1]:
        try:
            return Made(protect_counts(cube, one_way, regions, threshold, epsilon, now,
                                       earlier)[2], audited_with)
        except ProtectionError:
            continue
    return Made(protect_counts(cube, one_way, regions, threshold, epsilon, now)[2], ALONE)
