"""Helpers of the browser tests: the pages to visit, axe, screenshots, weights, flows.

To cover a new page, add it to PUBLIC_PAGES or REVIEW_PAGES; every browser check
(axe in four languages, no outside requests, weight, 360 px layout) then visits it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.browser.conftest import unavailable
from tests.support.factories import StaffHandle

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
LANGS = ("en", "ru", "ky", "uz")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Public pages reached by a plain GET (name -> path). The receipt flow's pages land here.
PUBLIC_PAGES = {
    "form": "/",
    "safety": "/safety",
    "not-found": "/no-such-page",
}
# Review pages reachable without signing in (name -> path).
REVIEW_PAGES = {
    "login": "/login",
}
# Review pages for a signed-in staff member (name -> path); the inbox and case land here.
REVIEW_SIGNED_IN_PAGES: dict[str, str] = {}


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
