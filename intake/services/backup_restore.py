"""`intake restore`: authenticate first, then load in one transaction, blobs staged aside.

Pass one (backup_verify) reads and authenticates the whole archive without touching the
instance. Pass two reads it again, checks it is byte for byte the same file, inserts the
rows in a single transaction and writes blobs into a private staging directory; only when
the final segment has authenticated again is the transaction committed and are the blobs
moved into place. Any failure rolls back and removes the staging directory.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, MetaData, Table, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from intake import migrate
from intake.attachments.blobs import coarsen_all
from intake.db import Database
from intake.services.backup import VERSION_TABLE, decode_value, safe_blob_name
from intake.services.backup_archive import ArchiveReader, BackupError
from intake.services.backup_verify import TABLE_PART, Verified, verify_file
from intake.services.progress import Progress, Silent
from intake.settings import Settings

BATCH = 1000


def _tables(engine: Engine | Connection) -> MetaData:
    """The reflected tables of a database."""
    meta = MetaData()
    meta.reflect(bind=engine)
    return meta


def is_empty(database: Database, settings: Settings) -> bool:
    """No rows in any table and no blob file: nothing a restore could overwrite."""
    meta = _tables(database.engine)
    with database.engine.connect() as conn:
        for table in meta.tables.values():
            if table.name != VERSION_TABLE and conn.scalar(
                    select(func.count()).select_from(table)):
                return False
    blobs = settings.blob_dir
    return not (blobs.is_dir() and any(blobs.iterdir()))


def _load_part(conn: Connection, table: Table, data: IO[bytes]) -> None:
    """Insert one table part in batches (parents came first: the writer ordered them)."""
    columns = json.loads(data.readline())
    known = [(i, c) for i, c in enumerate(columns) if c in table.c]
    batch: list[dict[str, Any]] = []
    for line in data:
        row = json.loads(line)
        batch.append({c: decode_value(v) if isinstance(v := row[i], dict) else v
                      for i, c in known})
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)


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


def _load(conn: Connection, reader: ArchiveReader, checked: Verified, staging: Path) -> None:
    """Pass two: rows into the open transaction, blobs into staging; same file as pass one."""
    if reader.header != checked.header:
        raise BackupError("the archive changed since it was verified; nothing restored")
    meta = _tables(conn)
    for info, data in reader.members():
        assert data is not None  # pass one refused anything but regular files
        part = TABLE_PART.fullmatch(info.name)
        if part:
            table = meta.tables.get(part.group(1))
            if table is None:
                raise BackupError(f"table {part.group(1)} does not exist in this schema")
            _load_part(conn, table, data)
        elif info.name.startswith("blobs/"):
            name = info.name[len("blobs/"):]
            if not info.isfile() or not safe_blob_name(name):  # a plain tar swapped meanwhile
                raise BackupError(f"unexpected archive member {info.name!r}")
            fd = os.open(staging / name,
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(data, out, 1 << 20)
    if reader.sha256 != checked.sha256:
        raise BackupError("the archive changed since it was verified; nothing restored")
    os.sync()  # every staged blob on disk before the rows that name them are committed
    _reset_sequences(conn, meta)


def _wipe_rows(conn: Connection) -> None:
    """--force: every row of the target goes, in the same transaction as the load."""
    for table in reversed(_tables(conn).sorted_tables):
        if table.name != VERSION_TABLE:
            conn.execute(table.delete())


def _swap_blobs(settings: Settings, staging: Path, force: bool) -> None:
    """After the commit: old blob files out (--force only), restored ones in."""
    blob_dir = settings.blob_dir
    blob_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if force:
        for old in blob_dir.iterdir():
            if old.is_file():
                old.unlink()
    for staged in staging.iterdir():
        os.replace(staged, blob_dir / staged.name)
    coarsen_all(blob_dir)  # file times to the hour, like every stored blob


def restore(database: Database, settings: Settings, archive: Path, private_raw: bytes | None,
            *, allow_plain: bool = False, force: bool = False,
            progress: Progress | None = None) -> Verified:
    """Restore an archive into an empty instance (or, forced, replace one), then migrate."""
    bar = progress or Silent()
    checked = verify_file(archive, private_raw, allow_plain=allow_plain, progress=bar)
    if not force and not is_empty(database, settings):
        raise BackupError("the target instance is not empty; restore refuses to "
                          "overwrite it (use --force to replace everything in it)")
    revision = str(checked.manifest.get("revision") or "head")
    try:
        migrate.upgrade(settings.database_url, engine=database.engine, revision=revision)
    except CommandError as exc:
        raise BackupError(f"schema revision {revision} of the archive is unknown to this "
                          f"version of Intake (made by a newer one?): {exc}") from exc
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=settings.data_dir))
    try:
        with archive.open("rb") as fh, database.engine.begin() as conn:
            bar.start("restore", archive.stat().st_size)
            reader = ArchiveReader(fh, private_raw, allow_plain=allow_plain,
                                   progress=bar.advance)
            if force:
                _wipe_rows(conn)
            _load(conn, reader, checked, staging)
            bar.finish()
        _swap_blobs(settings, staging, force)
    except (SQLAlchemyError, ValueError, KeyError, IndexError) as exc:
        raise BackupError(f"the archive's rows could not be loaded ({exc.__class__.__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''})") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    migrate.upgrade(settings.database_url, engine=database.engine)
    return checked
