"""Reporter safety: quick exit everywhere, neutral titles, the safety page, script policy."""

from __future__ import annotations

import re

import pytest

from tests.support.factories import submit_report

PUBLIC_PAGES = ["/", "/safety", "/no-such-page"]
# Words that would tell an onlooker what the site is for.
PURPOSE_WORDS = re.compile(r"human|rights|defender|persecut|harass|abuse|правозащит|укук|huquq",
                           re.I)


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


@pytest.mark.parametrize("lang", ["en", "ru", "ky", "uz"])
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_titles_and_headings_are_neutral_by_default(public_client, make_staff, path, lang):
    make_staff("reviewer")
    body = public_client.get(f"{path}?lang={lang}").get_data(True)
    visible = re.findall(r"<title>(.*?)</title>|<h[1-3][^>]*>(.*?)</h[1-3]>", body, re.S)
    for parts in visible:
        assert not PURPOSE_WORDS.search(" ".join(parts)), parts


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
