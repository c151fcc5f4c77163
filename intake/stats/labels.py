"""Translated names for the tables, vocabulary codes and notes every output shows."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from intake.stats.periods import ALL
from intake.vocab import label_vocabulary

TABLE_TITLES = {
    "act_region": _l("Acts by type and region"),
    "act_quarter": _l("Acts by type and quarter (trend)"),
    "perpetrator": _l("Cases by perpetrator type"),
    "target": _l("Cases by target profile"),
}
NOTE = _l("Reported cases, not prevalence: these are the cases people chose to report "
          "to us and agreed to count, not how often these acts happen.")
TOTAL = _l("Total")
ALL_TIME = _l("All time")
COUNT = _l("Count")


def title(table_id: str) -> str:
    """The translated title of a table."""
    return str(TABLE_TITLES.get(table_id, table_id))


def code_label(vocabulary: str | None, code: str) -> str:
    """The translated label of a code; quarters and unknown codes are shown as they are."""
    if vocabulary is None:
        return str(COUNT)
    return str(label_vocabulary(vocabulary).get(code, code))


def hidden_legend(threshold: int) -> str:
    """What the one hidden symbol means, in words."""
    return str(_l("“x” is a hidden number, hidden to protect people: it is at least 1 and "
                  "may be small or large. Numbers from 1 to %(m)s are always hidden, and "
                  "others with them, so that no hidden number can be worked out from the "
                  "totals, from other periods or from earlier releases. 0 means none.",
                  m=threshold - 1))


def period_label(period: str) -> str:
    """How a period is named in the filter: all time, a year or a quarter as it is."""
    return str(ALL_TIME) if period == ALL else period
