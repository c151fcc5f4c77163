"""Language choice: a visible switcher (plain links) first, then Accept-Language."""

from __future__ import annotations

from flask import request, session

LANGUAGES = {"en": "English", "ru": "Русский", "ky": "Кыргызча", "uz": "Oʻzbekcha"}
DEFAULT = "en"


def select_locale() -> str:
    """`?lang=` (remembered in the session), else the browser's preference, else English."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
        return chosen
    remembered = session.get("lang")
    if isinstance(remembered, str) and remembered in LANGUAGES:  # a forged cookie may hold a list
        return remembered
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT
