"""Helpers for the receipt tests: a report with its code, and a staff reply to the reporter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from intake.models import Case, Item, hour_floor, new_id
from intake.payloads import TextPayload
from intake.services.keyring import Recipient, current_recipients, seal_item
from tests.support.factories import csrf_token, receipt_code, submit_report


def report_code(client: Any) -> str:
    """Submit a report and return its receipt code."""
    response = submit_report(client)
    assert response.status_code == 200
    return receipt_code(response.get_data(as_text=True))


def only_case(session: Any) -> Case:
    [case] = session.scalars(select(Case)).all()
    return case


def add_reply(database: Any, text: str, staff_id: str | None = None) -> None:
    """A staff reply as the reply feature stores it: to staff and to the reporter's key."""
    with database.transaction() as s:
        case = only_case(s)
        item = Item(id=new_id(), case_id=case.id, kind="reply", created_at=hour_floor(),
                    author_id=staff_id)
        recipients = current_recipients(s) + [
            Recipient(public_key=case.reply_public_key, for_reporter=True)]
        seal_item(s, item, TextPayload(text).encode(), recipients)


def open_receipt_page(client: Any, code: str) -> Any:
    """GET the code form and POST the code with its CSRF token."""
    token = csrf_token(client.get("/receipt").get_data(as_text=True))
    return client.post("/receipt", data={"code": code, "csrf_token": token})
