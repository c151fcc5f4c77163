"""What every sub-command needs: settings, a database, and clean operator errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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


class Bar:
    """Progress on stderr for long commands (backup, verify, restore), one phase at a time."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, label: str, total: int) -> None:
        """Open a bar of `total` units."""
        self._bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
        self._bar.__enter__()

    def advance(self, n: int) -> None:
        """Move it on."""
        if self._bar is not None and n:
            self._bar.update(n)

    def finish(self) -> None:
        """Close the bar (also after an error, so the terminal line ends)."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
