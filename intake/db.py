"""Engine and session factory: SQLite (WAL, secure_delete) by default, PostgreSQL in production."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from intake.services.thread_order import assign_thread_seq
from intake.settings import Settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers; secure_delete so freed pages hold no old ciphertext."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """One engine per process; SQLite gets its pragmas on every connection."""
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def private_dir(path: Path) -> None:
    """Create a directory readable by the service user only (0700), tightening it if it
    already existed with a looser mode."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def private_sqlite_file(url: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it would follow the umask, often
    0644); SQLite gives its -wal and -shm files the database file's mode."""
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


class Database:
    """Holds the engine and a scoped session; apps remove the session at teardown."""

    def __init__(self, settings: Settings) -> None:
        if settings.database_url.startswith("sqlite"):
            private_dir(settings.data_dir)
            private_sqlite_file(settings.database_url)
        self.engine = make_engine(settings.database_url)
        self.factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.session = scoped_session(self.factory)
        event.listen(self.factory, "before_flush", assign_thread_seq)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A short-lived session for CLI and background work, committed or rolled back."""
        session = self.factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close pooled connections (tests, forked workers)."""
        self.session.remove()
        self.engine.dispose()
