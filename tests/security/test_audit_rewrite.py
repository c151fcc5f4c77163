"""Issue 13, finding 12, from the attacker's side: with the database they delete the
entries that show what they did, renumber the rest and recompute every hash. The chain
alone then verifies; an anchor kept off the server (the notification mail, the audit page,
`intake audit anchor`) catches the rewrite of anything before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from intake.cli import main
from intake.models import AuditEvent
from intake.services import audit


def _log(session: Any, actions: list[str]) -> None:
    for i, action in enumerate(actions):
        audit.record(session, None, action, target=f"CASE-{i}")
    session.commit()


def _rewrite_without(session: Any, doomed: set[int]) -> None:
    """The attack: drop entries, renumber, recompute the whole chain."""
    kept = [e for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
            if e.id not in doomed]
    fields = [(e.at, e.staff_id, e.actor, e.action, e.target, e.detail) for e in kept]
    session.execute(delete(AuditEvent))
    session.flush()
    prev = audit.GENESIS
    for number, (at, staff_id, actor, action, target, detail) in enumerate(fields, start=1):
        event = AuditEvent(id=number, at=at, staff_id=staff_id, actor=actor, action=action,
                           target=target, detail=detail, prev_hash=prev)
        event.hash = audit._digest(prev, event)
        session.add(event)
        session.flush()
        prev = event.hash
    session.commit()


ACTIONS = ["login", "case.view", "attachment.download", "case.triage", "logout",
           "login", "case.view", "logout"]


def test_deleting_entries_and_recomputing_the_chain_is_caught_by_an_anchor(session):
    _log(session, ACTIONS)
    anchor = audit.parse_anchor(audit.current_anchor(session) or "")  # as mailed out
    _log(session, ["login", "case.view"])  # life goes on after the mail
    _rewrite_without(session, {3})  # the download nobody should know about

    assert audit.verify(session).ok  # the chain alone cannot see it (the finding)
    report = audit.verify(session, [anchor])
    assert not report.ok and "rewritten" in report.reason


def test_an_edit_before_the_anchor_with_recomputed_hashes_is_caught(session):
    _log(session, ACTIONS)
    anchor = audit.parse_anchor(audit.current_anchor(session) or "")
    row = session.get(AuditEvent, 2)
    row.target = "ANOTHER-CASE"
    session.commit()
    _rewrite_without(session, set())
    assert audit.verify(session).ok
    assert not audit.verify(session, [anchor]).ok


def test_cutting_the_log_short_below_the_anchor_is_caught(session):
    _log(session, ACTIONS)
    anchor = audit.parse_anchor(audit.current_anchor(session) or "")
    session.execute(delete(AuditEvent).where(AuditEvent.id > 5))
    session.commit()
    report = audit.verify(session, [anchor])
    assert not report.ok and "cut short" in report.reason


def test_an_honest_log_matches_every_old_anchor(session):
    anchors = []
    for action in ACTIONS:
        _log(session, [action])
        anchors.append(audit.parse_anchor(audit.current_anchor(session) or ""))
    report = audit.verify(session, anchors)
    assert report.ok and report.count == len(ACTIONS)
    assert report.anchor == audit.current_anchor(session)


@pytest.mark.parametrize("bad", ["", "12", "0:" + "a" * 64, "3:" + "a" * 63, "3:" + "g" * 64])
def test_malformed_anchors_are_refused(bad):
    with pytest.raises(ValueError):
        audit.parse_anchor(bad)


def test_cli_verify_reads_anchors_from_a_saved_mail(session, settings, database, monkeypatch,
                                                   tmp_path: Path):
    monkeypatch.setenv("INTAKE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.database_url)
    _log(session, ACTIONS)
    printed = CliRunner().invoke(main, ["audit", "anchor"])
    assert printed.exit_code == 0
    anchor = printed.output.strip()
    mail = tmp_path / "mail.eml"
    mail.write_text("Subject: Items are waiting for review\n\nThere are new reports ...\n"
                    "Audit log checkpoint (keep this message ...):\n" + anchor + "\n")
    ok = CliRunner().invoke(main, ["audit", "verify", "--anchor-file", str(mail)])
    assert ok.exit_code == 0 and "1 anchors match" in ok.output, ok.output

    _rewrite_without(session, {4})
    plain = CliRunner().invoke(main, ["audit", "verify"])
    assert plain.exit_code == 0 and "no anchor given" in plain.output
    caught = CliRunner().invoke(main, ["audit", "verify", "--anchor-file", str(mail)])
    assert caught.exit_code == 1 and "broken: entry 8" in caught.output
    by_value = CliRunner().invoke(main, ["audit", "verify", "--anchor", anchor])
    assert by_value.exit_code == 1
    garbage = CliRunner().invoke(main, ["audit", "verify", "--anchor", "nonsense"])
    assert garbage.exit_code == 2 and "not an audit anchor" in garbage.output


def test_admins_see_the_current_anchor(review_client, make_staff, login_as, session):
    login_as(review_client, make_staff("admin"))
    _log(session, ACTIONS)
    anchor = audit.current_anchor(session)
    page = review_client.get("/audit").get_data(as_text=True)
    assert anchor and f"<code>{anchor}</code>" in page
