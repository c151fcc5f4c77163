"""Argon2id cost settings in one place, so deployments tune them without touching code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id costs: passes, memory in KiB and lanes."""

    time_cost: int
    memory_cost_kib: int
    parallelism: int

    def __post_init__(self) -> None:
        """Reject settings Argon2 would refuse, at configuration time rather than at login."""
        if self.time_cost < 1 or self.parallelism < 1:
            raise ValueError("time_cost and parallelism must be at least 1")
        if self.memory_cost_kib < 8 * self.parallelism:
            raise ValueError("memory_cost_kib must be at least 8 × parallelism")


# RFC 9106 §4 second option (t=3) with 96 MiB and one lane: ~0.5 s per login on one core.
STAFF_DEFAULT = Argon2Params(time_cost=3, memory_cost_kib=98304, parallelism=1)
# Around 50 ms: the deliberate cost of one report submission (DESIGN.md, "Reporter receipt").
RECEIPT_DEFAULT = Argon2Params(time_cost=2, memory_cost_kib=32768, parallelism=1)
# Tests only: as cheap as Argon2 allows.
TEST_FAST = Argon2Params(time_cost=1, memory_cost_kib=1024, parallelism=1)
