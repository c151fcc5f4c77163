"""The reporter app: a separate WSGI application that knows no review route."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFError

from intake.db import Database
from intake.settings import Settings, load_settings
from intake.web import ratelimit
from intake.web.app import make_flask
from intake.web.registry import require_endpoints


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    """Application factory for the public (reporter) app."""
    settings = settings or load_settings()
    app = make_flask("intake.public", settings, settings.public_secret_key,
                     "intake_public", database, script=True)
    from intake.public import chrome, receipt, safety, uploads, views

    chrome.install(app)
    uploads.install(app)
    for blueprint in (views.bp, receipt.bp, safety.bp):
        app.register_blueprint(blueprint)
    if settings.transparency_page:
        from intake.public import transparency

        app.register_blueprint(transparency.bp)
    app.register_error_handler(CSRFError, receipt.csrf_failed)  # report form: views
    app.register_error_handler(429, views.rate_limited)
    ratelimit.install(app, settings)  # last: limits the endpoints registered above
    require_endpoints(app, "uploads", uploads.UPLOAD_ENDPOINTS)
    require_endpoints(app, "footer", (endpoint for endpoint, _label in chrome.FOOTER))
    return app
