"""Rotation: at most N archives, none older than the retention period, nothing else touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from intake.services import site
from intake.services.backup_rotation import archive_name, prune

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def _archives(directory, ages_days):
    paths = []
    for age in ages_days:
        path = directory / archive_name(NOW - timedelta(days=age, minutes=1))
        path.write_bytes(b"x")
        paths.append(path)
    return paths


def test_keeps_at_most_n_and_none_older_than_the_limit(tmp_path):
    paths = _archives(tmp_path, [0, 1, 2, 3, 40, 400])
    other = tmp_path / "notes.txt"
    other.write_text("operator's file")
    odd = tmp_path / "intake-backup-latest.intake-backup"
    odd.write_bytes(b"x")
    result = prune(tmp_path, keep=3, max_age_days=None, now=NOW)
    assert result.kept == paths[:3] and set(result.removed) == set(paths[3:])
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in paths[:3]} | {
        "notes.txt", odd.name}

    paths = _archives(tmp_path, [31, 35])
    result = prune(tmp_path, keep=10, max_age_days=30, now=NOW)
    assert set(result.removed) == set(paths)
    assert len(result.kept) == 3


def test_even_the_newest_goes_when_it_is_older_than_the_limit(tmp_path):
    _archives(tmp_path, [100, 200])
    result = prune(tmp_path, keep=5, max_age_days=90, now=NOW)
    assert result.kept == [] and len(result.removed) == 2
    with pytest.raises(ValueError):
        prune(tmp_path, keep=0, max_age_days=None, now=NOW)


def test_cli_backup_keep_rotates_by_count_and_retention(database, settings, make_staff,
                                                         recovery_key, tmp_path, monkeypatch):
    from intake.cli import main
    from tests.operations.helpers import make_case

    make_staff("reviewer")
    make_case(database, settings, "x")
    with database.transaction() as s:
        site.set_value(s, "retention_days", "30")
    for name in ("data_dir", "database_url", "public_secret_key", "review_secret_key",
                 "rate_limit_secret"):
        monkeypatch.setenv(f"INTAKE_{name.upper()}", str(getattr(settings, name)))
    out = tmp_path / "backups"
    out.mkdir()
    now = datetime.now(UTC)
    recent = [out / archive_name(now - timedelta(days=d)) for d in (1, 2, 3)]
    expired = out / archive_name(now - timedelta(days=31))
    for path in recent + [expired]:
        path.write_bytes(b"old")
    result = CliRunner().invoke(main, ["backup", "--out", str(out), "--keep", "3"])
    assert result.exit_code == 0, result.output
    assert "kept 3, removed 2" in result.output
    new = [p for p in out.iterdir() if p not in recent + [expired]]
    assert len(new) == 1 and new[0].read_bytes() != b"old"
    assert not expired.exists() and not recent[2].exists()
    assert recent[0].exists() and recent[1].exists()

    result = CliRunner().invoke(main, ["backup", "prune", str(out), "--keep", "5",
                                       "--max-age-days", "60"])
    assert result.exit_code != 0 and "longer than the retention period" in result.output
    result = CliRunner().invoke(main, ["backup", "prune", str(out), "--keep", "5",
                                       "--max-age-days", "1"])
    assert result.exit_code == 0 and "kept 1, removed 2" in result.output
