"""Invariant 1: nothing a reporter typed is written anywhere in plaintext."""

from __future__ import annotations

import logging
import secrets
import tempfile
import time
from pathlib import Path

import pytest

from tests.support.canary import files_under, hits, pg_dump, read_files
from tests.support.factories import receipt_code, submit_report


def test_no_plaintext_anywhere(public_client, settings, make_staff, recovery_key, db_backend,
                               tmp_path, monkeypatch, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_dir))
    started = time.time()
    make_staff("reviewer")
    tokens: list[str] = []
    for n in range(3):
        t = {k: f"CANARY{k.upper()}{secrets.token_hex(8)}" for k in ("what", "place", "contact")}
        tokens += t.values()
        response = submit_report(
            public_client,
            what=f"{t['what']} Они следили за мной. Ң ө ү. oʻ gʻ " + "x" * (n * 3000),
            place=t["place"], contact=t["contact"],
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        receipt_code(response.get_data(as_text=True))

    written = files_under(settings.data_dir, tmp_dir)
    assert any(p.name.startswith("intake.db") for p in written) or db_backend != "sqlite"
    blobs = read_files(written)
    # Anything else this run left in the system temp dir (pytest's own dirs hold the above).
    recent = [p for p in files_under(Path("/tmp")) if _newer(p, started)]
    blobs += read_files(p for p in recent if "pytest-of" not in str(p))
    captured = capfd.readouterr()
    blobs.append(("log records", "\n".join(r.getMessage() for r in caplog.records).encode()))
    blobs.append(("stdout+stderr", (captured.out + captured.err).encode()))
    if db_backend == "postgresql":
        blobs.append(("pg_dump", pg_dump(settings.database_url)))
    assert hits(tokens, blobs) == []
    # The scan itself must be able to find a token: plant one and look again.
    planted = settings.data_dir / "planted.txt"
    planted.write_text(tokens[0])
    assert hits(tokens, read_files([planted]))


def _newer(path: Path, since: float) -> bool:
    try:
        return path.stat().st_mtime >= since
    except OSError:
        return False


@pytest.mark.parametrize("field", ["what", "place", "contact"])
def test_failed_submission_writes_nothing(public_client, settings, make_staff, field, tmp_path):
    """Validation failures echo the text back to the person but store none of it."""
    make_staff("reviewer")
    token = f"CANARY{secrets.token_hex(8)}"
    response = submit_report(public_client, **{field: token, "region": "atlantis"})
    assert response.status_code == 400
    assert token in response.get_data(as_text=True)
    assert hits([token], read_files(files_under(settings.data_dir))) == []
