"""Which quarters a statistics request covers; parsed once, validated, never trusted raw."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

QUARTER = re.compile(r"^\d{4}-Q[1-4]$")


class FilterError(ValueError):
    """A filter the person can fix; the message is translated and shown with a 400."""


@dataclass(frozen=True)
class Filters:
    """An inclusive quarter range; None means open-ended."""

    quarter_from: str | None = None
    quarter_to: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The filters as exports record them."""
        return {"quarter_from": self.quarter_from, "quarter_to": self.quarter_to}


def _quarter(raw: str | None) -> str | None:
    value = (raw or "").strip().upper()
    if not value:
        return None
    if len(value) > 7 or not QUARTER.match(value):
        raise FilterError(str(_l("Write quarters like 2026-Q3 (year, dash, Q and 1 to 4).")))
    return value


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Build filters from query arguments or CLI options; raise FilterError when unusable."""
    start, end = _quarter(args.get("quarter_from")), _quarter(args.get("quarter_to"))
    if start and end and start > end:
        raise FilterError(str(_l("The first quarter must not be after the last quarter.")))
    return Filters(start, end)
