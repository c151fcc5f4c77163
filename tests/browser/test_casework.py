"""Issue 16 in a real browser: a reviewer triages ten fresh cases, counting every POST; the
in-page reply check shows exactly the text that is stored and read by the reporter; the
inbox marks new information and clears it when read; the thread keeps its true order and
paragraphs; the reply checks and the saved case page pass axe in every language; the case
page is two columns on a desktop and one on a phone (screenshots of both, and the inbox)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from sqlalchemy import select

from intake.models import Case, CaseLabel
from tests.browser.conftest import DESKTOP, PHONE, case_for_receipt
from tests.browser.support import (
    LANGS,
    add_note,
    axe_violations,
    check_reply,
    open_receipt,
    preview_reply,
    screenshot,
    send_reply,
    send_reply_from_preview_page,
    with_lang,
)
from tests.review.test_casework import _followup, _reporter_texts
from tests.support.factories import receipt_code, submit_report


def _posts(page: Any) -> list[str]:
    """Every POST the page makes from now on."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if r.method == "POST" else None)
    return seen


def _fresh_cases(live_public: Any, count: int, tag: str) -> list[tuple[str, str]]:
    """(receipt code, reference) of `count` reports sent through the public app."""
    client = live_public.app.test_client()
    out = []
    for n in range(count):
        code = receipt_code(submit_report(client, what=f"{tag} case {n}").get_data(as_text=True))
        with live_public.database.transaction() as s:
            out.append((code, case_for_receipt(s, live_public.settings, code).reference))
    return out


def _inbox_row(page: Any, review_url: str, reference: str) -> Any:
    page.goto(review_url + "/?lang=en&new_info=1")
    return page.locator("table.inbox tbody tr", has=page.locator(f"a:text-is('{reference}')"))


def test_a_reviewer_triages_ten_fresh_cases(live_public, live_review, new_page, reviewer,
                                            signed_in):
    tag = f"TEN-{secrets.token_hex(3)}"
    cases = _fresh_cases(live_public, 10, tag)
    page = new_page(js=True)
    signed_in(page, reviewer)
    posts = _posts(page)
    per_case = []
    for _code, reference in cases:
        page.goto(f"{live_review.url}/cases/{reference}?lang=en")
        # The reporter's own answers are already ticked: the reviewer confirms them.
        assert page.is_checked("#label-act_type-surveillance")
        assert page.input_value("#label-region") == "naryn"
        before = len(posts)
        page.select_option("#triage-status", "verified")  # new -> verified in one step
        page.check("#label-target-defender")
        with page.expect_navigation():
            page.click("button.save-button")
        assert page.text_content("p.success") == "Saved."
        triage_posts = len(posts) - before
        send_reply(page, f"We have read report {reference}.\n\nWe will call you.")
        assert "Reply sent." in (page.text_content("p.success") or "")
        per_case.append((triage_posts, len(posts) - before - triage_posts))
    # Measured: one POST for status, priority, assignee and labels; one for the reply (its
    # check is shown in the page, then "Send this reply to the reporter" posts once).
    assert per_case == [(1, 1)] * 10
    with live_review.database.transaction() as s:
        for _code, reference in cases:
            case = s.scalar(select(Case).where(Case.reference == reference))
            assert case is not None and case.status == "verified"
            labels = {(lab.vocabulary, lab.code) for lab in s.scalars(
                select(CaseLabel).where(CaseLabel.case_id == case.id))}
            assert {("act_type", "surveillance"), ("region", "naryn"),
                    ("target", "defender"), ("period", "2026-Q1")} <= labels


TRICKY = ("\u3000 Dear reporter,\r\n\r\nwe read <b>your</b> report & "
          "<img src=x alt=x>\n   an indented line\n\n\n<script>1</script> \n\t")


def test_the_in_page_check_shows_exactly_what_is_stored_and_read(
        live_public, live_review, new_page, reviewer, signed_in):
    """Line breaks, outer blanks and HTML-looking text: the check shows the stored text, as
    text (no element is made from it), and the reporter reads the same."""
    [(code, reference)] = _fresh_cases(live_public, 1, f"CHECK-{secrets.token_hex(3)}")
    page = new_page(js=True)
    signed_in(page, reviewer)
    page.goto(f"{live_review.url}/cases/{reference}?lang=en")
    posts = _posts(page)
    assert not page.is_visible("#reply-check")
    shown = check_reply(page, TRICKY)
    assert posts == []  # the check itself asks nothing of the server
    assert shown == ("Dear reporter,\n\nwe read <b>your</b> report & <img src=x alt=x>\n"
                     "   an indented line\n\n\n<script>1</script>")
    assert page.locator("#reply-check-text *").count() == 0
    assert page.evaluate("document.activeElement.id") == "reply-check-title"
    page.type("#reply-text", "!")  # a changed draft closes the check: nothing stale is sent
    assert not page.is_visible("#reply-check")
    check_reply(page, TRICKY)
    page.click("#reply-check-change")
    assert not page.is_visible("#reply-check")
    assert page.evaluate("document.activeElement.id") == "reply-text"
    assert _reporter_texts(live_review.database, live_review.settings, code, reference) == []
    assert check_reply(page, TRICKY) == shown
    screenshot(page, "review-reply-check")
    with page.expect_navigation():
        page.click("#reply-check button.send-button")
    assert len(posts) == 1 and posts[0].endswith(f"/cases/{reference}/replies")
    assert _reporter_texts(live_review.database, live_review.settings, code, reference) == \
        [shown]
    reporter = new_page(js=False)
    open_receipt(reporter, live_public.url, code)
    assert reporter.text_content("ol.replies .reply-text") == shown


def test_without_javascript_the_preview_page_still_checks_the_reply(
        live_public, live_review, new_page, reviewer, signed_in):
    """No script: "Preview the reply" opens the preview page, and the send is from there."""
    [(code, reference)] = _fresh_cases(live_public, 1, f"NOJS-{secrets.token_hex(3)}")
    page = new_page(js=False)
    signed_in(page, reviewer)
    page.goto(f"{live_review.url}/cases/{reference}?lang=en")
    posts = _posts(page)
    send_reply_from_preview_page(page, "Seen first.\n\n<i>as text</i>", script=False)
    assert "Reply sent." in (page.text_content("p.success") or "")
    assert len(posts) == 2  # measured: the preview page, then the send from it
    assert _reporter_texts(live_review.database, live_review.settings, code, reference) == \
        ["Seen first.\n\n<i>as text</i>"]


def test_new_information_and_the_thread_in_true_order(live_public, live_review, new_page,
                                                      reviewer, signed_in):
    [(code, reference)] = _fresh_cases(live_public, 1, f"ORDER-{secrets.token_hex(3)}")
    page = new_page(js=True)
    signed_in(page, reviewer)
    page.goto(f"{live_review.url}/cases/{reference}?lang=en")
    add_note(page, "NOTE-1 check the lawyer first")
    assert "Only staff can read it" in (page.text_content("p.success") or "")
    send_reply(page, "REPLY-2 we read your report")
    assert _inbox_row(page, live_review.url, reference).count() == 0
    more = "FOLLOWUP-3 first paragraph\nsame paragraph\n\nsecond paragraph"
    assert _followup(live_public.app.test_client(), code, more, []).status_code == 200
    row = _inbox_row(page, live_review.url, reference)
    assert row.count() == 1 and "New information" in (row.text_content() or "")
    with page.expect_navigation():
        row.locator("a").first.click()
    kinds = page.eval_on_selector_all("section.entry", "els => els.map(e => e.className)")
    assert kinds == ["entry report", "entry note", "entry reply", "entry followup"]
    paragraphs = page.locator("section.entry.followup .text p")
    assert paragraphs.count() == 2
    assert paragraphs.nth(0).inner_text() == "FOLLOWUP-3 first paragraph\nsame paragraph"
    assert _inbox_row(page, live_review.url, reference).count() == 0  # read: mark cleared


@pytest.mark.parametrize("lang", LANGS)
def test_reply_preview_and_saved_case_page_pass_axe(live_public, live_review, new_page, admin,
                                                    signed_in, lang):
    [(_code, reference)] = _fresh_cases(live_public, 1, f"AXE-{lang}")
    page = new_page(bypass_csp=True)
    signed_in(page, admin)
    page.goto(live_review.url + with_lang(f"/cases/{reference}", lang))
    with page.expect_navigation():
        page.click("button.save-button")
    assert page.locator("p.success").count() == 1
    found = axe_violations(page)
    assert check_reply(page, "Line one\n\nline two <b>kept</b>") == \
        "Line one\n\nline two <b>kept</b>"
    found += axe_violations(page)  # the in-page check, shown
    preview_reply(page, "Line one\n\nline two <b>kept</b>")  # the page without the script
    assert page.text_content("#reply-preview") == "Line one\n\nline two <b>kept</b>"
    assert page.get_attribute("html", "lang") == lang.replace("_", "-")
    found += axe_violations(page)
    assert found == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_case_page_columns_and_screenshots(live_review, live_case, new_page, admin,
                                           signed_in, size):
    page = new_page(viewport=DESKTOP if size == "desktop" else PHONE)
    signed_in(page, admin)
    page.goto(f"{live_review.url}/cases/{live_case}?lang=en")
    thread = page.locator("div.thread").bounding_box()
    side = page.locator("div.side").bounding_box()
    assert thread is not None and side is not None
    if size == "desktop":  # side by side
        assert side["x"] >= thread["x"] + thread["width"] and side["y"] == thread["y"]
    else:  # one column, triage under the thread, nothing wider than the screen
        assert side["y"] >= thread["y"] + thread["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"review-case-en-{size}")
    page.goto(f"{live_review.url}/?lang=en")
    screenshot(page, f"review-inbox-en-{size}")
