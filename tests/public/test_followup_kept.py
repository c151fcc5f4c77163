"""A refused follow-up (CSRF, validation, throttle, outage) gives the typed text back, and the
receipt code never leaves the form's hidden field (no cookie, no URL)."""

from __future__ import annotations

import html
import secrets
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from intake.crypto import generate_code
from intake.models import Item
from intake.public import create_app
from tests.attachments.samples import jpeg_with_gps, post_multipart
from tests.public.helpers import open_receipt_page, report_code
from tests.support.factories import csrf_token

TYPED = "They came back on Monday — Ош, ул. Ленина; «повестка» & <summons>"
EXPIRED = "Your session expired before you sent this"
WRONG = "We could not open a report with this code"


@pytest.fixture(autouse=True)
def _reader(make_staff: Any, recovery_key: Any) -> None:
    make_staff("reviewer")


def _kept(response: Any, text: str = TYPED) -> bool:
    return html.escape(text) in response.get_data(as_text=True)


def _stored_followups(session: Any) -> list[Item]:
    session.expire_all()
    return list(session.scalars(select(Item).where(Item.kind != "report")).all())


def _code_only_in_hidden_field(response: Any, code: str) -> None:
    """The code is in the form's hidden field; never in a cookie, a header or a link."""
    digits = code.replace(" ", "")
    for name, value in response.headers.items():
        assert digits not in value.replace(" ", ""), name
    page = response.get_data(as_text=True)
    assert f'name="code" type="hidden" value="{code}"' in page
    assert page.count(code) == 1


def _send(client: Any, fields: dict[str, Any], files: list[tuple[str, bytes]] = ()) -> Any:
    return post_multipart(client, "/receipt/followup", fields, list(files))


def _case_page(client: Any, code: str) -> str:
    return open_receipt_page(client, code).get_data(as_text=True)


def test_missing_token_keeps_text_and_the_fresh_token_works(public_client: Any,
                                                            session: Any) -> None:
    code = report_code(public_client)
    _case_page(public_client, code)
    refused = _send(public_client, {"code": code, "text": TYPED})
    assert refused.status_code == 400
    assert EXPIRED in refused.get_data(as_text=True) and _kept(refused)
    assert "Nobody has read it yet" in refused.get_data(as_text=True)  # the case page again
    _code_only_in_hidden_field(refused, code)
    assert _stored_followups(session) == []
    again = _send(public_client, {"code": code, "text": TYPED,
                                  "csrf_token": csrf_token(refused.get_data(as_text=True))})
    assert again.status_code == 200
    assert "Your information was received" in again.get_data(as_text=True)
    assert len(_stored_followups(session)) == 1


def test_stale_token_from_another_session_keeps_text(public_app: Any, public_client: Any,
                                                     session: Any) -> None:
    code = report_code(public_client)
    _case_page(public_client, code)
    stale = csrf_token(public_app.test_client().get("/receipt").get_data(as_text=True))
    refused = _send(public_client, {"code": code, "text": TYPED, "csrf_token": stale})
    assert refused.status_code == 400
    assert EXPIRED in refused.get_data(as_text=True) and _kept(refused)
    _code_only_in_hidden_field(refused, code)
    assert _stored_followups(session) == []


def test_token_whose_cookie_expired_keeps_text_and_files_are_not_stored(
        public_app: Any, public_client: Any, session: Any, settings: Any) -> None:
    code = report_code(public_client)
    token = csrf_token(_case_page(public_client, code))
    fresh_browser = public_app.test_client()  # the session cookie is gone, the page is not
    refused = _send(fresh_browser, {"code": code, "text": TYPED, "csrf_token": token},
                    [("car.jpg", jpeg_with_gps())])
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert EXPIRED in body and "choose them again" in body and _kept(refused)
    _code_only_in_hidden_field(refused, code)
    assert _stored_followups(session) == []
    assert not any(p.is_file() for p in settings.blob_dir.rglob("*"))


def test_oversized_text_keeps_text(public_client: Any, session: Any) -> None:
    code = report_code(public_client)
    too_long = TYPED + " " + "x" * 100_000
    token = csrf_token(_case_page(public_client, code))
    refused = _send(public_client, {"code": code, "text": too_long, "csrf_token": token})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert _kept(refused, too_long)
    assert "error-summary" in body and "100,000" in body and f"{len(too_long):,}" in body
    _code_only_in_hidden_field(refused, code)
    assert _stored_followups(session) == []


def test_oversized_text_with_a_stale_token_shows_both_problems(public_client: Any) -> None:
    code = report_code(public_client)
    _case_page(public_client, code)
    too_long = "y" * 100_001
    refused = _send(public_client, {"code": code, "text": too_long})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert EXPIRED in body and "100,000" in body and too_long in body


def test_expired_token_with_a_wrong_code_gets_the_generic_answer(public_client: Any) -> None:
    report_code(public_client)
    public_client.get("/receipt")
    refused = _send(public_client, {"code": generate_code(), "text": TYPED})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert WRONG in body and EXPIRED not in body and TYPED not in body


def test_expired_tokens_count_only_with_a_wrong_code(settings: Any, database: Any) -> None:
    limited = settings.replace(rate_limit_receipt="2/hour",
                               rate_limit_secret="throttle-" + secrets.token_hex(24))
    app = create_app(limited, database)
    app.config["TESTING"] = True
    client = app.test_client()
    code = report_code(client)
    client.get("/receipt")
    # a right code with a stale token: the page comes back, no guess is spent
    statuses = [_send(client, {"code": code, "text": TYPED}).status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    assert all(EXPIRED in _send(client, {"code": code, "text": TYPED}).get_data(as_text=True)
               for _ in range(2))
    wrong = [_send(client, {"code": generate_code(), "text": TYPED}).status_code
             for _ in range(3)]
    assert wrong == [400, 400, 429]


def test_throttled_followup_keeps_text(settings: Any, database: Any, session: Any) -> None:
    limited = settings.replace(rate_limit_receipt="1/hour",
                               rate_limit_secret="throttle-" + secrets.token_hex(24))
    app = create_app(limited, database)
    app.config["TESTING"] = True
    client = app.test_client()
    code = report_code(client)
    token = csrf_token(_case_page(client, code))
    assert open_receipt_page(client, generate_code()).status_code == 400  # the one guess
    refused = _send(client, {"code": code, "text": TYPED, "csrf_token": token})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True) and _kept(refused)
    _code_only_in_hidden_field(refused, code)
    assert _stored_followups(session) == []


def test_database_failure_keeps_text(public_client: Any, session: Any,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import intake.public.receipt as receipt

    code = report_code(public_client)
    token = csrf_token(_case_page(public_client, code))

    def outage(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("database is gone"))

    monkeypatch.setattr(receipt, "add_followup", outage)
    refused = _send(public_client, {"code": code, "text": TYPED, "csrf_token": token})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 503
    assert "Nothing was stored" in body and _kept(refused) and "Traceback" not in body
    _code_only_in_hidden_field(refused, code)


@pytest.mark.parametrize("body", [[1, 2], "text", {"code": "1", "text": "x"}])
def test_json_bodies_are_refused_without_a_500(public_client: Any, session: Any,
                                               body: Any) -> None:
    code = report_code(public_client)
    token = csrf_token(_case_page(public_client, code))
    response = public_client.post("/receipt/followup", json=body,
                                  headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert _stored_followups(session) == []


def test_code_form_with_a_stale_token_keeps_the_code_and_opens_nothing(
        public_client: Any, session: Any) -> None:
    """The receipt code form: an expired token gives the form back with the typed code."""
    code = report_code(public_client)
    refused = public_client.post("/receipt", data={"code": code, "csrf_token": "stale"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Your session expired before you sent the code" in page
    assert f'value="{code}"' in page
    assert "Reply" not in page and "receipt/followup" not in page  # nothing was opened
    assert code not in refused.headers.get("Set-Cookie", "")
    again = public_client.post("/receipt", data={"code": code,
                                                 "csrf_token": csrf_token(page)})
    assert again.status_code == 200


@pytest.mark.parametrize("token", [False, True])
@pytest.mark.parametrize("body", [[1, 2], "text", {"code": "1" * 30}])
def test_code_form_refuses_json_bodies_without_a_500(public_client: Any, body: Any,
                                                     token: bool) -> None:
    """Found by bench/fuzz.py: a JSON body on the code form must not reach the JSON parser."""
    headers = {"X-CSRFToken": csrf_token(public_client.get("/receipt")
                                         .get_data(as_text=True))} if token else {}
    response = public_client.post("/receipt", data="{'bad json", headers=headers,
                                  content_type="application/json")
    assert response.status_code == 400
    response = public_client.post("/receipt", json=body, headers=headers)
    assert response.status_code == 400
