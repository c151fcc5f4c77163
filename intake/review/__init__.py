"""The staff app: a separate WSGI application with its own secret, cookie and port."""

from __future__ import annotations

from flask import Flask

from intake import ratelimit
from intake.db import Database
from intake.settings import Settings, load_settings
from intake.webapp import make_flask


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    """Application factory for the review (staff) app."""
    settings = settings or load_settings()
    app = make_flask("intake.review", settings, settings.review_secret_key,
                     "intake_review", database)
    from intake.review import access, auth, nav

    access.install(app)
    nav.install(app)
    for blueprint in (auth.bp,):
        app.register_blueprint(blueprint)
    ratelimit.install(app, settings)  # last: limits the endpoints registered above
    return app
