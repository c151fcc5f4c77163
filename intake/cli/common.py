"""What every sub-command needs: settings, a database, and clean operator errors."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from intake.db import Database
from intake.settings import Settings, SettingsError, load_settings


def settings() -> Settings:
    """Load settings or stop with the operator-facing message."""
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


NOT_MIGRATED = ("No Intake database at {where}: run `intake db upgrade` first "
                "(nothing was created).")


def database(cfg: Settings | None = None) -> Database:
    """A database handle for one command; stops with one line, creating nothing (no data
    directory, no empty SQLite file), where no migrated database exists."""
    cfg = cfg or settings()
    url = make_url(cfg.database_url)
    where = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        path = url.database or ""
        if not path or path == ":memory:" or not Path(path).is_file():
            raise click.ClickException(NOT_MIGRATED.format(where=path or where))
    db = Database(cfg)
    try:
        migrated = inspect(db.engine).has_table("alembic_version")
    except SQLAlchemyError:
        db.dispose()
        raise click.ClickException(NOT_MIGRATED.format(where=where)) from None
    if not migrated:
        db.dispose()
        raise click.ClickException(NOT_MIGRATED.format(where=where))
    return db
