"""The statistics page, empty and filled, in every language: axe finds nothing, and the page
says what is counted, what `x` means, and offers periods as choices."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from intake.models import Case, StatsCount
from tests.browser.support import LANGS, axe_violations, with_lang
from tests.stats.conftest import add_case


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
