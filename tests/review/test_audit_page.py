"""The audit page (admins): newest first, paginated, local times; the log holds no secrets."""

from __future__ import annotations

import re

from sqlalchemy import select

from intake.models import AuditEvent, Staff
from intake.review.audit_views import PER_PAGE
from intake.services import audit
from tests.support.factories import csrf_token, submit_report


def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", html)]


def test_entries_newest_first_paginated_in_local_time(review_client, make_staff, login_as,
                                                      session):
    admin = make_staff("admin")
    staff = session.get(Staff, admin.id)
    staff.time_zone = "Asia/Bishkek"
    for i in range(PER_PAGE + 5):
        audit.record(session, staff, "case.view", target=f"REF{i:04d}")
    session.commit()
    login_as(review_client, admin)
    first = review_client.get("/audit").get_data(as_text=True)
    ids = _ids(first)
    assert len(ids) == PER_PAGE and ids == sorted(ids, reverse=True)
    assert ids[0] == PER_PAGE + 5 and f"REF{PER_PAGE + 4:04d}" in first
    assert admin.username in first and "case.view" in first and "+06" in first
    second = review_client.get("/audit?page=2").get_data(as_text=True)
    assert _ids(second) == list(range(5, 0, -1))
    for junk in ("abc", "-1", "0", "99999999999999"):
        response = review_client.get(f"/audit?page={junk}")
        assert response.status_code == 200 and _ids(response.get_data(as_text=True))


def test_the_log_never_holds_content_or_secrets(review_client, public_client, make_staff,
                                                login_as, session):
    canary = "CANARY-7f3a-reporter-text"
    member = make_staff("admin")
    assert submit_report(public_client, what=canary, place=canary).status_code == 200
    token = csrf_token(review_client.get("/login").get_data(as_text=True))
    review_client.post("/login", data={"csrf_token": token, "username": member.username,
                                       "passphrase": "a wrong passphrase " + canary})
    login_as(review_client, member)
    token = csrf_token(review_client.get("/account").get_data(as_text=True))
    review_client.post("/account/passphrase", data={
        "csrf_token": token, "old": member.passphrase, "new": "n" * 20 + canary,
        "confirm": "n" * 20 + canary})
    rows = session.scalars(select(AuditEvent)).all()
    assert {row.action for row in rows} >= {"login.failed", "account.passphrase"}
    dump = " ".join(f"{r.actor} {r.action} {r.target} {r.detail}" for r in rows)
    assert canary not in dump and member.passphrase not in dump
    assert audit.verify(session).ok
