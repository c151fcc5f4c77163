"""The team and restrict pages in a real browser: an admin builds a team and a route with
the forms, a reviewer restricts a case to one colleague by ticking a box, and the member
cut out sees only the reference and "restricted"; axe finds nothing at any step, in any
language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from intake.models import Item, KeyWrap, Staff, Team
from tests.browser.conftest import case_for_receipt, enrolled_staff
from tests.browser.support import LANGS, axe_violations, with_lang
from tests.support.factories import StaffHandle

WHAT = "Browser check of need to know: a car waited outside the Osh office."


@pytest.fixture(scope="module")
def colleagues(live_settings: Any, live_database: Any) -> Iterator[dict[str, StaffHandle]]:
    """Two more readers for the Osh team. Afterwards the teams are removed again, so the
    browser tests that run later in the shared live instance see no routing (every reader
    receives every new case, as they expect)."""
    yield {name: enrolled_staff(live_settings, live_database, name, "reviewer",
                                f"{name} correct horse battery staple")
           for name in ("osh_two", "osh_three")}
    with live_database.transaction() as s:
        s.execute(delete(Team))


def _submit(page: Any) -> None:
    with page.expect_navigation():
        page.locator("form[method=post] button[type=submit]").last.click()


def test_team_route_restrict_and_restricted_view(live_public: Any, live_review: Any,
                                                 new_page: Any, signed_in: Any, admin: Any,
                                                 reviewer: Any, live_case: str,
                                                 colleagues: dict[str, StaffHandle]) -> None:
    found: list[Any] = []
    page = new_page(bypass_csp=True)
    signed_in(page, admin)
    base = live_review.url
    # The admin creates the team with the form; as the first team it becomes the default,
    # so the admin and reviewer join it too (the other browser tests' readers keep reading).
    page.goto(base + "/admin/teams")
    found += axe_violations(page)
    page.fill("#name", "Osh office")
    with page.expect_navigation():
        page.locator("form[action$='/admin/teams'] button").click()
    assert "Osh office" in page.text_content("main")
    for username in ("reviewer", "admin", "osh_two", "osh_three"):
        page.select_option("select[id^=staff-]", label=username)
        with page.expect_navigation():
            page.locator("form[action$='/members'] button").click()
    page.select_option("#region", "osh")
    page.select_option("#team", label="Osh office")
    with page.expect_navigation():
        page.locator("form[action$='/admin/teams/routing'] button").click()
    found += axe_violations(page)
    assert page.locator("table").text_content().count("Osh office") == 1
    # A case from Osh goes to the team; the reviewer restricts it to osh_two by ticking a box.
    from tests.attachments.samples import send_report
    from tests.support.factories import receipt_code
    response = send_report(live_public.app.test_client(), [], what=WHAT, region="osh")
    code = receipt_code(response.get_data(as_text=True))
    with live_public.database.transaction() as s:
        reference = case_for_receipt(s, live_public.settings, code).reference
    mine = new_page(bypass_csp=True)
    signed_in(mine, reviewer)
    mine.goto(base + f"/cases/{reference}/access")
    found += axe_violations(mine)
    mine.check(f"input[name=readers][value='{colleagues['osh_two'].id}']")
    with mine.expect_navigation():
        mine.locator("form[action$='/restrict'] button").click()
    assert "Restricted" in mine.text_content("main")
    found += axe_violations(mine)
    with live_review.database.transaction() as s:
        holders = set(s.scalars(select(Staff.username).join(
            KeyWrap, KeyWrap.staff_id == Staff.id).join(Item, Item.id == KeyWrap.item_id)
            .where(Item.case_id == case_for_receipt(s, live_public.settings, code).id)))
        assert holders == {"reviewer", "osh_two"}
        assert s.scalar(select(func.count()).select_from(KeyWrap).where(
            KeyWrap.staff_id == colleagues["osh_three"].id)) == 0
    # osh_three: the case page refuses (the one access guard), the inbox lists the reference
    # under "restricted" only; in every language, axe-clean.
    cut = new_page(bypass_csp=True)
    signed_in(cut, colleagues["osh_three"])
    for lang in LANGS:
        response = cut.goto(base + with_lang(f"/cases/{reference}", lang))
        assert response is not None and response.status == 403
        body = cut.text_content("main") or ""
        assert WHAT not in body and "Osh oblast" not in body
        found += axe_violations(cut)
        cut.goto(base + with_lang("/", lang))
        assert reference in (cut.text_content(".restricted-cases") or "")
        found += axe_violations(cut)
    assert found == []
