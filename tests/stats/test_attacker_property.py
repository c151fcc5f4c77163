"""Property: an attacker holding every output the app can produce learns no small number.

For a random data set the test collects, through the running apps and the command line,
every output: each period the analyst page and the CLI offer, in each format (JSON, CSV,
the HTML page), a release of each period (each approved, so all are published) and the
transparency page. The attacker (tests/stats/attacker.py) solves the integer interval
problem over all of them together. For every true number from 1 to k−1 it must find an
interval at least k wide that reaches k. On the code before issue 14 this fails (see the
two regression tests below: the row total of 6, and a filtered export differenced with
the unfiltered one).
"""

from __future__ import annotations

import csv
import html as html_text
import io
import json
import re
from collections import Counter
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from intake.cli import main
from intake.models import Case, PrivacyLedgerEntry, StatsCount, StatsGeneration, StatsRelease
from tests.stats import attacker, checker
from tests.stats.conftest import add_case
from tests.support.factories import csrf_token

ACTS = ["threats", "surveillance", "raid"]
REGIONS = ["bishkek", "naryn", "talas"]
QUARTERS = ["2025-Q4", "2026-Q1", "2026-Q2"]
PERPS = ["police", "unknown", "security_service"]
TARGETS = ["lawyer", "journalist"]
OPTION = re.compile(r'<option value="([^"]*)"')

labels = st.fixed_dictionaries({
    "acts": st.lists(st.sampled_from(ACTS), min_size=1, max_size=2, unique=True),
    "region": st.sampled_from(REGIONS), "period": st.sampled_from(QUARTERS),
    "perpetrators": st.lists(st.sampled_from(PERPS), min_size=1, max_size=2, unique=True),
    "target": st.sampled_from(TARGETS)})


def base_counts(cases: list[tuple[dict[str, Any], int]]) -> dict[tuple[str, ...], int]:
    """The true base counts the attacker's unknowns stand for."""
    base: Counter[tuple[str, ...]] = Counter()
    for fields, n in cases:
        q = fields["period"]
        for a in fields["acts"]:
            base[("c", a, fields["region"], q)] += n
        for p in fields["perpetrators"]:
            base[("perpetrator", p, q)] += n
        base[("target", fields["target"], q)] += n
    return dict(base)


def csv_payload(data: bytes) -> dict[str, Any]:
    """A CSV export read back into the shape of a payload (metadata rows, then tables)."""
    rows = list(csv.reader(io.StringIO(data.decode())))
    meta = {}
    for row in rows:
        if not row:
            break
        meta[row[0]] = row[1] if len(row) > 1 else ""
    filters = {name[len("filter_"):]: value or None for name, value in meta.items()
               if name.startswith("filter_")}
    hidden_min = 1 if "at least 1" in meta.get("hidden", "") else 0
    return {"threshold": meta["threshold"], "filters": filters, "hidden_min": hidden_min,
            "tables": checker.from_csv(data)}


def choices(page: str, quarters: list[str]) -> list[dict[str, str]]:
    """Every filter the page offers: its period list, or (before issue 14) any range."""
    if 'name="period"' in page:
        return [{"period": p} for p in OPTION.findall(page)]
    ends = [None, *quarters]
    return [{k: v for k, v in (("quarter_from", lo), ("quarter_to", hi)) if v}
            for lo in ends for hi in ends if not (lo and hi and lo > hi)]


def cli_args(choice: dict[str, str]) -> list[str]:
    return [arg for name, value in choice.items()
            for arg in (f"--{name.replace('_', '-')}", value)]


def every_output(review: Any, public: Any, cli: CliRunner, session: Any,
                 admin_login: Any, releases: bool = True
                 ) -> tuple[list[dict[str, Any]], list[str]]:
    """Every output the apps and the CLI produce now; also checks the HTML adds nothing.

    `releases=False`: the analyst's outputs only (no release made, none collected)."""
    first = review.get("/stats")
    assert first.status_code == 200
    unfiltered = json.loads(review.get("/stats/export.json").data)
    quarters = next(t["columns"] for t in unfiltered["tables"] if t["id"] == "act_quarter")
    outputs = []
    for choice in choices(first.get_data(as_text=True), quarters):
        as_json = review.get("/stats/export.json", query_string=choice)
        assert as_json.status_code == 200
        payload = json.loads(as_json.data)
        outputs.append(payload)
        as_csv = review.get("/stats/export.csv", query_string=choice)
        assert as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
        outputs.append(csv_payload(as_csv.data))
        html = review.get("/stats", query_string=choice).get_data(as_text=True)
        shown = [html_text.unescape(v) for v in checker.html_values(html)]
        if shown and not payload["epsilon"]:  # the page shows the JSON's numbers, no more
            assert sorted(shown) == sorted(str(v) for v in checker.all_values(payload["tables"]))
        result = cli.invoke(main, ["stats", "export", "--format", "json", *cli_args(choice)])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout_bytes))
        if not releases:
            continue
        admin_login()
        token = csrf_token(review.get("/stats").get_data(as_text=True))
        made = review.post("/stats/releases", data={"csrf_token": token, **choice})
        if made.status_code == 303:
            release = session.scalars(select(StatsRelease).order_by(
                StatsRelease.created_at.desc())).first()
            session.refresh(release)
            review.post(f"/stats/releases/{release.id}/approve", data={"csrf_token": token})
    if not releases:
        return outputs, quarters
    session.expire_all()
    for release in session.scalars(select(StatsRelease).where(
            StatsRelease.approved_at.is_not(None))):
        outputs.append(json.loads(release.payload))
    latest = session.scalars(select(StatsRelease).where(StatsRelease.approved_at.is_not(None))
                             .order_by(StatsRelease.approved_at.desc())).first()
    page = public.get("/transparency").get_data(as_text=True)
    if latest is not None and not json.loads(latest.payload)["epsilon"]:
        tables = json.loads(latest.payload)["tables"]
        assert sorted(html_text.unescape(v) for v in checker.html_values(page)) == sorted(
            str(v) for v in checker.all_values(tables))
    return outputs, quarters


def make_world(settings, database, make_staff, login_as, monkeypatch, session,
               releases=True):
    """Both apps, an admin signed in to the review app, and the CLI on the same database."""
    from intake.public import create_app as public_app
    from intake.review import create_app as review_app

    monkeypatch.setenv("INTAKE_STATS_EPSILON", str(settings.stats_epsilon))
    monkeypatch.setenv("INTAKE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.database_url)
    review = review_app(settings, database).test_client()
    admin = make_staff("admin")
    login_as(review, admin)
    public = public_app(settings.replace(transparency_page=True), database).test_client()

    def outputs() -> tuple[list[dict[str, Any]], list[str]]:
        return every_output(review, public, CliRunner(), session, lambda: None, releases)

    return outputs


@pytest.fixture
def world(settings, database, make_staff, login_as, monkeypatch, session):
    """The apps and the CLI with the test settings (no noise)."""
    return make_world(settings, database, make_staff, login_as, monkeypatch, session)


def reset(session: Any, cases: list[tuple[dict[str, Any], int]]) -> None:
    session.execute(delete(PrivacyLedgerEntry))
    session.execute(delete(StatsRelease))
    session.execute(delete(StatsGeneration))
    session.execute(delete(Case))
    session.execute(delete(StatsCount))
    for fields, n in cases:
        for _ in range(n):
            add_case(session, **fields)
    session.commit()


def assert_attacker_learns_nothing(world: Any, session: Any, settings: Any,
                                   cases: list[tuple[dict[str, Any], int]]) -> None:
    reset(session, cases)
    outputs, quarters = world()
    k = settings.stats_threshold
    for payload in outputs:
        assert checker.small_published(checker.all_values(payload["tables"]), k) == []
    found = attacker.violations(attacker.attack(outputs, quarters), base_counts(cases), k)
    assert found == []


@hsettings(max_examples=8, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cases=st.lists(st.tuples(labels, st.integers(min_value=1, max_value=7)), max_size=7))
def test_every_output_together_reveals_no_small_number(cases: list[tuple[dict[str, Any], int]],
                                                       world: Any, session: Any,
                                                       settings: Any) -> None:
    assert_attacker_learns_nothing(world, session, settings, cases)


def _case(act: str, region: str, period: str, n: int, target: str = "lawyer",
          perpetrator: str = "police") -> tuple[dict[str, Any], int]:
    return ({"acts": [act], "region": region, "period": period, "perpetrators": [perpetrator],
             "target": target}, n)


def test_regression_row_total_of_six(world, session, settings):
    """The review's first break: raid row [1, 5] with total 6; `x + <5 = 6` gave x = 5."""
    cases = [_case("raid", "naryn", "2026-Q1", 1), _case("raid", "talas", "2026-Q1", 5),
             _case("threats", "naryn", "2026-Q1", 7), _case("threats", "talas", "2026-Q1", 9)]
    assert_attacker_learns_nothing(world, session, settings, cases)


def test_regression_filtered_export_differenced_with_the_unfiltered(world, session, settings):
    """The review's second break: 2025-Q1 alone minus all time left one raid in Naryn."""
    cases = [_case("threats", "bishkek", "2025-Q1", 9), _case("surveillance", "naryn",
                                                                "2025-Q1", 8),
             _case("threats", "naryn", "2025-Q1", 6),
             _case("raid", "naryn", "2025-Q2", 1, target="journalist",
                   perpetrator="security_service")]
    assert_attacker_learns_nothing(world, session, settings, cases)


def test_with_noise_the_attacker_pins_nothing(settings, database, make_staff, login_as,
                                             monkeypatch, session):
    """epsilon > 0: the same attacker on the same data finds no small number exactly."""
    noisy = settings.replace(stats_epsilon=0.5)
    world = make_world(noisy, database, make_staff, login_as, monkeypatch, session)
    cases = [_case("raid", "naryn", "2026-Q1", 1), _case("raid", "talas", "2026-Q1", 5),
             _case("threats", "naryn", "2026-Q1", 7), _case("threats", "talas", "2025-Q4", 3)]
    reset(session, cases)
    outputs, quarters = world()
    assert sum(1 for p in outputs if p.get("epsilon") == 0.5) >= 3  # pages, CLI, releases
    base = base_counts(cases)
    k = settings.stats_threshold
    for payload in outputs:  # each output alone: a hidden small number is never pinned
        attack = attacker.attack([payload], quarters)
        true = attacker.truth(attack, base)
        small = [e for e, v in true.items() if 0 < v < k]
        found = attack.intervals(small) or {}
        for expr, (lo, hi) in found.items():
            assert not (lo == hi == true[expr]) or str(attack.shown[expr][0]).isdigit()
