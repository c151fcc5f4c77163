"""`intake stats export` writes the same protected tables as the app, and is audited."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from intake.cli import main
from intake.models import AuditEvent, PrivacyLedgerEntry, StatsCount
from intake.stats import recount
from tests.stats import checker


@pytest.fixture
def cli_env(settings, database, monkeypatch):
    monkeypatch.setenv("INTAKE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.database_url)
    return CliRunner()


@pytest.mark.parametrize("fmt", ["csv", "json", "svg", "png"])
def test_export_to_file(cli_env, tmp_path, session, make_case, fmt):
    make_case(7)
    make_case(2, acts=("raid",))
    out = tmp_path / f"stats.{fmt}"
    result = cli_env.invoke(main, ["stats", "export", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if fmt == "json":
        tables = checker.from_json(data)
        assert checker.small_published(checker.all_values(tables), 5) == []
        assert checker.recoverable(tables) == {}
    elif fmt == "csv":
        assert data.startswith(b'note,"reported cases, not prevalence"')
    elif fmt == "svg":
        assert b"<svg" in data and b"<script" not in data.lower()
    else:
        assert data.startswith(b"\x89PNG")
    event = session.scalars(select(AuditEvent)).one()
    assert (event.action, event.actor) == ("stats.export", "(command line)")


def test_epsilon_option_adds_noise_and_ledger(cli_env, session, make_case):
    make_case(20)
    result = cli_env.invoke(main, ["stats", "export", "--format", "json", "--epsilon", "0.7"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout_bytes)["epsilon"] == 0.7
    assert [e.epsilon for e in session.scalars(select(PrivacyLedgerEntry))] == [0.7]


def test_bad_options_are_refused_cleanly(cli_env):
    bad = cli_env.invoke(main, ["stats", "export", "--format", "csv", "--period", "Q9"])
    assert bad.exit_code == 2 and "period" in bad.output
    absent = cli_env.invoke(main, ["stats", "export", "--format", "csv", "--period", "1999"])
    assert absent.exit_code == 2 and "no statistics for this period" in absent.output
    assert cli_env.invoke(main, ["stats", "export", "--format", "exe"]).exit_code == 2
    assert cli_env.invoke(main, ["stats", "export", "--format", "csv",
                                 "--epsilon", "-1"]).exit_code == 2


def test_rebuild_recounts_and_is_audited(cli_env, session, make_case):
    make_case(6)
    make_case(3, acts=("raid",), status="new")
    expected = recount.from_scratch(session)
    session.execute(delete(StatsCount))
    session.commit()
    result = cli_env.invoke(main, ["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert f"rebuilt {len(expected)} counts; {len(expected)} differed" in result.output
    session.expire_all()
    assert recount.maintained(session) == expected
    event = session.scalars(select(AuditEvent)).one()
    assert event.action == "stats.rebuild" and '"differing": 3' in event.detail
    again = cli_env.invoke(main, ["stats", "rebuild"])
    assert "0 differed" in again.output
