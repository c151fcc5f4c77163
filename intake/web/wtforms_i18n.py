"""WTForms' own messages in every language: its catalogue where it has one, ours otherwise.

WTForms ships Russian but neither Kyrgyz nor Uzbek. Flask-WTF looks for the
translations object on the request, so we put one there that falls back to our
catalogue, where the messages below are extracted and translated like any other.
"""

from __future__ import annotations

from typing import Any

from babel import support
from flask import Flask, request
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _n
from wtforms.i18n import messages_path

# The WTForms messages our fields can produce, so they land in our catalogue.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Not a valid integer value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _n("Field must be at least %(min)d character long.",
       "Field must be at least %(min)d characters long.", 1),
    _n("Field cannot be longer than %(max)d character.",
       "Field cannot be longer than %(max)d characters.", 1),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _n("Field must be exactly %(max)d character long.",
       "Field must be exactly %(max)d characters long.", 1),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("'%(value)s' is not a valid choice for this field."),
    _l("'%(value)s' are not valid choices for this field."),
    _l("Invalid CSRF Token."),
    _l("The CSRF token is missing."),
    _l("The CSRF token has expired."),
    _l("The CSRF tokens do not match."),
)


def translations_for(locale: str) -> Any:
    """WTForms' catalogue for `locale` with ours behind it; ours alone if WTForms has none."""
    ours = get_translations()
    theirs = support.Translations.load(messages_path(), [locale], domain="wtforms")
    if not isinstance(theirs, support.Translations):
        return ours
    theirs.add_fallback(ours)
    return theirs


def install(app: Flask) -> None:
    """Hand Flask-WTF our translations object before any form is built."""

    @app.before_request
    def _wtforms_translations() -> None:
        chosen = translations_for(str(get_locale() or "en"))
        request.wtforms_translations = chosen  # type: ignore[attr-defined]
