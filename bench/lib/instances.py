"""Throw-away instances: a migrated database and data dir that live for one run only."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from intake import migrate
from intake.db import Database
from intake.models import Staff
from intake.services.credentials import unlock_private_key
from intake.services.staff import create_staff
from intake.settings import Settings, load_settings

PG_URL = os.environ.get("INTAKE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRETS = {
    "public_secret_key": "bench-public-" + "p" * 40,
    "review_secret_key": "bench-review-" + "r" * 40,
    "rate_limit_secret": "bench-ratelimit-" + "l" * 40,
}
PASSPHRASE = "correct horse battery staple bench"
ENV_FIELDS = ("data_dir", "database_url", "public_secret_key", "review_secret_key",
              "rate_limit_secret", "receipt_kdf_time_cost", "receipt_kdf_memory_kib",
              "receipt_kdf_parallelism", "staff_kdf_time_cost", "staff_kdf_memory_kib",
              "staff_kdf_parallelism", "rate_limit_submit", "rate_limit_receipt",
              "rate_limit_login", "rate_limit_storage")


@dataclass
class Instance:
    """A migrated database and data dir that live only for one benchmark."""

    settings: Settings
    database: Database
    env: dict[str, str] = field(default_factory=dict)


def pg_available() -> bool:
    """PostgreSQL figures are skipped (with a note) when the server is not reachable."""
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


@contextmanager
def instance(backend: str = "sqlite", **overrides: Any) -> Iterator[Instance]:
    """A fresh instance: SQLite in a temp dir, or PostgreSQL in its own schema."""
    tmp = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'intake.db'}"
    else:
        schema = f"bench_{secrets.token_hex(5)}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        sep = "&" if "?" in PG_URL else "?"
        url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    values: dict[str, Any] = {"data_dir": str(tmp), "database_url": url, **SECRETS, **overrides}
    settings = load_settings(environ={}, **values)
    database = Database(settings)
    migrate.upgrade(url, engine=database.engine)
    env = {f"INTAKE_{k.upper()}": str(v) for k, v in values.items()}
    try:
        yield Instance(settings, database, env)
    finally:
        database.dispose()
        if schema is not None:
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def add_recipients(inst: Instance, reviewers: int = 3, recovery: bool = True,
                   role: str = "reviewer") -> list[str]:
    """Reviewers with key pairs (and the recovery key): who every report is wrapped to."""
    from intake.crypto import fingerprint, generate_keypair
    from intake.models import RecoveryKey
    from intake.services.staff import create_staff

    names = []
    with inst.database.transaction() as session:
        for n in range(reviewers):
            name = f"bench-{role}-{n}"
            create_staff(session, inst.settings, name, role, PASSPHRASE)
            names.append(name)
        if recovery:
            _private, public = generate_keypair()
            session.add(RecoveryKey(public_key=public, fingerprint=fingerprint(public)))
    return names


def bench_settings(data_dir: Path, database_url: str, fast_kdf: bool = False) -> Settings:
    """Settings of a throw-away instance; rate limits out of the way of the load."""
    kdf = {}
    if fast_kdf:
        kdf = {"receipt_kdf_time_cost": 1, "receipt_kdf_memory_kib": 1024,
               "receipt_kdf_parallelism": 1}
    return load_settings(
        environ={}, data_dir=str(data_dir), database_url=database_url,
        public_secret_key="bench-public-" + secrets.token_hex(24),
        review_secret_key="bench-review-" + secrets.token_hex(24),
        rate_limit_secret="bench-limit-" + secrets.token_hex(24),
        staff_kdf_time_cost=1, staff_kdf_memory_kib=8192, staff_kdf_parallelism=1,
        rate_limit_submit="1000000/hour", rate_limit_receipt="1000000/hour",
        rate_limit_login="1000000/hour", **kdf)


@dataclass
class Reader:
    """The staff member whose key the verification decrypts with."""

    staff_id: str
    private_key: bytes


def prepare(settings: Settings) -> Reader:
    """Migrate the instance and create one reviewer (so reports are accepted)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings)
    try:
        migrate.upgrade(settings.database_url, engine=db.engine)
        with db.transaction() as s:
            staff, _uri = create_staff(s, settings, f"reader{secrets.token_hex(3)}",
                                       "reviewer", PASSPHRASE)
            s.flush()
            private = unlock_private_key(settings, staff, PASSPHRASE)
            return Reader(staff.id, private)
    finally:
        db.dispose()


@contextmanager
def fresh_pg_database(base_url: str) -> Iterator[str]:
    """A new PostgreSQL database on the same server, dropped afterwards."""
    url = make_url(base_url)
    name = f"intake_bench_{secrets.token_hex(4)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_env(settings: Settings, database_url: str | None = None) -> dict[str, str]:
    """The INTAKE_* environment that makes gunicorn's create_app() load these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    for name in ENV_FIELDS:
        env[f"INTAKE_{name.upper()}"] = str(getattr(settings, name))
    if database_url is not None:
        env["INTAKE_DATABASE_URL"] = database_url
    return env


def staff_exists(settings: Settings, staff_id: str) -> bool:
    """Sanity check used by the runs after a restart."""
    db = Database(settings)
    try:
        with db.transaction() as s:
            return s.get(Staff, staff_id) is not None
    finally:
        db.dispose()
