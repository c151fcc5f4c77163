"""The receipt page: replies for the right code only, follow-ups, throttling, no cookies."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from sqlalchemy import select

from intake.crypto import generate_code
from intake.models import Case, Item, Staff
from intake.public import create_app
from intake.services.credentials import unlock_private_key
from intake.services.reading import open_item
from tests.attachments.samples import gps_of, jpeg_with_gps, post_multipart
from tests.public.helpers import add_reply, only_case, open_receipt_page, report_code
from tests.support.factories import csrf_token

REPLY = "Thank you. A lawyer from our team will contact you through the channel you gave."
WRONG = "We could not open a report with this code"


@pytest.fixture
def reviewer(make_staff: Any, recovery_key: Any) -> Any:
    return make_staff("reviewer")


def test_reply_readable_with_right_code_and_no_other(public_client: Any, database: Any,
                                                     reviewer: Any) -> None:
    code = report_code(public_client)
    add_reply(database, REPLY, reviewer.id)
    right = open_receipt_page(public_client, code)
    assert right.status_code == 200
    html = right.get_data(as_text=True)
    assert REPLY in html
    assert "Nobody has read it yet" in html
    for other in (generate_code(), "12345", "not a code at all", code[:-1] + "x"):
        wrong = open_receipt_page(public_client, other)
        assert wrong.status_code == 400
        body = wrong.get_data(as_text=True)
        assert WRONG in body and REPLY not in body


def test_code_is_accepted_with_any_separators(public_client: Any, database: Any,
                                              reviewer: Any) -> None:
    code = report_code(public_client)
    add_reply(database, REPLY)
    assert REPLY in open_receipt_page(public_client, code.replace(" ", "-")).get_data(
        as_text=True)


def test_no_cookie_holds_the_code(public_client: Any, reviewer: Any) -> None:
    code = report_code(public_client)
    response = open_receipt_page(public_client, code)
    digits = code.replace(" ", "")
    for header in response.headers.getlist("Set-Cookie"):
        assert digits not in header.replace(" ", "")
    for cookie in public_client._cookies.values():
        assert digits not in cookie.value.replace(" ", "")


def _followup(client: Any, code: str, text: str, files: list[tuple[str, bytes]] = (),
              **extra: str) -> Any:
    page = open_receipt_page(client, code).get_data(as_text=True)
    fields = {"code": code, "text": text, "csrf_token": csrf_token(page), **extra}
    return post_multipart(client, "/receipt/followup", fields, list(files))


def test_followup_is_wrapped_to_staff_and_flags_the_case(public_client: Any, session: Any,
                                                         settings: Any, reviewer: Any) -> None:
    code = report_code(public_client)
    response = _followup(public_client, code, "They came back on Monday with a summons.")
    assert response.status_code == 200
    assert "Your information was received" in response.get_data(as_text=True)
    [item] = session.scalars(select(Item).where(Item.kind == "followup")).all()
    staff = session.get(Staff, reviewer.id)
    key = unlock_private_key(settings, staff, reviewer.passphrase)
    assert json.loads(open_item(session, item, key, staff_id=reviewer.id)) == {
        "v": 1, "text": "They came back on Monday with a summons."}
    assert only_case(session).unread_followup is True


def test_followup_with_photo_keeping_original(public_client: Any, session: Any, settings: Any,
                                             reviewer: Any) -> None:
    code = report_code(public_client)
    response = _followup(public_client, code, "", [("car.jpg", jpeg_with_gps())],
                         metadata="keep")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "kept unchanged, as you asked" in html
    [attachment] = session.scalars(select(Item).where(Item.kind == "attachment")).all()
    [followup] = session.scalars(select(Item).where(Item.kind == "followup")).all()
    assert attachment.parent_id == followup.id
    from intake.attachments import blobs
    from intake.services.reading import item_data_key

    key = unlock_private_key(settings, session.get(Staff, reviewer.id), reviewer.passphrase)
    data_key = item_data_key(session, attachment, key, staff_id=reviewer.id)
    assert gps_of(blobs.read_blob(settings.blob_dir, attachment.blob_name, data_key,
                                  attachment.id))


def test_empty_or_bad_followup_keeps_text_and_stores_nothing(public_client: Any, session: Any,
                                                            reviewer: Any) -> None:
    code = report_code(public_client)
    empty = _followup(public_client, code, "   ")
    assert empty.status_code == 400
    assert "Please write something or choose a file" in empty.get_data(as_text=True)
    bad = _followup(public_client, code, "See the attached photo.",
                    [("photo.jpg", b"not an image " * 20)])
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "See the attached photo." in html and "not the kind of file" in html
    assert session.scalars(select(Item).where(Item.kind != "report")).all() == []


def test_followup_with_wrong_code_stores_nothing(public_client: Any, session: Any,
                                                 reviewer: Any) -> None:
    report_code(public_client)
    token = csrf_token(public_client.get("/receipt").get_data(as_text=True))
    response = post_multipart(public_client, "/receipt/followup",
                              {"code": generate_code(), "text": "hello", "csrf_token": token},
                              [("a.txt", b"some bytes")])
    assert response.status_code == 400
    assert WRONG in response.get_data(as_text=True)
    assert session.scalars(select(Item).where(Item.kind != "report")).all() == []
    assert session.scalar(select(Case.unread_followup)) is False


def _limited_client(settings: Any, database: Any, **limits: str) -> Any:
    cfg = settings.replace(rate_limit_secret="throttle-" + secrets.token_hex(24), **limits)
    app = create_app(cfg, database)
    app.config["TESTING"] = True
    return app.test_client()


def test_guessing_is_throttled(settings: Any, database: Any, reviewer: Any) -> None:
    client = _limited_client(settings, database, rate_limit_receipt="3/hour")
    statuses = [open_receipt_page(client, generate_code()).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert "Too many attempts" in open_receipt_page(client, generate_code()).get_data(
        as_text=True)


def test_right_codes_never_spend_the_guess_budget(settings: Any, database: Any,
                                                  reviewer: Any) -> None:
    client = _limited_client(settings, database, rate_limit_receipt="2/hour")
    code = report_code(client)
    assert [open_receipt_page(client, code).status_code for _ in range(5)] == [200] * 5
    assert [open_receipt_page(client, "not a code").status_code for _ in range(3)] \
        == [400, 400, 429]


def test_a_site_wide_ceiling_on_wrong_codes_is_the_last_line(
        settings: Any, database: Any, reviewer: Any) -> None:
    cfg = settings.replace(rate_limit_secret="throttle-" + secrets.token_hex(24),
                           rate_limit_receipt="100/hour", rate_limit_receipt_site="3/hour")
    app = create_app(cfg, database)
    app.config["TESTING"] = True
    clients = []
    for n in range(4):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
        clients.append(client)
    code = report_code(clients[0])
    assert [open_receipt_page(c, generate_code()).status_code for c in clients[:3]] \
        == [400, 400, 400]
    assert open_receipt_page(clients[3], generate_code()).status_code == 429
    assert open_receipt_page(clients[3], code).status_code == 429


def test_every_receipt_request_costs_exactly_one_derivation(
        public_client: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import intake.services.followups as followups

    code = report_code(public_client)
    calls: list[str] = []
    real = followups.derive_receipt_keys

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append("x")
        return real(*args, **kwargs)

    monkeypatch.setattr(followups, "derive_receipt_keys", counting)
    for attempt in (code, generate_code(), "not a code", "9" * 300, ""):
        token = csrf_token(public_client.get("/receipt").get_data(as_text=True))
        before = len(calls)
        public_client.post("/receipt", data={"code": attempt, "csrf_token": token})
        assert len(calls) - before == (1 if attempt else 0)
    before = len(calls)
    _followup(public_client, code, "   ")  # refused input: the page comes from one derivation
    assert len(calls) - before == 2  # one for the receipt page GET-by-POST, one for the send
