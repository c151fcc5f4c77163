"""Engine and session factory: SQLite (WAL, secure_delete) by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
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


class Database:
    """Holds the engine and a scoped session; apps remove the session at teardown."""

    def __init__(self, settings: Settings) -> None:
        if settings.database_url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
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
