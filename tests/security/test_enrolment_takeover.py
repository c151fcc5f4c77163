"""Issue 13, finding 9, from the attacker's side: a phished passphrase must not be enough to
enrol the attacker's own authenticator. No page shows a TOTP secret (or its QR) to a session
that has only a passphrase; the terminal and the one-time setup link are the only places."""

from __future__ import annotations

import base64
import time
from typing import Any

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from intake.cli import main
from intake.models import AuditEvent, Staff, StaffSession
from intake.services.staff import totp_secret
from tests.support.factories import csrf_token

SKIP = {"HEAD", "OPTIONS"}


def _every_get_url(app: Any) -> list[str]:
    adapter = app.url_map.bind("localhost")
    urls = ["/enrol", "/enrol/qr.svg", "/login/2fa"]
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()):
            values = {k: 1 if type(rule._converters[k]).__name__ == "IntegerConverter"
                      else "x" for k in rule.arguments}
            urls.append(adapter.build(rule.endpoint, values, method="GET"))
    return urls


def _leaks(body: bytes, secret: str) -> bool:
    text = body.decode("utf-8", "replace")
    return (secret in text or secret.lower() in text or "otpauth" in text
            or base64.b32decode(secret).hex() in text or b"<svg" in body)


def _phish(client: Any, member: Any) -> Any:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": member.username,
                                       "passphrase": member.passphrase})


@pytest.mark.parametrize("enrolled", [False, True], ids=["never-signed-in", "enrolled"])
def test_a_phished_passphrase_never_reaches_a_totp_secret(review_app, make_staff, settings,
                                                         session, enrolled):
    victim = make_staff("admin", enrolled=enrolled)
    attacker = review_app.test_client()
    response = _phish(attacker, victim)
    assert not _leaks(response.data, victim.totp_secret)
    if not enrolled:  # no session at all for an account that has not confirmed a code
        assert response.status_code == 403
        assert session.scalars(select(StaffSession)).all() == []
    for url in _every_get_url(review_app):
        got = attacker.get(url)
        assert got.status_code != 500, url
        assert not _leaks(got.data, victim.totp_secret), url
    # and no code the attacker can make up enrols anything
    token = csrf_token(attacker.get("/login").get_data(as_text=True))
    for path in ("/enrol", "/login/2fa"):
        attacker.post(path, data={"csrf_token": token, "code": "000000"})
    session.expire_all()
    assert session.get(Staff, victim.id).totp_enrolled is enrolled
    assert totp_secret(settings, session.get(Staff, victim.id)) == victim.totp_secret


def _cli_env(monkeypatch: Any, settings: Any) -> None:
    for name in ("data_dir", "database_url", "review_secret_key", "public_secret_key",
                 "rate_limit_secret"):
        monkeypatch.setenv(f"INTAKE_{name.upper()}", str(getattr(settings, name)))
    monkeypatch.setenv("INTAKE_STAFF_KDF_TIME_COST", "1")
    monkeypatch.setenv("INTAKE_STAFF_KDF_MEMORY_KIB", "1024")
    monkeypatch.setenv("INTAKE_STAFF_KDF_PARALLELISM", "1")


def test_cli_create_enrols_by_a_code_typed_in_the_terminal(settings, database, session,
                                                           monkeypatch):
    _cli_env(monkeypatch, settings)
    secret = pyotp.random_base32()
    monkeypatch.setattr("intake.cli.staff.pyotp.random_base32", lambda: secret)
    code = pyotp.TOTP(secret).now()
    result = CliRunner().invoke(main, ["staff", "create", "first", "--role", "admin",
                                       "--passphrase-stdin"],
                                input=f"a long enough passphrase\n{code}\n")
    assert result.exit_code == 0, result.output
    assert "otpauth://" in result.output and "enrolled" in result.output
    member = session.scalar(select(Staff).where(Staff.username == "first"))
    assert member is not None and member.totp_enrolled
    assert totp_secret(settings, member) == secret
    # the confirming code is used up: it cannot also sign in
    assert member.totp_last_step >= int(time.time() // 30) - 1
    assert "staff.create" in session.scalars(select(AuditEvent.action)).all()


def test_cli_create_saves_nothing_without_a_right_code(settings, database, session,
                                                        monkeypatch):
    _cli_env(monkeypatch, settings)
    secret = pyotp.random_base32()
    monkeypatch.setattr("intake.cli.staff.pyotp.random_base32", lambda: secret)
    wrong = next(f"{n:06d}" for n in range(10)
                 if not pyotp.TOTP(secret).verify(f"{n:06d}", valid_window=1))
    result = CliRunner().invoke(main, ["staff", "create", "second", "--role", "reviewer",
                                       "--passphrase-stdin"],
                                input=f"a long enough passphrase\n{wrong}\n{wrong}\n{wrong}\n")
    assert result.exit_code != 0 and "nothing was saved" in result.output
    assert session.scalar(select(Staff).where(Staff.username == "second")) is None


def test_cli_enrol_replaces_a_lost_authenticator(settings, database, session, make_staff,
                                                 monkeypatch):
    _cli_env(monkeypatch, settings)
    member = make_staff("reviewer")
    secret = pyotp.random_base32()
    monkeypatch.setattr("intake.cli.staff.pyotp.random_base32", lambda: secret)
    result = CliRunner().invoke(main, ["staff", "enrol", member.username, "--code-stdin"],
                                input=pyotp.TOTP(secret).now() + "\n")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert totp_secret(settings, session.get(Staff, member.id)) == secret
