"""Issue 16: a command run where no migrated database exists says so in one line and
creates no database — no empty SQLite file, no traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from intake.cli import main


@pytest.mark.parametrize("args", [["staff", "invite", "newcomer", "--role", "reviewer"],
                                  ["audit", "verify"], ["notify", "send"]])
def test_no_database_one_line_and_nothing_created(tmp_path: Path, monkeypatch: Any,
                                                  args: list[str]) -> None:
    data = tmp_path / "nowhere"
    monkeypatch.setenv("INTAKE_DATA_DIR", str(data))
    monkeypatch.setenv("INTAKE_DATABASE_URL", f"sqlite:///{data}/intake.db")
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"Error: No Intake database at {data}/intake.db: run `intake db upgrade` "
                     "first (nothing was created)."], result.output
    assert "Traceback" not in result.output
    # No database file; only development mode's generated secrets (made by loading the
    # settings, before any command runs) may exist.
    assert not data.exists() or sorted(p.name for p in data.iterdir()) == ["secrets.toml"]


def test_an_empty_database_file_is_not_a_database(tmp_path: Path, monkeypatch: Any) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "intake.db").write_bytes(b"")
    monkeypatch.setenv("INTAKE_DATA_DIR", str(data))
    monkeypatch.setenv("INTAKE_DATABASE_URL", f"sqlite:///{data}/intake.db")
    result = CliRunner().invoke(main, ["stats", "rebuild"])
    assert result.exit_code != 0 and "run `intake db upgrade` first" in result.output
    with sqlite3.connect(data / "intake.db") as conn:  # no tables were made in it
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
