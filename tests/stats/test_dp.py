"""Differential privacy: noise when epsilon > 0, recorded in the ledger; none when it is 0."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from intake.models import PrivacyLedgerEntry
from intake.services.statistics import export, protected
from intake.stats.filters import Filters
from intake.stats.noise import noisy_counts


def _cells(payload: dict[str, Any]) -> list[Any]:
    return [v for t in payload["tables"] for row in t["cells"] for v in row]


def test_noise_is_added_and_ledgered(session, settings, make_case):
    make_case(40)
    exact = _cells(protected(session, settings, None, Filters(), "test"))
    noisy = _cells(protected(session, settings, None, Filters(), "test", epsilon=0.05))
    session.commit()
    # scale 60 on over a hundred cells: all equal to the truth would be astronomically unlikely
    assert noisy != exact
    entries = session.scalars(select(PrivacyLedgerEntry)).all()
    assert [(e.purpose, e.epsilon) for e in entries] == [("test", 0.05)]


def test_settings_epsilon_applies_to_exports(session, settings, make_case):
    make_case(30)
    out = export(session, settings.replace(stats_epsilon=0.5), None, Filters(), "json")
    assert b'"epsilon": 0.5' in out.content
    entry = session.scalars(select(PrivacyLedgerEntry)).one()
    assert (entry.purpose, entry.epsilon) == ("export:json", 0.5)


def test_no_noise_and_no_ledger_when_disabled(session, settings, make_case):
    make_case(30)
    first = protected(session, settings, None, Filters(), "test")
    second = protected(session, settings, None, Filters(), "test")
    session.commit()
    assert first["epsilon"] == 0 and _cells(first) == _cells(second)
    assert session.scalars(select(PrivacyLedgerEntry)).all() == []


def test_noisy_totals_are_sums_of_noisy_cells(session, settings, make_case):
    make_case(50)
    make_case(50, acts=("raid",), region="bishkek")
    payload = protected(session, settings.replace(stats_threshold=1), None, Filters(), "t",
                        epsilon=0.3)
    for t in payload["tables"]:
        assert t["total"] == sum(row[0] for row in t["cells"]) or t["row_totals"] is not None
        if t["row_totals"] is not None:
            assert t["row_totals"] == [sum(row) for row in t["cells"]]
            assert t["total"] == sum(t["row_totals"]) == sum(t["column_totals"])


def test_noise_comes_from_opendp_and_never_goes_negative():
    values = noisy_counts([0] * 200, epsilon=0.1, sensitivity=3)
    assert min(values) == 0 and max(values) > 0
