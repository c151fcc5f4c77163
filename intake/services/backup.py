"""`intake backup`: one consistent read of the database and blobs, sealed as it streams.

The archive (see backup_archive) holds `db/<table>.<part>.jsonl` members (portable between
SQLite and PostgreSQL), `blobs/<name>` and a final `manifest.json`. It is sealed to every
active recovery key and the configured extra recipients under a fresh key; the plaintext
exists only in memory, one bounded part at a time. Session rows are never included.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, MetaData, Select, Table, func, literal, select, text

from intake.crypto import fingerprint, import_public_pem
from intake.db import Database
from intake.models import RecoveryKey
from intake.services.backup_archive import ArchiveWriter, BackupError
from intake.services.progress import Progress, Silent
from intake.settings import Settings

FORMAT = "intake-backup"
FORMAT_VERSION = 2
VERSION_TABLE = "alembic_version"
# Never in a backup: the server half of staff sessions (with the cookie it unwraps a
# private key) and transient sign-in failure counters.
EXCLUDED_TABLES = ("staff_sessions", "login_failures")
PART_BYTES = 4 << 20
MANIFEST = "manifest.json"

__all__ = ["BackupError", "BackupResult", "EXCLUDED_TABLES", "recipients", "write_backup"]


def encode_value(value: Any) -> Any:
    """JSON for one column value; bytes and times are tagged so they round-trip exactly."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"$t": aware.astimezone(UTC).isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    return value


def decode_value(value: Any) -> Any:
    """Inverse of encode_value."""
    if isinstance(value, dict):
        if "$b" in value:
            return base64.b64decode(value["$b"])
        if "$t" in value:
            return datetime.fromisoformat(value["$t"])
        if "$d" in value:
            return date.fromisoformat(value["$d"])
    return value


def safe_blob_name(name: str) -> bool:
    """A bare file name: never a path that could leave the blob directory."""
    return bool(name) and Path(name).name == name and name not in (".", "..") \
        and "\\" not in name and "\0" not in name


@dataclass
class BackupResult:
    """What was written: the manifest, and the archive's digest for the operator's record."""

    path: Path
    manifest: dict[str, Any]
    sha256: str
    size: int


def recipients(session: Any, settings: Settings) -> list[tuple[str, bytes]]:
    """(fingerprint, public key) of every active recovery key and configured extra recipient."""
    found = [(k.fingerprint, bytes(k.public_key)) for k in session.scalars(
        select(RecoveryKey).where(RecoveryKey.active.is_(True)).order_by(RecoveryKey.created_at))]
    for entry in settings.backup_recipients:
        path = Path(entry)
        try:
            public = import_public_pem(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BackupError(f"backup recipient {path}: {exc}") from exc
        found.append((fingerprint(public), public))
    if not found:
        raise BackupError("no active recovery key and no backup_recipients: an encrypted "
                          "backup could never be opened. Create the recovery key first "
                          "(`intake recovery-key generate`, docs/deploy.md).")
    return found


def _ordered(table: Table) -> Select[Any]:
    """All rows in primary-key order; a self-referencing table (items.parent_id) by tree
    depth first, so parents load before children.

    Never storage order: that is insertion order, and reporters' rows have random keys
    so that the dump says nothing about when each arrived.
    """
    key = list(table.primary_key.columns)
    self_fks = [fk for fk in table.foreign_keys if fk.column.table is table]
    if not self_fks:
        return select(table).order_by(*key)
    child, parent = self_fks[0].parent.name, self_fks[0].column.name
    tree = select(table.c[parent].label("node"), literal(0).label("depth")).where(
        table.c[child].is_(None)).cte("tree", recursive=True)
    below = table.alias("below")
    tree = tree.union_all(select(below.c[parent], tree.c.depth + 1).join(
        tree, below.c[child] == tree.c.node))
    return select(table).outerjoin(tree, table.c[parent] == tree.c.node).order_by(
        func.coalesce(tree.c.depth, 1 << 30), *key)


class _Dump:
    """Writes every table and blob of one consistent read into the archive."""

    def __init__(self, conn: Connection, settings: Settings, writer: ArchiveWriter,
                 progress: Progress) -> None:
        self.conn, self.settings, self.writer, self.progress = conn, settings, writer, progress
        self.meta = MetaData()
        self.meta.reflect(bind=conn)
        self.tables = [t for t in self.meta.sorted_tables
                       if t.name != VERSION_TABLE and t.name not in EXCLUDED_TABLES]

    def revision(self) -> str | None:
        """The schema revision the rows belong to."""
        if VERSION_TABLE not in self.meta.tables:
            return None
        return self.conn.scalar(select(self.meta.tables[VERSION_TABLE].c.version_num))

    def _blob_names(self) -> Select[Any]:
        items = self.meta.tables["items"]
        return select(items.c.blob_name).where(items.c.blob_name.is_not(None)).order_by(
            items.c.blob_name)

    def total(self) -> int:
        """Rows plus blobs, for the progress bar."""
        rows = sum(int(self.conn.scalar(select(func.count()).select_from(t)) or 0)
                   for t in self.tables)
        blobs = 0
        if "items" in self.meta.tables:
            blobs = int(self.conn.scalar(select(func.count()).select_from(
                self._blob_names().subquery())) or 0)
        return rows + blobs

    def table(self, table: Table) -> int:
        """One table as JSON-lines parts of at most PART_BYTES (plus one row)."""
        columns = json.dumps([c.name for c in table.columns]).encode() + b"\n"
        part, count, reported, index = bytearray(columns), 0, 0, 0
        statement = _ordered(table).execution_options(yield_per=1000)
        for row in self.conn.execute(statement):
            part += json.dumps([encode_value(v) for v in row]).encode() + b"\n"
            count += 1
            if len(part) >= PART_BYTES:
                self.writer.add_bytes(f"db/{table.name}.{index:06d}.jsonl", bytes(part))
                self.progress.advance(count - reported)
                part, reported, index = bytearray(columns), count, index + 1
        if len(part) > len(columns) or index == 0:
            self.writer.add_bytes(f"db/{table.name}.{index:06d}.jsonl", bytes(part))
        self.progress.advance(count - reported)
        return count

    def blobs(self) -> tuple[int, int, int]:
        """Every referenced blob file: (copied, bytes, missing on disk)."""
        copied = size_total = missing = 0
        if "items" not in self.meta.tables:
            return 0, 0, 0
        for name in self.conn.scalars(self._blob_names().execution_options(yield_per=1000)):
            path = self.settings.blob_dir / name
            if not safe_blob_name(name):
                raise BackupError(f"refusing an unsafe blob name in the database: {name!r}")
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            except FileNotFoundError:
                missing += 1
                continue
            with os.fdopen(fd, "rb") as fh:
                size = os.fstat(fd).st_size
                self.writer.add_file(f"blobs/{name}", fh, size)
            copied, size_total = copied + 1, size_total + size
            self.progress.advance(1)
        return copied, size_total, missing


def _begin_snapshot(conn: Connection) -> None:
    """One read snapshot for every table (SQLite WAL: a deferred read transaction)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")
    else:
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))


def _write(conn: Connection, settings: Settings, out: IO[bytes],
           keys: list[tuple[str, bytes]] | None, progress: Progress) -> tuple[dict[str, Any], str]:
    """Dump everything into one archive; the manifest and the archive's SHA-256."""
    _begin_snapshot(conn)
    writer = ArchiveWriter(out, None if keys is None else [k for _f, k in keys])
    dump = _Dump(conn, settings, writer, progress)
    progress.start("backup", dump.total())
    manifest: dict[str, Any] = {
        "format": FORMAT, "version": FORMAT_VERSION, "revision": dump.revision(),
        "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "encrypted": keys is not None,
        "recipients": [f for f, _k in keys or []],
        "excluded_tables": list(EXCLUDED_TABLES), "tables": {},
    }
    for table in dump.tables:
        manifest["tables"][table.name] = dump.table(table)
    manifest["blobs"], manifest["blob_bytes"], manifest["missing_blobs"] = dump.blobs()
    writer.add_bytes(MANIFEST, json.dumps(manifest, indent=1).encode())
    digest = writer.close()
    progress.finish()
    return manifest, digest


def write_backup(database: Database, settings: Settings, out: Path, *, encrypt: bool = True,
                 progress: Progress | None = None) -> BackupResult:
    """Write the archive to `out` (mode 0600, via a .partial name, fsynced, then renamed)."""
    with database.transaction() as session:
        keys = recipients(session, settings) if encrypt else None
    partial = out.with_name(out.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh, database.engine.connect() as conn:
            manifest, digest = _write(conn, settings, fh, keys, progress or Silent())
            conn.rollback()
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(out, manifest, digest, out.stat().st_size)
