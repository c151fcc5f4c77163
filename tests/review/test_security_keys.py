"""Security keys (WebAuthn) from the attacker's side: an unregistered, cloned, tampered or
phished key is refused like a wrong code; adding needs a fresh sign-in, removing the
passphrase; the admin setting takes TOTP away from admins; the script is allowed only on
the two key pages."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from intake.models import AuditEvent, LoginFailure, SecurityKey, Staff, StaffSession
from intake.services import site
from intake.settings import Settings
from tests.support.factories import StaffHandle, csrf_token
from tests.support.soft_key import SoftKey, page_options

FAILED = "The security key was not accepted."


def _key(settings: Settings) -> SoftKey:
    return SoftKey(origin=settings.webauthn_origin, rp_id=settings.webauthn_rp_id)


def _enrolled(make_staff: Any, session: Any, role: str = "reviewer") -> StaffHandle:
    member: StaffHandle = make_staff(role)
    session.get(Staff, member.id).totp_enrolled = True
    session.commit()
    return member


def _passphrase(client: Any, member: StaffHandle) -> Any:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": member.username,
                                       "passphrase": member.passphrase})


def _sign_in_totp(client: Any, member: StaffHandle) -> None:
    assert _passphrase(client, member).headers["Location"] == "/login/2fa"
    token = csrf_token(client.get("/login/2fa").get_data(as_text=True))
    response = client.post("/login/2fa", data={"csrf_token": token,
                                               "code": member.totp_now()})
    assert response.status_code == 302, response.get_data(as_text=True)


def _register(client: Any, key: SoftKey, name: str = "blue key") -> Any:
    page = client.get("/account/keys").get_data(as_text=True)
    answer = key.create(page_options(page))
    return client.post("/account/keys", data={"csrf_token": csrf_token(page), "name": name,
                                              "credential": json.dumps(answer)})


def _key_step(client: Any, key: SoftKey, **kwargs: Any) -> Any:
    page = client.get("/login/key").get_data(as_text=True)
    answer = key.get(page_options(page), **kwargs)
    return client.post("/login/key", data={"csrf_token": csrf_token(page),
                                           "credential": json.dumps(answer)})


def _events(session: Any, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _registered(review_app: Any, settings: Settings, make_staff: Any, session: Any,
                role: str = "reviewer") -> tuple[StaffHandle, SoftKey]:
    member = _enrolled(make_staff, session, role)
    client = review_app.test_client()
    _sign_in_totp(client, member)
    key = _key(settings)
    assert _register(client, key).headers["Location"] == "/account/keys?done=added"
    return member, key


def test_register_then_sign_in_with_the_key_gets_a_new_session(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    member, key = _registered(review_app, settings, make_staff, session)
    [stored] = session.scalars(select(SecurityKey).where(SecurityKey.staff_id == member.id))
    assert stored.name == "blue key" and stored.credential_id == key.credential_id
    assert _events(session, "security_key.add")

    client = review_app.test_client()
    assert _passphrase(client, member).headers["Location"] == "/login/key"  # key preferred
    pre = client.get_cookie(review_app.config["SESSION_COOKIE_NAME"]).value
    response = _key_step(client, key)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    # Session fixation: the cookie from before the key step opens nothing.
    other = review_app.test_client()
    other.set_cookie(review_app.config["SESSION_COOKIE_NAME"], pre)
    assert other.get("/").status_code == 302
    session.expire_all()
    assert session.get(SecurityKey, stored.id).sign_count == key.counter == 1
    assert [e for e in _events(session, "login") if e.detail and "security_key" in e.detail]


def test_unregistered_key_is_refused_and_counted(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    member, _key_registered = _registered(review_app, settings, make_staff, session)
    client = review_app.test_client()
    _passphrase(client, member)
    stranger = _key(settings)  # another authenticator: its credential is not registered
    response = _key_step(client, stranger)
    assert response.status_code == 401 and FAILED in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still not signed in
    assert session.scalar(select(LoginFailure).where(LoginFailure.staff_id == member.id))


def test_phished_origin_tampered_signature_and_garbage_are_refused_alike(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    member, key = _registered(review_app, settings, make_staff, session)
    client = review_app.test_client()
    _passphrase(client, member)
    answers: list[str] = []
    # A look-alike site relaying our challenge: the browser writes its own origin.
    page = client.get("/login/key").get_data(as_text=True)
    phished = key.get(page_options(page), origin="http://intake-review.example")
    answers.append(client.post("/login/key", data={
        "csrf_token": csrf_token(page), "credential": json.dumps(phished)}).get_data(as_text=True))
    # A valid answer with one flipped signature byte.
    page = client.get("/login/key").get_data(as_text=True)
    tampered = key.get(page_options(page))
    sig = bytearray(tampered["response"]["signature"].encode())
    sig[10] = ord("A") if sig[10] != ord("A") else ord("B")
    tampered["response"]["signature"] = sig.decode()
    answers.append(client.post("/login/key", data={
        "csrf_token": csrf_token(page), "credential": json.dumps(tampered)}).get_data(as_text=True))
    # Not JSON, and no answer at all (no JavaScript).
    for junk in ("{not json", "", json.dumps([1, 2])):
        page = client.get("/login/key").get_data(as_text=True)
        response = client.post("/login/key", data={"csrf_token": csrf_token(page),
                                                   "credential": junk})
        assert response.status_code == 401
        answers.append(response.get_data(as_text=True))
    assert all(FAILED in a for a in answers)
    assert client.get("/").status_code == 302


def test_an_answer_for_an_old_challenge_is_refused(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    member, key = _registered(review_app, settings, make_staff, session)
    client = review_app.test_client()
    _passphrase(client, member)
    old_page = client.get("/login/key").get_data(as_text=True)
    stale = key.get(page_options(old_page))
    page = client.get("/login/key").get_data(as_text=True)  # a new challenge replaces it
    response = client.post("/login/key", data={"csrf_token": csrf_token(page),
                                               "credential": json.dumps(stale)})
    assert response.status_code == 401


def test_a_counter_that_does_not_grow_is_a_clone_and_is_refused(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    member, key = _registered(review_app, settings, make_staff, session)
    client = review_app.test_client()
    _passphrase(client, member)
    assert _key_step(client, key, counter=5).status_code == 302
    clone = review_app.test_client()
    _passphrase(clone, member)
    response = _key_step(clone, key, counter=5)  # the same counter again: a copy of the key
    assert response.status_code == 401
    [event] = _events(session, "security_key.clone_suspected")
    assert event.detail and '"presented": 5' in event.detail


def test_the_sign_in_throttle_applies_to_key_failures(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    member, key = _registered(review_app, settings, make_staff, session)
    client = review_app.test_client()
    _passphrase(client, member)
    stranger = _key(settings)
    for _ in range(settings.login_free_failures):
        _key_step(client, stranger)
    session.expire_all()
    assert len(list(session.scalars(select(LoginFailure).where(
        LoginFailure.staff_id == member.id)))) == settings.login_free_failures
    response = _key_step(client, key)  # the right key now fails too, with the same answer
    assert response.status_code == 401 and FAILED in response.get_data(as_text=True)


def test_adding_a_key_needs_a_recent_full_sign_in(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    member = _enrolled(make_staff, session)
    client = review_app.test_client()
    _sign_in_totp(client, member)
    page = client.get("/account/keys").get_data(as_text=True)
    answer = _key(settings).create(page_options(page))
    for row in session.scalars(select(StaffSession).where(StaffSession.staff_id == member.id)):
        row.created_at = row.created_at - timedelta(minutes=11)
    session.commit()
    response = client.post("/account/keys", data={"csrf_token": csrf_token(page),
                                                  "name": "late", "credential": json.dumps(answer)})
    assert response.status_code == 403
    assert "data-options" not in client.get("/account/keys").get_data(as_text=True)
    assert session.scalar(select(SecurityKey).where(SecurityKey.staff_id == member.id)) is None


def test_a_key_registered_for_another_site_is_not_added(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    member = _enrolled(make_staff, session)
    client = review_app.test_client()
    _sign_in_totp(client, member)
    page = client.get("/account/keys").get_data(as_text=True)
    options = page_options(page)
    options["publicKey"]["rp"]["id"] = "evil.example"
    answer = _key(settings).create(options)
    response = client.post("/account/keys", data={"csrf_token": csrf_token(page),
                                                  "name": "x", "credential": json.dumps(answer)})
    assert response.status_code == 400
    assert session.scalar(select(SecurityKey).where(SecurityKey.staff_id == member.id)) is None


def test_removing_a_key_needs_the_passphrase(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    member = _enrolled(make_staff, session)
    client = review_app.test_client()
    _sign_in_totp(client, member)
    _register(client, _key(settings))
    [stored] = session.scalars(select(SecurityKey).where(SecurityKey.staff_id == member.id))
    key_id = stored.id
    token = csrf_token(client.get("/account/keys").get_data(as_text=True))
    wrong = client.post(f"/account/keys/{key_id}/remove",
                        data={"csrf_token": token, "passphrase": "not it"})
    assert wrong.status_code == 403
    assert session.scalar(select(LoginFailure).where(LoginFailure.staff_id == member.id))
    session.expire_all()
    assert session.get(SecurityKey, key_id) is not None
    right = client.post(f"/account/keys/{key_id}/remove",
                        data={"csrf_token": token, "passphrase": member.passphrase})
    assert right.headers["Location"] == "/account/keys?done=removed"
    session.expire_all()
    assert session.get(SecurityKey, key_id) is None
    assert _events(session, "security_key.remove")


def test_nobody_removes_someone_elses_key(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    _owner, _key_owner = _registered(review_app, settings, make_staff, session)
    [stored] = session.scalars(select(SecurityKey))
    other = _enrolled(make_staff, session)
    client = review_app.test_client()
    _sign_in_totp(client, other)
    token = csrf_token(client.get("/account/keys").get_data(as_text=True))
    response = client.post(f"/account/keys/{stored.id}/remove",
                           data={"csrf_token": token, "passphrase": other.passphrase})
    assert response.status_code == 404
    session.expire_all()
    assert session.get(SecurityKey, stored.id) is not None


def test_totp_stays_available_beside_a_key_unless_admins_must_use_keys(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    admin, _key_admin = _registered(review_app, settings, make_staff, session, role="admin")
    client = review_app.test_client()
    _passphrase(client, admin)
    assert client.get("/login/2fa").status_code == 200  # TOTP still offered

    site.set_value(session, "admins_need_security_key", "1")
    session.commit()
    client = review_app.test_client()
    _passphrase(client, admin)
    assert client.get("/login/2fa").headers["Location"] == "/login/key"
    token = csrf_token(client.get("/login/key").get_data(as_text=True))
    response = client.post("/login/2fa", data={"csrf_token": token, "code": admin.totp_now()})
    assert response.headers["Location"] == "/login/key"
    assert client.get("/").status_code == 302  # the right code did not sign in

    reviewer = _enrolled(make_staff, session)  # the setting is about admins only
    _sign_in_totp(review_app.test_client(), reviewer)


def test_an_admin_without_a_key_can_only_add_one_when_keys_are_required(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    site.set_value(session, "admins_need_security_key", "1")
    session.commit()
    admin = _enrolled(make_staff, session, role="admin")
    client = review_app.test_client()
    _sign_in_totp(client, admin)
    for path in ("/", "/admin/staff", "/admin/settings", "/account"):
        assert client.get(path).headers["Location"] == "/account/keys", path
    assert client.get("/account/keys").status_code == 200
    assert _register(client, _key(settings)).status_code == 302
    assert client.get("/").status_code == 200


def test_script_is_allowed_only_on_the_key_pages(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    member, _k = _registered(review_app, settings, make_staff, session)
    client = review_app.test_client()
    _passphrase(client, member)
    key_page = client.get("/login/key")
    assert "script-src 'self'" in key_page.headers["Content-Security-Policy"]
    assert "publickey-credentials-get=(self)" in key_page.headers["Permissions-Policy"]
    assert "<script>" not in key_page.get_data(as_text=True)  # no inline script
    for path in ("/login", "/login/2fa"):
        response = review_app.test_client().get(path) if path == "/login" else client.get(path)
        assert "script-src" not in response.headers["Content-Security-Policy"], path
        assert "publickey-credentials-get=()" in response.headers["Permissions-Policy"]


def test_the_login_service_itself_refuses_totp_for_an_admin_who_must_use_a_key(
        review_app: Any, settings: Settings, make_staff: Any, session: Any) -> None:
    """Not only the view: complete_sign_in refuses a right code before checking it."""
    import pyotp

    from intake.services import login as login_service
    from intake.services.credentials import unlock_private_key
    from intake.services.sessions import start_session

    admin, _k = _registered(review_app, settings, make_staff, session, role="admin")
    site.set_value(session, "admins_need_security_key", "1")
    session.commit()
    staff = session.get(Staff, admin.id)
    effective = site.effective(session, settings)
    half = start_session(session, staff, unlock_private_key(settings, staff, admin.passphrase))
    session.commit()
    row = session.scalars(select(StaffSession).where(
        StaffSession.staff_id == admin.id, StaffSession.totp_verified.is_(False))).one()
    import time

    later = time.time() + 30  # the next step: the sign-in above used this one
    code = pyotp.TOTP(admin.totp_secret).at(later)
    assert login_service.complete_sign_in(session, effective, staff, row, half, code,
                                          "some-client", now=later) is None
    session.expire_all()
    assert not session.get(StaffSession, row.id_hash).totp_verified


def test_with_keys_switched_off_the_requirement_locks_no_admin_out(
        settings: Settings, database: Any, make_staff: Any, session: Any) -> None:
    """An operator empties webauthn_rp_id (e.g. a new onion name): TOTP works again."""
    from intake.review import create_app

    app = create_app(settings, database)
    app.config["TESTING"] = True
    admin, _k = _registered(app, settings, make_staff, session, role="admin")
    site.set_value(session, "admins_need_security_key", "1")
    session.commit()
    off = create_app(settings.replace(webauthn_rp_id=""), database)
    off.config["TESTING"] = True
    client = off.test_client()
    assert _passphrase(client, admin).headers["Location"] == "/login/2fa"
    assert client.get("/login/2fa").status_code == 200
    assert client.get("/login/key").headers["Location"] == "/login/2fa"
