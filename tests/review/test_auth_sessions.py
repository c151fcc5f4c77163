"""Split-key sessions: both timeouts, logout, and what a passphrase change does."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from intake.crypto import DecryptionError, public_from_private
from intake.models import AuditEvent, Item, LoginFailure, Staff, StaffSession, utcnow
from intake.services import login as login_service
from intake.services.credentials import unlock_private_key
from intake.services.reading import open_item
from tests.support.factories import csrf_token, submit_report

NEW = "a brand new passphrase for the account"


def _rows(session: Any, staff_id: str) -> list[StaffSession]:
    session.expire_all()
    return list(session.scalars(select(StaffSession).where(StaffSession.staff_id == staff_id)))


@pytest.mark.parametrize("field, age", [
    ("last_seen_at", lambda s: timedelta(minutes=s.session_idle_minutes, seconds=5)),
    ("created_at", lambda s: timedelta(hours=s.session_absolute_hours, seconds=5)),
])
def test_expired_sessions_lead_to_sign_in_and_lose_their_server_half(
        review_client, make_staff, login_as, session, settings, field, age):
    member = make_staff("reviewer")
    login_as(review_client, member)
    assert review_client.get("/account").status_code == 200
    (row,) = _rows(session, member.id)
    setattr(row, field, utcnow() - age(settings))
    session.commit()
    response = review_client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _rows(session, member.id) == []


def test_a_session_just_inside_both_limits_still_works(
        review_client, make_staff, login_as, session, settings):
    member = make_staff("reviewer")
    login_as(review_client, member)
    (row,) = _rows(session, member.id)
    row.last_seen_at = utcnow() - timedelta(minutes=settings.session_idle_minutes - 1)
    row.created_at = utcnow() - timedelta(hours=settings.session_absolute_hours, minutes=-1)
    session.commit()
    assert review_client.get("/account").status_code == 200


def test_logout_deletes_the_server_half_and_the_old_cookie_is_worthless(
        review_client, make_staff, login_as, session):
    member = make_staff("reviewer")
    login_as(review_client, member)
    with review_client.session_transaction() as cookie:
        stolen = dict(cookie)
    token = csrf_token(review_client.get("/account").get_data(as_text=True))
    response = review_client.post("/logout", data={"csrf_token": token})
    assert response.headers["Location"] == "/login"
    assert _rows(session, member.id) == []
    with review_client.session_transaction() as cookie:
        cookie.update(stolen)
    response = review_client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "logout" in session.scalars(select(AuditEvent.action)).all()


def _change(client: Any, old: str, new: str, confirm: str | None = None) -> Any:
    token = csrf_token(client.get("/account").get_data(as_text=True))
    return client.post("/account/passphrase", data={
        "csrf_token": token, "old": old, "new": new, "confirm": confirm or new})


def test_passphrase_change_rewraps_the_key_and_ends_other_sessions(
        review_app, public_client, make_staff, login_as, session, settings):
    member = make_staff("reviewer")
    assert submit_report(public_client).status_code == 200
    here, elsewhere = review_app.test_client(), review_app.test_client()
    login_as(here, member)
    login_as(elsewhere, member)
    assert len(_rows(session, member.id)) == 2
    before = session.get(Staff, member.id)
    old_wrap, public = before.wrapped_private_key, before.public_key

    response = _change(here, member.passphrase, NEW)
    assert response.status_code == 302
    assert "changed" in here.get(response.headers["Location"]).get_data(as_text=True)
    assert len(_rows(session, member.id)) == 1
    assert elsewhere.get("/account").headers["Location"].startswith("/login")
    assert here.get("/account").status_code == 200

    staff = session.get(Staff, member.id)
    assert staff.wrapped_private_key != old_wrap and staff.public_key == public
    with pytest.raises(DecryptionError):
        unlock_private_key(settings, staff, member.passphrase)
    private = unlock_private_key(settings, staff, NEW)
    assert public_from_private(private) == public
    item = session.scalars(select(Item).where(Item.kind == "report")).one()
    assert open_item(session, item, private, staff_id=member.id)
    assert not login_service.check_passphrase(session, settings, member.username,
                                              member.passphrase, client="test-client").ok
    assert login_service.check_passphrase(session, settings, member.username, NEW,
                                          client="test-client").ok
    entry = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "account.passphrase")).one()
    assert json.loads(entry.detail) == {"other_sessions_ended": 1}
    assert member.passphrase not in entry.detail and NEW not in entry.detail


def test_analyst_can_change_passphrase_too(review_client, make_staff, login_as, session,
                                           settings):
    member = make_staff("analyst")
    login_as(review_client, member)
    assert _change(review_client, member.passphrase, NEW).status_code == 302
    assert login_service.check_passphrase(session, settings, member.username, NEW,
                                          client="test-client").ok


def test_wrong_current_passphrase_is_refused_and_counts_as_a_failure(
        review_client, make_staff, login_as, session):
    member = make_staff("reviewer")
    login_as(review_client, member)
    response = _change(review_client, "not my passphrase", NEW)
    assert response.status_code == 400
    assert "not right" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(LoginFailure)) == 1
    mismatch = _change(review_client, member.passphrase, NEW, confirm=NEW + "x")
    assert mismatch.status_code == 400
    short = _change(review_client, member.passphrase, "short")
    assert short.status_code == 400
    same = _change(review_client, member.passphrase, member.passphrase)
    assert same.status_code == 400
    assert len(_rows(session, member.id)) == 1
