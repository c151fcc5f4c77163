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
                     "intake_public", database)
    from intake.public import views

    app.register_blueprint(views.bp)
    app.register_error_handler(CSRFError, views.csrf_failed)
    app.register_error_handler(429, views.rate_limited)
    ratelimit.install(app, settings)  # last: limits the endpoints registered above
    return app
