"""Backup and restore: an empty instance gets everything back, still encrypted."""

from __future__ import annotations

import secrets
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text

from intake import migrate
from intake.crypto import decrypt_file, stream_associated_data
from intake.db import Database
from intake.models import AuditEvent, Item, KeyWrap, Staff
from intake.services import audit, backup
from intake.services.credentials import unlock_private_key
from intake.services.reading import item_data_key
from tests.conftest import PG_URL
from tests.operations.helpers import case_for_code, make_case, report_of

CANARY = "CANARY-backup-7f3a raid on the office at night"


@pytest.fixture
def fresh(settings, tmp_path: Path):
    """Make a second, empty instance: new data dir and a new database of the same kind."""
    schemas: list[str] = []
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT") if PG_URL else None

    def _make(name: str):
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
        data.mkdir(parents=True, exist_ok=True)
        return other, Database(other)

    yield _make
    if admin is not None:
        with admin.connect() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _take_backup(database, settings, out: Path) -> dict:
    with backup.snapshot(database, settings) as snap:
        return backup.write_archive(snap, settings, out)


def test_restore_into_empty_instance_decrypts_with_passphrase_and_recovery_key(
        database, settings, make_staff, recovery_key, tmp_path, fresh):
    reader = make_staff("reviewer")
    code, case_id = make_case(database, settings, CANARY, blob=b"\xff\xd8jpeg" * 5000)
    archive = tmp_path / "backup.tar"
    manifest = _take_backup(database, settings, archive)
    assert manifest["blobs"] == 1 and manifest["tables"]["cases"] == 1

    # The archive adds no plaintext.
    raw = archive.read_bytes()
    assert CANARY.encode() not in raw and b"jpeg" not in raw

    other, db2 = fresh("restored")
    try:
        backup.restore(db2, other, archive)
        with db2.transaction() as s:
            case = case_for_code(s, other, code)  # receipt salt travelled in site_values
            assert case.id == case_id
            staff = s.get(Staff, reader.id)
            private = unlock_private_key(other, staff, reader.passphrase)
            assert report_of(s, case, private, staff_id=reader.id).what == CANARY
            by_recovery = report_of(s, case, recovery_key.private_key,
                                    recovery_key_id=recovery_key.id)
            assert by_recovery.what == CANARY
            attachment = s.scalars(select(Item).where(Item.case_id == case_id,
                                                     Item.kind == "attachment")).one()
            key = item_data_key(s, attachment, private, staff_id=reader.id)
            blob = other.blob_dir / str(attachment.blob_name)
            out = tmp_path / "plain.bin"
            with blob.open("rb") as src, out.open("wb") as dst:
                decrypt_file(key, stream_associated_data(attachment.id, "attachment"), src, dst)
            assert out.read_bytes() == b"\xff\xd8jpeg" * 5000
            assert audit.verify(s).ok
            # New rows still get fresh ids after the restore.
            audit.record(s, None, "test.after_restore")
            s.add(KeyWrap(item_id=attachment.id, recovery_key_id=None, staff_id=None,
                          for_reporter=True, wrapped=b"x"))
            s.flush()
    finally:
        db2.dispose()


def test_restore_refuses_a_non_empty_instance_unless_forced(database, settings, make_staff,
                                                            tmp_path):
    make_staff("reviewer")
    make_case(database, settings, "first")
    archive = tmp_path / "b.tar"
    _take_backup(database, settings, archive)
    make_case(database, settings, "second, after the backup")
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(database, settings, archive)
    backup.restore(database, settings, archive, force=True)
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Item)) == 1


def test_restore_rejects_something_that_is_not_a_backup(database, settings, tmp_path):
    bogus = tmp_path / "bogus.tar"
    with tarfile.open(bogus, "w") as tar:
        tar.add(__file__, arcname="manifest.json")
    with pytest.raises(backup.BackupError):
        backup.restore(database, settings, bogus)
    (tmp_path / "junk").write_bytes(b"not a tar")
    with pytest.raises(backup.BackupError):
        backup.read_manifest(tmp_path / "junk")


def test_archive_is_private_and_complete(database, settings, make_staff, tmp_path):
    make_staff("admin")
    make_case(database, settings, "x", blob=b"abc")
    archive = tmp_path / "b.tar"
    _take_backup(database, settings, archive)
    assert archive.stat().st_mode & 0o077 == 0
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "db/cases.jsonl", "db/items.jsonl", "db/key_wraps.jsonl",
            "db/site_values.jsonl", "db/staff.jsonl"} <= names
    assert sum(n.startswith("blobs/") for n in names) == 1
    assert not any(p.name.startswith("intake-backup-") for p in settings.data_dir.iterdir())


def test_cli_backup_and_restore(database, settings, make_staff, tmp_path, monkeypatch,
                                fresh):
    from intake.cli import main

    make_staff("reviewer")
    code, _case = make_case(database, settings, CANARY)

    def _env(cfg) -> None:
        for name in ("data_dir", "database_url", "public_secret_key", "review_secret_key",
                     "rate_limit_secret"):
            monkeypatch.setenv(f"INTAKE_{name.upper()}", str(getattr(cfg, name)))

    _env(settings)
    archive = tmp_path / "cli.tar"
    result = CliRunner().invoke(main, ["backup", "--out", str(archive)])
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output and archive.exists()
    with database.transaction() as s:
        assert "backup.create" in list(s.scalars(select(AuditEvent.action)))

    other, db2 = fresh("cli-restored")
    try:
        _env(other)
        result = CliRunner().invoke(main, ["restore", str(archive)])
        assert result.exit_code == 0, result.output
        result = CliRunner().invoke(main, ["restore", str(archive)])
        assert result.exit_code != 0 and "not empty" in result.output
        with db2.transaction() as s:
            assert case_for_code(s, other, code) is not None
            assert "backup.restore" in list(s.scalars(select(AuditEvent.action)))
        migrate.upgrade(other.database_url, engine=db2.engine)  # already at head: no-op
    finally:
        db2.dispose()
