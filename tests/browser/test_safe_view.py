"""Issue 18 in a real browser: a reviewer views the previews of a PDF and a photo (under the
strict CSP), downloads the safe PDF, and gets the original only after confirming that it
will be opened offline; axe finds nothing on these pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.attachments.samples import send_report
from tests.browser.support import axe_violations, screenshot
from tests.convert import samples
from tests.convert.conftest import needs_sandbox
from tests.convert.test_hostile import assert_pixels_only
from tests.support.factories import receipt_code

LOADED = "img => img.complete && img.naturalWidth > 0"


def _open_safely(page: Any, review_url: str, reference: str, filename: str) -> None:
    page.goto(f"{review_url}/cases/{reference}?lang=en")
    listed = page.locator("ul.files li", has_text=filename)
    listed.get_by_role("link", name="View safely").click()
    page.get_by_role("button", name="Make a safe copy").click()
    page.wait_for_url("**/safe")
    images = page.locator("img.safe-page")
    assert images.count() >= 1
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function(LOADED, arg=image.element_handle())
        assert (image.get_attribute("src") or "").startswith("/files/")


@needs_sandbox
def test_reviewer_views_safely_and_confirms_before_the_original(
        live_public: Any, live_review: Any, new_page: Any, reviewer: Any,
        signed_in: Any) -> None:
    from tests.browser.conftest import case_for_receipt

    original_pdf = samples.pdf_with_javascript_and_launch(9)
    client = live_public.app.test_client()
    response = send_report(client, [("leaflet.pdf", original_pdf),
                                    ("street.jpg", samples.photo())],
                           what="Safe view: a leaflet and a photo of the street.",
                           metadata="keep")
    code = receipt_code(response.get_data(as_text=True))
    with live_public.database.transaction() as s:
        reference = case_for_receipt(s, live_public.settings, code).reference

    page = new_page(js=True)  # CSP enforced: the previews must load under img-src 'self'
    signed_in(page, reviewer)
    _open_safely(page, live_review.url, reference, "street.jpg")
    _open_safely(page, live_review.url, reference, "leaflet.pdf")
    screenshot(page, "review-safe-view")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download safe PDF").click()
    safe = Path(info.value.path()).read_bytes()
    assert_pixels_only(safe, 1)
    assert info.value.suggested_filename.endswith("-safe.pdf")

    page.get_by_role("link", name="Download the original…").click()
    assert "not connected to any network" in (page.text_content("main") or "")
    confirm_url = page.url
    downloads: list[Any] = []
    page.on("download", lambda download: downloads.append(download))
    page.get_by_role("button", name="Download the original").click()  # box not ticked
    page.wait_for_timeout(500)
    assert downloads == [] and page.url == confirm_url
    page.get_by_label("I will open this file only on a computer that is not connected "
                      "to any network.").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the original").click()
    assert Path(info.value.path()).read_bytes() == original_pdf

    checker = new_page(bypass_csp=True)
    signed_in(checker, reviewer)
    found = []
    for path in (page.url, confirm_url):
        checker.goto(path if path.startswith("http") else live_review.url + path)
        found += axe_violations(checker)
    safe_view = confirm_url + "/safe?lang=en"
    checker.goto(safe_view)
    found += axe_violations(checker)
    assert found == []
