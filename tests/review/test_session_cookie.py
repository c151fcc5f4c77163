"""Forged, damaged or orphaned session cookies: always a refusal (302 to sign-in, 401, 403),
never a 500 and never a page. Written as someone who can sign cookies would try it: the
cookie is signed with the app's key, so only our own parsing of its contents is tested."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import delete
from werkzeug.exceptions import Unauthorized

from intake.models import Staff, StaffSession
from intake.review.access import current_private_key, current_session, current_staff
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
    """The server half is found, the cookie's key does not open it: 403 where the key is used."""
    client = review_app.test_client()
    login_as(client, make_staff("reviewer"))
    assert client.get("/account").status_code == 200
    with client.session_transaction() as sess:
        real = sess["skey"]
        sess["skey"] = base64.urlsafe_b64encode(bytes(32)).decode()
    assert real != GOOD_KEY
    assert client.get("/cases/NO-SUCH-CASE").status_code == 403  # key checked before look-up
    with client.session_transaction() as sess:
        sess["skey"] = base64.urlsafe_b64encode(bytes(5)).decode()  # wrong length
    assert client.get("/account").status_code == 200  # the key is not needed here
    assert client.get("/cases/NO-SUCH-CASE").status_code == 403
    with client.session_transaction() as sess:
        sess["skey"] = real
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


def test_sign_in_keeps_the_chosen_language_and_a_lasting_cookie(
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
    assert cookie is not None and cookie.expires is not None  # permanent: idle timeout applies
    assert 'lang="ru"' in client.get(response.headers["Location"]).get_data(as_text=True)


def test_helpers_refuse_with_401_when_no_one_is_signed_in(review_app: Any) -> None:
    """A view reached without an identity gets 401 from the helpers, never a 500."""
    with review_app.test_request_context("/"):
        for helper in (current_staff, current_session, current_private_key):
            with pytest.raises(Unauthorized):
                helper()
