"""The reporter's path around the form, in a real browser with and without JavaScript: the
code is on the form before it is sent, going back and sending again is still one report with
the same code, the language switch on the receipt page keeps the code, and long testimony
is stored whole or refused whole."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from intake.models import Case, Item, Staff
from intake.payloads import ReportAnswers
from intake.services.credentials import unlock_private_key
from intake.services.reading import open_item
from tests.browser.conftest import case_for_receipt
from tests.browser.support import fill_report, screenshot, send_report, submit


def _cases(live: Any) -> int:
    with live.database.transaction() as s:
        return s.scalar(select(func.count()).select_from(Case)) or 0


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_reload_and_resend_is_one_report_with_the_same_code(live_public, new_page, js):
    page = new_page(js=js)
    page.goto(live_public.url + "/?lang=en")
    shown_first = page.text_content(".receipt-ahead .receipt strong")
    assert shown_first and len(shown_first.replace(" ", "")) == 30
    fill_report(page, "Sent, then the page was reloaded and the form posted again.")
    before = _cases(live_public)
    code = send_report(page)
    assert code == shown_first
    assert _cases(live_public) == before + 1
    for _ in range(2):  # "confirm form resubmission", a restored tab: the same POST again
        page.reload()
        assert page.text_content(".receipt strong") == code
        assert "already received" in (page.text_content("h1") or "")
    assert _cases(live_public) == before + 1
    # Back to the form: it is fetched anew (pages are never cached) with a new code, for a
    # new report; the stored one keeps the code written down.
    page.go_back()
    assert page.text_content(".receipt-ahead .receipt strong") != code
    screenshot(page, f"receipt-already-received-{'js' if js else 'nojs'}")


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_language_switch_on_the_receipt_page_keeps_the_code(live_public, new_page, js):
    page = new_page(js=js)
    page.goto(live_public.url + "/?lang=en")
    fill_report(page, "Then I wanted to read the page in Russian.")
    code = send_report(page)
    with page.expect_navigation():
        page.click("header button[lang=ru]")
    assert page.get_attribute("html", "lang") == "ru"
    assert page.text_content(".receipt strong") == code
    assert code.replace(" ", "") not in page.url
    with page.expect_navigation():
        page.click("header button[lang=uz-Cyrl]")
    assert page.get_attribute("html", "lang") == "uz-Cyrl"
    assert page.text_content(".receipt strong") == code
    screenshot(page, f"receipt-uz-cyrl-{'js' if js else 'nojs'}")


def test_long_testimony_is_stored_whole_and_too_long_is_refused_whole(
        live_public, new_page, reviewer):
    page = new_page(js=True)
    page.goto(live_public.url + "/?lang=ru")
    long_text = ("Они прослушивали мой телефон и приходили ночью. " * 700)[:30_000]
    fill_report(page, long_text)
    code = send_report(page)
    with live_public.database.transaction() as s:
        case = case_for_receipt(s, live_public.settings, code)
        item = s.scalars(select(Item).where(Item.case_id == case.id,
                                            Item.kind == "report")).one()
        key = unlock_private_key(live_public.settings, s.get(Staff, reviewer.id),
                                 reviewer.passphrase)
        stored = ReportAnswers.decode(open_item(s, item, key, staff_id=reviewer.id)).what
    assert stored == long_text

    too_long = ("Имена сотрудников в конце рассказа. " * 4200)[:150_000]
    page.goto(live_public.url + "/?lang=en")
    fill_report(page, too_long)
    assert "too long" in (page.text_content("#what-count") or "")  # the live counter
    before = _cases(live_public)
    submit(page)
    summary = page.text_content("#error-summary") or ""
    assert "150,000" in summary and "100,000" in summary
    assert page.input_value("#what") == too_long  # every character kept
    assert _cases(live_public) == before
    screenshot(page, "report-too-long")
