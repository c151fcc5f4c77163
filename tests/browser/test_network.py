"""Nothing from elsewhere: no page asks for anything outside the app's own origin."""

from __future__ import annotations

import pytest

from tests.browser.support import (
    LANGS,
    PUBLIC_PAGES,
    REVIEW_PAGES,
    fill_report,
    origin,
    record_requests,
    send_report,
    with_lang,
)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_public_pages_request_only_their_own_origin(live_public, new_page, js):
    page = new_page(js=js)
    seen = record_requests(page)
    for lang in LANGS:
        for path in PUBLIC_PAGES.values():
            page.goto(live_public.url + with_lang(path, lang))
    page.goto(live_public.url + "/")
    fill_report(page, "Network check report")
    send_report(page)
    assert len(seen) >= len(PUBLIC_PAGES) * len(LANGS)
    assert any(url.endswith("/static/style.css") for url in seen)
    outside = [url for url in seen if origin(url) != live_public.url]
    assert outside == []


def test_review_pages_request_only_their_own_origin(live_review, new_page, admin,
                                                   review_pages, signed_in):
    page = new_page()
    seen = record_requests(page)
    for path in REVIEW_PAGES.values():
        page.goto(live_review.url + path)
    signed_in(page, admin)
    for lang in LANGS:
        for path in review_pages.values():
            page.goto(live_review.url + with_lang(path, lang))
    assert len(seen) >= len(review_pages) * len(LANGS)
    assert [url for url in seen if origin(url) != live_review.url] == []
