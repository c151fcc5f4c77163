"""Sign-in rules: no username oracle, lockout and its growing delay, TOTP; no web enrolment."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pyotp
from sqlalchemy import select

from intake.models import AuditEvent, LoginFailure, Staff, StaffSession, utcnow
from intake.services import login as login_service
from tests.support.factories import csrf_token

FAILED = "Sign-in failed"


def _post_login(client: Any, username: str, passphrase: str, next_: str | None = None) -> Any:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"csrf_token": token, "username": username,
                                  "passphrase": passphrase})


def _post_code(client: Any, path: str, code: str) -> Any:
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "code": code})


def _wrong_code(secret: str, now: float) -> str:
    """A six-digit code that is valid for none of the accepted steps."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(now + offset) for offset in (-30, 0, 30)}
    return next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in valid)


def _staff(session: Any, staff_id: str) -> Staff:
    session.expire_all()
    row = session.get(Staff, staff_id)
    assert row is not None
    return row


def test_second_factor_comes_before_anything_else(review_client, make_staff):
    member = make_staff("reviewer")
    response = _post_login(review_client, member.username, member.passphrase)
    assert response.status_code == 302 and response.headers["Location"] == "/login/2fa"
    for path in ("/account", "/audit", "/admin/staff", "/"):
        response = review_client.get(path)
        assert response.headers["Location"] == "/login/2fa", path
    response = _post_code(review_client, "/login/2fa", member.totp_now())
    assert response.status_code == 302
    assert review_client.get("/account").status_code == 200


def test_an_account_not_yet_enrolled_gets_no_session_from_its_passphrase(
        review_client, make_staff, session):
    member = make_staff("reviewer", enrolled=False)
    response = _post_login(review_client, member.username, member.passphrase)
    assert response.status_code == 403
    assert "not set up its authenticator" in response.get_data(as_text=True)
    assert member.totp_secret not in response.get_data(as_text=True)
    assert session.scalars(select(StaffSession)).all() == []
    assert review_client.get("/login/2fa").headers["Location"].startswith("/login")


def test_enrolled_staff_sign_in_with_a_code_and_land_on_next(review_client, make_staff, session):
    member = make_staff("admin")
    with_step = _staff(session, member.id)
    with_step.totp_enrolled = True
    session.commit()
    response = _post_login(review_client, member.username, member.passphrase, "/audit")
    assert response.headers["Location"] == "/login/2fa"
    wrong = _wrong_code(member.totp_secret, time.time())
    assert _post_code(review_client, "/login/2fa", wrong).status_code == 401
    response = _post_code(review_client, "/login/2fa", member.totp_now())
    assert response.headers["Location"] == "/audit"
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "login" in actions and "login.failed_2fa" in actions


def test_next_never_leaves_the_app(review_client, make_staff, session):
    member = make_staff("analyst")
    _staff(session, member.id).totp_enrolled = True
    session.commit()
    for evil in ("//evil.example", "/\\evil.example", "https://evil.example"):
        client = review_client.application.test_client()
        _post_login(client, member.username, member.passphrase, evil)
        response = _post_code(client, "/login/2fa", member.totp_now())
        assert "evil" not in response.headers["Location"], evil
        session.expire_all()
        session.get(Staff, member.id).totp_last_step = 0
        session.commit()


def test_unknown_username_answers_and_costs_like_a_wrong_passphrase(
        review_client, make_staff, monkeypatch):
    member = make_staff("reviewer")
    calls: list[str] = []
    real = login_service.verify_passphrase

    def counting(encoded: str, passphrase: str) -> bool:
        calls.append(encoded.split("$")[1])
        return real(encoded, passphrase)

    monkeypatch.setattr(login_service, "verify_passphrase", counting)
    wrong = _post_login(review_client, member.username, "not the passphrase at all")
    assert len(calls) == 1
    unknown = _post_login(review_client, "nobody-by-this-name", "not the passphrase at all")
    assert len(calls) == 2 and calls[0] == calls[1] == "argon2id"
    assert wrong.status_code == unknown.status_code == 401
    assert FAILED in wrong.get_data(as_text=True)
    assert _message(wrong) == _message(unknown)


def _message(response: Any) -> str:
    body = response.get_data(as_text=True)
    start = body.index("<h2>")
    return body[start:body.index("</h2>", start)]


def test_five_failures_lock_the_account_until_the_delay_passes(
        review_client, make_staff, session, settings):
    member = make_staff("reviewer")
    for _ in range(settings.lockout_failures - 1):
        assert _post_login(review_client, member.username, "wrong wrong wrong").status_code == 401
    assert _staff(session, member.id).locked_until is None
    _post_login(review_client, member.username, "wrong wrong wrong")
    locked = _staff(session, member.id)
    assert locked.locked_until is not None and locked.locked_until > utcnow()
    refused = _post_login(review_client, member.username, member.passphrase)
    assert refused.status_code == 401 and FAILED in refused.get_data(as_text=True)
    # the delay passes (moved in the database, no sleeping)
    locked.locked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    response = _post_login(review_client, member.username, member.passphrase)
    assert response.status_code == 302


def test_failures_outside_the_window_do_not_count(review_client, make_staff, session, settings):
    member = make_staff("reviewer")
    old = utcnow() - timedelta(minutes=settings.lockout_window_minutes + 1)
    for _ in range(settings.lockout_failures - 1):
        session.add(LoginFailure(staff_id=member.id, at=old))
    session.commit()
    _post_login(review_client, member.username, "wrong wrong wrong")
    assert _staff(session, member.id).locked_until is None
    recent = utcnow() - timedelta(minutes=1)
    for _ in range(settings.lockout_failures - 2):
        session.add(LoginFailure(staff_id=member.id, at=recent))
    session.commit()
    _post_login(review_client, member.username, "wrong wrong wrong")
    assert _staff(session, member.id).locked_until is not None


def test_each_lock_lasts_twice_as_long_as_the_one_before(make_staff, session, settings):
    member = make_staff("reviewer")
    durations = []
    for _ in range(3):
        for _ in range(settings.lockout_failures):
            login_service.check_passphrase(session, settings, member.username, "wrong wrong")
        staff = _staff(session, member.id)
        assert staff.locked_until is not None
        durations.append(staff.locked_until - utcnow())
        staff.locked_until = utcnow() - timedelta(seconds=1)
        session.commit()
    assert durations[0] <= login_service.BASE_LOCK
    assert durations[0] > login_service.BASE_LOCK - timedelta(minutes=1)
    assert durations[1] > durations[0] + login_service.BASE_LOCK - timedelta(minutes=1)
    assert durations[2] > durations[1] + 2 * login_service.BASE_LOCK - timedelta(minutes=1)


def test_a_locked_account_refuses_the_totp_step(make_staff, session, settings):
    member = make_staff("reviewer")
    staff = _staff(session, member.id)
    row = StaffSession(id_hash="x" * 64, staff_id=staff.id)
    session.add(row)
    staff.locked_until = utcnow() + timedelta(minutes=5)
    session.commit()
    assert not login_service.check_totp(session, settings, staff, row, member.totp_now())


def _fresh_row(session: Any, staff: Staff, name: str) -> StaffSession:
    row = StaffSession(id_hash=name * 64, staff_id=staff.id)
    session.add(row)
    session.commit()
    return row


def test_totp_accepts_one_step_either_side_and_refuses_replay(make_staff, session, settings):
    now = 1_800_000_000.0
    totp_codes = []
    for offset, name in ((-30, "a"), (30, "b")):
        member = make_staff("reviewer")
        staff = _staff(session, member.id)
        code = pyotp.TOTP(member.totp_secret).at(now + offset)
        totp_codes.append(code)
        row = _fresh_row(session, staff, name)
        assert login_service.check_totp(session, settings, staff, row, code, now=now)
        assert row.totp_verified
        replay = _fresh_row(session, staff, name.upper())
        assert not login_service.check_totp(session, settings, staff, replay, code, now=now)
        assert not replay.totp_verified
    member = make_staff("reviewer")
    staff = _staff(session, member.id)
    for offset, name in ((-60, "c"), (60, "d")):
        code = pyotp.TOTP(member.totp_secret).at(now + offset)
        row = _fresh_row(session, staff, name)
        assert not login_service.check_totp(session, settings, staff, row, code, now=now)


def test_an_older_code_is_refused_once_a_newer_one_was_used(make_staff, session, settings):
    now = 1_800_000_000.0
    member = make_staff("reviewer")
    staff = _staff(session, member.id)
    totp = pyotp.TOTP(member.totp_secret)
    assert login_service.check_totp(session, settings, staff, _fresh_row(session, staff, "e"),
                                    totp.at(now), now=now)
    assert not login_service.check_totp(session, settings, staff,
                                        _fresh_row(session, staff, "f"), totp.at(now - 30),
                                        now=now)


def test_signing_in_again_does_not_reset_wrong_totp_codes(make_staff, session, settings):
    member = make_staff("reviewer")
    for attempt in range(settings.lockout_failures):
        result = login_service.check_passphrase(session, settings, member.username,
                                                member.passphrase)
        assert result.ok and result.staff is not None
        row = session.scalars(select(StaffSession).where(
            StaffSession.staff_id == member.id)).all()[-1]
        now = 1_800_000_000.0 + attempt * 300
        assert not login_service.check_totp(session, settings, result.staff, row,
                                            _wrong_code(member.totp_secret, now), now=now)
    assert _staff(session, member.id).locked_until is not None
    assert not login_service.check_passphrase(session, settings, member.username,
                                              member.passphrase).ok


def test_a_full_sign_in_clears_earlier_failures(make_staff, session, settings):
    member = make_staff("reviewer")
    for _ in range(settings.lockout_failures - 1):
        login_service.check_passphrase(session, settings, member.username, "wrong wrong")
    result = login_service.check_passphrase(session, settings, member.username,
                                            member.passphrase)
    assert result.ok and result.staff is not None
    row = session.scalars(select(StaffSession)).one()
    now = 1_800_000_000.0
    assert login_service.check_totp(session, settings, result.staff, row,
                                    pyotp.TOTP(member.totp_secret).at(now), now=now)
    login_service.check_passphrase(session, settings, member.username, "wrong wrong")
    assert _staff(session, member.id).locked_until is None
