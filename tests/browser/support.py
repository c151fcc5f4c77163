"""Helpers of the browser tests: the pages to visit, axe, screenshots, weights, flows.

To cover a new page, add it to PUBLIC_PAGES or REVIEW_PAGES; every browser check
(axe in four languages, no outside requests, weight, 360 px layout) then visits it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyotp

from tests.browser.conftest import unavailable
from tests.support.factories import StaffHandle

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
LANGS = ("en", "ru", "ky", "uz", "uz_Cyrl")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Public pages reached by a plain GET (name -> path). The receipt flow's pages land here.
PUBLIC_PAGES = {
    "form": "/",
    "safety": "/safety",
    "receipt-code": "/receipt",
    "transparency": "/transparency",
    "not-found": "/no-such-page",
}
# Review pages reachable without signing in (name -> path).
REVIEW_PAGES = {
    "login": "/login",
}
# Review pages for a signed-in staff member (name -> path), visited as the `admin` fixture
# (an admin is also a reader). {case}, {attachment}, {staff} and {recovery} are filled in by the
# `review_pages` fixture with the ids of things that exist in the live database.
REVIEW_SIGNED_IN_PAGES: dict[str, str] = {
    "inbox": "/",
    "case": "/cases/{case}",
    "safe-view": "/files/{attachment}/safe",
    "confirm-original": "/files/{attachment}",
    "case-access": "/cases/{case}/access",
    "handover": "/cases/{case}/handover",
    "recipients": "/recipients",
    "account": "/account",
    "account-keys": "/account/keys",
    "admin-staff": "/admin/staff",
    "admin-grant": "/admin/staff/{staff}/access",
    "admin-recovery": "/admin/recovery",
    "admin-recovery-wrap": "/admin/recovery/{recovery}/wrap",
    "admin-deactivate": "/admin/staff/{staff}/deactivate",
    "admin-settings": "/admin/settings",
    "admin-teams": "/admin/teams",
    "audit": "/audit",
    "stats": "/stats",
}


def with_lang(path: str, lang: str) -> str:
    """A path with the language switcher's query."""
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def origin(url: str) -> str:
    """scheme://host:port of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now (the page's context must bypass CSP)."""
    if not AXE.exists():
        unavailable(f"axe-core not found at {AXE} (make browser-deps needs npm)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [
        {"page": page.url, "id": v["id"], "impact": v["impact"], "help": v["help"],
         "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def screenshot(page: Any, name: str) -> None:
    """Write docs/screenshots/<name>.png, only when INTAKE_SCREENSHOTS=1 (no churn otherwise)."""
    if os.environ.get("INTAKE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def record_requests(page: Any) -> list[str]:
    """Every URL the page asks for from now on (documents, styles, scripts, images …)."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def record_transfer(page: Any) -> list[tuple[str, int]]:
    """(url, bytes on the wire: headers + encoded body) of every response from now on."""
    sizes: list[tuple[str, int]] = []

    def _done(request: Any) -> None:
        s = request.sizes()
        sizes.append((request.url, s["responseHeadersSize"] + s["responseBodySize"]))

    page.on("requestfinished", _done)
    return sizes


# ---- flows (steps a test strings together; add attachment and reply steps here) ----

def fill_report(page: Any, what: str) -> None:
    """Fill the report form the way a person would, keyboard and mouse only."""
    page.fill("#what", what)
    page.select_option("#when_month", "3")
    page.fill("#when_year", "2026")
    page.select_option("#region", "naryn")
    page.fill("#place", "Naryn town")
    page.check("input[name=acts][value=surveillance]")
    page.check("input[name=perpetrators][value=unknown]")
    page.check("input[name=consent_stats][value=yes]")


def submit(page: Any) -> None:
    """Press the page's main form button and wait for the answer to load."""
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")


def send_report(page: Any) -> str:
    """Submit the form; return the receipt code shown (digits and spaces)."""
    submit(page)
    code = page.text_content(".receipt strong")
    assert code and len(code.replace(" ", "")) == 30, code
    return code


def passphrase_step(page: Any, review_url: str, handle: StaffHandle, lang: str = "en") -> None:
    """Sign in with username and passphrase; the next page is 2FA (or enrolment)."""
    page.goto(review_url + with_lang(REVIEW_PAGES["login"], lang))
    page.fill("#username", handle.username)
    page.fill("#passphrase", handle.passphrase)
    submit(page)


def sign_in(page: Any, review_url: str, handle: StaffHandle, lang: str = "en") -> None:
    """The real sign-in: username, passphrase, then a TOTP code from the handle's secret.

    A code is accepted once per time step, so give each test that types codes its own
    staff member (conftest.enrolled_staff)."""
    passphrase_step(page, review_url, handle, lang)
    assert "/login/2fa" in page.url, page.url
    page.fill("#code", pyotp.TOTP(handle.totp_secret).now())
    submit(page)
    assert "/login" not in page.url, page.text_content("main")


def sign_out(page: Any) -> None:
    """The "Sign out" button of the staff navigation."""
    with page.expect_navigation():
        page.click("nav.staffnav form button[type=submit]")


def open_case_from_inbox(page: Any, review_url: str, excerpt: str) -> str:
    """Find the case whose excerpt holds `excerpt`, page by page, and open it; its reference."""
    page.goto(review_url + "/?lang=en")
    for _ in range(100):
        row = page.locator("table.inbox tbody tr", has_text=excerpt)
        if row.count():
            link = row.first.locator("a[href*='/cases/']").first
            reference = link.text_content() or ""
            with page.expect_navigation():
                link.click()
            return reference.strip()
        following = page.get_by_role("link", name="Next page", exact=True)
        assert following.count(), f"no inbox row holds {excerpt!r}"
        with page.expect_navigation():
            following.first.click()
    raise AssertionError("the inbox never ended")


def save_labels(page: Any, checks: dict[str, list[str]], selects: dict[str, str]) -> None:
    """Tick label checkboxes (vocabulary -> codes), choose single labels, save."""
    for vocab, codes in checks.items():
        for code in codes:
            page.check(f"#label-{vocab}-{code}")
    for vocab, code in selects.items():
        page.select_option(f"#label-{vocab}", code)
    with page.expect_navigation():
        page.click("section.triage button[type=submit]")


def add_note(page: Any, text: str) -> None:
    """Write an internal note on the case page."""
    page.fill("#note-text", text)
    with page.expect_navigation():
        page.click("section.note-form button[type=submit]")


def preview_reply(page: Any, text: str, script: bool = True) -> None:
    """Write a reply and open the preview page (nothing sent): the way without JavaScript.
    With the script on, the form is submitted past it (form.submit() fires no handler)."""
    page.fill("#reply-text", text)
    with page.expect_navigation():
        if script:
            page.eval_on_selector("#reply-form", "form => form.submit()")
        else:
            page.click("section.reply-form button[type=submit]")


def check_reply(page: Any, text: str) -> str:
    """Write a reply and press "Preview the reply" with the script on: the check appears in
    the page, no request is made. Returns the text it shows."""
    page.fill("#reply-text", text)
    page.click("section.reply-form button.reply-button")
    page.wait_for_selector("#reply-check", state="visible")
    return page.text_content("#reply-check-text") or ""


def send_reply(page: Any, text: str) -> None:
    """Write a reply, check the in-page preview shows exactly it, then send it: one POST."""
    shown = check_reply(page, text)
    assert shown == text.strip().replace("\r\n", "\n")
    with page.expect_navigation():
        page.click("#reply-check button.send-button")


def send_reply_from_preview_page(page: Any, text: str, script: bool = True) -> None:
    """The way without JavaScript: the preview page, then its send button (two POSTs)."""
    preview_reply(page, text, script)
    assert page.text_content("#reply-preview") == text.strip().replace("\r\n", "\n")
    with page.expect_navigation():
        page.click("button.send-button")


def open_receipt(page: Any, public_url: str, code: str, lang: str = "en") -> None:
    """The reporter's way back: the receipt page, the code typed as it was written down."""
    page.goto(public_url + with_lang("/receipt", lang))
    page.fill("#code", code)
    submit(page)
    assert page.locator("form[action$='/receipt/followup']").count() == 1, \
        page.text_content("main")


def send_followup(page: Any, text: str, files: list[dict[str, Any]]) -> None:
    """Add information and files on the receipt page; the metadata choice stays the default."""
    page.fill("#text", text)
    if files:
        page.set_input_files("#files", files)
    submit(page)


def jpeg_file(name: str = "IMG_0042.jpg") -> dict[str, Any]:
    """A small JPEG with EXIF GPS, in the form page.set_input_files takes."""
    from tests.attachments.samples import jpeg_with_gps

    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}
