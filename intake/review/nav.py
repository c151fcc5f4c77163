"""The review app's navigation: only links the signed-in role may follow, only routes that exist."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request, url_for
from flask_babel import lazy_gettext as _l

from intake.review.access import ROLES_ATTR

# (endpoint, label) in display order; each must exist (checked when the app is built).
NAV = [
    ("cases.inbox", _l("Inbox")),
    ("stats.index", _l("Statistics")),
    ("admin.staff", _l("Staff")),
    ("teams.index", _l("Teams")),
    ("admin.settings", _l("Settings")),
    ("audit.index", _l("Audit log")),
    ("account.account", _l("Account")),
]


def nav_links() -> list[tuple[str, Any, bool]]:
    """(url, label, current) for each endpoint this staff member's role may open; current
    marks the page being shown (aria-current in the template)."""
    staff = g.get("staff")
    row = g.get("staff_session")
    if staff is None or row is None or not row.totp_verified:
        return []
    links = []
    for endpoint, label in NAV:
        allowed: frozenset[str] = getattr(current_app.view_functions[endpoint], ROLES_ATTR,
                                          frozenset())
        if staff.role in allowed:
            links.append((url_for(endpoint), label, request.endpoint == endpoint))
    return links


def install(app: Flask) -> None:
    """Expose `nav_links` to the review templates."""
    app.context_processor(lambda: {"nav_links": nav_links})
