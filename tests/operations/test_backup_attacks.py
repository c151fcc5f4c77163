"""Attacks on backup archives: what a thief can read, what a forger can slip into a restore.

Written from the side of someone who holds the file (an off-site disk, a USB stick at a
border) and knows this code: they scan it for names and labels, cut it at a segment
boundary, flip bytes, append or re-order segments, or hand it over with the wrong key.
Every damaged archive must be refused before the target instance sees a single write.
"""

from __future__ import annotations

import io
import json
import secrets
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from intake.crypto import SEGMENT_SIZE, export_private_pem, generate_keypair
from intake.crypto.archive import open_stream
from intake.models import Case, CaseLabel, StaffSession
from intake.services import audit
from intake.services.backup import BackupError, write_backup
from intake.services.backup_archive import KIND
from intake.services.backup_restore import restore
from intake.services.backup_verify import verify_file
from tests.operations.helpers import case_for_code, make_case, untouched
from tests.support.canary import hits

STAFF_NAME = "Zarina-Canary-Staffname"
LABEL_CODE = "canary_oblast_4b1d"
AUDIT_ACTION = "canary.audit-action-93c1"
REPORT = "CANARY-report-e55a they searched my flat"
SESSION_ID = "c0ffee" * 10 + "abcd"
SEGMENT_CT = SEGMENT_SIZE + 16
TOKENS = [STAFF_NAME, LABEL_CODE, AUDIT_ACTION, REPORT]


@pytest.fixture
def planted(database, settings, make_staff, recovery_key):
    """An instance holding every kind of secret metadata, and a big enough blob."""
    staff = make_staff("reviewer", username=STAFF_NAME)
    code, case_id = make_case(database, settings, REPORT,
                              blob=secrets.token_bytes(5 * SEGMENT_SIZE))
    with database.transaction() as s:
        s.add(CaseLabel(case_id=case_id, vocabulary="region", code=LABEL_CODE))
        s.add(StaffSession(id_hash=SESSION_ID, staff_id=staff.id, wrapped_private_key=b"k"))
        audit.record(s, None, AUDIT_ACTION)
    return code


def test_encrypted_archive_shows_nothing_in_clear(database, settings, planted, tmp_path):
    archive = tmp_path / "b.intake-backup"
    write_backup(database, settings, archive)
    raw = archive.read_bytes()
    assert hits(TOKENS + [SESSION_ID, "staff_sessions", "key_wraps"], [("archive", raw)]) == []


def test_the_scan_finds_metadata_in_a_plain_archive_but_never_sessions(database, settings,
                                                                      planted, tmp_path):
    """The control: the same scan does see metadata in an --unencrypted archive, so it works;
    session rows are left out even there, and the report stays ciphertext."""
    archive = tmp_path / "b.tar"
    write_backup(database, settings, archive, encrypt=False)
    raw = archive.read_bytes()
    found = hits([STAFF_NAME, LABEL_CODE, AUDIT_ACTION], [("archive", raw)])
    assert len(found) == 3
    assert hits([REPORT, SESSION_ID], [("archive", raw)]) == []
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert not [n for n in names if "session" in n or "login_failures" in n]


def test_archive_order_and_times_say_nothing_about_when(database, settings, planted,
                                                        tmp_path):
    """Rows in key order (not insertion order), no file times on any member."""
    for n in range(6):
        make_case(database, settings, f"case {n}", blob=b"b%d" % n)
    archive = tmp_path / "b.tar"
    write_backup(database, settings, archive, encrypt=False)
    with tarfile.open(archive) as tar:
        assert {m.mtime for m in tar.getmembers()} == {0}
        for table in ("cases", "key_wraps", "case_labels"):
            member = next(m for m in tar.getmembers() if m.name.startswith(f"db/{table}."))
            lines = tar.extractfile(member).read().splitlines()
            keys = [json.loads(line)[0] for line in lines[1:]]
            assert keys == sorted(keys) and len(keys) >= 7, table


def _header_len(archive: Path, private: bytes) -> int:
    with archive.open("rb") as fh:
        header, _dec = open_stream(fh, KIND, private)
    return len(header) + 8  # plus the STREAM version byte and nonce prefix


def _damage(kind: str, raw: bytes, start: int) -> bytes:
    """One attack on the archive bytes; `start` is where the first segment begins."""
    segments = (len(raw) - start) // SEGMENT_CT
    assert segments >= 4, "the archive must span several segments"
    flip = {"flip-header": start - 40, "flip-first": start + 5,
            "flip-middle": start + 2 * SEGMENT_CT + 77, "flip-last": len(raw) - 3}
    if kind in flip:
        at = flip[kind]
        return raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1:]
    if kind == "truncate-boundary":
        return raw[:start + segments * SEGMENT_CT]
    if kind == "truncate-first-boundary":
        return raw[:start + SEGMENT_CT]
    if kind == "extend-bytes":
        return raw + secrets.token_bytes(100)
    if kind == "extend-segment":
        return raw + raw[start:start + SEGMENT_CT]
    if kind == "swap-segments":
        a, b = start + SEGMENT_CT, start + 2 * SEGMENT_CT
        return raw[:a] + raw[b:b + SEGMENT_CT] + raw[a:b] + raw[b + SEGMENT_CT:]
    if kind == "drop-segment":
        return raw[:start + SEGMENT_CT] + raw[start + 2 * SEGMENT_CT:]
    raise AssertionError(kind)


DAMAGE = ["flip-header", "flip-first", "flip-middle", "flip-last", "truncate-boundary",
          "truncate-first-boundary", "extend-bytes", "extend-segment", "swap-segments",
          "drop-segment"]


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_archive_is_refused_before_anything_is_written(
        database, settings, planted, recovery_key, tmp_path, fresh, kind):
    archive = tmp_path / "b.intake-backup"
    write_backup(database, settings, archive)
    raw = archive.read_bytes()
    bad = tmp_path / "bad.intake-backup"
    bad.write_bytes(_damage(kind, raw, _header_len(archive, recovery_key.private_key)))
    other, db2 = fresh("target")
    with pytest.raises(BackupError):
        restore(db2, other, bad, recovery_key.private_key)
    assert untouched(other, db2)
    with pytest.raises(BackupError):
        verify_file(bad, recovery_key.private_key)
    # The undamaged file still restores into the very same instance.
    restore(db2, other, archive, recovery_key.private_key)
    with db2.transaction() as s:
        assert case_for_code(s, other, planted) is not None


def test_wrong_key_is_refused_before_anything_is_written(database, settings, planted,
                                                         recovery_key, tmp_path, fresh,
                                                         monkeypatch):
    from intake.cli import main

    archive = tmp_path / "b.intake-backup"
    write_backup(database, settings, archive)
    other, db2 = fresh("target")
    wrong, _public = generate_keypair()
    with pytest.raises(BackupError, match="cannot open"):
        restore(db2, other, archive, wrong)
    assert untouched(other, db2)
    key_file = tmp_path / "wrong.key"
    key_file.write_text(export_private_pem(wrong))
    for name in ("data_dir", "database_url", "public_secret_key", "review_secret_key",
                 "rate_limit_secret"):  # else development mode writes generated secrets
        monkeypatch.setenv(f"INTAKE_{name.upper()}", str(getattr(other, name)))
    result = CliRunner().invoke(main, ["restore", str(archive), "--key", str(key_file)])
    assert result.exit_code == 1
    assert "cannot open the archive" in result.output and "nothing was restored" in result.output
    assert "Traceback" not in result.output
    assert untouched(other, db2)


def test_damaged_unencrypted_archive_is_refused_too(database, settings, planted, tmp_path,
                                                    fresh):
    """A plain tar cannot be authenticated, but a cut-off one still fails its manifest check."""
    archive = tmp_path / "b.tar"
    write_backup(database, settings, archive, encrypt=False)
    raw = archive.read_bytes()
    bad = tmp_path / "bad.tar"
    bad.write_bytes(raw[:len(raw) // 2])
    other, db2 = fresh("target")
    with pytest.raises(BackupError):
        restore(db2, other, bad, None, allow_plain=True)
    assert untouched(other, db2)


def test_verify_reports_the_manifest_and_matches_the_instance(database, settings, planted,
                                                              recovery_key, tmp_path):
    archive = tmp_path / "b.intake-backup"
    written = write_backup(database, settings, archive)
    checked = verify_file(archive, recovery_key.private_key)
    assert checked.manifest == written.manifest and checked.sha256 == written.sha256
    with database.transaction() as s:
        from sqlalchemy import MetaData, func
        meta = MetaData()
        meta.reflect(bind=s.connection())
        actual = {t: s.scalar(select(func.count()).select_from(meta.tables[t]))
                  for t in meta.tables if t not in ("alembic_version", "staff_sessions",
                                                    "login_failures")}
    assert checked.manifest["tables"] == actual
    blob = next(settings.blob_dir.iterdir())
    assert (checked.manifest["blobs"], checked.manifest["blob_bytes"]) == \
        (1, blob.stat().st_size)
    assert checked.manifest["recipients"] == [recovery_key_fingerprint(database)]


def recovery_key_fingerprint(database) -> str:
    from intake.models import RecoveryKey
    with database.transaction() as s:
        return s.scalars(select(RecoveryKey.fingerprint)).one()


def test_cli_verify_touches_no_instance(database, settings, planted, recovery_key, tmp_path,
                                        monkeypatch):
    from intake.cli import main

    archive = tmp_path / "b.intake-backup"
    write_backup(database, settings, archive)
    key_file = tmp_path / "recovery.key"
    key_file.write_text(export_private_pem(recovery_key.private_key))
    nowhere = tmp_path / "no-instance"
    monkeypatch.setenv("INTAKE_DATA_DIR", str(nowhere))
    monkeypatch.setenv("INTAKE_DATABASE_URL", f"sqlite:///{nowhere / 'x.db'}")
    result = CliRunner().invoke(main, ["backup", "verify", str(archive), "--key",
                                       str(key_file)])
    assert result.exit_code == 0, result.output
    assert "case_labels: 2 rows" in result.output and "blobs: 1 (" in result.output
    assert "schema revision:" in result.output and "sha256:" in result.output
    assert not nowhere.exists()


def test_archive_swapped_between_verification_and_load_is_refused(
        database, settings, planted, recovery_key, tmp_path, fresh, monkeypatch):
    """Another genuine backup put in place after pass one (a race) restores nothing."""
    from intake.services import backup_restore

    first = tmp_path / "first.intake-backup"
    write_backup(database, settings, first)
    make_case(database, settings, "a later case", blob=b"later")
    later = tmp_path / "later.intake-backup"
    write_backup(database, settings, later)
    real_verify = backup_restore.verify_file

    def verify_then_swap(path, *args, **kwargs):
        checked = real_verify(path, *args, **kwargs)
        path.write_bytes(later.read_bytes())
        return checked

    monkeypatch.setattr(backup_restore, "verify_file", verify_then_swap)
    other, db2 = fresh("target")
    with pytest.raises(BackupError, match="changed since it was verified"):
        restore(db2, other, first, recovery_key.private_key)
    with db2.transaction() as s:
        assert s.scalars(select(Case)).all() == []
    assert not (other.blob_dir.exists() and any(other.blob_dir.iterdir()))
    assert not [p for p in other.data_dir.iterdir() if p.name.startswith(".restore-")]


def test_crafted_plain_archive_with_clashing_rows_restores_nothing(
        database, settings, planted, tmp_path, fresh):
    """A plain tar whose rows the database refuses (a duplicated case) is a clean error and
    rolls back completely: the manifest check cannot catch that, the transaction does."""
    archive = tmp_path / "b.tar"
    write_backup(database, settings, archive, encrypt=False)
    crafted = tmp_path / "crafted.tar"
    with tarfile.open(archive) as src, tarfile.open(crafted, "w") as dst:
        for info in src.getmembers():
            data = src.extractfile(info).read()
            if info.name.startswith("db/cases."):
                data += data.splitlines(keepends=True)[1]  # the one case, twice
            elif info.name == "manifest.json":
                manifest = json.loads(data)
                manifest["tables"]["cases"] = 2
                data = json.dumps(manifest).encode()
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    other, db2 = fresh("target")
    with pytest.raises(BackupError, match="could not be loaded"):
        restore(db2, other, crafted, None, allow_plain=True)
    with db2.transaction() as s:
        assert s.scalars(select(Case)).all() == []
    assert not (other.blob_dir.exists() and any(other.blob_dir.iterdir()))


def test_plain_archive_swapped_for_one_with_a_path_escape_writes_nothing_outside(
        database, settings, planted, tmp_path, fresh, monkeypatch):
    """Unauthenticated archives are re-checked while loading: a member named to escape the
    blob directory, slipped in after pass one, is refused and nothing lands outside."""
    from intake.services import backup_restore

    archive = tmp_path / "b.tar"
    write_backup(database, settings, archive, encrypt=False)
    evil = tmp_path / "evil.tar"
    with tarfile.open(archive) as src, tarfile.open(evil, "w") as dst:
        for info in src.getmembers():
            data = src.extractfile(info).read()
            if info.name.startswith("blobs/"):
                info.name = "blobs/../../escaped"
            dst.addfile(info, io.BytesIO(data))
    real_verify = backup_restore.verify_file

    def verify_then_swap(path, *args, **kwargs):
        checked = real_verify(path, *args, **kwargs)
        path.write_bytes(evil.read_bytes())
        return checked

    monkeypatch.setattr(backup_restore, "verify_file", verify_then_swap)
    other, db2 = fresh("target")
    with pytest.raises(BackupError):
        restore(db2, other, archive, None, allow_plain=True)
    assert not (tmp_path / "escaped").exists() and not (other.data_dir.parent / "escaped").exists()
    with db2.transaction() as s:
        assert s.scalars(select(Case)).all() == []
