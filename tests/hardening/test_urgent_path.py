"""Issue 16, the urgent path, through a real (local) SMTP server: a danger-now report is
mailed at once (outside the batch, content-free); if nobody acknowledges it within the
window, administrators get an escalation; one click on the case page acknowledges it
(audited) and stops the escalation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from intake.models import AuditEvent, Case
from intake.notify import send_batch
from intake.review import create_app as review_factory
from intake.settings import Settings
from intake.urgent import escalate
from tests.hardening.test_notify import (
    CANARY,
    Inbox,
    _mail_settings,
    _staff_with_mail,
    smtp,  # noqa: F401 (fixture)
    smtp_cert,  # noqa: F401 (fixture)
)
from tests.review.test_inbox import REF_RE
from tests.support.factories import csrf_token, submit_report

START = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


def _run(app: Any, database: Any, cfg: Settings, now: datetime) -> tuple[Any, Any]:
    """One timer run: the batch (urgent never waits), then the escalation check."""
    with app.app_context(), database.transaction() as s:
        sent = send_batch(s, cfg, now=now)
    with app.app_context(), database.transaction() as s:
        return sent, escalate(s, cfg, now)


def _urgent_setup(settings: Settings, database: Any, make_staff: Any, public_client: Any,
                  port: int) -> tuple[Any, Settings]:
    _staff_with_mail(database, make_staff)
    cfg = _mail_settings(settings, port).replace(urgent_escalate_minutes=5)
    app = review_factory(cfg, database)
    submit_report(public_client, what="ordinary")
    assert _run(app, database, cfg, START)[0].reason == "sent"  # the batch window starts
    assert submit_report(public_client, what=CANARY, place="Talas",
                         danger_now="y").status_code == 200
    return app, cfg


def _bodies(inbox: Inbox) -> list[tuple[list[str], str, str]]:
    return [(rcpts, str(m["Subject"]), m.get_payload(decode=True).decode())
            for rcpts, m in inbox.messages]


def test_danger_now_mails_at_once_and_escalates_to_admins(
        settings: Settings, database: Any, make_staff: Any, public_client: Any,
        smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp
    app, cfg = _urgent_setup(settings, database, make_staff, public_client, port)
    inbox.messages.clear()
    # One minute later: inside the 60-minute batch window, but urgent does not wait.
    sent, escalation = _run(app, database, cfg, START + timedelta(minutes=1))
    assert sent.reason == "sent (urgent)" and sent.sent == 2
    assert escalation.reason == "urgent alert: waiting for an acknowledgement"
    mails = _bodies(inbox)
    assert sorted(r for rcpts, _s, _b in mails for r in rcpts) == [
        "admin@example.org", "reviewer@example.org"]
    with database.transaction() as s:
        refs = [c.reference for c in s.scalars(select(Case))]
    for _rcpts, subject, body in mails:
        assert subject.startswith("Urgent") and "in danger now" in body
        for secret in [CANARY, "laptop", "Talas", *refs]:
            assert secret not in body and secret not in subject
        assert not re.search(r"\d", body)
    inbox.messages.clear()
    assert _run(app, database, cfg, START + timedelta(minutes=4))[1].sent == 0
    # Nobody acknowledged within the (test-short) five minutes: administrators only.
    sent, escalation = _run(app, database, cfg, START + timedelta(minutes=6, seconds=1))
    assert escalation.reason == "escalated to administrators" and escalation.sent == 1
    [(rcpts, subject, body)] = _bodies(inbox)
    assert rcpts == ["admin@example.org"] and subject.startswith("Escalation")
    assert CANARY not in body and not any(ref in body for ref in refs)
    # It fires once.
    assert _run(app, database, cfg, START + timedelta(minutes=20))[1].sent == 0
    assert len(inbox.messages) == 1


def test_one_click_acknowledgement_stops_the_escalation(
        settings: Settings, database: Any, make_staff: Any, public_client: Any,
        review_client: Any, login_as: Any, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp
    reviewer = make_staff("reviewer")  # holds a wrap: access needs one (need to know)
    app, cfg = _urgent_setup(settings, database, make_staff, public_client, port)
    _run(app, database, cfg, START + timedelta(minutes=1))
    inbox.messages.clear()
    login_as(review_client, reviewer)
    page = review_client.get("/").get_data(as_text=True)
    assert page.count("Not acknowledged") == 1
    with database.transaction() as s:
        ref = s.scalar(select(Case.reference).where(Case.awaiting_ack.is_(True)))
    assert ref in REF_RE.findall(page)
    case_page = review_client.get(f"/cases/{ref}").get_data(as_text=True)
    assert "I am handling this report" in case_page
    ack = review_client.post(f"/cases/{ref}/urgent-ack",
                             data={"csrf_token": csrf_token(case_page)})
    assert ack.status_code == 303
    after = review_client.get(f"/cases/{ref}").get_data(as_text=True)
    assert "I am handling this report" not in after and "Acknowledged:" in after
    with database.transaction() as s:
        events = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "case.urgent_acknowledged")).all()
        assert [(e.staff_id, e.target) for e in events] == [(reviewer.id, ref)]
    _sent, escalation = _run(app, database, cfg, START + timedelta(minutes=10))
    assert escalation.reason == "urgent reports acknowledged in time"
    assert inbox.messages == []
