"""`intake db upgrade`: the schema only ever comes from Alembic revisions."""

from __future__ import annotations

import click

from intake import migrate
from intake.cli.common import settings
from intake.db import private_dir, private_sqlite_file


def register(main: click.Group) -> None:
    """Attach the `db` group."""

    @main.group("db")
    def db_group() -> None:
        """Database schema commands."""

    @db_group.command("upgrade")
    @click.option("--revision", default="head", show_default=True)
    def upgrade(revision: str) -> None:
        """Apply migrations up to REVISION."""
        cfg = settings()
        if cfg.database_url.startswith("sqlite"):
            private_dir(cfg.data_dir)
            private_sqlite_file(cfg.database_url)
        migrate.upgrade(cfg.database_url, revision=revision)
        click.echo("database schema is up to date")
