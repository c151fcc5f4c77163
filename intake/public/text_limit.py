"""Long testimony is never cut: no maxlength in the page (a browser silently truncates a
paste), and text over the limit is refused with both counts and given back whole."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from intake.web.app import settings_of


def text_limit() -> int:
    """The configured maximum of a report's or follow-up's text, in characters."""
    return settings_of(current_app).max_report_chars


def limit_hint() -> str:
    """The plain hint shown under the text box."""
    return str(_l("Up to %(max)s characters. If you have more, send the rest afterwards "
                  "with your receipt code, or attach it as a file.",
                  max=format_decimal(text_limit())))


def within_limit(_form: Any, field: Any) -> None:
    """A validator that sets no maxlength attribute (unlike Length), with both counts."""
    text = field.data or ""
    if len(text) > text_limit():
        raise ValidationError(_l(
            "Your text has %(n)s characters; the limit is %(max)s. Nothing was sent and "
            "nothing was cut: your whole text is below. Shorten it, or send the first part "
            "now and the rest afterwards with your receipt code or as a file.",
            n=format_decimal(len(text)), max=format_decimal(text_limit())))
