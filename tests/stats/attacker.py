"""The interval attacker: every output it is given, one integer programme, exact intervals.

Written from the published outputs only (JSON payloads, releases), independently of
intake.stats: it reads what each table means (act × region and act × quarter for the
output's quarters; perpetrator and target over them), writes every shown number as a sum of
unknown base counts (act × region × quarter, code × quarter), and asks an integer solver
(SciPy's HiGHS `milp`) for the smallest and largest value of each sum that every output
allows. Markers: `<k` means 1 … k−1; any other hidden marker means ≥ hidden_min (the output
says 1 when zeros are always shown) — the attacker uses everything the outputs say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

Expr = frozenset[int]


def covered(filters: dict[str, Any], quarters: list[str]) -> list[str]:
    """The quarters an output covers, from what its filters say."""
    if "period" in filters:
        period = filters["period"]
        if period == "all":
            return list(quarters)
        return [q for q in quarters if q == period or (len(period) == 4 and q[:4] == period)]
    low, high = filters.get("quarter_from"), filters.get("quarter_to")
    return [q for q in quarters if (not low or q >= low) and (not high or q <= high)]


@dataclass
class Attack:
    """Unknowns, facts and what each shown number is a sum of."""

    quarters: list[str]
    index: dict[tuple[str, ...], int] = field(default_factory=dict)
    facts: list[tuple[Expr, float, float]] = field(default_factory=list)
    shown: dict[Expr, list[Any]] = field(default_factory=dict)

    def var(self, *name: str) -> int:
        return self.index.setdefault(name, len(self.index))

    def add(self, expr: Expr, raw: Any, k: int, hidden_min: int) -> None:
        """One shown number: a fact about the sum `expr`."""
        self.shown.setdefault(expr, []).append(raw)
        text = str(raw).strip()
        if text.lstrip("-").isdigit():
            self.facts.append((expr, float(text), float(text)))
        elif text in (f"<{k}", f"&lt;{k}"):
            self.facts.append((expr, 1.0, float(k - 1)))
        else:
            self.facts.append((expr, float(hidden_min), np.inf))

    def output(self, payload: dict[str, Any]) -> None:
        """Every number of one output (a JSON export, a release payload …)."""
        k = int(payload["threshold"])
        hmin = int(payload.get("hidden_min", 0))
        qs = covered(payload["filters"], self.quarters)
        for t in payload["tables"]:
            rows = t["rows"]
            if t["id"] == "act_region":
                cols = t["columns"]

                def cell(a: list[str], r: list[str], quarters: list[str] = qs) -> Expr:
                    return frozenset(self.var("c", x, y, q) for x in a for y in r
                                     for q in quarters)
                exprs = ([[cell([a], [r]) for r in cols] for a in rows],
                         [cell([a], cols) for a in rows], [cell(rows, [r]) for r in cols],
                         cell(rows, cols))
            elif t["id"] == "act_quarter":
                regions = next(x["columns"] for x in payload["tables"] if x["id"] == "act_region")
                cols = t["columns"]

                def cell(a: list[str], quarters: list[str], r: list[str] = regions) -> Expr:
                    return frozenset(self.var("c", x, y, q) for x in a for y in r
                                     for q in quarters)
                exprs = ([[cell([a], [q]) for q in cols] for a in rows],
                         [cell([a], cols) for a in rows], [cell(rows, [q]) for q in cols],
                         cell(rows, cols))
            else:
                vocab = t["id"]
                exprs = ([[frozenset(self.var(vocab, x, q) for q in qs)] for x in rows], None,
                         None, frozenset(self.var(vocab, x, q) for x in rows for q in qs))
            cells, row_totals, col_totals, total = exprs
            for i, row in enumerate(cells):
                for j, expr in enumerate(row):
                    self.add(expr, t["cells"][i][j], k, hmin)
            for exprs_, raws in ((row_totals, t["row_totals"]), (col_totals, t["column_totals"])):
                for expr, raw in zip(exprs_ or [], raws or [], strict=True):
                    self.add(expr, raw, k, hmin)
            self.add(total, t["total"], k, hmin)

    def intervals(self, targets: Iterable[Expr]) -> dict[Expr, tuple[float, float]] | None:
        """[min, max] of each target over whole-number counts ≥ 0; None if contradictory."""
        n = len(self.index)
        rows = np.zeros((len(self.facts), n))
        lo = np.array([f[1] for f in self.facts])
        hi = np.array([f[2] for f in self.facts])
        for r, (expr, _, _) in enumerate(self.facts):
            rows[r, list(expr)] = 1.0
        constraint = LinearConstraint(rows, lo, hi)
        out = {}
        for expr in targets:
            c = np.zeros(n)
            c[list(expr)] = 1.0
            ends = []
            for sign in (1.0, -1.0):
                res = milp(sign * c, constraints=[constraint], integrality=np.ones(n),
                           bounds=Bounds(0, np.inf))
                if res.status == 2:
                    return None
                if res.status == 3 or (res.status != 0 and sign < 0):
                    ends.append(np.inf if sign < 0 else -np.inf)
                    continue
                assert res.status == 0, res.message
                ends.append(round(sign * res.fun))
            out[expr] = (ends[0], ends[1])
        return out


def attack(payloads: list[dict[str, Any]], quarters: list[str]) -> Attack:
    """The attacker's system over every given output."""
    a = Attack(quarters)
    for p in payloads:
        a.output(p)
    return a


def truth(attack_: Attack, base: dict[tuple[str, ...], int]) -> dict[Expr, int]:
    """The true value of every shown sum, from the true base counts."""
    names = {i: name for name, i in attack_.index.items()}
    return {expr: sum(base.get(names[i], 0) for i in expr) for expr in attack_.shown}


def violations(attack_: Attack, base: dict[tuple[str, ...], int], k: int) -> list[str]:
    """Every small true number (1 … k−1) shown, or hidden with an interval narrower than k
    or below k: what the protection promises never happens."""
    true = truth(attack_, base)
    small = [e for e, v in true.items() if 0 < v < k]
    found = attack_.intervals(small)
    assert found is not None, "the outputs contradict each other"
    names = {i: name for name, i in attack_.index.items()}
    bad = []
    for expr in small:
        lo, hi = found[expr]
        if hi - lo < k or hi < k:
            label = sorted(names[i] for i in expr)[:3]
            bad.append(f"{label}… true {true[expr]}, attacker knows [{lo}, {hi}] "
                       f"shown as {attack_.shown[expr][:3]}")
    return bad


def two_generations(before: list[dict[str, Any]], after: list[dict[str, Any]],
                    quarters: list[str], added: int = 1) -> Attack:
    """Outputs of two data states, `added` cases apart, as one system.

    The later counts are the earlier ones plus unknown growth d (b₂ = b₁ + d): the attacker
    assumes what is true here, that counts only grew, each by at most `added` (one case
    adds at most one to each count), and that exactly `added` cases now have a target.
    Every number of both states, small in either, must stay protected.
    """
    a = attack(before, quarters)
    later = attack(after, quarters)
    names = {i: name for name, i in later.index.items()}

    def shifted(expr: Expr) -> Expr:
        return frozenset(j for i in expr for j in (a.var(*names[i]), a.var("d", *names[i])))

    for expr, lo, hi in later.facts:
        a.facts.append((shifted(expr), lo, hi))
    for expr, raws in later.shown.items():
        a.shown.setdefault(shifted(expr), []).extend(raws)
    growth = {name: i for name, i in a.index.items() if name[0] == "d"}
    for i in growth.values():
        a.facts.append((frozenset([i]), 0.0, float(added)))
    a.facts.append((frozenset(i for name, i in growth.items() if name[1] == "target"),
                    float(added), float(added)))
    return a


def growth(before: dict[tuple[str, ...], int], after: dict[tuple[str, ...], int]
           ) -> dict[tuple[str, ...], int]:
    """True values of the two-generation unknowns: b₁ and d = b₂ − b₁."""
    out = dict(before)
    out.update({("d", *name): n - before.get(name, 0) for name, n in after.items()})
    return out
