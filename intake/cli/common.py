"""What every sub-command needs: settings, a database, and clean operator errors."""

from __future__ import annotations

import sys
from typing import Any

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
