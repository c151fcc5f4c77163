"""Uzbek in Cyrillic: the transliteration rules, the generated catalogue, and choosing it."""

from __future__ import annotations

import re

import pytest

from intake.uz_cyrillic import transliterate
from intake.web.i18n import from_accept_language
from tests.i18n.catalogs import catalog


@pytest.mark.parametrize(("latin", "cyrillic"), [
    ("Oʻzbekcha", "Ўзбекча"), ("gʻalaba", "ғалаба"), ("shahar", "шаҳар"), ("Choy", "Чой"),
    ("yangi", "янги"), ("Yordam", "Ёрдам"), ("Yuborish", "Юбориш"), ("Yer", "Ер"),
    ("poyezd", "поезд"), ("ekan", "экан"), ("maʼlumot", "маълумот"), ("mening", "менинг"),
    ("qoʻngʻiroq", "қўнғироқ"), ("Kvitansiya kodingiz", "Квитанция кодингиз"),
    ("GKNB", "ГКНБ"),
])
def test_rules(latin: str, cyrillic: str) -> None:
    assert transliterate(latin) == cyrillic


def test_placeholders_markup_urls_and_names_are_kept() -> None:
    text = "Siz <strong>%(name)s</strong> faylini Tor Browser orqali https://example.org/x oching"
    out = transliterate(text)
    assert "<strong>%(name)s</strong>" in out and "Tor Browser" in out
    assert "https://example.org/x" in out and "орқали" in out


def test_generated_catalogue_is_cyrillic_and_complete() -> None:
    latin, cyrillic = catalog("uz"), catalog("uz_Cyrl")
    assert {m.id for m in latin if m.id} == {m.id for m in cyrillic if m.id}
    text = "\n".join(m.string if isinstance(m.string, str) else " ".join(m.string)
                     for m in cyrillic if m.id)
    assert {"ў", "ғ", "қ", "ҳ"} <= set(text)
    stray = set(re.findall(r"\b[a-zʻ]{3,}\b", re.sub(r"%\(\w+\)[sd]|<[^>]*>|https?://\S+", "",
                                                     text)))
    assert stray <= {"https"}, sorted(stray)[:20]


def test_generated_catalogue_is_in_step_with_the_latin_one() -> None:
    latin, cyrillic = catalog("uz"), catalog("uz_Cyrl")
    for message in latin:
        if message.id and isinstance(message.string, str):
            assert cyrillic[message.id].string == transliterate(message.string), message.id


@pytest.mark.parametrize(("header", "chosen"), [
    (["uz-Cyrl"], "uz_Cyrl"), (["uz-Cyrl-UZ", "uz"], "uz_Cyrl"), (["uz_Cyrl"], "uz_Cyrl"),
    (["uz"], "uz"), (["uz-Latn-UZ"], "uz"), (["ru-RU", "ru"], "ru"), (["de-DE"], "en"),
    (["de", "ky-KG"], "ky"),
])
def test_accept_language_picks_the_script(header: list[str], chosen: str) -> None:
    assert from_accept_language(header) == chosen


def test_the_switch_offers_uzbek_cyrillic(public_app, make_staff):
    make_staff("reviewer")
    page = public_app.test_client().get("/?lang=uz_Cyrl").get_data(as_text=True)
    assert '<html lang="uz-Cyrl">' in page
    assert 'lang="uz-Cyrl"' in page and "Ўзбекча" in page
    fresh = public_app.test_client()
    chosen = fresh.get("/", headers={"Accept-Language": "uz-Cyrl-UZ,uz;q=0.8"})
    assert chosen.get_data(as_text=True).startswith('<!doctype html>\n<html lang="uz-Cyrl">')
