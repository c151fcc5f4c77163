"""Session fixation: the second factor re-issues the session id and key; the pre-2FA cookie
(and its server half) stop working."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from intake.models import Staff, StaffSession
from intake.services import login as login_service
from intake.services import sessions
from intake.services.credentials import unlock_private_key
from tests.support.factories import csrf_token


def _cookie(client: Any) -> str:
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return str(cookie.value)


def _replay(app: Any, value: str) -> Any:
    """Another browser presenting a captured cookie."""
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    return other


def _sign_in_first_factor(client: Any, member: Any) -> Any:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": member.username,
                                       "passphrase": member.passphrase})


def _post_code(client: Any, path: str, code: str) -> Any:
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "code": code})


def _rows(session: Any, staff_id: str) -> list[StaffSession]:
    session.expire_all()
    return list(session.scalars(select(StaffSession).where(StaffSession.staff_id == staff_id)))


@pytest.mark.parametrize("enrolled", [True, False], ids=["2fa", "enrolment"])
def test_pre_2fa_cookie_is_refused_after_the_second_factor(
        review_app: Any, review_client: Any, make_staff: Any, session: Any,
        enrolled: bool) -> None:
    member = make_staff("reviewer")
    if enrolled:
        session.get(Staff, member.id).totp_enrolled = True
        session.commit()
    step = "/login/2fa" if enrolled else "/enrol"
    assert _sign_in_first_factor(review_client, member).headers["Location"] == step
    before = _cookie(review_client)
    [pre_row] = _rows(session, member.id)
    pre_id, pre_created = pre_row.id_hash, pre_row.created_at

    done = _post_code(review_client, step, member.totp_now())
    assert done.status_code == 302 and done.headers["Location"] != "/login"
    after = _cookie(review_client)
    assert after != before
    assert review_client.get("/account").status_code == 200
    [row] = _rows(session, member.id)
    assert row.id_hash != pre_id and row.totp_verified
    assert row.created_at == pre_created  # the absolute timeout counts from sign-in

    replayed = _replay(review_app, before)
    for path in ("/account", "/login/2fa", "/enrol"):
        response = replayed.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?"), path
    assert _replay(review_app, after).get("/account").status_code == 200


def test_a_planted_cookie_is_useless_once_the_victim_signs_in(
        review_app: Any, make_staff: Any, session: Any) -> None:
    """The attacker's pre-2FA cookie, fixed in the victim's browser, never becomes verified."""
    member = make_staff("reviewer")
    session.get(Staff, member.id).totp_enrolled = True
    session.commit()
    victim = review_app.test_client()
    _sign_in_first_factor(victim, member)
    planted = _cookie(victim)
    _post_code(victim, "/login/2fa", member.totp_now())
    attacker = _replay(review_app, planted)
    assert attacker.get("/account").headers["Location"].startswith("/login?")
    assert attacker.get("/").headers["Location"].startswith("/login?")


def test_reissued_session_still_unlocks_the_private_key(
        database: Any, settings: Any, make_staff: Any) -> None:
    member = make_staff("reviewer")
    with database.transaction() as s:
        staff = s.get(Staff, member.id)
        private = unlock_private_key(settings, staff, member.passphrase)
        half = sessions.start_session(s, staff, private)
    with database.transaction() as s:
        staff = s.get(Staff, member.id)
        row = sessions.load_session(s, settings, half.session_id)
        fresh = login_service.complete_sign_in(s, settings, staff, row, half, member.totp_now(),
                                               client="test-client")
        assert fresh is not None and fresh.session_id != half.session_id
        assert fresh.session_key != half.session_key
    with database.transaction() as s:
        assert sessions.load_session(s, settings, half.session_id) is None
        row = sessions.load_session(s, settings, fresh.session_id)
        assert row is not None and row.totp_verified
        assert sessions.private_key(row, fresh) == private


def test_analyst_session_without_a_key_is_reissued_too(
        database: Any, settings: Any, make_staff: Any) -> None:
    member = make_staff("analyst")
    with database.transaction() as s:
        half = sessions.start_session(s, s.get(Staff, member.id), None)
    with database.transaction() as s:
        row = sessions.load_session(s, settings, half.session_id)
        fresh = login_service.complete_sign_in(s, settings, s.get(Staff, member.id), row,
                                               half, member.totp_now(), client="test-client")
        assert fresh is not None
    with database.transaction() as s:
        assert sessions.load_session(s, settings, half.session_id) is None
        assert sessions.load_session(s, settings, fresh.session_id) is not None


def test_a_wrong_code_keeps_the_pre_2fa_session_unverified(
        database: Any, settings: Any, make_staff: Any) -> None:
    member = make_staff("reviewer")
    with database.transaction() as s:
        half = sessions.start_session(s, s.get(Staff, member.id), None)
    with database.transaction() as s:
        row = sessions.load_session(s, settings, half.session_id)
        assert login_service.complete_sign_in(s, settings, s.get(Staff, member.id), row,
                                              half, "000000x", client="test-client") is None
    with database.transaction() as s:
        row = sessions.load_session(s, settings, half.session_id)
        assert row is not None and not row.totp_verified
