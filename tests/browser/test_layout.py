"""Layout: usable on a 360 px phone (no sideways scrolling) and on a desktop."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.support import (
    LANGS,
    PUBLIC_PAGES,
    REVIEW_PAGES,
    fill_report,
    passphrase_step,
    screenshot,
    send_report,
    with_lang,
)

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "desktop"])
@pytest.mark.parametrize("lang", LANGS)
def test_no_horizontal_scroll(live_public, live_review, new_page, admin, review_pages,
                              signed_in, viewport, lang):
    page = new_page(viewport=viewport)
    wide = []
    for path in PUBLIC_PAGES.values():
        page.goto(live_public.url + with_lang(path, lang))
        if page.evaluate(OVERFLOW) > 0:
            wide.append(page.url)
    page.goto(live_public.url + "/")
    fill_report(page, "Layout check report")
    send_report(page)
    if page.evaluate(OVERFLOW) > 0:
        wide.append("receipt")
    for path in REVIEW_PAGES.values():
        page.goto(live_review.url + with_lang(path, lang))
        if page.evaluate(OVERFLOW) > 0:
            wide.append(page.url)
    staff = new_page(viewport=viewport)
    signed_in(staff, admin)
    for path in review_pages.values():
        staff.goto(live_review.url + with_lang(path, lang))
        if staff.evaluate(OVERFLOW) > 0:
            wide.append(staff.url)
    assert wide == []


def test_screenshots_of_the_review_sign_in(live_review, new_page, reviewer):
    """Only writes files when INTAKE_SCREENSHOTS=1; otherwise checks the pages render."""
    for lang in ("en", "ru"):
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = new_page(viewport=viewport)
            page.goto(live_review.url + with_lang(REVIEW_PAGES["login"], lang))
            assert page.locator("#passphrase").count() == 1
            screenshot(page, f"review-login-{lang}-{width}")
            passphrase_step(page, live_review.url, reviewer, lang)
            assert page.locator("#code").count() == 1
            screenshot(page, f"review-2fa-{lang}-{width}")
