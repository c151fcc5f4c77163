"""The audit hash chain: an edited, deleted or inserted row is caught and named."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from intake.cli import main
from intake.models import AuditEvent
from intake.services import audit


def _entries(session: Any, n: int = 5) -> None:
    for i in range(n):
        audit.record(session, None, "test.action", target=f"t{i}", detail={"i": i})
    session.commit()


def test_an_intact_chain_verifies(session):
    _entries(session)
    report = audit.verify(session)
    assert report.ok and report.count == 5
    assert report.head == session.scalar(select(AuditEvent.hash).where(AuditEvent.id == 5))


def test_an_empty_chain_verifies(session):
    assert audit.verify(session).ok


@pytest.mark.parametrize("column, value", [
    ("action", "login"), ("actor", "someone else"), ("target", "t9"), ("detail", "{}"),
])
def test_an_edited_row_is_named(session, column, value):
    _entries(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == 3).values({column: value}))
    session.commit()
    report = audit.verify(session)
    assert not report.ok and report.broken_id == 3 and "changed" in report.reason


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(session):
    _entries(session)
    row = session.get(AuditEvent, 3)
    row.action = "forged"
    row.hash = audit._digest(row.prev_hash, row)
    session.commit()
    report = audit.verify(session)
    assert not report.ok and report.broken_id == 4


def test_a_deleted_row_is_named(session):
    _entries(session)
    session.execute(delete(AuditEvent).where(AuditEvent.id == 2))
    session.commit()
    report = audit.verify(session)
    assert not report.ok and report.broken_id == 3 and "missing" in report.reason


def test_an_inserted_row_is_caught(session):
    _entries(session)
    for event_id in (5, 4, 3):  # make room after entry 2, as a forger would have to
        session.execute(update(AuditEvent).where(AuditEvent.id == event_id)
                        .values(id=event_id + 1))
    session.commit()
    prev = session.get(AuditEvent, 2)
    forged = AuditEvent(id=3, at=prev.at, staff_id=None, actor="x", action="forged",
                        target=None, detail="{}", prev_hash=prev.hash)
    forged.hash = audit._digest(prev.hash, forged)
    session.add(forged)
    session.commit()
    report = audit.verify(session)
    assert not report.ok and report.broken_id == 4


def test_a_row_appended_without_the_chain_is_caught(session):
    _entries(session)
    session.add(AuditEvent(id=6, at=session.get(AuditEvent, 5).at, actor="x", action="forged",
                           detail="{}", prev_hash="0" * 64, hash="f" * 64))
    session.commit()
    report = audit.verify(session)
    assert not report.ok and report.broken_id == 6


def _cli(settings: Any, monkeypatch: Any) -> Any:
    monkeypatch.setenv("INTAKE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.database_url)
    return CliRunner().invoke(main, ["audit", "verify"])


def test_cli_verify_reports_ok_and_the_head(session, settings, monkeypatch):
    _entries(session, 3)
    result = _cli(settings, monkeypatch)
    assert result.exit_code == 0
    head = audit.verify(session).head
    assert result.output.strip() == (f"ok: 3 entries, head 3:{head}; no anchor given: a "
                                     "rewrite of the whole log would not show")


def test_cli_verify_names_the_broken_entry_and_fails(session, settings, monkeypatch):
    _entries(session, 3)
    session.execute(update(AuditEvent).where(AuditEvent.id == 2).values(target="edited"))
    session.commit()
    result = _cli(settings, monkeypatch)
    assert result.exit_code == 1
    assert "entry 2" in result.output and "changed" in result.output
