"""Staff notifications: batched, content-free, sent through a real (local) SMTP server."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import func, select

from intake.cli import main
from intake.models import Case, PendingNotification, Staff
from intake.notify import NotifyError, send_batch
from intake.review import create_app as review_factory
from intake.settings import Settings
from tests.support.factories import submit_report

CANARY = "NOTIFY-CANARY-5d1e: they took my laptop"


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server on a free loopback port."""
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _mail_settings(settings: Settings, port: int) -> Settings:
    return settings.replace(smtp_host="127.0.0.1", smtp_port=port,
                            smtp_from="intake@example.org", notify_batch_minutes=60)


def _staff_with_mail(database: Any, make_staff: Any) -> dict[str, str]:
    people = {"admin": make_staff("admin"), "reviewer": make_staff("reviewer"),
              "analyst": make_staff("analyst"), "gone": make_staff("reviewer"),
              "nomail": make_staff("reviewer")}
    with database.transaction() as s:
        for name, handle in people.items():
            row = s.get(Staff, handle.id)
            if name != "nomail":
                row.email = f"{name}@example.org"
            if name == "gone":
                row.active = False
    return {name: h.id for name, h in people.items()}


def _send(review_app: Any, database: Any, cfg: Settings, **kwargs: Any) -> Any:
    with review_app.app_context(), database.transaction() as s:
        return send_batch(s, cfg, **kwargs)


def _pending(database: Any) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(PendingNotification)) or 0)


def test_batch_has_no_content_and_reaches_readers_only(
        settings: Settings, database: Any, make_staff: Any, public_client: Any,
        smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    _staff_with_mail(database, make_staff)
    assert submit_report(public_client, what=CANARY, place="Talas").status_code == 200
    assert submit_report(public_client, what=CANARY).status_code == 200
    assert _pending(database) == 2
    cfg = _mail_settings(settings, port)
    outcome = _send(review_factory(cfg, database), database, cfg)
    assert outcome.sent == 2 and outcome.reason == "sent"
    assert sorted(r for rcpts, _m in inbox.messages for r in rcpts) == [
        "admin@example.org", "reviewer@example.org"]
    with database.transaction() as s:
        cases = s.scalars(select(Case)).all()
        details = [c.reference for c in cases] + [c.id for c in cases]
    for _rcpts, message in inbox.messages:
        body = message.get_payload(decode=True).decode()
        whole = message.as_string()
        assert "new reports waiting in the review app" in body
        assert "follow-up" not in body
        assert not re.search(r"\d", body), "a count or number leaked into the body"
        for secret in [CANARY, "laptop", "Talas", *details]:
            assert secret not in whole
        assert socket.gethostname() not in message["Message-ID"]
    assert _pending(database) == 0


def test_batched_at_most_once_per_interval(settings: Settings, database: Any,
                                           make_staff: Any, public_client: Any,
                                           smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    _staff_with_mail(database, make_staff)
    cfg = _mail_settings(settings, port)
    app = review_factory(cfg, database)
    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert _send(app, database, cfg, now=start).reason == "nothing waiting"
    submit_report(public_client)
    assert _send(app, database, cfg, now=start).sent == 2
    with database.transaction() as s:
        s.add(PendingNotification(kind="followup"))
    later = start + timedelta(minutes=30)
    assert _send(app, database, cfg, now=later).reason == "not due yet (batched)"
    assert _pending(database) == 1 and len(inbox.messages) == 2
    assert _send(app, database, cfg, now=later, force=True).sent == 2
    body = inbox.messages[-1][1].get_payload(decode=True).decode()
    assert "follow-ups" in body and "new reports" not in body
    with database.transaction() as s:
        s.add(PendingNotification(kind="report"))
    assert _send(app, database, cfg, now=later + timedelta(minutes=61)).sent == 2


def test_unreachable_server_keeps_the_queue(settings: Settings, database: Any,
                                            make_staff: Any, public_client: Any) -> None:
    _staff_with_mail(database, make_staff)
    submit_report(public_client)
    cfg = _mail_settings(settings, _free_port())
    with pytest.raises(NotifyError):
        _send(review_factory(cfg, database), database, cfg)
    assert _pending(database) == 1


def test_disabled_clears_the_queue_and_sends_nothing(settings: Settings, database: Any,
                                                     make_staff: Any, public_client: Any,
                                                     smtp: tuple[Inbox, int]) -> None:
    inbox, _port = smtp
    _staff_with_mail(database, make_staff)
    submit_report(public_client)
    outcome = _send(review_factory(settings, database), database, settings)
    assert outcome.sent == 0 and "off" in outcome.reason
    assert _pending(database) == 0 and inbox.messages == []


def test_cli_notify_send(settings: Settings, database: Any, make_staff: Any,
                         public_client: Any, smtp: tuple[Inbox, int],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp
    _staff_with_mail(database, make_staff)
    submit_report(public_client, what=CANARY)
    for name, value in {"DATA_DIR": str(settings.data_dir),
                        "DATABASE_URL": settings.database_url,
                        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                        "SMTP_FROM": "intake@example.org",
                        "REVIEW_SECRET_KEY": settings.review_secret_key}.items():
        monkeypatch.setenv(f"INTAKE_{name}", value)
    result = CliRunner().invoke(main, ["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "messages sent: 2" in result.output
    assert len(inbox.messages) == 2
    again = CliRunner().invoke(main, ["notify", "send"])
    assert again.exit_code == 0 and "nothing waiting" in again.output
    monkeypatch.setenv("INTAKE_SMTP_PORT", str(_free_port()))
    submit_report(public_client)
    failed = CliRunner().invoke(main, ["notify", "send", "--force"])
    assert failed.exit_code == 1 and "stay queued" in failed.output
