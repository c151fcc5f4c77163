"""The shared servers and browser work: both apps answer through Chromium."""

from __future__ import annotations


def test_public_and_review_apps_are_live(live_public, live_review, new_page):
    page = new_page()
    page.goto(live_public.url + "/")
    assert page.locator("#what").count() == 1
    page.goto(live_review.url + "/login")
    assert page.locator("#passphrase").count() == 1


def test_signed_in_fixture_gives_a_working_staff_session(live_review, new_page, reviewer,
                                                         signed_in):
    anonymous = new_page()
    anonymous.goto(live_review.url + "/login")
    assert anonymous.locator("button.link").count() == 0
    page = new_page()
    signed_in(page, reviewer)
    page.goto(live_review.url + "/login")
    assert "reviewer" in page.text_content("button.link")
