"""Admin: invite by one-time link (web and CLI), setup, deactivation removing all access."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select

from intake.cli import main
from intake.models import AuditEvent, KeyWrap, Staff, StaffSession, utcnow
from intake.services import login as login_service
from tests.support.factories import csrf_token, submit_report

LINK_RE = re.compile(r"/setup/([A-Za-z0-9_-]{40,})")
PASS = "the invitee's own long passphrase"


def _post(client: Any, page: str, url: str, **data: str) -> Any:
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def _invite(client: Any, username: str, role: str) -> str:
    response = _post(client, "/admin/staff", "/admin/staff/invite", username=username, role=role)
    assert response.status_code == 201, response.get_data(as_text=True)
    match = LINK_RE.search(response.get_data(as_text=True))
    assert match
    return match.group(1)


def _count(session: Any, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_invite_setup_then_enrolment(review_app, make_staff, login_as, session, settings):
    admin = review_app.test_client()
    login_as(admin, make_staff("admin"))
    token = _invite(admin, "newcomer", "reviewer")
    session.expire_all()
    invited = session.scalar(select(Staff).where(Staff.username == "newcomer"))
    assert invited is not None and not invited.active and invited.public_key is None
    assert invited.setup_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(session.scalars(select(AuditEvent.detail)).all())
    assert invited.setup_expires - utcnow() > timedelta(hours=71)
    # an invited account cannot sign in yet
    assert not login_service.check_passphrase(session, settings, "newcomer", PASS,
                                              client="test-client").ok

    visitor = review_app.test_client()
    page = visitor.get(f"/setup/{token}")
    assert page.status_code == 200 and "newcomer" in page.get_data(as_text=True)
    mismatch = _post(visitor, f"/setup/{token}", f"/setup/{token}",
                     passphrase=PASS, confirm=PASS + "!")
    assert mismatch.status_code == 400
    done = _post(visitor, f"/setup/{token}", f"/setup/{token}", passphrase=PASS, confirm=PASS)
    assert done.status_code == 302 and done.headers["Location"].startswith("/login")
    session.expire_all()
    ready = session.get(Staff, invited.id)
    assert ready.active and ready.public_key and ready.wrapped_private_key
    assert ready.setup_token_hash is None and not ready.totp_enrolled
    assert visitor.get(f"/setup/{token}").status_code == 404  # one time only

    signin = review_app.test_client()
    response = _post(signin, "/login", "/login", username="newcomer", passphrase=PASS)
    assert response.headers["Location"] == "/enrol"
    assert signin.get("/account").headers["Location"] == "/login/2fa"


def test_expired_or_unknown_setup_links_are_refused(review_app, make_staff, login_as, session):
    admin = review_app.test_client()
    login_as(admin, make_staff("admin"))
    token = _invite(admin, "late", "analyst")
    session.expire_all()
    invited = session.scalar(select(Staff).where(Staff.username == "late"))
    invited.setup_expires = utcnow() - timedelta(seconds=1)
    session.commit()
    visitor = review_app.test_client()
    assert visitor.get(f"/setup/{token}").status_code == 404
    assert visitor.get("/setup/not-a-token").status_code == 404
    response = visitor.post(f"/setup/{token}", data={"csrf_token": csrf_token(
        visitor.get("/login").get_data(as_text=True)), "passphrase": PASS, "confirm": PASS})
    assert response.status_code == 404
    session.expire_all()
    assert not session.get(Staff, invited.id).active


def test_invite_refuses_a_taken_username_and_keeps_the_form(review_client, make_staff,
                                                           login_as):
    member = make_staff("admin")
    login_as(review_client, member)
    response = _post(review_client, "/admin/staff", "/admin/staff/invite",
                     username=member.username, role="reviewer")
    assert response.status_code == 409
    assert f'value="{member.username}"' in response.get_data(as_text=True)
    bad_role = _post(review_client, "/admin/staff", "/admin/staff/invite",
                     username="someone", role="superuser")
    assert bad_role.status_code == 400


def test_cli_invite_prints_the_setup_path(settings, database, session, monkeypatch):
    monkeypatch.setenv("INTAKE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INTAKE_REVIEW_SECRET_KEY", settings.review_secret_key)
    monkeypatch.setenv("INTAKE_PUBLIC_SECRET_KEY", settings.public_secret_key)
    monkeypatch.setenv("INTAKE_RATE_LIMIT_SECRET", settings.rate_limit_secret)
    result = CliRunner().invoke(main, ["staff", "invite", "fieldworker", "--role", "reviewer"])
    assert result.exit_code == 0, result.output
    match = LINK_RE.search(result.output)
    assert match
    invited = session.scalar(select(Staff).where(Staff.username == "fieldworker"))
    assert invited.setup_token_hash == hashlib.sha256(match.group(1).encode()).hexdigest()
    again = CliRunner().invoke(main, ["staff", "invite", "fieldworker", "--role", "reviewer"])
    assert again.exit_code != 0 and "taken" in again.output


def test_deactivation_removes_wraps_sessions_and_access(
        review_app, public_client, make_staff, login_as, session, settings):
    admin_handle = make_staff("admin")
    leaver = make_staff("reviewer")
    assert submit_report(public_client).status_code == 200
    leaver_client = review_app.test_client()
    login_as(leaver_client, leaver)
    assert leaver_client.get("/account").status_code == 200
    login_service.check_passphrase(session, settings, leaver.username, "wrong wrong wrong",
                                   client="test-client")
    assert _count(session, KeyWrap, KeyWrap.staff_id == leaver.id) > 0
    their_entries = _count(session, AuditEvent, AuditEvent.staff_id == leaver.id)

    admin = review_app.test_client()
    login_as(admin, admin_handle)
    response = _post(admin, "/admin/staff", f"/admin/staff/{leaver.id}/deactivate")
    assert response.status_code == 302
    session.expire_all()
    assert _count(session, KeyWrap, KeyWrap.staff_id == leaver.id) == 0
    assert _count(session, StaffSession, StaffSession.staff_id == leaver.id) == 0
    assert _count(session, KeyWrap, KeyWrap.staff_id == admin_handle.id) > 0
    row = session.get(Staff, leaver.id)
    assert not row.active and row.deactivated_at is not None and row.public_key is None
    assert leaver_client.get("/account").headers["Location"].startswith("/login")
    assert not login_service.check_passphrase(session, settings, leaver.username,
                                              leaver.passphrase, client="test-client").ok
    assert _count(session, AuditEvent, AuditEvent.staff_id == leaver.id) == their_entries
    assert _count(session, AuditEvent, AuditEvent.action == "staff.deactivate") == 1
    page = admin.get("/admin/staff").get_data(as_text=True)
    assert "deactivated" in page


def test_the_last_active_admin_cannot_be_deactivated(review_app, make_staff, login_as,
                                                     session):
    only = make_staff("admin")
    client = review_app.test_client()
    login_as(client, only)
    response = _post(client, "/admin/staff", f"/admin/staff/{only.id}/deactivate")
    assert response.status_code == 409
    session.expire_all()
    assert session.get(Staff, only.id).active
    second = make_staff("admin")
    assert _post(client, "/admin/staff", f"/admin/staff/{second.id}/deactivate"
                 ).status_code == 302
    assert _post(client, "/admin/staff", f"/admin/staff/{only.id}/deactivate"
                 ).status_code == 409
    assert _post(client, "/admin/staff", "/admin/staff/no-such-id/deactivate"
                 ).status_code == 409


def test_admin_clears_failed_sign_ins_and_it_is_audited(
        review_app, make_staff, login_as, session, settings):
    """The admin unlock: every slowed client of an account may sign in again at once."""
    admin_handle = make_staff("admin")
    member = make_staff("reviewer")
    for client in ("one", "two"):
        for _ in range(settings.login_free_failures):
            login_service.check_passphrase(session, settings, member.username, "wrong wrong",
                                           client=client)
    staff = session.get(Staff, member.id)
    assert login_service.retry_at(session, settings, staff, "one") is not None
    admin = review_app.test_client()
    login_as(admin, admin_handle)
    page = admin.get("/admin/staff").get_data(as_text=True)
    assert f"Failed sign-ins: {2 * settings.login_free_failures}" in page
    assert f"/admin/staff/{member.id}/clear-failures" in page
    assert f"/admin/staff/{admin_handle.id}/clear-failures" not in page  # none to clear
    response = _post(admin, "/admin/staff", f"/admin/staff/{member.id}/clear-failures")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/staff"
    session.expire_all()
    for client in ("one", "two"):
        assert login_service.retry_at(session, settings, staff, client) is None
    assert login_service.check_passphrase(session, settings, member.username,
                                          member.passphrase, client="one").ok
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "staff.clear_failed_sign_ins")).one()
    assert event.staff_id == admin_handle.id and event.target == member.username
    assert str(2 * settings.login_free_failures) in str(event.detail)
    assert "Failed sign-ins" not in admin.get("/admin/staff").get_data(as_text=True)


def test_only_an_admin_clears_failed_sign_ins(review_app, make_staff, login_as, session,
                                              settings):
    make_staff("admin")
    member = make_staff("reviewer")
    other = make_staff("reviewer")
    for _ in range(settings.login_free_failures):
        login_service.check_passphrase(session, settings, member.username, "wrong wrong",
                                       client="one")
    client = review_app.test_client()
    login_as(client, other)
    response = _post(client, "/account", f"/admin/staff/{member.id}/clear-failures")
    assert response.status_code == 403
    admin = review_app.test_client()
    login_as(admin, make_staff("admin"))
    assert _post(admin, "/admin/staff", "/admin/staff/no-such-id/clear-failures"
                 ).status_code == 404
    session.expire_all()
    assert login_service.retry_at(session, settings, session.get(Staff, member.id),
                                  "one") is not None
    assert session.scalars(select(AuditEvent).where(
        AuditEvent.action == "staff.clear_failed_sign_ins")).all() == []
