"""Figures and conditions: how every benchmark computes and prints what it measured."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; benchmarks report p50/p99 the same way everywhere."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    """Median of repeated runs: robust against a neighbour's burst of CPU."""
    return statistics.median(values)


def machine_info() -> str:
    """One line of conditions printed above every set of figures."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"{when}; {cores} cores, {mem:.0f} GiB RAM; {platform.python_implementation()} "
            f"{platform.python_version()}; load average {load}")


def header(title: str) -> None:
    """Section heading on stdout, with the machine conditions."""
    print(f"\n== {title} ==")
    print(f"   conditions: {machine_info()}")


def ratio(a: float, b: float) -> str:
    """`a/b` formatted; 'n/a' when the baseline is missing."""
    return f"{a / b:.2f}" if b else "n/a"
