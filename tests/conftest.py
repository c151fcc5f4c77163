"""One fixture set for the suite: every database test runs on SQLite and, when
INTAKE_TEST_DATABASE_URL is set, on PostgreSQL too (each test in its own schema)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from intake import migrate
from intake.db import Database
from intake.settings import Settings, load_settings

PG_URL = os.environ.get("INTAKE_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_configure(config: pytest.Config) -> None:
    """Fail loudly, before any test, when PostgreSQL is asked for but unreachable."""
    if not PG_URL:
        return
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure must stop the run
        raise pytest.UsageError(
            f"INTAKE_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}"
        ) from exc


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """The database kind of this test run."""
    return str(request.param)


@pytest.fixture
def database_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL schema."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'intake.db'}"
        return
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: its own data dir, cheap key derivations, fixed secrets."""
    return load_settings(
        environ={},
        data_dir=str(tmp_path / "data"),
        database_url=database_url,
        public_secret_key="test-public-" + "p" * 40,
        review_secret_key="test-review-" + "r" * 40,
        rate_limit_secret="test-ratelimit-" + "l" * 40,
        staff_kdf_time_cost=1,
        staff_kdf_memory_kib=1024,
        staff_kdf_parallelism=1,
        receipt_kdf_time_cost=1,
        receipt_kdf_memory_kib=1024,
        receipt_kdf_parallelism=1,
        rate_limit_submit="10000/hour",
        rate_limit_receipt="10000/hour",
        rate_limit_login="10000/hour",
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """A migrated database (the schema only ever comes from Alembic)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings)
    migrate.upgrade(settings.database_url, engine=db.engine)
    yield db
    db.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[object]:
    """A plain ORM session for arranging and inspecting state."""
    s = database.factory()
    yield s
    s.close()


@pytest.fixture
def public_app(settings: Settings, database: Database):  # type: ignore[no-untyped-def]
    """The reporter app on the test database."""
    from intake.public import create_app

    app = create_app(settings, database)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def review_app(settings: Settings, database: Database):  # type: ignore[no-untyped-def]
    """The staff app on the test database."""
    from intake.review import create_app

    app = create_app(settings, database)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def public_client(public_app):  # type: ignore[no-untyped-def]
    """A test client of the public app (real CSRF: tokens are scraped from the form)."""
    return public_app.test_client()


@pytest.fixture
def review_client(review_app):  # type: ignore[no-untyped-def]
    """A test client of the review app."""
    return review_app.test_client()


pytest_plugins = ["tests.support.factories"]
