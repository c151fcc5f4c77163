"""The reporter app: a separate WSGI application that knows no review route."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFError

from intake import ratelimit
from intake.db import Database
from intake.settings import Settings, load_settings
from intake.webapp import make_flask


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    """Application factory for the public (reporter) app."""
    settings = settings or load_settings()
    app = make_flask("intake.public", settings, settings.public_secret_key,
                     "intake_public", database, script=True)
    # receipt and safety add their routes to the public blueprint on import
    from intake.public import chrome, receipt, safety, uploads, views  # noqa: F401

    chrome.install(app)
    uploads.install(app)
    app.register_blueprint(views.bp)
    if settings.transparency_page:
        from intake.public import transparency

        app.register_blueprint(transparency.bp)
    app.register_error_handler(CSRFError, receipt.csrf_failed)  # report form: views
    app.register_error_handler(429, views.rate_limited)
    ratelimit.install(app, settings)  # last: limits the endpoints registered above
    return app
