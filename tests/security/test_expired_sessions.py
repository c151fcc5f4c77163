"""Issue 13, finding 3, from the attacker's side: they hold an old staff cookie (taken from
a laptop) and, later, a copy of the database or a backup. Once the session has expired, no
server half remains anywhere for the cookie's key to open — even though the cookie never
came back to be refused — and the cookie itself was never written as a persistent cookie."""

from __future__ import annotations

import base64
import tarfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from intake.cli import main
from intake.models import StaffSession, utcnow
from intake.services import backup, sessions
from intake.services.sessions import CookieHalf, _id_hash
from tests.support.factories import csrf_token


def _steal(client: Any) -> CookieHalf:
    with client.session_transaction() as cookie:
        return CookieHalf(cookie["sid"], base64.urlsafe_b64decode(cookie["skey"]))


def _age(session: Any, half: CookieHalf, settings: Any) -> bytes:
    """Let the session expire (idle) without the cookie ever coming back."""
    session.expire_all()
    row = session.get(StaffSession, _id_hash(half.session_id))
    assert row is not None and row.wrapped_private_key
    row.last_seen_at = utcnow() - timedelta(minutes=settings.session_idle_minutes + 1)
    session.commit()
    return bytes(row.wrapped_private_key)


def _attacker_decrypts(session: Any, half: CookieHalf) -> bool:
    """What the attacker does with the database copy: find the row, join the halves."""
    session.expire_all()
    row = session.get(StaffSession, _id_hash(half.session_id))
    if row is None:
        return False
    sessions.private_key(row, half)
    return True


def _cli_env(monkeypatch: Any, settings: Any) -> None:
    for name in ("data_dir", "database_url", "review_secret_key", "public_secret_key",
                 "rate_limit_secret"):
        monkeypatch.setenv(f"INTAKE_{name.upper()}", str(getattr(settings, name)))


def _sweep_by_request(review_app: Any, monkeypatch: Any, **_: Any) -> None:
    monkeypatch.setattr(sessions, "_last_sweep", {})
    review_app.test_client().get("/login")  # anyone's request, e.g. a colleague's


def _sweep_by_sign_in(review_app: Any, make_staff: Any, **_: Any) -> None:
    colleague = make_staff("analyst")
    client = review_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"csrf_token": token, "username": colleague.username,
                                "passphrase": colleague.passphrase})


def _sweep_by_timer(monkeypatch: Any, settings: Any, **_: Any) -> None:
    _cli_env(monkeypatch, settings)
    result = CliRunner().invoke(main, ["sweep-sessions"])
    assert result.exit_code == 0 and "deleted: 1" in result.output, result.output


@pytest.mark.parametrize("sweep", [_sweep_by_request, _sweep_by_sign_in, _sweep_by_timer],
                         ids=["request", "sign-in", "timer"])
def test_an_old_cookie_opens_nothing_in_a_later_database_copy(
        review_app, make_staff, login_as, session, settings, monkeypatch, sweep):
    victim = make_staff("reviewer")
    laptop = review_app.test_client()
    login_as(laptop, victim)
    assert laptop.get("/account").status_code == 200
    half = _steal(laptop)
    wrapped = _age(session, half, settings)
    assert _attacker_decrypts(session, half)  # before the fix this stayed true forever

    sweep(review_app=review_app, make_staff=make_staff, monkeypatch=monkeypatch,
          settings=settings)

    assert not _attacker_decrypts(session, half)
    if settings.database_url.startswith("sqlite"):  # not even in the file's free pages
        session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        session.commit()
        raw = Path(settings.database_url.removeprefix("sqlite:///")).read_bytes()
        assert wrapped not in raw


def test_live_sessions_survive_the_sweep(review_app, make_staff, login_as, session, settings):
    member = make_staff("reviewer")
    client = review_app.test_client()
    login_as(client, member)
    assert sessions.sweep_expired(session, settings) == 0
    session.commit()
    assert client.get("/account").status_code == 200


def test_the_session_cookie_is_a_browser_session_cookie(review_app, make_staff):
    member = make_staff("reviewer")
    client = review_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    first = client.post("/login", data={"csrf_token": token, "username": member.username,
                                        "passphrase": member.passphrase})
    code = client.post("/login/2fa", data={
        "csrf_token": csrf_token(client.get("/login/2fa").get_data(as_text=True)),
        "code": member.totp_now()})
    assert code.status_code == 302 and client.get("/account").status_code == 200
    for response in (first, code):
        for header in response.headers.getlist("Set-Cookie"):
            assert header.startswith("intake_review=")
            lowered = header.lower()
            assert "expires=" not in lowered and "max-age=" not in lowered, header


def test_backups_leave_session_rows_out(review_app, make_staff, login_as, database, settings,
                                        session, tmp_path):
    member = make_staff("reviewer")
    client = review_app.test_client()
    login_as(client, member)  # a live session at backup time
    [row] = session.scalars(select(StaffSession)).all()
    assert "staff_sessions" in backup.EXCLUDED_TABLES
    archive = tmp_path / "b.tar"  # plain, so the test can read every member
    backup.write_backup(database, settings, archive, encrypt=False)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert not [n for n in names if "staff_sessions" in n]
        assert [n for n in names if n.startswith("db/staff.")]
        everything = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
    encoded = base64.b64encode(bytes(row.wrapped_private_key))
    assert bytes(row.wrapped_private_key) not in everything and encoded not in everything
    assert row.id_hash.encode() not in everything
