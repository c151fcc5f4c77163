"""Charts drawn by matplotlib (Agg) from protected tables only; SVG carries no script."""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from intake.stats.labels import code_label, title  # noqa: E402

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
DECIMALS = re.compile(rb"(\d+\.\d)\d+")
INDENT = re.compile(rb"\n\s+")


def _compact(svg: bytes) -> bytes:
    """The transparency page must stay light: one decimal and no indentation suffice."""
    return INDENT.sub(b"\n", DECIMALS.sub(rb"\1", svg))


def _published(values: list[int | str], names: list[str]) -> tuple[list[str], list[int]]:
    """Only published numbers are drawn; hidden ones are named as such, never estimated."""
    labels, numbers = [], []
    for name, value in zip(names, values, strict=True):
        labels.append(name if isinstance(value, int) else f"{name} ({value})")
        numbers.append(value if isinstance(value, int) else 0)
    return labels, numbers


def render(payload: dict[str, Any], fmt: str) -> bytes:
    """Acts by type (bars) and the trend of acts per quarter (line), in one small figure."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    tables = {t["id"]: t for t in payload["tables"]}
    acts, trend = tables["act_region"], tables["act_quarter"]
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "intake",
                         "font.size": 8, "axes.spines.top": False,
                         "axes.spines.right": False}):
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
        names = [code_label("act_type", c) for c in acts["rows"]]
        labels, numbers = _published(acts["row_totals"], names)
        left.barh(labels[::-1], numbers[::-1], color="#0b5394")
        left.set_title(title("act_region"))
        qlabels, qnumbers = _published(trend["column_totals"], trend["columns"])
        right.plot(qlabels, qnumbers, marker="o", color="#0b5394")
        right.set_title(title("act_quarter"))
        right.tick_params(axis="x", labelrotation=45)
        right.set_ylim(bottom=0)
        for axis in (left.xaxis, right.yaxis):
            axis.set_major_locator(MaxNLocator(integer=True))
        fig.text(0.01, 0.005, payload["note"], fontsize=7)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=90, metadata={"Date": None} if fmt == "svg" else None)
        plt.close(fig)
    return _compact(buf.getvalue()) if fmt == "svg" else buf.getvalue()
