"""Reporter safety: quick exit everywhere, neutral titles, the safety page, script policy."""

from __future__ import annotations

import re

import pytest

from tests.support.factories import receipt_code, submit_report

PUBLIC_PAGES = ["/", "/safety", "/receipt", "/no-such-page"]
# Words that would tell an onlooker what the site is for, in any shipped language:
# rights and defenders, persecution, abuse, violations ("нарушения", Kyrgyz "укук бузуу",
# Uzbek "huquqbuzarlik"), repression.
PURPOSE_WORDS = re.compile(
    r"human|rights|defender|persecut|harass|abuse|violation|repress"
    r"|правозащит|нарушени|преследован|репресс|укук|бузуу|куугунту|huquq|taʼqib|qatagʻon",
    re.I)
LANGS = ["en", "ru", "ky", "uz"]


def _exit_link(html: str) -> str:
    match = re.search(r'<a class="exit" id="quick-exit" href="([^"]+)" rel="noreferrer">', html)
    assert match, "no quick-exit link"
    return match.group(1)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_the_quick_exit_first(public_client, make_staff, path):
    make_staff("reviewer")
    body = public_client.get(path).get_data(True)
    assert _exit_link(body) == "https://www.bbc.com/weather"
    assert body.index('id="quick-exit"') < body.index('id="main"')


def test_quick_exit_also_on_a_rejected_submission(public_client, make_staff):
    make_staff("reviewer")
    assert _exit_link(submit_report(public_client, what="").get_data(True))


def test_quick_exit_target_is_a_setting(settings, database):
    from intake.public import create_app

    app = create_app(settings.replace(quick_exit_url="https://example.org/news"), database)
    body = app.test_client().get("/safety").get_data(True)
    assert _exit_link(body) == "https://example.org/news"


def test_only_the_public_app_may_run_its_own_script(public_client, review_client):
    public = public_client.get("/safety")
    assert "script-src 'self'" in public.headers["Content-Security-Policy"]
    js = public_client.get("/static/exit.js")
    assert js.status_code == 200 and b"location.replace" in js.data
    review = review_client.get("/login")
    assert "script-src" not in review.headers["Content-Security-Policy"]
    body = review.get_data(True)
    assert "<script" not in body and "quick-exit" not in body


def _titles_and_headings(html: str) -> list[str]:
    found = re.findall(r"<title>(.*?)</title>|<h[1-6][^>]*>(.*?)</h[1-6]>", html, re.S)
    return [re.sub(r"<[^>]+>", "", "".join(parts)).strip() for parts in found]


def _every_public_page(settings, database, session, make_staff, lang):  # type: ignore[no-untyped-def]
    """Every page a reporter or an onlooker can reach, by name, as HTML, in `lang`.

    The transparency page is switched on and has a published release, so its table
    headings are really there; the receipt pages come from a real submission.
    """
    from intake.models import Staff
    from intake.public import create_app
    from intake.services.stats_releases import approve_release, create_release
    from intake.stats.filters import Filters
    from tests.public.helpers import open_receipt_page
    from tests.stats.conftest import add_case

    admin = session.get(Staff, make_staff("admin").id)
    for act, perpetrator, target in (("raid", "police", "lawyer"),
                                     ("surveillance", "security_service", "defender"),
                                     ("detention", "unknown", "journalist")):
        for _ in range(6):
            add_case(session, acts=(act,), perpetrators=(perpetrator,), target=target)
    session.commit()
    approve_release(session, admin, create_release(session, settings, admin, Filters()).id)
    app = create_app(settings.replace(transparency_page=True), database)
    client = app.test_client()
    client.get(f"/?lang={lang}")
    pages = {path: client.get(path) for path in (*PUBLIC_PAGES, "/transparency")}
    pages["rejected form"] = submit_report(client, what="")
    pages["receipt shown once"] = submit_report(client)
    code = receipt_code(pages["receipt shown once"].get_data(True))
    pages["case page"] = open_receipt_page(client, code)
    get_pages = {rule.rule for rule in app.url_map.iter_rules()
                 if "GET" in (rule.methods or ()) and rule.endpoint != "static"}
    not_html = {"/healthz", "/transparency/chart.svg"}
    assert get_pages - not_html <= set(pages), "a public page this test does not visit"
    return {name: r.get_data(True) for name, r in pages.items()}


@pytest.mark.parametrize("lang", LANGS)
def test_titles_and_headings_of_every_public_page_are_neutral(settings, database, session,
                                                               make_staff, lang):
    pages = _every_public_page(settings, database, session, make_staff, lang)
    assert "table-act_region" in pages["/transparency"]  # the release's tables are shown
    assert receipt_code(pages["receipt shown once"])
    checked = 0
    for name, html in pages.items():
        assert f'<html lang="{lang}"' in html, name
        for text in _titles_and_headings(html):
            checked += 1
            assert not PURPOSE_WORDS.search(text), f"{name} [{lang}]: {text!r}"
    assert checked >= 20


def test_site_name_goes_into_titles_when_the_operator_sets_it(settings, database):
    from intake.public import create_app

    app = create_app(settings.replace(site_name="Example Helpdesk"), database)
    body = app.test_client().get("/safety").get_data(True)
    assert re.search(r"<title>[^<]*Example Helpdesk</title>", body)


def test_safety_page_covers_tor_receipt_and_what_happens(public_client):
    response = public_client.get("/safety")
    assert response.status_code == 200
    body = response.get_data(True)
    for anchor in ("tor", "receipt", "what-happens"):
        assert f'<h2 id="{anchor}">' in body
    assert 'href="/safety"' in body  # the footer links to it from every page


def test_the_browser_is_asked_not_to_remember_what_was_typed(public_client, make_staff):
    make_staff("reviewer")
    body = public_client.get("/").get_data(True)
    form = re.search(r'<form method="post"[^>]*>', body)
    assert form and 'autocomplete="off"' in form.group(0)
