"""Protect once per generation, from the attacker's side.

An attacker who asks again gets the same numbers (with noise on, averaging gains nothing);
one who holds every output of two consecutive generations, one case apart, pins nothing;
and what is stored for a generation is only what may be published.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from intake.cli import main
from intake.models import PrivacyLedgerEntry, StatsGeneration, StatsRelease
from intake.payloads import decode_generation
from intake.stats import charts
from intake.stats.compute import payload
from intake.stats.slices import HIDDEN
from tests.stats import attacker, checker
from tests.stats.conftest import add_case
from tests.stats.test_attacker_property import (
    _case,
    base_counts,
    labels,
    make_world,
    reset,
)

REPEATS = 50


def _outputs_once(review: Any, public: Any, cli: CliRunner, periods: list[str]) -> list[bytes]:
    """Every output a request can get, each period: JSON, CSV, SVG, PNG, the page, the CLI,
    and the transparency page."""
    out = []
    for period in periods:
        query = {"period": period}
        for fmt in ("json", "csv", "svg", "png"):
            response = review.get(f"/stats/export.{fmt}", query_string=query)
            assert response.status_code == 200
            out.append(response.data)
        page = review.get("/stats", query_string=query).get_data(as_text=True)
        out.append("|".join(checker.html_values(page)).encode())
        for fmt in ("json", "csv"):
            result = cli.invoke(main, ["stats", "export", "--format", fmt, "--period", period])
            assert result.exit_code == 0, result.output
            out.append(result.stdout_bytes)
    page = public.get("/transparency").get_data(as_text=True)
    out.append("|".join(checker.html_values(page)).encode())
    return out


def test_repeated_requests_with_noise_give_identical_numbers(settings, database, make_staff,
                                                             login_as, monkeypatch, session):
    # a chart is drawn from the payload it is given (about a second each here): the requests
    # below check the numbers every chart request is drawn from, 50 times each
    monkeypatch.setattr(charts, "render", lambda data, fmt: json.dumps(data).encode())
    noisy = settings.replace(stats_epsilon=0.5)
    outputs = make_world(noisy, database, make_staff, login_as, monkeypatch, session)
    reset(session, [_case("raid", "naryn", "2026-Q1", 1), _case("raid", "talas", "2026-Q1", 5),
                    _case("threats", "naryn", "2026-Q1", 7),
                    _case("threats", "talas", "2025-Q4", 3)])
    outputs()  # every output once, a release of each period approved (the public page)
    from intake.public import create_app as public_app
    from intake.review import create_app as review_app

    review = review_app(noisy, database).test_client()
    login_as(review, make_staff("analyst"))
    public = public_app(noisy.replace(transparency_page=True), database).test_client()
    cli = CliRunner()
    periods = json.loads(review.get("/stats/export.json").data)["periods"]
    assert len(periods) == 5  # all, 2025, 2026, two quarters
    session.expire_all()
    spent = session.scalar(select(func.count()).select_from(PrivacyLedgerEntry))
    generation = session.scalar(select(func.max(StatsGeneration.id)))
    first = _outputs_once(review, public, cli, periods)
    assert any(b'"epsilon": 0.5' in o for o in first)
    for _ in range(REPEATS - 1):
        assert _outputs_once(review, public, cli, periods) == first
    session.expire_all()
    # one noise draw served every one of those requests: nothing more was spent
    assert session.scalar(select(func.count()).select_from(PrivacyLedgerEntry)) == spent
    assert session.scalar(select(func.max(StatsGeneration.id))) == generation


def _stored_is_publishable(session: Any, k: int) -> None:
    for row in session.scalars(select(StatsGeneration)):
        result = decode_generation(row.result)
        assert result.threshold == k
        small = [key for key, v in result.numbers.items()
                 if v != HIDDEN and isinstance(v, int) and 0 < v < k]
        assert small == []
        assert all(v == HIDDEN or (isinstance(v, int) and v >= 0)
                   for v in result.numbers.values())


@hsettings(max_examples=6, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cases=st.lists(st.tuples(labels, st.integers(min_value=1, max_value=7)), min_size=1,
                      max_size=6), pick=st.integers(min_value=0))
def test_two_consecutive_generations_one_case_apart_pin_nothing(
        cases: list[tuple[dict[str, Any], int]], pick: int, settings: Any, database: Any,
        make_staff: Any, login_as: Any, monkeypatch: Any, session: Any) -> None:
    """All analyst outputs before and after one more case (labelled like one already
    counted, so every count it joins had cases before) — one integer programme over both:
    no number small in either generation can be narrowed below k. No release is made, so
    only the audit with the previous generation links them. And the stored generations
    hold only publishable numbers."""
    world = make_world(settings, database, make_staff, login_as, monkeypatch, session,
                       releases=False)
    k = settings.stats_threshold
    assert _one_case_later(world, session, cases, cases[pick % len(cases)][0], k) == []
    _stored_is_publishable(session, k)


def _one_case_later(world: Any, session: Any, cases: list[tuple[dict[str, Any], int]],
                    fields: dict[str, Any], k: int) -> list[str]:
    """Every output of `world` for `cases`, then for one more case with `fields`; what the
    two-generation attacker learns below k."""
    reset(session, cases)
    before, quarters = world()
    add_case(session, **_labels(fields))
    session.commit()
    after = _later(session, world)
    both = attacker.two_generations(before, after, quarters)
    truth = attacker.growth(base_counts(cases), base_counts([*cases, (fields, 1)]))
    return attacker.violations(both, truth, k)


def _later(session: Any, world: Any) -> list[dict[str, Any]]:
    """The outputs of the next generation: what `world()` collects, less the releases of the
    earlier one (they are still approved and collected again, but belong to it)."""
    earlier = [json.loads(p) for p in session.scalars(
        select(StatsRelease.payload).where(StatsRelease.approved_at.is_not(None)))]
    outputs, _quarters = world()
    for release in earlier:
        outputs.remove(release)
    return outputs


def _labels(fields: dict[str, Any]) -> dict[str, Any]:
    return {"acts": fields["acts"], "region": fields["region"], "period": fields["period"],
            "perpetrators": fields["perpetrators"], "target": fields["target"]}


def test_the_regression_data_one_case_later(settings, database, make_staff, login_as,
                                            monkeypatch, session):
    """The review's row total of 6, then one more raid in Talas (the 5 becomes 6); every
    output of both, releases of every period included."""
    world = make_world(settings, database, make_staff, login_as, monkeypatch, session)
    cases = [_case("raid", "naryn", "2026-Q1", 1), _case("raid", "talas", "2026-Q1", 5),
             _case("threats", "naryn", "2026-Q1", 7), _case("threats", "talas", "2026-Q1", 9)]
    extra = _case("raid", "talas", "2026-Q1", 1)[0]
    assert _one_case_later(world, session, cases, extra, settings.stats_threshold) == []


def test_a_hidden_four_that_becomes_five_stays_hidden(settings, database, make_staff,
                                                      login_as, monkeypatch, session):
    """Protected alone, the later generation would publish the 5 and give the earlier 4
    away (5 − one case); audited with the previous generation, it keeps it hidden."""
    world = make_world(settings, database, make_staff, login_as, monkeypatch, session,
                       releases=False)
    cases = [_case("raid", "naryn", "2026-Q1", 4), _case("raid", "talas", "2026-Q1", 9),
             _case("threats", "naryn", "2026-Q1", 7), _case("threats", "talas", "2026-Q1", 8)]
    extra = _case("raid", "naryn", "2026-Q1", 1)[0]
    assert _one_case_later(world, session, cases, extra, settings.stats_threshold) == []
    stored = session.scalars(select(StatsGeneration).order_by(StatsGeneration.id.desc())
                             ).first()
    assert stored.audited_with == "previous"


def test_a_case_in_an_empty_cell_is_located_the_known_limit(settings, database, make_staff,
                                                            login_as, monkeypatch, session):
    """docs/statistics.md, "Known limits": a published 0 that becomes hidden, one case
    later, is 1 to whoever knows that one case was added. Everything else stays safe:
    every number small in the earlier generation (the other people's cases)."""
    world = make_world(settings, database, make_staff, login_as, monkeypatch, session)
    cases = [_case("threats", "bishkek", "2026-Q1", 9), _case("threats", "naryn", "2026-Q1", 8),
             _case("surveillance", "bishkek", "2026-Q1", 2),
             _case("surveillance", "naryn", "2026-Q1", 7)]
    extra = _case("raid", "naryn", "2026-Q1", 1)[0]
    found = _one_case_later(world, session, cases, extra, settings.stats_threshold)
    assert found and all("'raid'" in line and "true 1," in line for line in found), found


def test_stored_generation_after_noise_holds_no_small_number(settings, session, make_case):
    from intake.services.statistics import protected
    from intake.stats.filters import Filters

    make_case(3, acts=("raid",), region="naryn")
    make_case(20)
    protected(session, settings.replace(stats_epsilon=0.4), None, Filters(), "test")
    protected(session, settings, None, Filters(), "test")
    session.commit()
    assert session.scalar(select(func.count()).select_from(StatsGeneration)) == 2
    _stored_is_publishable(session, settings.stats_threshold)


def test_a_release_is_a_slice_of_the_stored_generation(settings, session, make_case,
                                                       make_staff):
    from intake.services.stats_releases import create_release
    from intake.stats.filters import Filters

    make_case(3, acts=("raid",), region="naryn")
    make_case(20)
    release = create_release(session, settings, make_staff("analyst"), Filters("2026"))
    stored = decode_generation(session.scalars(select(StatsGeneration)).one().result)
    frozen = json.loads(session.get(StatsRelease, release.id).payload)
    assert frozen["tables"] == json.loads(json.dumps(payload(stored, "2026")["tables"]))


def test_two_requests_at_once_serve_one_noise_draw(settings, database, make_case):
    """Two requests making the same new generation at the same moment: the second one's
    own draw is thrown away and it serves the first one's numbers (one ledger entry)."""
    from intake.services.stats_generations import current

    make_case(20)
    make_case(3, acts=("raid",), region="bishkek")
    noisy = settings.replace(stats_epsilon=0.5)
    first_session, second_session = database.factory(), database.factory()
    served: dict[str, Any] = {}

    def second() -> None:
        served["second"] = current(second_session, noisy, None, "second")
        second_session.commit()

    try:
        first = current(first_session, noisy, None, "first")  # stored, not yet committed
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)  # the second request is now making its own draw or waiting to store
        first_session.commit()
        thread.join(30)
        assert served["second"].result.numbers == first.result.numbers
        assert served["second"].generation_id == first.generation_id
    finally:
        first_session.close()
        second_session.close()
    reader = database.factory()
    try:
        assert list(reader.scalars(select(PrivacyLedgerEntry.purpose))) == ["first"]
    finally:
        reader.close()
