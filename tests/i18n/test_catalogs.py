"""The catalogues are complete in every language and in step with the code."""

from __future__ import annotations

import re

import pytest

from tests.i18n.catalogs import LANGS, catalog, extract, msgids, unfinished


@pytest.fixture(scope="module")
def extracted():  # type: ignore[no-untyped-def]
    return extract()


def test_extraction_finds_the_messages_of_code_and_templates(extracted):
    ids = msgids(extracted)
    assert "Leave this site quickly" in ids  # a template
    assert "Naryn oblast" in ids  # a vocabulary
    assert "This field is required." in ids  # a WTForms message we translate for ky/uz


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_is_in_step_with_the_code(lang, extracted):
    ours = msgids(catalog(lang))
    missing = sorted(map(str, msgids(extracted) - ours))
    stale = sorted(map(str, ours - msgids(extracted)))
    assert not missing, f"{lang}: new messages not in the catalogue; run `make translations`: " \
                        f"{missing}"
    assert not stale, f"{lang}: messages no longer in the code; run `make translations`: {stale}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_translated_and_not_fuzzy(lang):
    bad = unfinished(catalog(lang))
    assert not bad, f"{lang}: untranslated or fuzzy (python -m tests.i18n.catalogs): {bad}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation(lang):
    problems = [(m.id, str(err)) for m, errs in catalog(lang).check() for err in errs]
    assert not problems


def _translations(lang: str) -> list[str]:
    out = []
    for m in catalog(lang):
        if m.id:
            out.extend(m.string if isinstance(m.string, tuple) else (m.string,))
    return out


def test_kyrgyz_uses_kyrgyz_letters_not_kazakh_lookalikes():
    text = "".join(_translations("ky"))
    assert {"ң", "ө", "ү"} <= set(text)
    assert not set(text) & set("әғқұһіӘҒҚҰҺІ")


def test_uzbek_is_latin_with_modifier_letter_turned_comma():
    text = "\n".join(_translations("uz"))
    assert not re.search(r"[\u0400-\u04ff]", text), "Cyrillic in the Uzbek (Latin) catalogue"
    assert "oʻ" in text and "gʻ" in text
    assert not re.search(r"[oOgG]['‘’`]", text), "use ʻ (U+02BB) in oʻ and gʻ"
