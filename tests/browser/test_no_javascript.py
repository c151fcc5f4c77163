"""The whole reporter flow works with JavaScript disabled (Tor Browser "Safest")."""

from __future__ import annotations

import secrets

from intake.models import Staff
from intake.services.triage import add_reply
from tests.browser.conftest import case_for_receipt
from tests.browser.support import (
    fill_report,
    jpeg_file,
    open_receipt,
    screenshot,
    send_followup,
    send_report,
    submit,
)


def test_report_receipt_reply_and_follow_up_without_javascript(
        live_public, live_review, new_page, reviewer, signed_in):
    """Report with a photo, read a reply with the receipt code, answer with another photo."""
    reply = f"REPLY-{secrets.token_hex(4)}: мы прочитали ваше сообщение"
    more = f"MORE-{secrets.token_hex(4)}: they came back"
    page = new_page(js=False)
    page.goto(live_public.url + "/?lang=ru")
    fill_report(page, "Report sent with JavaScript disabled")
    assert page.is_checked("input[name=metadata][value=remove]")  # the default choice
    page.set_input_files("#files", [jpeg_file("IMG_0001.jpg")])
    code = send_report(page)
    assert "Ваше сообщение получено" in page.text_content("h1")
    assert "IMG_0001.jpg" in (page.text_content(".file-notes") or "")

    # Staff reply through the service layer (the browser flow of the reply is in
    # test_review_flow.py); the reporter reads it with the code, JavaScript still off.
    with live_public.database.transaction() as s:
        case = case_for_receipt(s, live_public.settings, code)
        reference = case.reference
        add_reply(s, s.get(Staff, reviewer.id), case, reply)
    open_receipt(page, live_public.url, code, lang="ru")
    assert reply in (page.text_content("ol.replies") or "")
    send_followup(page, more, [jpeg_file("IMG_0002.jpg")])
    assert "IMG_0002.jpg" in (page.text_content(".file-notes") or "")

    staff = new_page()
    signed_in(staff, reviewer)
    staff.goto(f"{live_review.url}/cases/{reference}?lang=en")
    assert more in (staff.text_content("section.entry.followup") or "")
    files = staff.text_content("section.entry.report ul.files") or ""
    files += staff.text_content("section.entry.followup ul.files") or ""
    assert "IMG_0001.jpg" in files and "IMG_0002.jpg" in files


def test_rejected_form_keeps_the_text_without_javascript(live_public, new_page):
    page = new_page(js=False)
    page.goto(live_public.url + "/?lang=ky")
    page.fill("#place", "Naryn town")
    submit(page)
    assert page.locator("#error-summary").count() == 1
    assert page.input_value("#place") == "Naryn town"


def test_quick_exit_is_a_plain_link_without_javascript(live_public, new_page):
    page = new_page(js=False)
    page.route("https://www.bbc.com/**", lambda route: route.fulfill(body="elsewhere"))
    page.goto(live_public.url + "/safety")
    page.click("#quick-exit")
    page.wait_for_url("https://www.bbc.com/**")
    assert "elsewhere" in page.content()


def test_quick_exit_with_javascript_replaces_the_history_entry(live_public, new_page):
    page = new_page(js=True)
    page.route("https://www.bbc.com/**", lambda route: route.fulfill(body="elsewhere"))
    page.goto(live_public.url + "/")
    page.click("footer a[href='/safety']")
    page.wait_for_url("**/safety")
    before = page.evaluate("history.length")
    page.click("#quick-exit")
    page.wait_for_url("https://www.bbc.com/**")
    assert page.evaluate("history.length") == before  # replaced, not added
    page.go_back()
    assert page.url.rstrip("/") == live_public.url  # the safety page is gone from Back


def test_screenshots_of_the_reporter_pages(live_public, new_page):
    """Only writes files when INTAKE_SCREENSHOTS=1; otherwise checks the pages render."""
    for lang in ("en", "ru", "uz_Cyrl"):
        for width, viewport in (("desktop", None), ("phone", {"width": 360, "height": 740})):
            page = new_page(js=False, viewport=viewport)
            page.goto(f"{live_public.url}/?lang={lang}")
            screenshot(page, f"public-form-{lang}-{width}")
            page.goto(f"{live_public.url}/safety")
            screenshot(page, f"safety-{lang}-{width}")
            page.goto(f"{live_public.url}/")
            fill_report(page, "Screenshot report")
            send_report(page)
            screenshot(page, f"receipt-{lang}-{width}")
