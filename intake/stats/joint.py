"""Earlier outputs as the attacker holds them: a new generation is audited together with them.

An attacker holds every published release and may hold outputs of the previous generation.
Numbers of an earlier output that still equal today's count are the same number to the
attacker (a closed quarter rarely changes), so they enter the audit as published facts, and
its hidden numbers as hidden ones; the new generation hides more until the audit over all
of them passes. A number that has changed
since cannot be tied to today's count by any equation, so it is left out (docs/statistics.md,
"Known limits").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from intake.stats.master import Key, Master
from intake.stats.payload import HIDDEN, NumberRow


def earlier_facts(master: Master, earlier: Iterable[Sequence[NumberRow]]
                  ) -> tuple[frozenset[Key], set[Key]]:
    """(published, hidden) keys of earlier outputs that still describe today's counts."""
    published: set[Key] = set()
    hidden: set[Key] = set()
    for rows in earlier:
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
