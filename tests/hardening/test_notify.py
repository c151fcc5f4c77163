"""Staff notifications: batched, content-free, sent through a real (local) SMTP server."""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
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


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key), for the test mail server."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp.pem", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def smtp_cert(tmp_path: Path) -> tuple[Path, Path]:
    return _certificate(tmp_path)


@pytest.fixture
def smtp(smtp_cert: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server on a free loopback port that offers (and requires) STARTTLS."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*smtp_cert)
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def plain_smtp() -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server that does not offer STARTTLS (a downgrading network would look
    like this)."""
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _mail_settings(settings: Settings, port: int, ca: Path | None = None) -> Settings:
    ca = ca or settings.data_dir.parent / "smtp.pem"
    return settings.replace(smtp_host="127.0.0.1", smtp_port=port, smtp_ca_file=str(ca),
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
                        "SMTP_CA_FILE": str(settings.data_dir.parent / "smtp.pem"),
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


def test_a_server_without_starttls_gets_nothing(settings: Settings, database: Any,
                                               make_staff: Any, public_client: Any,
                                               plain_smtp: tuple[Inbox, int],
                                               smtp_cert: tuple[Path, Path]) -> None:
    """Issue 13, finding 13: someone on the path strips STARTTLS from the server's answer
    (or the relay lost its TLS set-up): the mail is refused, never sent in clear."""
    inbox, port = plain_smtp
    _staff_with_mail(database, make_staff)
    submit_report(public_client)
    with pytest.raises(NotifyError, match="does not offer STARTTLS; nothing was sent"):
        _send(review_factory(settings, database), database, _mail_settings(settings, port))
    assert inbox.messages == [] and _pending(database) > 0  # kept for the next run


def test_an_untrusted_certificate_is_refused(settings: Settings, database: Any,
                                             make_staff: Any, public_client: Any,
                                             smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    _staff_with_mail(database, make_staff)
    submit_report(public_client)
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_ca, _key = _certificate(other_dir)  # a CA that did not sign the server's cert
    with pytest.raises(NotifyError, match="SSL"):
        _send(review_factory(settings, database), database,
              _mail_settings(settings, port, ca=other_ca))
    assert inbox.messages == []


def test_plain_text_only_to_a_relay_on_this_machine(settings: Settings, database: Any,
                                                    make_staff: Any, public_client: Any,
                                                    plain_smtp: tuple[Inbox, int]) -> None:
    from intake.settings import SettingsError, load_settings

    inbox, port = plain_smtp
    _staff_with_mail(database, make_staff)
    submit_report(public_client)
    local = _mail_settings(settings, port).replace(smtp_tls="local-plain")
    assert _send(review_factory(settings, database), database, local).sent == 2
    assert len(inbox.messages) == 2
    with pytest.raises(SettingsError, match="local-plain"):
        load_settings(environ={"INTAKE_SMTP_HOST": "mail.example.org",
                               "INTAKE_SMTP_TLS": "local-plain"},
                      data_dir=str(settings.data_dir))
    with pytest.raises(SettingsError, match="smtp_tls"):
        load_settings(environ={"INTAKE_SMTP_TLS": "maybe"}, data_dir=str(settings.data_dir))


def test_the_mail_carries_the_audit_anchor(settings: Settings, database: Any,
                                          make_staff: Any, public_client: Any,
                                          smtp: tuple[Inbox, int]) -> None:
    from intake.services.audit import current_anchor, record

    inbox, port = smtp
    _staff_with_mail(database, make_staff)
    submit_report(public_client)
    with database.transaction() as s:
        record(s, None, "staff.create", target="someone")
        record(s, None, "login")
    with database.transaction() as s:
        anchor = current_anchor(s)
    assert anchor
    _send(review_factory(settings, database), database, _mail_settings(settings, port))
    body = inbox.messages[0][1].get_payload(decode=True).decode()
    assert anchor in body and anchor.startswith("2:")
