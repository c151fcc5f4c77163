"""The one protected result: base counts, optional noise, master tables, protection, audit.

Every output of one data state — each period, each format, the analyst page, a release —
is a slice of this result (intake.stats.slices); nothing is protected separately.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from intake.stats.joint import earlier_facts
from intake.stats.master import ONE_WAY, Axes, Key, Master, build, ordered
from intake.stats.noise import CONTRIBUTION_BOUND, noisy_counts
from intake.stats.payload import (
    HIDDEN,
    PAYLOAD_VERSION,
    NumberRow,
    ProtectedResult,
    Shown,
    StatsPayload,
)
from intake.stats.periods import quarter_axis
from intake.stats.protection import Protected, protect
from intake.stats.slices import numbers, tables
from intake.vocab import ACT_TYPES, PERPETRATORS, TARGETS, region_choices

NOTE = "reported cases, not prevalence"
HIDDEN_NOTE = ("x = hidden to protect people; a hidden number is at least 1 and may be small "
               "or large (0 is always shown)")
Cube = Mapping[tuple[str, str, str], int]
OneWay = Mapping[str, Mapping[tuple[str, str], int]]


def axes_of(cube: Cube, one_way: OneWay, regions: tuple[str, ...]) -> Axes:
    """Vocabulary order first, then codes found in the data; quarters from first to last."""
    known = {"perpetrator": list(PERPETRATORS), "target": list(TARGETS)}
    present = {q for _a, _r, q in cube} | {q for v in ONE_WAY for _c, q in one_way[v]}
    return Axes(acts=ordered(list(ACT_TYPES), {a for a, _r, _q in cube}),
                regions=ordered([c for c, _l in region_choices(regions)],
                                {r for _a, r, _q in cube}),
                codes={v: ordered(known[v], {c for c, _q in one_way[v]}) for v in ONE_WAY},
                quarters=quarter_axis(present))


def _noisy(cube: Cube, one_way: OneWay, axes: Axes, epsilon: float
           ) -> tuple[dict[tuple[str, str, str], int], dict[str, dict[tuple[str, str], int]]]:
    """Noise on every base count (zeros too), epsilon split over three measurements."""
    share = epsilon / 3
    keys = [(a, r, q) for a in axes.acts for r in axes.regions for q in axes.quarters]
    bound = CONTRIBUTION_BOUND
    noisy_cube = dict(zip(keys, noisy_counts([cube.get(k, 0) for k in keys], share,
                                             bound["act_type"] * bound["region"]
                                             * bound["period"]), strict=True))
    noisy_one_way = {}
    for vocabulary in ONE_WAY:
        pairs = [(c, q) for c in axes.codes[vocabulary] for q in axes.quarters]
        values = noisy_counts([one_way[vocabulary].get(p, 0) for p in pairs], share,
                              bound[vocabulary] * bound["period"])
        noisy_one_way[vocabulary] = dict(zip(pairs, values, strict=True))
    return noisy_cube, noisy_one_way


def protect_counts(cube: Cube, one_way: OneWay, regions: tuple[str, ...], threshold: int,
                   epsilon: float, generated_at: datetime,
                   earlier: Sequence[Sequence[NumberRow]] = ()
                   ) -> tuple[Master, Protected, ProtectedResult]:
    """The master tables of one data state, the audit that protects them, and the result.

    `earlier`: the numbers of outputs already out (the previous generation, approved
    releases); the audit treats them as the attacker does (intake.stats.joint).
    """
    axes = axes_of(cube, one_way, regions)
    if epsilon > 0:
        cube, one_way = _noisy(cube, one_way, axes, epsilon)
    master = build(axes, cube, one_way)
    published, hidden = earlier_facts(master, earlier)
    audit = protect(master, set(master.members), threshold, hidden=hidden, pinned=published)
    shown: dict[Key, Shown] = {key: HIDDEN if key in audit.hidden else value
                               for key, value in master.values.items()}
    stamp = generated_at.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    return master, audit, ProtectedResult(axes, shown, threshold, epsilon, stamp)


def payload(result: ProtectedResult, period: str) -> StatsPayload:
    """One period of the protected result: what every format renders and releases freeze."""
    return {
        "version": PAYLOAD_VERSION,
        "note": NOTE,
        "hidden_symbol": HIDDEN,
        "hidden_note": HIDDEN_NOTE,
        "hidden_min": 1,
        "generated_at": result.generated_at,
        "filters": {"period": period},
        "periods": result.periods,
        "threshold": result.threshold,
        "epsilon": result.epsilon,
        "tables": tables(result, period),
        "numbers": numbers(result, period),
    }
