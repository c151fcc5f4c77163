"""The review app's navigation: only links the signed-in role may follow, only routes that exist."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request, url_for
from flask_babel import lazy_gettext as _l

from intake.review.access import ROLES_ATTR

# (endpoint, label) in display order; each must exist (checked when the app is built).
NAV = [
    ("cases.inbox", _l("Inbox")),
    ("recipients.index", _l("Recipients")),
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


def home_for(role: str) -> str:
    """Where a role starts: the first page of the navigation it may open (the inbox for
    reviewers and admins, Statistics for analysts), so no role lands on a refusal."""
    for endpoint, _label in NAV:
        if role in getattr(current_app.view_functions[endpoint], ROLES_ATTR, frozenset()):
            return url_for(endpoint)
    return url_for("account.account")


def home_url() -> str:
    """The signed-in staff member's start page; the sign-in page for anyone else."""
    links = nav_links()
    return links[0][0] if links else url_for("review.login")


def install(app: Flask) -> None:
    """Expose `nav_links` and `home_url` to the review templates."""
    app.context_processor(lambda: {"nav_links": nav_links, "home_url": home_url})
