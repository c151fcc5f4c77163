"""The statistics page, empty, filled and while new data are protected, in every language:
axe finds nothing, and the page says what is counted, what `x` means, and offers periods."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from intake.models import Case, StatsCount, StatsGeneration
from intake.review.stats_views import MAKER
from tests.browser.support import LANGS, axe_violations, screenshot, with_lang
from tests.stats.conftest import add_case
from tests.stats.test_background_protection import hold


def _fill(database, n_cases: bool) -> None:
    with database.transaction() as session:
        session.execute(delete(StatsCount))
        session.execute(delete(Case).where(Case.reference.like("stat%")))
        if n_cases:
            for region, n in (("naryn", 2), ("bishkek", 9), ("talas", 6)):
                for _ in range(n):
                    case = add_case(session, region=region, period="2026-Q1")
                    case.reference = f"stat{case.reference}"[:8]


@pytest.mark.parametrize("lang", LANGS)
def test_statistics_page_empty_and_filled_has_no_axe_violations(live_review, new_page, admin,
                                                                signed_in, lang):
    page = new_page(bypass_csp=True)
    signed_in(page, admin)
    found = []
    _fill(live_review.database, False)
    page.goto(live_review.url + with_lang("/stats", lang))
    assert page.locator("select#period").count() == 1
    assert page.locator("table").count() <= 1  # only the releases list, if any
    found += axe_violations(page)
    _fill(live_review.database, True)
    page.goto(live_review.url + with_lang("/stats?period=2026-Q1", lang))
    assert page.locator(".stats-table").count() == 4
    cells = page.locator(".stats-table td.num").all_inner_texts()
    assert "x" in cells and "2" not in cells
    assert "+00:00" not in page.content()
    found += axe_violations(page)
    _fill(live_review.database, False)
    assert found == []


@pytest.mark.parametrize("lang", LANGS)
def test_statistics_being_prepared_have_no_axe_violations(live_review, new_page, admin,
                                                          signed_in, lang, monkeypatch):
    """While new data are protected in the background: the notice over the last stored
    numbers, and the page before any is stored, pass axe in every language."""
    page = new_page(bypass_csp=True)
    signed_in(page, admin)
    _fill(live_review.database, True)
    with live_review.database.transaction() as session:
        session.execute(delete(StatsGeneration))  # nothing stored yet
    maker = live_review.app.extensions[MAKER]
    first, _started = hold(monkeypatch)
    gates = [first]
    try:
        response = page.goto(live_review.url + with_lang("/stats", lang))
        assert response is not None and response.status == 503
        assert page.locator(".stats-table").count() == 0
        found = axe_violations(page)
        first.set()
        maker.start(None, "test", None).join(30)  # the first generation is stored
        newer, _started = hold(monkeypatch)
        gates.append(newer)
        with live_review.database.transaction() as session:
            add_case(session, region="osh", period="2026-Q1").reference = "statnew1"
        page.goto(live_review.url + with_lang("/stats", lang))
        assert page.locator("p.notice[role=status]").count() == 1
        assert page.locator(".stats-table").count() == 4
        found += axe_violations(page)
        if lang == "en":
            screenshot(page, "review-stats-pending")
    finally:
        for gate in gates:
            gate.set()
        maker.start(None, "test", None).join(30)
        _fill(live_review.database, False)
    assert found == []
