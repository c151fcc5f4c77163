"""Issue 16 in a real browser: an analyst signs in and lands on Statistics (a refusal keeps
the navigation and leads back there, never in a loop); invitations default to Reviewer;
Deactivate asks on its own page before deleting a colleague's keys."""

from __future__ import annotations

from intake.models import Staff
from tests.browser.conftest import enrolled_staff
from tests.browser.support import sign_in


def test_an_analyst_lands_on_statistics_and_never_loops(live_review, live_settings,
                                                        live_database, new_page):
    analyst = enrolled_staff(live_settings, live_database, "landing-analyst", "analyst",
                             "analyst correct horse battery staple")
    page = new_page(js=True)
    sign_in(page, live_review.url, analyst)
    assert page.url.split("?")[0] == live_review.url + "/stats"
    assert page.locator("nav.staffnav a[aria-current=page]").text_content() == "Statistics"
    response = page.goto(live_review.url + "/?lang=en")
    assert response is not None and response.status == 403
    assert page.locator("nav.staffnav a", has_text="Statistics").count() == 1
    with page.expect_navigation():
        page.get_by_role("link", name="Back to the start").click()
    assert page.url.split("?")[0] == live_review.url + "/stats"
    assert page.locator("h1").count() == 1 and "Sorry" not in (page.text_content("h1") or "")


def test_invites_default_to_reviewer_and_deactivate_asks_first(live_review, live_settings,
                                                               live_database, new_page,
                                                               admin, signed_in):
    leaver = enrolled_staff(live_settings, live_database, "leaver", "reviewer",
                            "leaver correct horse battery staple")
    page = new_page(js=True)
    signed_in(page, admin)
    page.goto(live_review.url + "/admin/staff?lang=en")
    assert page.input_value("#role") == "reviewer"
    row = page.locator("tr", has_text="leaver")
    with page.expect_navigation():
        row.get_by_role("link", name="Deactivate").click()
    assert "Deactivate leaver?" in (page.text_content("h1") or "")
    assert "cannot be undone" in (page.text_content("main") or "")
    with live_database.transaction() as s:
        assert s.get(Staff, leaver.id).active  # asking changed nothing
    with page.expect_navigation():
        page.get_by_role("link", name="Cancel, keep this account").click()
    with live_database.transaction() as s:
        assert s.get(Staff, leaver.id).active
    with page.expect_navigation():
        page.locator("tr", has_text="leaver").get_by_role("link", name="Deactivate").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Deactivate leaver").click()
    assert "Deactivated:" in (page.text_content("p.success") or "")
    with live_database.transaction() as s:
        assert not s.get(Staff, leaver.id).active
