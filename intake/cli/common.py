"""What every sub-command needs: settings, a database, and clean operator errors."""

from __future__ import annotations

import click

from intake.db import Database
from intake.settings import Settings, SettingsError, load_settings


def settings() -> Settings:
    """Load settings or stop with the operator-facing message."""
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def database(cfg: Settings | None = None) -> Database:
    """A database handle for one command."""
    return Database(cfg or settings())
