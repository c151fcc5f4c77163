"""What every public page carries: the quick-exit link and the footer links."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from intake.public.text_limit import limit_hint, text_limit
from intake.web.app import settings_of

# (endpoint, label) of the footer, in order; each must exist (checked at start-up).
FOOTER = [
    ("public.report_form", _l("Report an incident")),
    ("receipt.receipt", _l("Come back with a receipt code")),
    ("safety.safety", _l("Staying safe")),
]


def footer_links() -> list[tuple[str, Any]]:
    """(url, label) of each footer link."""
    return [(url_for(endpoint), label) for endpoint, label in FOOTER]


def install(app: Flask) -> None:
    """Expose the quick-exit target and the footer to the public templates only."""
    app.context_processor(lambda: {
        "quick_exit_url": settings_of(app).quick_exit_url,
        "footer_links": footer_links,
        "limit_hint": limit_hint,
        "organisation": settings_of(app),
        "text_limit": text_limit,
    })
