"""WCAG 2.2 AA: axe-core finds nothing on any public page or the main review pages,
in all four languages; the form is usable by keyboard alone with a visible focus."""

from __future__ import annotations

import pytest

from tests.browser.support import (
    LANGS,
    PUBLIC_PAGES,
    REVIEW_PAGES,
    REVIEW_SIGNED_IN_PAGES,
    axe_violations,
    fill_report,
    passphrase_step,
    send_report,
    submit,
    with_lang,
)


@pytest.mark.parametrize("lang", LANGS)
def test_public_pages_have_no_axe_violations(live_public, new_page, lang):
    page = new_page(bypass_csp=True)
    found = []
    for path in PUBLIC_PAGES.values():
        page.goto(live_public.url + with_lang(path, lang))
        found += axe_violations(page)
    # The form as it comes back with errors, and the receipt page.
    page.goto(live_public.url + with_lang("/", lang))
    submit(page)
    assert page.locator("#error-summary").count() == 1
    found += axe_violations(page)
    page.goto(live_public.url + "/")
    fill_report(page, "Accessibility check report")
    send_report(page)
    found += axe_violations(page)
    assert found == []


@pytest.mark.parametrize("lang", LANGS)
def test_review_pages_have_no_axe_violations(live_review, new_page, reviewer, newcomer,
                                             admin, review_pages, signed_in, lang):
    page = new_page(bypass_csp=True)
    found = []
    for path in REVIEW_PAGES.values():
        page.goto(live_review.url + with_lang(path, lang))
        found += axe_violations(page)
    submit(page)  # login with errors
    found += axe_violations(page)
    passphrase_step(page, live_review.url, reviewer, lang)
    assert "/login/2fa" in page.url
    assert page.get_attribute("html", "lang") == lang.replace("_", "-")  # survives sign-in
    found += axe_violations(page)
    enrol = new_page(bypass_csp=True)
    passphrase_step(enrol, live_review.url, newcomer, lang)
    assert "/enrol" in enrol.url
    assert enrol.get_attribute("html", "lang") == lang.replace("_", "-")
    found += axe_violations(enrol)
    assert set(review_pages) == set(REVIEW_SIGNED_IN_PAGES)
    staff_page = new_page(bypass_csp=True)
    signed_in(staff_page, admin)
    for path in review_pages.values():
        response = staff_page.goto(live_review.url + with_lang(path, lang))
        assert response is not None and response.status == 200, path
        found += axe_violations(staff_page)
    assert found == []


FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  return {tag: el.tagName, id: el.id, cls: el.className,
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2};
}"""


def test_whole_form_works_by_keyboard_with_visible_focus(live_public, new_page):
    page = new_page()
    page.goto(live_public.url + "/")
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUS_STYLE)
    assert first["cls"] == "skip" and first["outline"]
    assert page.evaluate("document.activeElement.getBoundingClientRect().left") >= 0
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS_STYLE)["id"] == "quick-exit"
    reached = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        assert focus["outline"], f"focus not visible on {focus}"
        reached.add(focus["id"] or focus["tag"])
        if focus["tag"] == "BUTTON":
            break
    assert {"what", "when_date", "when_month", "when_year", "region", "place",
            "contact", "BUTTON"} <= reached
    # Typing and sending with the keyboard alone.
    page.focus("#what")
    page.keyboard.type("Sent with the keyboard only")
    page.focus("form[method=post] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".receipt strong")


def test_error_summary_links_lead_to_the_fields(live_public, new_page):
    page = new_page()
    page.goto(live_public.url + "/?lang=ru")
    page.fill("#when_year", "1800")
    submit(page)
    links = page.locator("#error-summary a")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert set(targets) == {"#what", "#when_year"}
    for target in targets:
        assert page.locator(target).count() == 1
        described = page.get_attribute(target, "aria-describedby") or ""
        assert f"{target[1:]}-error" in described.split()
    assert page.input_value("#when_year") == "1800"
    assert "Введите год, например 2025." in page.text_content("#error-summary")
