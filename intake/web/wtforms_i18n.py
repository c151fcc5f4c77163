"""WTForms' own messages in every language: our catalogue first, WTForms' own behind it.

WTForms ships Russian but neither Kyrgyz nor Uzbek, and its Russian is not ours
(it says "greater than" for "at least"). Flask-WTF looks for the translations
object on the request, so we put one there that asks our catalogue first, where
the messages below are extracted and translated like any other, and WTForms'
catalogue only for a message we do not translate.
"""

from __future__ import annotations

from functools import lru_cache
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


class OursFirst:
    """Our catalogue's translation when it has one, WTForms' otherwise.

    A wrapper rather than `add_fallback`: Flask-Babel caches its translations object,
    and chaining onto it would change it for every later request.
    """

    def __init__(self, ours: Any, theirs: Any) -> None:
        self.ours, self.theirs = ours, theirs

    def ugettext(self, string: str) -> str:
        """Ours if it translates `string`, else WTForms'."""
        found = str(self.ours.ugettext(string))
        return found if found != string else str(self.theirs.ugettext(string))

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        """Ours if it translates the plural message, else WTForms'."""
        found = str(self.ours.ungettext(singular, plural, n))
        untranslated = singular if n == 1 else plural
        if found != untranslated:
            return found
        return str(self.theirs.ungettext(singular, plural, n))


@lru_cache(maxsize=16)
def _wtforms_catalogue(locale: str) -> support.Translations | None:
    """WTForms' own compiled catalogue for `locale`, read from disk once per process (it
    was read on every request, a measurable share of a report's cost)."""
    found = support.Translations.load(messages_path(), [locale], domain="wtforms")
    return found if isinstance(found, support.Translations) else None


def translations_for(locale: str) -> Any:
    """Our catalogue with WTForms' for `locale` behind it; ours alone if WTForms has none."""
    ours = get_translations()
    theirs = _wtforms_catalogue(locale)
    if theirs is None:
        return ours
    return OursFirst(ours, theirs)


def install(app: Flask) -> None:
    """Hand Flask-WTF our translations object before any form is built."""

    @app.before_request
    def _wtforms_translations() -> None:
        chosen = translations_for(str(get_locale() or "en"))
        request.wtforms_translations = chosen  # type: ignore[attr-defined]
