"""Which period a statistics request shows: one of the fixed periods, never a free range."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from intake.stats.periods import ALL

PERIOD = re.compile(r"^(all|\d{4}|\d{4}-Q[1-4])$")


class FilterError(ValueError):
    """A filter the person can fix; the message is translated and shown with a 400."""


@dataclass(frozen=True)
class Filters:
    """One period: "all", a year ("2026") or a quarter ("2026-Q3")."""

    period: str = ALL

    def as_dict(self) -> dict[str, str]:
        """The filters as exports record them."""
        return {"period": self.period}


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Build filters from query arguments or CLI options; raise FilterError when unusable."""
    raw = (args.get("period") or "").strip()
    value = ALL if raw.lower() in ("", ALL) else raw.upper()
    if len(value) > 7 or not PERIOD.match(value):
        raise FilterError(str(_l("Choose a period from the list.")))
    return Filters(value)


def check_period(filters: Filters, periods: Sequence[str]) -> None:
    """Only the periods of the protected result exist; anything else is refused."""
    if filters.period not in periods:
        raise FilterError(str(_l("There are no statistics for this period; choose one "
                                 "from the list.")))
