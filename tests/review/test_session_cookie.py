"""Forged, damaged or orphaned session cookies: always a refusal (302 to sign-in, 401, 403),
never a 500 and never a page. Written as someone who can sign cookies would try it: the
cookie is signed with the app's key, so only our own parsing of its contents is tested."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask import session as flask_session
from sqlalchemy import delete
from werkzeug.exceptions import Forbidden, Unauthorized

from intake.models import Staff, StaffSession
from intake.review.access import (
    MAX_SID_CHARS,
    cookie_half,
    current_private_key,
    current_session,
    current_staff,
)
from tests.support.factories import csrf_token

GUARDED = ["/", "/account", "/admin/staff", "/audit"]


def _with_session(client: Any, **values: Any) -> Any:
    with client.session_transaction() as sess:
        sess.clear()
        sess.update(values)
    return client


def _refused_everywhere(client: Any) -> None:
    for path in GUARDED:
        response = client.get(path)
        assert response.status_code == 302, (path, response.status_code)
        assert response.headers["Location"].startswith("/login"), path
    assert client.get("/login").status_code == 200


GOOD_KEY = base64.urlsafe_b64encode(bytes(32)).decode()


FORGED: list[dict[str, Any]] = [
    {"sid": 1, "skey": GOOD_KEY},
    {"sid": ["a"], "skey": GOOD_KEY},
    {"sid": {"a": 1}, "skey": GOOD_KEY},
    {"sid": None, "skey": None},
    {"sid": "x", "skey": 5},
    {"sid": "x", "skey": "!!!not base64!!!"},
    {"sid": "x", "skey": "abc"},
    {"sid": "x", "skey": "ключ"},
    {"sid": "", "skey": ""},
    {"sid": "\x00" * 64, "skey": GOOD_KEY},
    {"sid": "é" * 500, "skey": GOOD_KEY},
    {"skey": GOOD_KEY},
    {"sid": "x"},
    {"lang": 5},
    {"lang": ["ru"]},
    {"lang": {"ru": 1}},
    {"lang": "../../etc/passwd"},
]


def test_forged_session_contents_are_anonymous(review_app: Any) -> None:
    for values in FORGED:
        _refused_everywhere(_with_session(review_app.test_client(), **values))


def test_unsigned_or_garbled_cookie_is_anonymous(review_app: Any) -> None:
    name = review_app.config["SESSION_COOKIE_NAME"]
    for value in ("garbage", "a.b.c", "." * 200, "eyJzaWQiOiJ4In0.AAAA.BBBB", "\u00ff" * 10):
        client = review_app.test_client()
        client.set_cookie(name, value)
        _refused_everywhere(client)


def test_someone_elses_session_id_with_a_wrong_key_is_refused(
        review_app: Any, make_staff: Any, login_as: Any) -> None:
    """The server half is found, the cookie's key does not open it: signed out everywhere,
    even on pages that never use the key (someone who learned a session id gets nothing)."""
    client = review_app.test_client()
    login_as(client, make_staff("reviewer"))
    assert client.get("/account").status_code == 200
    with client.session_transaction() as sess:
        real, sid = sess["skey"], sess["sid"]
        sess["skey"] = base64.urlsafe_b64encode(bytes(32)).decode()
    assert real != GOOD_KEY
    for path in ("/account", "/cases/NO-SUCH-CASE"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    with client.session_transaction() as sess:
        sess["sid"], sess["skey"] = sid, base64.urlsafe_b64encode(bytes(5)).decode()
    for path in ("/account", "/cases/NO-SUCH-CASE"):
        assert client.get(path).status_code == 302
    with client.session_transaction() as sess:
        sess["sid"], sess["skey"] = sid, real
    assert client.get("/cases/NO-SUCH-CASE").status_code == 404


def test_session_whose_staff_row_is_gone_is_signed_out(
        review_app: Any, make_staff: Any, login_as: Any, database: Any, session: Any) -> None:
    member = make_staff("admin")
    client = review_app.test_client()
    login_as(client, member)
    assert client.get("/admin/staff").status_code == 200
    with database.transaction() as s:
        s.execute(delete(Staff).where(Staff.id == member.id))
    _refused_everywhere(client)
    session.expire_all()
    assert session.query(StaffSession).filter_by(staff_id=member.id).count() == 0


def test_sign_in_keeps_the_chosen_language_in_a_browser_session_cookie(
        review_app: Any, make_staff: Any) -> None:
    member = make_staff("reviewer")
    client = review_app.test_client()
    token = csrf_token(client.get("/login?lang=ru").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": member.username,
                                           "passphrase": member.passphrase})
    assert response.status_code == 302
    with client.session_transaction() as sess:
        assert sess["lang"] == "ru"  # the fresh session keeps the language chosen before
        assert isinstance(sess["sid"], str)
    cookie = client.get_cookie(review_app.config["SESSION_COOKIE_NAME"])
    # Gone when the browser closes: the session key never lingers on the laptop's disk.
    assert cookie is not None and cookie.expires is None
    assert 'lang="ru"' in client.get(response.headers["Location"]).get_data(as_text=True)


def test_helpers_refuse_with_401_when_no_one_is_signed_in(review_app: Any) -> None:
    """A view reached without an identity gets 401 from the helpers, never a 500."""
    with review_app.test_request_context("/"):
        for helper in (current_staff, current_session, current_private_key):
            with pytest.raises(Unauthorized):
                helper()


def _half_of(review_app: Any, sid: Any, skey: Any) -> Any:
    with review_app.test_request_context("/"):
        flask_session.update({"sid": sid, "skey": skey})
        return cookie_half()


def test_the_cookie_half_has_exact_shape_limits(review_app: Any) -> None:
    """Each bound of the cookie's id and key, at the edge and one past it."""
    for sid in ("a", "a" * MAX_SID_CHARS):
        half = _half_of(review_app, sid, GOOD_KEY)
        assert half is not None and (half.session_id, half.session_key) == (sid, bytes(32))
    for sid in ("", "a" * (MAX_SID_CHARS + 1), "é" * 10, "\x00" * 10 + "é"):
        assert _half_of(review_app, sid, GOOD_KEY) is None, sid
    assert MAX_SID_CHARS == 128 and len(GOOD_KEY) == 44
    # Only the 44 characters of 32 bytes in base64: junk around a valid key (which a
    # lenient decoder would skip) and 44 characters that decode to 33 bytes are refused.
    for key in ("!" + GOOD_KEY, GOOD_KEY + "A", "A" * 44, GOOD_KEY[:-1], "A" * 129):
        assert _half_of(review_app, "a", key) is None, key


def test_a_session_without_a_key_gets_403_from_the_key_helper(
        review_app: Any, make_staff: Any, login_as: Any) -> None:
    """An analyst's session holds no private key: a view asking for one refuses (403)."""
    client = review_app.test_client()
    login_as(client, make_staff("analyst"))
    with client:
        assert client.get("/account").status_code == 200
        with pytest.raises(Forbidden):
            current_private_key()
