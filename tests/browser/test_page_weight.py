"""Low bandwidth: every public page, with everything it loads, is at most 30 KB."""

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
