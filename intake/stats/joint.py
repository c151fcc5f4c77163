"""A new release audited together with every release already published.

An attacker holds every published release. Numbers of an earlier release that still equal
today's count are the same number to the attacker (a closed quarter rarely changes), so
they enter the audit as published facts, and its hidden numbers as hidden ones; the new
release hides more until the audit over all of them passes. A number that has changed
since cannot be tied to today's count by any equation, so it is left out (docs/statistics.md,
"Known limits").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from intake.stats.master import Key, Master, period_keys
from intake.stats.protection import protect
from intake.stats.slices import HIDDEN, ProtectedResult


def earlier_facts(master: Master, releases: Iterable[Sequence[Sequence[Any]]]
                  ) -> tuple[frozenset[Key], set[Key]]:
    """(published, hidden) keys of earlier releases that still describe today's counts."""
    published: set[Key] = set()
    hidden: set[Key] = set()
    for rows in releases:
        for family, row, col, period, number in rows:
            key = (family, row, col, period)
            if key not in master.values:
                continue
            if number == HIDDEN:
                if master.values[key] > 0:
                    hidden.add(key)
            elif number == master.values[key]:
                published.add(key)
    return frozenset(published), hidden - published


def release_result(master: Master, result: ProtectedResult, hidden: Iterable[Key],
                   period: str, releases: Iterable[Sequence[Sequence[Any]]]
                   ) -> ProtectedResult:
    """The result with what else must be hidden in `period` given the published releases."""
    published, earlier_hidden = earlier_facts(master, releases)
    own = set(period_keys(master.axes, period))
    shown = own | published | earlier_hidden
    start = ((set(hidden) & own) | earlier_hidden) - published
    checked = protect(master, shown, result.threshold, hidden=start, pinned=published)
    extra = (checked.hidden & own) - set(hidden)
    if not extra:
        return result
    numbers = dict(result.numbers)
    numbers.update({key: HIDDEN for key in extra})
    return ProtectedResult(result.axes, numbers, result.threshold, result.epsilon,
                           result.generated_at)
