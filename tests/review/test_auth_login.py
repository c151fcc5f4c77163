"""Sign-in rules: no username oracle, per-client growing delays (no account lock), TOTP,
enrolment first."""

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


def test_first_sign_in_requires_enrolment_before_anything_else(review_client, make_staff):
    member = make_staff("reviewer")
    response = _post_login(review_client, member.username, member.passphrase)
    assert response.status_code == 302 and response.headers["Location"] == "/enrol"
    for path in ("/account", "/audit", "/admin/staff"):
        response = review_client.get(path)
        assert response.headers["Location"] == "/login/2fa", path
    assert review_client.get("/login/2fa").headers["Location"] == "/enrol"
    page = review_client.get("/enrol").get_data(as_text=True)
    assert "/enrol/qr.svg" in page
    qr = review_client.get("/enrol/qr.svg")
    assert qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    response = _post_code(review_client, "/enrol", member.totp_now())
    assert response.status_code == 302
    assert review_client.get("/account").status_code == 200
    assert review_client.get("/enrol/qr.svg").status_code == 404


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


ATTACKER = "198.51.100.23"
STAFF_DEVICE = "203.0.113.77"


def _client_from(app: Any, address: str) -> Any:
    """A test client whose requests come from this peer address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _age_failures(session: Any, staff_id: str, by: timedelta) -> None:
    """Move every stored failure of an account back in time (no sleeping)."""
    for row in session.scalars(select(LoginFailure).where(LoginFailure.staff_id == staff_id)):
        row.at = row.at - by
    session.commit()


def test_an_attacker_failing_many_times_does_not_keep_the_staff_member_out(
        review_app, make_staff, session, settings):
    """Finding 7: wrong passphrases for someone else's username slow only the guesser."""
    member = make_staff("reviewer")
    _staff(session, member.id).totp_enrolled = True
    session.commit()
    attacker = _client_from(review_app, ATTACKER)
    for _ in range(settings.login_free_failures + 10):
        assert _post_login(attacker, member.username, "wrong wrong wrong").status_code == 401
    # The attacker's own client is refused even the right passphrase now ...
    refused = _post_login(attacker, member.username, member.passphrase)
    assert refused.status_code == 401 and FAILED in refused.get_data(as_text=True)
    assert refused.headers.get("Location") is None
    # ... while the staff member, on their own device, signs in completely.
    own = _client_from(review_app, STAFF_DEVICE)
    response = _post_login(own, member.username, member.passphrase)
    assert response.status_code == 302 and response.headers["Location"] == "/login/2fa"
    done = _post_code(own, "/login/2fa", member.totp_now())
    assert done.status_code == 302 and own.get("/account").status_code == 200
    # Their sign-in does not lift the attacker's delay either.
    assert _post_login(attacker, member.username, member.passphrase).status_code == 401


def test_free_failures_then_this_client_waits_until_the_delay_passes(
        make_staff, session, settings):
    member = make_staff("reviewer")
    staff = _staff(session, member.id)
    for _ in range(settings.login_free_failures - 1):
        assert not login_service.check_passphrase(session, settings, member.username,
                                                  "wrong wrong", client="a").ok
    assert login_service.retry_at(session, settings, staff, "a") is None
    assert not login_service.check_passphrase(session, settings, member.username,
                                              "wrong wrong", client="a").ok
    ready = login_service.retry_at(session, settings, staff, "a")
    assert ready is not None
    first = timedelta(seconds=settings.login_delay_seconds)
    assert first - timedelta(seconds=5) < ready - utcnow() <= first
    assert not login_service.check_passphrase(session, settings, member.username,
                                              member.passphrase, client="a").ok
    # a refusal while waiting is not a new failure: the delay does not grow from it
    assert _count_failures(session, member.id) == settings.login_free_failures
    assert login_service.check_passphrase(session, settings, member.username,
                                          member.passphrase, client="b").ok
    _age_failures(session, member.id, first + timedelta(seconds=1))
    assert login_service.check_passphrase(session, settings, member.username,
                                          member.passphrase, client="a").ok


def _count_failures(session: Any, staff_id: str) -> int:
    session.expire_all()
    return len(session.scalars(select(LoginFailure).where(
        LoginFailure.staff_id == staff_id)).all())


def test_each_further_failure_doubles_the_delay_up_to_the_maximum(
        make_staff, session, settings):
    cfg = settings.replace(login_free_failures=2, login_delay_seconds=60,
                           login_max_delay_hours=1)
    member = make_staff("reviewer")
    staff = _staff(session, member.id)
    delays = []
    for _ in range(9):
        session.add(LoginFailure(staff_id=staff.id, client="a", at=utcnow()))
        session.commit()
        ready = login_service.retry_at(session, cfg, staff, "a")
        delays.append(0 if ready is None else round((ready - utcnow()).total_seconds() / 60))
    assert delays == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert login_service.retry_at(session, cfg, staff, "b") is None


def test_failures_older_than_the_longest_delay_do_not_count(make_staff, session, settings):
    member = make_staff("reviewer")
    old = utcnow() - timedelta(hours=settings.login_max_delay_hours, minutes=1)
    for _ in range(settings.login_free_failures):
        session.add(LoginFailure(staff_id=member.id, client="a", at=old))
    session.commit()
    staff = _staff(session, member.id)
    assert login_service.retry_at(session, settings, staff, "a") is None
    login_service.check_passphrase(session, settings, member.username, "wrong wrong",
                                   client="a")
    assert login_service.retry_at(session, settings, staff, "a") is None
    assert _count_failures(session, member.id) == 1  # the stale ones were swept


def test_a_slowed_client_is_refused_the_totp_step(make_staff, session, settings):
    member = make_staff("reviewer")
    staff = _staff(session, member.id)
    row = StaffSession(id_hash="x" * 64, staff_id=staff.id)
    session.add(row)
    for _ in range(settings.login_free_failures):
        session.add(LoginFailure(staff_id=staff.id, client="a", at=utcnow()))
    session.commit()
    assert not login_service.check_totp(session, settings, staff, row, member.totp_now(),
                                        client="a")
    assert login_service.check_totp(session, settings, staff, row, member.totp_now(),
                                    client="b")


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
        assert login_service.check_totp(session, settings, staff, row, code, now=now,
                                        client="test-client")
        assert row.totp_verified
        replay = _fresh_row(session, staff, name.upper())
        assert not login_service.check_totp(session, settings, staff, replay, code, now=now,
                                            client="test-client")
        assert not replay.totp_verified
    member = make_staff("reviewer")
    staff = _staff(session, member.id)
    for offset, name in ((-60, "c"), (60, "d")):
        code = pyotp.TOTP(member.totp_secret).at(now + offset)
        row = _fresh_row(session, staff, name)
        assert not login_service.check_totp(session, settings, staff, row, code, now=now,
                                            client="test-client")


def test_an_older_code_is_refused_once_a_newer_one_was_used(make_staff, session, settings):
    now = 1_800_000_000.0
    member = make_staff("reviewer")
    staff = _staff(session, member.id)
    totp = pyotp.TOTP(member.totp_secret)
    assert login_service.check_totp(session, settings, staff, _fresh_row(session, staff, "e"),
                                    totp.at(now), now=now, client="test-client")
    assert not login_service.check_totp(session, settings, staff,
                                        _fresh_row(session, staff, "f"), totp.at(now - 30),
                                        now=now, client="test-client")


def test_signing_in_again_does_not_reset_wrong_totp_codes(make_staff, session, settings):
    member = make_staff("reviewer")
    for attempt in range(settings.login_free_failures):
        result = login_service.check_passphrase(session, settings, member.username,
                                                member.passphrase, client="test-client")
        assert result.ok and result.staff is not None
        row = session.scalars(select(StaffSession).where(
            StaffSession.staff_id == member.id)).all()[-1]
        now = 1_800_000_000.0 + attempt * 300
        assert not login_service.check_totp(session, settings, result.staff, row,
                                            _wrong_code(member.totp_secret, now), now=now,
                                            client="test-client")
    assert login_service.retry_at(session, settings, _staff(session, member.id),
                                  "test-client") is not None
    assert not login_service.check_passphrase(session, settings, member.username,
                                              member.passphrase, client="test-client").ok


def test_a_full_sign_in_clears_this_clients_earlier_failures(make_staff, session, settings):
    member = make_staff("reviewer")
    for _ in range(settings.login_free_failures):
        login_service.check_passphrase(session, settings, member.username, "wrong wrong",
                                       client="other")
    for _ in range(settings.login_free_failures - 1):
        login_service.check_passphrase(session, settings, member.username, "wrong wrong",
                                       client="test-client")
    result = login_service.check_passphrase(session, settings, member.username,
                                            member.passphrase, client="test-client")
    assert result.ok and result.staff is not None
    row = session.scalars(select(StaffSession)).one()
    now = 1_800_000_000.0
    assert login_service.check_totp(session, settings, result.staff, row,
                                    pyotp.TOTP(member.totp_secret).at(now), now=now,
                                    client="test-client")
    login_service.check_passphrase(session, settings, member.username, "wrong wrong",
                                   client="test-client")
    staff = _staff(session, member.id)
    assert login_service.retry_at(session, settings, staff, "test-client") is None
    # another client's failures are not this sign-in's to forgive
    assert login_service.retry_at(session, settings, staff, "other") is not None
