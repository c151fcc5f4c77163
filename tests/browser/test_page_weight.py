"""Low bandwidth: every public page, with everything it loads, is at most 30 KB; every
signed-in review page too, except the account page (see REVIEW_LIMITS)."""

from __future__ import annotations

import pytest

from tests.browser.support import (
    LANGS,
    PUBLIC_PAGES,
    fill_report,
    record_transfer,
    send_report,
    submit,
    with_lang,
)

LIMIT = 30 * 1024
# The account page's time-zone choice lists every IANA zone (about 600 options, ~24 KB).
# The inbox: a full page of 50 rows, each with its signal badges and icons, and the filter
# row that lists every coded label (measured 33 KB in the longest language).
REVIEW_LIMITS = {"account": 40 * 1024, "inbox": 40 * 1024}


def _weigh(page, url):  # type: ignore[no-untyped-def]
    sizes = record_transfer(page)
    page.goto(url, wait_until="networkidle")
    return sizes


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(PUBLIC_PAGES))
def test_public_page_weight(live_public, new_page, name, lang):
    page = new_page()  # a fresh context: empty cache, so the stylesheet counts every time
    sizes = _weigh(page, live_public.url + with_lang(PUBLIC_PAGES[name], lang))
    total = sum(size for _url, size in sizes)
    assert any(url.endswith("/style.css") for url, _size in sizes)
    assert 0 < total <= LIMIT, f"{name} [{lang}]: {total} bytes: {sizes}"
    print(f"weight {name} [{lang}]: {total} bytes")


@pytest.mark.parametrize("lang", LANGS)
def test_receipt_and_error_pages_weight(live_public, new_page, lang):
    page = new_page()
    page.goto(live_public.url + with_lang("/", lang))
    # Same page, several navigations: turn the cache off so the stylesheet counts each time.
    page.context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes = record_transfer(page)
    submit(page)  # comes back with errors
    page.wait_for_load_state("networkidle")
    errors = sum(size for _url, size in sizes)
    assert any(url.endswith("/style.css") for url, _size in sizes)
    assert 0 < errors <= LIMIT, sizes
    fill_report(page, "Weight check report")
    sizes.clear()
    send_report(page)
    page.wait_for_load_state("networkidle")
    receipt = sum(size for _url, size in sizes)
    assert any(url.endswith("/style.css") for url, _size in sizes)
    assert 0 < receipt <= LIMIT, sizes


@pytest.mark.parametrize("lang", LANGS)
def test_review_page_weight(live_review, new_page, admin, review_pages, signed_in, lang):
    page = new_page()
    signed_in(page, admin)
    page.goto(live_review.url + "/healthz")
    page.context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    requests = []
    page.on("request", lambda request: requests.append(request))
    heavy = []
    for name, path in review_pages.items():
        requests.clear()
        page.goto(live_review.url + with_lang(path, lang))  # "load": every resource is in
        sizes = [(r.url, r.sizes()["responseHeadersSize"] + r.sizes()["responseBodySize"])
                 for r in requests]
        total = sum(size for _url, size in sizes)
        assert any(url.endswith("/style.css") for url, _size in sizes), name
        print(f"weight review {name} [{lang}]: {total} bytes")
        if not 0 < total <= REVIEW_LIMITS.get(name, LIMIT):
            heavy.append((name, total))
    assert heavy == []
