"""Fixtures for backup tests: a second, empty instance of the same database kind."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from intake.db import Database
from intake.settings import Settings
from tests.conftest import PG_URL


@pytest.fixture
def fresh(settings: Settings, tmp_path: Path) -> Iterator[Callable[[str], tuple[Settings,
                                                                              Database]]]:
    """Make a new data dir and an empty database (SQLite file or PostgreSQL schema)."""
    schemas: list[str] = []
    dbs: list[Database] = []
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT") if PG_URL else None

    def _make(name: str) -> tuple[Settings, Database]:
        data = tmp_path / name
        if settings.database_url.startswith("sqlite"):
            url = f"sqlite:///{data / 'intake.db'}"
        else:
            assert admin is not None
            schema = f"t_{secrets.token_hex(6)}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            schemas.append(schema)
            sep = "&" if "?" in PG_URL else "?"
            url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
        other = settings.replace(data_dir=data, database_url=url)
        db = Database(other)
        dbs.append(db)
        return other, db

    yield _make
    for db in dbs:
        db.dispose()
    if admin is not None:
        with admin.connect() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
