"""What both Flask apps share: templates, Babel, CSRF, headers, error pages, DB teardown."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Request, abort, current_app, render_template
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from intake.db import Database
from intake.settings import Settings
from intake.web import headers, wtforms_i18n
from intake.web.display_time import display_zone, localdate, localstamp, localtime
from intake.web.i18n import LANGUAGES, bcp47, select_locale

ROOT = Path(__file__).resolve().parents[2]


class NoSpoolRequest(Request):
    """Werkzeug spools large file parts to a plaintext temp file; never let it.

    Apps that accept files replace `stream_factory` with one that encrypts as it
    writes; everywhere else a file part is discarded before it touches the disk.
    """

    def _load_form_data(self) -> None:
        """Drop parts whose name Werkzeug could not parse (key None): Flask-WTF's CSRF check
        calls str methods on every key and answered a 500 (found by bench/fuzz.py)."""
        super()._load_form_data()
        for attr in ("form", "files"):
            parsed = self.__dict__.get(attr)
            if parsed is not None and any(not isinstance(k, str) for k in parsed):
                self.__dict__[attr] = type(parsed)(
                    [(k, v) for k, v in parsed.items(multi=True) if isinstance(k, str)])

    def _get_file_stream(self, *args: Any, **kwargs: Any) -> Any:
        factory = getattr(self, "encrypting_stream_factory", None)
        if factory is not None:
            return factory(*args, **kwargs)
        return _Discard()


class _Discard:
    """A write-only sink for file parts an endpoint does not accept."""

    def write(self, data: bytes) -> int:
        return len(data)

    def seek(self, *args: Any) -> int:
        return 0

    def read(self, *args: Any) -> bytes:
        return b""

    def close(self) -> None:
        return None


def error_page(error: HTTPException) -> tuple[str, int]:
    """Every HTTP error gets a calm, translated page and never a stack trace."""
    messages = {
        400: _("The request could not be understood. Please go back and try again."),
        403: _("You do not have permission to see this page."),
        404: _("This page does not exist."),
        405: _("This action is not available here."),
        413: _("What you sent is larger than this site accepts. "
               "Please send less text or smaller files."),
        429: _("Too many attempts. Please wait a while and try again."),
        503: _("The service is busy or under maintenance. Please try again in a few minutes."),
    }
    code = error.code or 500
    message = messages.get(code, _("Something went wrong on our side. Please try again."))
    return render_template("error.html", code=code, message=message), code


def make_flask(
    name: str, settings: Settings, secret_key: str, cookie_name: str, database: Database | None,
    script: bool = False,
) -> Flask:
    """A Flask app with the configuration both apps need; the caller adds blueprints."""
    app = Flask(
        name,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    app.request_class = NoSpoolRequest
    app.config.update(
        SECRET_KEY=secret_key,
        SESSION_COOKIE_NAME=cookie_name,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.behind_tls,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_absolute_hours),
        MAX_CONTENT_LENGTH=settings.max_request_mb * 1024 * 1024,
        # Room for a text well past the limit (4 UTF-8 bytes a character, percent-encoded
        # when sent without files), so an over-long testimony gets the form back with the
        # counts and the text instead of a bare 413.
        MAX_FORM_MEMORY_SIZE=max(settings.max_report_chars * 4 * 3 * 2, 500_000),
        WTF_CSRF_TIME_LIMIT=None,
        # Strict mode demands a Referer over HTTPS, which Referrer-Policy: no-referrer
        # removes; the token plus SameSite=Strict cookies are the protection.
        WTF_CSRF_SSL_STRICT=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.extensions["intake_settings"] = settings
    db = database or Database(settings)
    app.extensions["intake_db"] = db
    Babel(app, locale_selector=select_locale, timezone_selector=display_zone,
          default_translation_directories=str(ROOT / "intake" / "translations"))
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(localdate, "localdate")
    app.add_template_filter(localstamp, "localstamp")
    CSRFProtect(app)
    headers.install(app, settings.behind_tls, script=script)
    wtforms_i18n.install(app)
    app.register_error_handler(HTTPException, error_page)
    app.register_error_handler(Exception, _unexpected)
    app.url_value_preprocessor(_refuse_control_characters)

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        db.session.remove()

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"languages": LANGUAGES, "bcp47": bcp47, "site_name": settings.site_name,
                "get_locale": get_locale}

    return app


def _refuse_control_characters(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """No id, reference or code of ours holds a control character: such a path names
    nothing, and PostgreSQL refuses a NUL in a query parameter (a 500, not a refusal)."""
    for value in (values or {}).values():
        if isinstance(value, str) and any(ord(c) < 32 or ord(c) == 127 for c in value):
            abort(404)


def _unexpected(error: Exception) -> tuple[str, int]:
    """Log the exception type and place only (no request body), answer a plain 500 page."""
    if isinstance(error, HTTPException):
        return error_page(error)
    logging.getLogger("intake").error(
        "unhandled %s at %s", type(error).__name__,
        getattr(error.__traceback__, "tb_frame", None) and _origin(error),
    )
    return render_template(
        "error.html", code=500, message=_("Something went wrong on our side. Please try again.")
    ), 500


def _origin(error: Exception) -> str:
    """File and line where the error was raised, without locals or arguments."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"


def settings_of(app: Flask) -> Settings:
    """The typed settings an app was built with."""
    return app.extensions["intake_settings"]


def db_of(app: Flask) -> Database:
    """The database an app was built with."""
    return app.extensions["intake_db"]


def db_session() -> Session:
    """This request's ORM session (removed at teardown)."""
    return db_of(current_app).session()
