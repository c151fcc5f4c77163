"""Both apps speak the reporter's language: switcher, Accept-Language, forms, vocabularies."""

from __future__ import annotations

import re

import pytest

from tests.support.factories import csrf_token, receipt_code, submit_report


def _lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.mark.parametrize(("header", "lang", "phrase"), [
    ("ru-RU,ru;q=0.9", "ru", "Быстро покинуть сайт"),
    ("ky", "ky", "Бул сайттан тез чыгуу"),
    ("uz-UZ", "uz", "Bu saytdan tezda chiqish"),
    ("de-DE", "en", "Leave this site quickly"),
])
def test_accept_language_picks_the_language(public_client, header, lang, phrase):
    body = public_client.get("/safety", headers={"Accept-Language": header}).get_data(True)
    assert _lang(body) == lang
    assert phrase in body


def test_switcher_links_keep_the_path_and_the_choice_is_remembered(public_client):
    body = public_client.get("/safety", headers={"Accept-Language": "ru"}).get_data(True)
    links = re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang="\w+"', body)
    assert [code for _href, code in links] == ["en", "ru", "ky", "uz"]
    assert all(href == f"?lang={code}" for href, code in links)  # relative: same path
    assert _lang(public_client.get("/safety?lang=uz").get_data(True)) == "uz"
    again = public_client.get("/safety", headers={"Accept-Language": "ru"}).get_data(True)
    assert _lang(again) == "uz"


def test_vocabularies_are_translated_on_the_form(public_client, make_staff):
    make_staff("reviewer")
    body = public_client.get("/?lang=ky").get_data(True)
    for phrase in ("Нарын облусу", "Телефонду тыңшоо", "Кыйноо же катаал мамиле",
                   "Белгисиз адамдар", "Июнь"):
        assert phrase in body


@pytest.mark.parametrize(("lang", "expected"), [
    ("ky", "Бүтүн сан эмес."),  # WTForms has no Kyrgyz: ours
    ("uz", "Butun son emas."),  # nor Uzbek: ours
    ("ru", "Это не целое число."),  # WTForms has Russian, but ours is shown
])
def test_wtforms_messages_are_translated(public_client, make_staff, lang, expected):
    make_staff("reviewer")
    public_client.get(f"/?lang={lang}")
    response = submit_report(public_client, when_year="abc", when_month="")
    assert response.status_code == 400
    body = response.get_data(True)
    assert expected in body
    assert "Неверное целое число." not in body  # WTForms' own Russian never wins
    assert "abc" in body  # what the person typed is kept


def test_our_russian_wins_over_wtforms_russian_for_every_listed_message(public_app):
    from babel import support
    from flask_babel import get_translations
    from wtforms.i18n import messages_path

    from intake.web.wtforms_i18n import translations_for
    from tests.i18n.catalogs import catalog

    theirs = support.Translations.load(messages_path(), ["ru"], domain="wtforms")
    ours = {m.id: m.string for m in catalog("ru") if m.id}
    with public_app.test_request_context("/?lang=ru"):
        chosen = translations_for("ru")
        differ = 0
        for mid, string in ours.items():
            if isinstance(mid, tuple):
                assert chosen.ungettext(mid[0], mid[1], 1) == string[0]
                assert chosen.ungettext(mid[0], mid[1], 5) == string[2]
                continue
            assert chosen.ugettext(mid) == string
            differ += theirs.ugettext(mid) not in (mid, string)
        assert differ >= 10  # the two catalogues really disagree, so this test can fail
        # A WTForms message we do not list still gets WTForms' Russian, not English.
        assert chosen.ugettext("Invalid Mac address.") == theirs.ugettext("Invalid Mac address.")
        assert chosen.ugettext("Invalid Mac address.") != "Invalid Mac address."
        # The cached Flask-Babel object is not changed (no fallback chained onto it).
        before = getattr(get_translations(), "_fallback", None)
        translations_for("ru")
        assert getattr(get_translations(), "_fallback", None) is before


def test_our_validation_messages_and_error_summary_are_translated(public_client, make_staff):
    make_staff("reviewer")
    public_client.get("/?lang=uz")
    body = submit_report(public_client, what="").get_data(True)
    assert "Belgilangan maydonlarni tuzating." in body
    assert '<a href="#what">' in body
    assert "Nima sodir boʻlganini tasvirlab bering." in body


def test_review_login_errors_in_kyrgyz(review_client):
    page = review_client.get("/login?lang=ky").get_data(True)
    assert _lang(page) == "ky"
    response = review_client.post("/login", data={"csrf_token": csrf_token(page),
                                                   "username": "", "passphrase": ""})
    assert response.status_code == 400
    assert "Бул талааны толтуруу милдеттүү." in response.get_data(True)


def test_receipt_explanation_is_translated(public_client, make_staff):
    make_staff("reviewer")
    public_client.get("/?lang=ru")
    body = submit_report(public_client).get_data(True)
    assert receipt_code(body)
    assert "Это ваш код квитанции." in body
    assert "Храните его надёжно" in body


def test_signing_in_keeps_the_chosen_language(review_client, make_staff):
    staff = make_staff("reviewer")
    page = review_client.get("/login?lang=uz").get_data(True)
    response = review_client.post("/login", data={
        "csrf_token": csrf_token(page), "username": staff.username,
        "passphrase": staff.passphrase})
    assert response.status_code == 302
    follow = review_client.get(response.headers["Location"]).get_data(True)
    assert _lang(follow) == "uz"
