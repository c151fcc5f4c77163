"""The shared servers and browser work: both apps answer through Chromium."""

from __future__ import annotations


def test_public_and_review_apps_are_live(live_public, live_review, new_page):
    page = new_page()
    page.goto(live_public.url + "/")
    assert page.locator("#what").count() == 1
    page.goto(live_review.url + "/login")
    assert page.locator("#passphrase").count() == 1
