"""`intake doctor` says what the installation can do, and fails when safe copies cannot be
made (so a deploy script can stop)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from intake.cli import main
from tests.convert.conftest import needs_sandbox


@needs_sandbox
def test_doctor_renders_a_page_in_the_sandbox(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "ok       bubblewrap (sandbox starts here)" in result.output
    assert "ok       pypdfium2" in result.output
    assert "a test page was rendered in the sandbox" in result.output
    assert "Tesseract" in result.output  # optional: ok or absent, never required


def test_doctor_without_bubblewrap_says_unavailable(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH: no bwrap, no soffice
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 1
    assert "MISSING  bubblewrap" in result.output
    assert "Safe copies: UNAVAILABLE" in result.output
