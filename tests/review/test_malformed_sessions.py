"""Issue 20: a session cookie the app did not expect (malformed fields, a key of the wrong
size, a session whose server half or staff row is gone, an unsigned or mangled cookie) is
a refusal — back to sign-in, 401 or 403 — never a 500 and never anything of a case."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest
from sqlalchemy import delete, text

from intake.models import StaffSession
from tests.support.factories import csrf_token

PATHS = [("GET", "/"), ("GET", "/account"), ("GET", "/cases/ABCD-EFGH"),
         ("GET", "/files/00000000-0000-4000-8000-000000000000"), ("GET", "/login/2fa"),
         ("POST", "/logout"), ("GET", "/admin/staff"), ("GET", "/stats")]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _refused(response: Any, method: str = "GET") -> bool:
    if response.status_code in (401, 403) or (method == "POST" and response.status_code == 400):
        return True
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def _signed(app: Any, values: dict[str, Any]) -> str:
    serializer = app.session_interface.get_signing_serializer(app)
    return str(serializer.dumps(values))


def _live_half(review_app: Any, make_staff: Any, login_as: Any,
               role: str = "admin") -> dict[str, Any]:
    client = review_app.test_client()
    login_as(client, make_staff(role))
    with client.session_transaction() as cookie:
        return dict(cookie)


def _malformed(live: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sid = live["sid"]
    return {
        "sid-not-a-string": {"sid": 5, "skey": live["skey"]},
        "skey-not-a-string": {"sid": sid, "skey": ["x"]},
        "skey-not-base64": {"sid": sid, "skey": "!!!not base64!!!"},
        "skey-too-short": {"sid": sid, "skey": _b64(b"short")},
        "skey-empty": {"sid": sid, "skey": ""},
        "skey-wrong-key": {"sid": sid, "skey": _b64(secrets.token_bytes(32))},
        "sid-unknown": {"sid": secrets.token_urlsafe(32), "skey": live["skey"]},
        "sid-huge": {"sid": "a" * 3000, "skey": live["skey"]},
        "sid-lone-surrogate": {"sid": "\ud800x", "skey": live["skey"]},
        "sid-only": {"sid": sid},
        "skey-only": {"skey": live["skey"]},
        "other-fields": {"sid": None, "skey": None, "next": {"a": 1}, "lang": 7},
    }


CASES = list(_malformed({"sid": "s", "skey": "k"}))


@pytest.mark.parametrize("name", CASES)
def test_a_malformed_signed_cookie_is_refused(review_app, make_staff, login_as, name):
    live = _live_half(review_app, make_staff, login_as)
    values = _malformed(live)[name]
    client = review_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    with client.session_transaction() as fresh:  # a valid CSRF pair: only access decides
        values = {**values, "csrf_token": fresh["csrf_token"]}
    client.set_cookie("intake_review", _signed(review_app, values))
    for method, path in PATHS:
        response = client.open(path, method=method, data={"csrf_token": token})
        assert _refused(response, method), (name, method, path, response.status_code)
        client.set_cookie("intake_review", _signed(review_app, values))


@pytest.mark.parametrize("raw", ["garbage", "a.b.c", "eyJzaWQiOjF9.AAAA.BBBB", "", "%00%ff",
                                 "x" * 3000])
def test_an_unsigned_or_mangled_cookie_is_treated_as_no_session(review_app, raw):
    client = review_app.test_client()
    client.set_cookie("intake_review", raw)
    for _method, path in PATHS:
        if _method != "GET":
            continue
        response = client.get(path)
        assert _refused(response), (raw[:20], path, response.status_code)


@pytest.mark.parametrize("gone", ["session-row", "staff-row"])
def test_a_session_whose_server_half_or_staff_is_gone_is_refused(
        review_app, make_staff, login_as, session, gone):
    member = make_staff("reviewer")
    client = review_app.test_client()
    login_as(client, member)
    assert client.get("/").status_code == 200
    if gone == "session-row":
        session.execute(delete(StaffSession))
    else:  # the row vanished under the session (restore, manual repair): no cascade
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("PRAGMA foreign_keys=OFF"))
            session.execute(text("DELETE FROM staff WHERE id = :i"), {"i": member.id})
        else:
            session.execute(text("ALTER TABLE staff_sessions DROP CONSTRAINT IF EXISTS "
                                 "staff_sessions_staff_id_fkey"))
            session.execute(text("DELETE FROM staff WHERE id = :i"), {"i": member.id})
    session.commit()
    for method, path in PATHS:
        response = client.open(path, method=method)
        assert _refused(response, method), (gone, method, path, response.status_code)


def test_the_access_helpers_refuse_outside_a_checked_request(review_app):
    """The guard runs before every view, so these paths are unreachable through routing;
    called directly they refuse (401 without a session, 403 for a key that does not open),
    never return something a view could use."""
    from flask import g
    from flask import session as cookie
    from werkzeug.exceptions import Forbidden, Unauthorized

    from intake.review import access
    from intake.services.sessions import CookieHalf

    with review_app.test_request_context("/"):
        for helper in (access.current_staff, access.current_session, access.current_private_key):
            with pytest.raises(Unauthorized):
                helper()
        access.store_cookie_half(CookieHalf("an-id", secrets.token_bytes(32)))
        g.staff_session = StaffSession(id_hash="x", staff_id="y", wrapped_private_key=None)
        with pytest.raises(Forbidden):  # an analyst's session holds no key
            access.current_private_key()
        g.staff_session = StaffSession(id_hash="x", staff_id="y",
                                       wrapped_private_key=secrets.token_bytes(140))
        with pytest.raises(Forbidden):  # a key that does not open the server half
            access.current_private_key()
        assert cookie["sid"] == "an-id"


@pytest.mark.parametrize("lang, kept", [("ky", "ky"), (7, None), (None, None)])
def test_a_new_session_cookie_keeps_only_the_chosen_language(review_app, lang, kept):
    from flask import session as cookie

    from intake.review import access
    from intake.services.sessions import CookieHalf

    key = secrets.token_bytes(32)
    with review_app.test_request_context("/"):
        cookie.update({"lang": lang, "next": "/audit", "sid": "old", "csrf_token": "t"})
        access.store_cookie_half(CookieHalf("new-id", key))
        expected = {"sid": "new-id", "skey": _b64(key), "_permanent": False}
        if kept is not None:
            expected["lang"] = kept
        assert dict(cookie) == expected
        assert cookie.permanent is False
        assert access.cookie_half() == CookieHalf("new-id", key)


@pytest.mark.parametrize("sid, key_bytes, accepted", [
    ("", 32, False), ("a", 32, True), ("a" * 128, 32, True), ("a" * 129, 32, False),
    ("é" * 10, 32, False), ("abc", 31, False), ("abc", 33, False), ("abc", 0, False),
])
def test_cookie_half_bounds(review_app, sid, key_bytes, accepted):
    from flask import session as cookie

    from intake.review import access
    from intake.services.sessions import CookieHalf

    key = secrets.token_bytes(key_bytes)
    with review_app.test_request_context("/"):
        cookie.update({"sid": sid, "skey": _b64(key)})
        expected = CookieHalf(sid, key) if accepted else None
        assert access.cookie_half() == expected
