"""Language choice: a visible switcher (plain links) first, then Accept-Language."""

from __future__ import annotations

from flask import request, session

LANGUAGES = {"en": "English", "ru": "Русский", "ky": "Кыргызча", "uz": "Oʻzbekcha",
             "uz_Cyrl": "Ўзбекча"}
DEFAULT = "en"


def bcp47(code: str) -> str:
    """A catalogue name as an HTML `lang` value: uz_Cyrl is written uz-Cyrl."""
    return code.replace("_", "-")


def select_locale() -> str:
    """`?lang=` (remembered in the session), else the browser's preference, else English."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
        return chosen
    remembered = session.get("lang")
    if isinstance(remembered, str) and remembered in LANGUAGES:  # a forged cookie may hold a list
        return remembered
    return from_accept_language([value for value, _quality in request.accept_languages])


def from_accept_language(tags: list[str]) -> str:
    """The first preferred language we have: any uz-Cyrl tag (uz-Cyrl-UZ too) is Uzbek in
    Cyrillic, other tags match on their primary language (ru-RU is ru, uz-Latn is uz)."""
    for tag in tags:
        parts = tag.lower().replace("_", "-").split("-")
        if parts[0] == "uz" and "cyrl" in parts[1:]:
            return "uz_Cyrl"
        if parts[0] in LANGUAGES:
            return parts[0]
    return DEFAULT
