"""The recovery key never touches the server: made offline, imported public-only, split k-of-n."""

from __future__ import annotations

import itertools
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from intake.cli import main
from intake.models import AuditEvent, Case, RecoveryKey
from tests.attachments.samples import send_report

WHAT = "Two men in plain clothes photographed the office door."


@pytest.fixture
def instance_env(settings: Any, database: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI sees the test instance through INTAKE_* variables, like an operator would."""
    monkeypatch.setenv("INTAKE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("INTAKE_CONFIG", raising=False)


def _offline_keygen(tmp: Path) -> Path:
    """`intake keygen` on a machine with no instance: no settings, no database, no data dir."""
    env = {"INTAKE_CONFIG": str(tmp / "no-such-config.toml"),
           "INTAKE_DATABASE_URL": "postgresql+psycopg://nobody@192.0.2.1:1/none",
           "INTAKE_DATA_DIR": str(tmp / "no-such-dir" / "x")}
    out = tmp / "usb"
    made = CliRunner(env=env).invoke(main, ["keygen", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert not (tmp / "no-such-dir").exists()
    assert stat.S_IMODE((out / "recovery-private.key").stat().st_mode) == 0o600
    return out


def _decrypt(key: Path, reference: str, out: Path) -> Any:
    return CliRunner().invoke(main, ["decrypt", "--key", str(key), "--case", reference,
                                     "--out", str(out)])


def _case_sent_to_imported_key(tmp: Path, public_client: Any, session: Any,
                               make_staff: Any) -> tuple[Path, str]:
    keys = _offline_keygen(tmp)
    imported = CliRunner().invoke(main, ["recovery-key", "import",
                                         str(keys / "recovery-public.key")])
    assert imported.exit_code == 0, imported.output
    make_staff("reviewer")
    send_report(public_client, [], what=WHAT)
    return keys, session.scalars(select(Case.reference)).one()


def test_offline_keygen_decrypts_a_case(tmp_path: Path, instance_env: None, public_client: Any,
                                        session: Any, make_staff: Any) -> None:
    keys, reference = _case_sent_to_imported_key(tmp_path, public_client, session, make_staff)
    stored = session.scalars(select(RecoveryKey)).one()
    private_text = (keys / "recovery-private.key").read_text()
    assert stored.public_key not in private_text.encode()
    assert session.scalars(select(AuditEvent.action)).all().count("recovery_key.import") == 1
    done = _decrypt(keys / "recovery-private.key", reference, tmp_path / "out")
    assert done.exit_code == 0, done.output
    assert json.loads((tmp_path / "out" / "report.json").read_text())["what"] == WHAT


def test_import_refuses_a_private_key_and_a_repeat(tmp_path: Path, instance_env: None,
                                                   session: Any) -> None:
    keys = _offline_keygen(tmp_path)
    refused = CliRunner().invoke(main, ["recovery-key", "import",
                                        str(keys / "recovery-private.key")])
    assert refused.exit_code != 0
    assert "PRIVATE KEY" in refused.output
    runner = CliRunner()
    assert runner.invoke(main, ["recovery-key", "import",
                                str(keys / "recovery-public.key")]).exit_code == 0
    again = runner.invoke(main, ["recovery-key", "import", str(keys / "recovery-public.key")])
    assert again.exit_code != 0 and "already installed" in again.output
    assert len(session.scalars(select(RecoveryKey)).all()) == 1


def test_five_shares_any_three_decrypt_any_two_do_not(tmp_path: Path, instance_env: None,
                                                      public_client: Any, session: Any,
                                                      make_staff: Any) -> None:
    keys, reference = _case_sent_to_imported_key(tmp_path, public_client, session, make_staff)
    shares_dir = tmp_path / "shares"
    split = CliRunner(env={"INTAKE_DATABASE_URL": "sqlite:////nonexistent/x.db"}).invoke(
        main, ["recovery-key", "split", "--key", str(keys / "recovery-private.key"),
               "--shares", "5", "--threshold", "3", "--out", str(shares_dir)])
    assert split.exit_code == 0, split.output
    shares = sorted(shares_dir.iterdir())
    assert len(shares) == 5
    original = (keys / "recovery-private.key").read_text()
    for n, trio in enumerate(itertools.combinations(shares, 3)):
        rebuilt = tmp_path / f"rebuilt-{n}.key"
        made = CliRunner().invoke(main, ["recovery-key", "combine", *map(str, trio),
                                         "--out", str(rebuilt)])
        assert made.exit_code == 0, made.output
        assert rebuilt.read_text() == original
    # One full decryption from a rebuilt key proves the chain end to end.
    done = _decrypt(tmp_path / "rebuilt-0.key", reference, tmp_path / "out")
    assert done.exit_code == 0, done.output
    assert json.loads((tmp_path / "out" / "report.json").read_text())["what"] == WHAT
    for m, pair in enumerate(itertools.combinations(shares, 2)):
        short = CliRunner().invoke(main, ["recovery-key", "combine", *map(str, pair),
                                          "--out", str(tmp_path / f"pair-{m}.key")])
        assert short.exit_code != 0
        assert "2 distinct share(s) given, 3 needed" in short.output
        assert not (tmp_path / f"pair-{m}.key").exists()


def test_two_shares_with_a_forged_threshold_still_give_nothing(tmp_path: Path) -> None:
    """An attacker with two shares edits the Threshold header down to 2: the combination
    is a wrong key, caught by the fingerprint check, and never written."""
    keys = _offline_keygen(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["recovery-key", "split", "--key",
                                str(keys / "recovery-private.key"), "--shares", "5",
                                "--threshold", "3", "--out",
                                str(tmp_path / "s")]).exit_code == 0
    forged = []
    for path in sorted((tmp_path / "s").iterdir())[:2]:
        path.write_text(path.read_text().replace("Threshold: 3", "Threshold: 2"))
        forged.append(str(path))
    out = runner.invoke(main, ["recovery-key", "combine", *forged, "--out",
                               str(tmp_path / "forged.key")])
    assert out.exit_code != 0
    assert "do not rebuild the key" in out.output
    assert not (tmp_path / "forged.key").exists()


def test_on_server_generate_needs_the_explicit_flag(tmp_path: Path, instance_env: None,
                                                    session: Any) -> None:
    refused = CliRunner().invoke(main, ["recovery-key", "generate", "--out",
                                        str(tmp_path / "k.key")])
    assert refused.exit_code != 0 and "intake keygen" in refused.output
    assert not (tmp_path / "k.key").exists()
    assert session.scalars(select(RecoveryKey)).all() == []
    made = CliRunner().invoke(main, ["recovery-key", "generate", "--on-this-server",
                                     "--out", str(tmp_path / "k.key")])
    assert made.exit_code == 0, made.output
    assert "WARNING" in made.output
