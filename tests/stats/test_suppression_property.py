"""Property: no small cell in any output, and no hidden cell recoverable from any total."""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import delete

from intake.models import Case, StatsCount, StatsRelease
from intake.stats.compute import NOTE
from intake.stats.exports import to_csv, to_json
from intake.stats.publish import protect_tables
from intake.stats.tables import margins_of_cube, one_way
from tests.stats import checker
from tests.stats.conftest import add_case

ACTS = ["threats", "surveillance", "raid"]
REGIONS = ["bishkek", "naryn", "talas"]
QUARTERS = ["2026-Q1", "2026-Q2"]
PERPS = ["police", "unknown", "security_service"]
TARGETS = ["lawyer", "journalist"]

# `make mutation` runs each surviving mutant through these properties, so it asks for fewer
# examples (INTAKE_PROPERTY_SCALE=0.25); `make test` always runs them at full strength.
SCALE = float(os.environ.get("INTAKE_PROPERTY_SCALE", "1"))

counts = st.integers(min_value=0, max_value=14)
cubes = st.dictionaries(
    st.tuples(st.sampled_from(ACTS), st.sampled_from(REGIONS), st.sampled_from(QUARTERS)),
    counts, max_size=18)


def _payload(cube: dict[Any, int], perps: dict[str, int], targets: dict[str, int],
             k: int) -> dict[str, Any]:
    tables = [*margins_of_cube(cube, ACTS, REGIONS, QUARTERS),
              one_way("perpetrator", "perpetrator", perps),
              one_way("target", "target", targets)]
    return {"note": NOTE, "generated_at": "2026-01-01T00:00:00+00:00",
            "filters": {"quarter_from": None, "quarter_to": None}, "threshold": k,
            "epsilon": 0, "tables": protect_tables(tables, k)}


def assert_safe(tables: list[dict[str, Any]], k: int) -> None:
    """The two promises, checked on what a reader of the output sees."""
    values = checker.all_values(tables)
    assert checker.small_published(values, k) == []
    assert checker.markers_ok(values, k)
    assert checker.recoverable(tables) == {}


@hsettings(max_examples=max(20, int(400 * SCALE)), deadline=None)
@given(cube=cubes, perps=st.dictionaries(st.sampled_from(PERPS), counts),
       targets=st.dictionaries(st.sampled_from(TARGETS), counts),
       k=st.integers(min_value=2, max_value=10))
def test_random_tables_are_safe_in_csv_and_json(cube: dict[Any, int], perps: dict[str, int],
                                                targets: dict[str, int], k: int) -> None:
    payload = _payload(cube, perps, targets, k)
    assert_safe(checker.from_json(to_json(payload)), k)
    assert_safe(checker.from_csv(to_csv(payload)), k)


def test_checker_finds_a_cell_left_alone_in_its_row() -> None:
    """The checker itself must be able to fail: an unprotected table is caught."""
    table = {"id": "t", "row_vocabulary": "act_type", "column_vocabulary": "region",
             "rows": ["a", "b"], "columns": ["r1", "r2"],
             "cells": [["<5", 7], [6, 8]], "row_totals": [10, 14],
             "column_totals": [9, 15], "total": 24}
    assert checker.recoverable([table]) == {("t", 0, 0): 3}


def test_checker_derives_across_tables() -> None:
    """A margin published in one table reveals a cell hidden with its total in another."""
    a = {"id": "a", "row_vocabulary": "act_type", "column_vocabulary": "region",
         "rows": ["x"], "columns": ["r1", "r2"], "cells": [["<5", 9]], "row_totals": ["x"],
         "column_totals": ["<5", 9], "total": "x"}
    b = {"id": "b", "row_vocabulary": "act_type", "column_vocabulary": "period",
         "rows": ["x"], "columns": ["q1"], "cells": [[12]], "row_totals": [12],
         "column_totals": [12], "total": 12}
    assert checker.recoverable([a, b])[("a", 0, 0)] == 3


labels = st.fixed_dictionaries({
    "acts": st.lists(st.sampled_from(ACTS), min_size=1, max_size=2, unique=True),
    "region": st.sampled_from(REGIONS), "period": st.sampled_from(QUARTERS),
    "perpetrators": st.lists(st.sampled_from(PERPS), min_size=1, max_size=2, unique=True),
    "target": st.sampled_from(TARGETS)})


@hsettings(max_examples=max(3, int(12 * SCALE)), deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture,
                                  HealthCheck.too_slow])
@given(cases=st.lists(st.tuples(labels, st.integers(min_value=1, max_value=7)), max_size=8))
def test_every_output_of_the_app_is_safe(cases: list[tuple[dict[str, Any], int]], session: Any,
                                         settings: Any, database: Any, make_staff: Any,
                                         login_as: Any) -> None:
    """Through the database: CSV, JSON, the HTML view, the release and the transparency page."""
    from intake.public import create_app as public_app
    from intake.review import create_app as review_app

    session.execute(delete(StatsRelease))
    session.execute(delete(Case))
    session.execute(delete(StatsCount))
    for fields, n in cases:
        for _ in range(n):
            add_case(session, **fields)
    session.commit()
    k = settings.stats_threshold
    review = review_app(settings, database).test_client()
    admin = make_staff("admin")
    login_as(review, admin)
    csv_out = review.get("/stats/export.csv")
    json_out = review.get("/stats/export.json")
    page = review.get("/stats")
    assert csv_out.status_code == json_out.status_code == page.status_code == 200
    assert_safe(checker.from_csv(csv_out.data), k)
    assert_safe(checker.from_json(json_out.data), k)
    assert checker.small_published(checker.html_values(page.get_data(as_text=True)), k) == []
    token = checker_csrf(page.get_data(as_text=True))
    assert review.post("/stats/releases", data={"csrf_token": token}).status_code == 303
    release = session.query(StatsRelease).one()
    assert_safe(json.loads(release.payload)["tables"], k)
    page = review.get("/stats").get_data(as_text=True)
    assert review.post(f"/stats/releases/{release.id}/approve",
                       data={"csrf_token": checker_csrf(page)}).status_code == 303
    public = public_app(settings.replace(transparency_page=True), database).test_client()
    html = public.get("/transparency").get_data(as_text=True)
    values = checker.html_values(html)
    assert values and checker.small_published(values, k) == []
    assert checker.markers_ok(values, k)


def checker_csrf(html: str) -> str:
    from tests.support.factories import csrf_token

    return csrf_token(html)
