"""The staff app: a separate WSGI application with its own secret, cookie and port."""

from __future__ import annotations

from flask import Flask

from intake.db import Database
from intake.settings import Settings, load_settings
from intake.web import ratelimit
from intake.web.app import make_flask
from intake.web.registry import require_endpoints


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    """Application factory for the review (staff) app."""
    settings = settings or load_settings()
    app = make_flask("intake.review", settings, settings.review_secret_key,
                     "intake_review", database)
    from intake.review import (
        access,
        account,
        admin,
        audit_views,
        auth,
        case_access,
        cases,
        files,
        handover,
        nav,
        recipients,
        safe_view,
        security_keys,
        setup,
        stats_views,
        teams_admin,
    )
    from intake.review.paragraphs import paragraphs

    access.install(app)
    nav.install(app)
    security_keys.install(app)  # after access: it relies on the identity access loaded
    stats_views.install(app)
    app.add_template_filter(paragraphs, "paragraphs")
    for blueprint in (auth.bp, security_keys.bp, account.bp, admin.bp, audit_views.bp,
                      cases.bp, case_access.bp, files.bp, handover.bp, recipients.bp,
                      safe_view.bp, setup.bp, stats_views.bp, teams_admin.bp):
        app.register_blueprint(blueprint)
    ratelimit.install(app, settings)  # last: limits the endpoints registered above
    require_endpoints(app, "open endpoints", access.OPEN_ENDPOINTS)
    require_endpoints(app, "navigation", (endpoint for endpoint, _label in nav.NAV))
    return app
