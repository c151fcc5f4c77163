"""Charts drawn by matplotlib (Agg) from protected tables only; SVG carries no script."""

from __future__ import annotations

import io
import re

import matplotlib
from flask_babel import lazy_gettext as _l

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from intake.stats.labels import code_label  # noqa: E402
from intake.stats.payload import Shown, StatsPayload  # noqa: E402

BY_TYPE = _l("Acts by type, whole period (bars: number of acts; types with none left out)")
BY_QUARTER = _l("Acts per quarter (points: number of acts; hidden quarters left out)")
NO_CASES = _l("No counted case in this period")

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
DECIMALS = re.compile(rb"(\d+\.\d)\d+")
INDENT = re.compile(rb"\n\s+")
COMMENT = re.compile(rb"<!--.*?-->\n?", re.S)


def _compact(svg: bytes) -> bytes:
    """The transparency page must stay light: one decimal, no indentation, no comments."""
    return COMMENT.sub(b"", INDENT.sub(b"\n", DECIMALS.sub(rb"\1", svg)))


def _published(values: list[Shown], names: list[str]) -> tuple[list[str], list[int]]:
    """Only published numbers are drawn; a hidden one gets no bar or point and says so."""
    labels, numbers = [], []
    for name, value in zip(names, values, strict=True):
        labels.append(name if isinstance(value, int) else f"{name} ({value})")
        numbers.append(value if isinstance(value, int) else 0)
    return labels, numbers


def _empty(axes: Axes, heading: str) -> None:
    """No counted case: a sentence instead of axes that would mean nothing."""
    axes.set_axis_off()
    axes.set_title(heading)
    axes.text(0.5, 0.5, str(NO_CASES), ha="center", va="center", wrap=True)


def render(payload: StatsPayload, fmt: str) -> bytes:
    """Acts by type (bars) and acts per quarter (line), in one small figure, with the notes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    tables = {t["id"]: t for t in payload["tables"]}
    acts, trend = tables["act_region"], tables["act_quarter"]
    by_act, by_quarter = acts["row_totals"] or [], trend["column_totals"] or []  # two-way
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "intake",
                         "font.size": 8, "axes.spines.top": False,
                         "axes.spines.right": False}):
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
        if acts["total"] == 0:
            _empty(left, str(BY_TYPE))
            _empty(right, str(BY_QUARTER))
        else:
            present = [(code_label("act_type", c), v)
                       for c, v in zip(acts["rows"], by_act, strict=True) if v != 0]
            labels, numbers = _published([v for _, v in present], [n for n, _ in present])
            left.barh(labels[::-1], numbers[::-1], color="#0b5394")
            left.set_title(str(BY_TYPE))
            left.xaxis.set_major_locator(MaxNLocator(integer=True))
            qlabels, qnumbers = _published(by_quarter, trend["columns"])
            shown = [(q, n) for q, n, v in zip(qlabels, qnumbers, by_quarter, strict=True)
                     if isinstance(v, int)]
            right.plot([q for q, _ in shown], [n for _, n in shown], marker="o",
                       color="#0b5394")
            right.set_title(str(BY_QUARTER))
            right.tick_params(axis="x", labelrotation=45)
            right.set_ylim(bottom=0)
            right.yaxis.set_major_locator(MaxNLocator(integer=True))
        fig.text(0.01, 0.005, f"{payload['note']}. {payload.get('hidden_note', '')}",
                 fontsize=7)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=90, metadata={"Date": None} if fmt == "svg" else None)
        plt.close(fig)
    return _compact(buf.getvalue()) if fmt == "svg" else buf.getvalue()
