"""Translated names for the tables, vocabulary codes and notes every output shows."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
COUNT = _l("Count")


def title(table_id: str) -> str:
    """The translated title of a table."""
    return str(TABLE_TITLES.get(table_id, table_id))


def code_label(vocabulary: str | None, code: str) -> str:
    """The translated label of a code; quarters and unknown codes are shown as they are."""
    if vocabulary is None:
        return str(COUNT)
    return str(label_vocabulary(vocabulary).get(code, code))


def suppression_legend(threshold: int) -> str:
    """What the two markers mean, in one sentence."""
    return str(_l("“<%(k)s” means from 1 to %(m)s cases; “x” is hidden so that a small "
                  "number cannot be worked out from the totals.", k=threshold, m=threshold - 1))
