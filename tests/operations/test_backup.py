"""Backup and restore: an empty instance gets everything back, still encrypted, sessions not."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from intake import migrate
from intake.crypto import decrypt_file, export_private_pem, stream_associated_data
from intake.models import AuditEvent, Item, KeyWrap, Staff, StaffSession
from intake.services import audit
from intake.services.backup import BackupError, write_backup
from intake.services.backup_restore import restore
from intake.services.credentials import unlock_private_key
from intake.services.reading import item_data_key
from tests.operations.helpers import case_for_code, make_case, report_of, untouched

CANARY = "CANARY-backup-7f3a raid on the office at night"
PHOTO = b"\xff\xd8jpeg" * 5000


def _session_row(database, staff_id: str) -> None:
    with database.transaction() as s:
        s.add(StaffSession(id_hash="f" * 64, staff_id=staff_id, wrapped_private_key=b"w"))


def test_restore_with_the_recovery_key_gives_a_working_instance(
        database, settings, make_staff, recovery_key, tmp_path, fresh):
    reader = make_staff("reviewer")
    _session_row(database, reader.id)
    code, case_id = make_case(database, settings, CANARY, blob=PHOTO)
    archive = tmp_path / "backup.intake-backup"
    result = write_backup(database, settings, archive)
    assert result.manifest["blobs"] == 1 and result.manifest["tables"]["cases"] == 1
    assert "staff_sessions" not in result.manifest["tables"]

    other, db2 = fresh("restored")
    checked = restore(db2, other, archive, recovery_key.private_key)
    assert checked.sha256 == result.sha256
    with db2.transaction() as s:
        case = case_for_code(s, other, code)  # the receipt salt travelled in site_values
        assert case.id == case_id
        by_recovery = report_of(s, case, recovery_key.private_key,
                                recovery_key_id=recovery_key.id)
        assert by_recovery.what == CANARY
        staff = s.get(Staff, reader.id)
        private = unlock_private_key(other, staff, reader.passphrase)
        assert report_of(s, case, private, staff_id=reader.id).what == CANARY
        attachment = s.scalars(select(Item).where(Item.case_id == case_id,
                                                 Item.kind == "attachment")).one()
        key = item_data_key(s, attachment, recovery_key.private_key,
                            recovery_key_id=recovery_key.id)
        out = tmp_path / "plain.bin"
        with (other.blob_dir / str(attachment.blob_name)).open("rb") as src, \
                out.open("wb") as dst:
            decrypt_file(key, stream_associated_data(attachment.id, "attachment"), src, dst)
        assert out.read_bytes() == PHOTO
        assert s.scalar(select(func.count()).select_from(StaffSession)) == 0
        assert audit.verify(s).ok
        # New rows still get fresh ids after the restore (PostgreSQL sequences reset).
        audit.record(s, None, "test.after_restore")
        s.add(KeyWrap(item_id=attachment.id, recovery_key_id=None, staff_id=None,
                      for_reporter=True, wrapped=b"x"))
        s.flush()
    assert not [p for p in other.data_dir.iterdir() if p.name.startswith(".restore-")]


def test_items_restore_parents_before_children(database, settings, make_staff, recovery_key,
                                               tmp_path, fresh):
    """Replies point at their parent item; the dump orders rows so the foreign key holds."""
    make_staff("reviewer")
    _code, case_id = make_case(database, settings, "parent")
    with database.transaction() as s:
        report = s.scalars(select(Item).where(Item.case_id == case_id)).one()
        parent_id = report.id
        for depth in range(3):  # a chain whose ids sort against the insertion order
            child = Item(id=f"0000000{depth}-0000-4000-8000-000000000000", case_id=case_id,
                         parent_id=parent_id, kind="note", created_at=report.created_at,
                         ciphertext=b"c")
            s.add(child)
            s.flush()
            parent_id = child.id
    archive = tmp_path / "b.intake-backup"
    write_backup(database, settings, archive)
    other, db2 = fresh("chain")
    restore(db2, other, archive, recovery_key.private_key)
    with db2.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Item)) == 4


def test_backup_refuses_when_nobody_could_open_it(database, settings, tmp_path):
    with pytest.raises(BackupError, match="no active recovery key"):
        write_backup(database, settings, tmp_path / "b.intake-backup")
    assert not list(tmp_path.glob("b.intake-backup*"))


def test_extra_backup_recipient_can_restore(database, settings, make_staff, recovery_key,
                                            tmp_path, fresh):
    from intake.cli import main

    key_file = tmp_path / "custodian.key"
    result = CliRunner().invoke(main, ["backup", "recipient-key", "--out", str(key_file)])
    assert result.exit_code == 0, result.output
    assert key_file.stat().st_mode & 0o077 == 0
    cfg = settings.replace(backup_recipients=(str(key_file) + ".pub",))
    make_staff("reviewer")
    code, _case = make_case(database, cfg, "for the custodian")
    archive = tmp_path / "b.intake-backup"
    result = write_backup(database, cfg, archive)
    assert len(result.manifest["recipients"]) == 2
    from intake.crypto import import_private_pem
    custodian = import_private_pem(key_file.read_text())
    other, db2 = fresh("custodian")
    restore(db2, other, archive, custodian)
    with db2.transaction() as s:
        assert case_for_code(s, other, code) is not None


def test_restore_refuses_a_non_empty_instance_unless_forced(database, settings, make_staff,
                                                            recovery_key, tmp_path):
    make_staff("reviewer")
    make_case(database, settings, "first", blob=b"one")
    archive = tmp_path / "b.intake-backup"
    write_backup(database, settings, archive)
    make_case(database, settings, "second, after the backup", blob=b"two")
    with pytest.raises(BackupError, match="not empty"):
        restore(database, settings, archive, recovery_key.private_key)
    restore(database, settings, archive, recovery_key.private_key, force=True)
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Item)) == 2  # report + attachment
    assert len(list(settings.blob_dir.iterdir())) == 1


def test_archive_is_private_and_leaves_no_temporary_files(database, settings, make_staff,
                                                          recovery_key, tmp_path):
    make_staff("admin")
    make_case(database, settings, "x", blob=b"abc")
    before = {p.name for p in settings.data_dir.iterdir()}
    out = tmp_path / "out"
    out.mkdir()
    result = write_backup(database, settings, out / "b.intake-backup")
    assert result.path.stat().st_mode & 0o077 == 0
    assert [p.name for p in out.iterdir()] == ["b.intake-backup"]
    assert {p.name for p in settings.data_dir.iterdir()} == before


def _env(monkeypatch, cfg) -> None:
    for name in ("data_dir", "database_url", "public_secret_key", "review_secret_key",
                 "rate_limit_secret"):
        monkeypatch.setenv(f"INTAKE_{name.upper()}", str(getattr(cfg, name)))


def test_cli_backup_verify_and_restore(database, settings, make_staff, recovery_key, tmp_path,
                                       monkeypatch, fresh):
    from intake.cli import main

    make_staff("reviewer")
    code, _case = make_case(database, settings, CANARY)
    key_file = tmp_path / "recovery.key"
    key_file.write_text(export_private_pem(recovery_key.private_key))
    _env(monkeypatch, settings)
    out = tmp_path / "backups"
    out.mkdir()
    result = CliRunner().invoke(main, ["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    archive = next(out.iterdir())
    assert archive.name.startswith("intake-backup-") and archive.suffix == ".intake-backup"
    with database.transaction() as s:
        assert "backup.create" in list(s.scalars(select(AuditEvent.action)))

    result = CliRunner().invoke(main, ["backup", "verify", str(archive), "--key", str(key_file)])
    assert result.exit_code == 0, result.output
    assert "every byte authenticated" in result.output and "cases: 1 rows" in result.output

    other, db2 = fresh("cli-restored")
    _env(monkeypatch, other)
    result = CliRunner().invoke(main, ["restore", str(archive)])
    assert result.exit_code != 0 and "recovery key" in result.output
    result = CliRunner().invoke(main, ["restore", str(archive), "--key", str(key_file)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["restore", str(archive), "--key", str(key_file)])
    assert result.exit_code != 0 and "not empty" in result.output
    with db2.transaction() as s:
        assert case_for_code(s, other, code) is not None
        assert "backup.restore" in list(s.scalars(select(AuditEvent.action)))
    migrate.upgrade(other.database_url, engine=db2.engine)  # already at head: no-op


def test_unencrypted_backup_needs_the_flag_twice(database, settings, make_staff, tmp_path,
                                                 monkeypatch, fresh):
    """Plain archives exist only on request and are restored only on request (no downgrade)."""
    from intake.cli import main

    make_staff("reviewer")
    code, _case = make_case(database, settings, CANARY)
    _env(monkeypatch, settings)
    archive = tmp_path / "plain.tar"
    result = CliRunner().invoke(main, ["backup", "--out", str(archive),
                                       "--unencrypted-exposing-metadata"])
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.output and "audit log" in result.output
    other, db2 = fresh("plain")
    _env(monkeypatch, other)
    result = CliRunner().invoke(main, ["restore", str(archive)])
    assert result.exit_code != 0 and "--unencrypted" in result.output
    assert untouched(other, db2)
    result = CliRunner().invoke(main, ["restore", str(archive), "--unencrypted"])
    assert result.exit_code == 0, result.output
    with db2.transaction() as s:
        assert case_for_code(s, other, code) is not None
