"""Backup and restore: a consistent, still-encrypted snapshot of the database and blobs.

The archive is a tar file: `manifest.json`, one JSON-lines file per table (`db/<table>.jsonl`,
portable between SQLite and PostgreSQL) and the referenced blob files (`blobs/<name>`).
Nothing is decrypted: item content and blobs are ciphertext already. The triage metadata
in it is as sensitive as the database itself.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, func, select, text
from sqlalchemy.engine import make_url

from intake import migrate
from intake.db import Database
from intake.settings import Settings

FORMAT = "intake-backup"
FORMAT_VERSION = 1
VERSION_TABLE = "alembic_version"
# Tables never written to a backup: staff_sessions holds the server halves of live
# sessions (private keys wrapped under keys in staff cookies); an archive must not keep
# them past their expiry. A restored instance simply starts with everyone signed out.
NOT_BACKED_UP = frozenset({"staff_sessions"})
Progress = Callable[[int], None]


class BackupError(RuntimeError):
    """An operator-facing reason the backup or restore cannot go on."""


def _encode(value: Any) -> Any:
    """JSON for one column value; bytes and times are tagged so they round-trip exactly."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"$t": aware.astimezone(UTC).isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    """Inverse of _encode."""
    if isinstance(value, dict):
        if "$b" in value:
            return base64.b64decode(value["$b"])
        if "$t" in value:
            return datetime.fromisoformat(value["$t"])
        if "$d" in value:
            return date.fromisoformat(value["$d"])
    return value


@dataclass
class Snapshot:
    """Table dumps taken in one consistent read, ready to be written with the blobs."""

    workdir: Path
    revision: str | None
    tables: dict[str, int] = field(default_factory=dict)
    blobs: list[str] = field(default_factory=list)

    @property
    def steps(self) -> int:
        """Units of work for a progress bar: one per table and one per blob."""
        return len(self.tables) + len(self.blobs)


def _dump_connection(conn: Connection, workdir: Path) -> Snapshot:
    """Write every table of one connection (already in a consistent read) as JSON lines."""
    meta = MetaData()
    meta.reflect(bind=conn)
    revision = None
    if VERSION_TABLE in meta.tables:
        revision = conn.scalar(select(meta.tables[VERSION_TABLE].c.version_num))
    snap = Snapshot(workdir=workdir, revision=revision)
    (workdir / "db").mkdir()
    for table in meta.sorted_tables:
        if table.name == VERSION_TABLE or table.name in NOT_BACKED_UP:
            continue
        count = 0
        with (workdir / "db" / f"{table.name}.jsonl").open("w", encoding="utf-8") as fh:
            columns = [c.name for c in table.columns]
            fh.write(json.dumps(columns) + "\n")
            # Primary-key order, not storage order: storage order is insertion order, and
            # reporters' rows have random keys, so the dump says nothing about when.
            ordered = select(table).order_by(*table.primary_key.columns)
            for row in conn.execute(ordered).yield_per(500):
                fh.write(json.dumps([_encode(v) for v in row]) + "\n")
                count += 1
        snap.tables[table.name] = count
        if table.name == "items":
            snap.blobs = sorted(n for n in conn.scalars(
                select(table.c.blob_name).where(table.c.blob_name.is_not(None))) if n)
    return snap


def _sqlite_copy(url: str, target: Path) -> None:
    """SQLite's online backup API: a consistent copy even while the apps write."""
    path = make_url(url).database
    if not path:
        raise BackupError("in-memory SQLite databases cannot be backed up")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()


@contextmanager
def snapshot(database: Database, settings: Settings) -> Iterator[Snapshot]:
    """Take the consistent database read now; the caller then writes the archive."""
    work = Path(tempfile.mkdtemp(prefix="intake-backup-", dir=settings.data_dir))
    os.chmod(work, 0o700)
    try:
        if database.engine.dialect.name == "sqlite":
            copy = work / "copy.db"
            _sqlite_copy(settings.database_url, copy)
            engine = create_engine(f"sqlite:///{copy}")
            try:
                with engine.connect() as conn:
                    snap = _dump_connection(conn, work)
            finally:
                engine.dispose()
            copy.unlink()
        else:
            with database.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    conn.execute(text("SET TRANSACTION READ ONLY"))
                    snap = _dump_connection(conn, work)
        yield snap
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    """One in-memory member (the manifest)."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, _BytesReader(data))


class _BytesReader:
    """Minimal file object for tarfile.addfile."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk = self._data[self._pos:end]
        self._pos += len(chunk)
        return chunk


def _to_the_hour(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """A blob's time in the archive, to the hour (older blobs on disk may be precise)."""
    info.mtime = int(info.mtime) - int(info.mtime) % 3600
    return info


def write_archive(snap: Snapshot, settings: Settings, out: Path,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Write manifest, table dumps and blobs to `out` (mode 0600); returns the manifest."""
    step = progress or (lambda _n: None)
    missing: list[str] = []
    manifest: dict[str, Any] = {
        "format": FORMAT, "version": FORMAT_VERSION, "revision": snap.revision,
        "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "tables": snap.tables, "blobs": 0,
    }
    partial = out.with_name(out.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        for name in snap.tables:
            tar.add(str(snap.workdir / "db" / f"{name}.jsonl"), arcname=f"db/{name}.jsonl")
            step(1)
        for blob in snap.blobs:
            path = settings.blob_dir / Path(blob).name
            if path.is_file():
                tar.add(str(path), arcname=f"blobs/{Path(blob).name}", filter=_to_the_hour)
                manifest["blobs"] += 1
            else:
                missing.append(blob)
            step(1)
        manifest["missing_blobs"] = len(missing)
        _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, out)
    return manifest


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of an archive, checked for format and version."""
    try:
        with tarfile.open(archive, mode="r") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest: dict[str, Any] = json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise BackupError(f"{archive} is not an Intake backup: {exc}") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BackupError(f"{archive}: unsupported backup format")
    return manifest


def _user_tables(engine: Engine) -> MetaData:
    """The reflected tables of a database."""
    meta = MetaData()
    meta.reflect(bind=engine)
    return meta


def is_empty(database: Database, settings: Settings) -> bool:
    """No rows in any table and no blob file: nothing a restore could overwrite."""
    meta = _user_tables(database.engine)
    with database.engine.connect() as conn:
        for table in meta.tables.values():
            if table.name == VERSION_TABLE:
                continue
            if conn.scalar(select(func.count()).select_from(table)):
                return False
    blobs = settings.blob_dir
    return not (blobs.is_dir() and any(blobs.iterdir()))


def _wipe(database: Database, settings: Settings) -> None:
    """--force: remove every row and blob of the target instance before restoring."""
    meta = _user_tables(database.engine)
    with database.engine.begin() as conn:
        for table in reversed(meta.sorted_tables):
            if table.name != VERSION_TABLE:
                conn.execute(table.delete())
    if settings.blob_dir.is_dir():
        for path in settings.blob_dir.iterdir():
            if path.is_file():
                path.unlink()


def _ordered_rows(table: Table, columns: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    """Rows of a self-referencing table (items.parent_id) with parents before children."""
    self_fks = [fk for fk in table.foreign_keys if fk.column.table is table]
    if not self_fks:
        return rows
    child, parent = self_fks[0].parent.name, self_fks[0].column.name
    ci, pi = columns.index(child), columns.index(parent)
    done: set[Any] = set()
    ordered: list[list[Any]] = []
    pending = rows
    while pending:
        ready = [r for r in pending if r[ci] is None or r[ci] in done] or pending
        ordered.extend(ready)
        done.update(r[pi] for r in ready)
        pending = [r for r in pending if r[pi] not in done]
    return ordered


def _load_table(conn: Connection, table: Table, stream: IO[bytes]) -> int:
    """Insert one table's dump in batches."""
    lines = iter(stream)
    columns = json.loads(next(lines))
    known = [c for c in columns if c in table.c]
    rows = [[_decode(v) for v in json.loads(line)] for line in lines]
    rows = _ordered_rows(table, columns, rows)
    batch = [{c: r[columns.index(c)] for c in known} for r in rows]
    for start in range(0, len(batch), 500):
        conn.execute(table.insert(), batch[start:start + 500])
    return len(batch)


def _reset_sequences(conn: Connection, meta: MetaData) -> None:
    """PostgreSQL: serial counters continue after the restored ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in meta.tables.values():
        if "id" in table.c and table.c.id.type.python_type is int:
            seq = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                              {"t": table.name})
            if seq:
                top = conn.scalar(select(func.max(table.c.id))) or 0
                conn.execute(text("SELECT setval(:s, :v, false)"), {"s": seq, "v": top + 1})


def restore(database: Database, settings: Settings, archive: Path, *, force: bool = False,
            progress: Progress | None = None) -> dict[str, Any]:
    """Restore an archive into an empty instance, then migrate it to the current head."""
    step = progress or (lambda _n: None)
    manifest = read_manifest(archive)
    if not is_empty(database, settings):
        if not force:
            raise BackupError("the target instance is not empty; restore refuses to "
                              "overwrite it (use --force to replace everything in it)")
        _wipe(database, settings)
    revision = manifest.get("revision") or "head"
    migrate.upgrade(settings.database_url, engine=database.engine, revision=revision)
    meta = _user_tables(database.engine)
    settings.blob_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, mode="r") as tar, database.engine.begin() as conn:
        for table in meta.sorted_tables:
            if table.name not in manifest["tables"]:
                continue
            member = tar.extractfile(f"db/{table.name}.jsonl")
            if member is None:
                raise BackupError(f"{archive}: table {table.name} missing")
            _load_table(conn, table, member)
            step(1)
        _reset_sequences(conn, meta)
        for info in tar.getmembers():
            if not info.isfile() or not info.name.startswith("blobs/"):
                continue
            name = Path(info.name).name
            source = tar.extractfile(info)
            if source is None or name in ("", ".", ".."):
                continue
            fd = os.open(settings.blob_dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as dest:
                shutil.copyfileobj(source, dest)
            step(1)
    migrate.upgrade(settings.database_url, engine=database.engine)
    return manifest


def restore_steps(manifest: dict[str, Any]) -> int:
    """Units of work of a restore, for the progress bar."""
    return len(manifest.get("tables", {})) + int(manifest.get("blobs", 0))
