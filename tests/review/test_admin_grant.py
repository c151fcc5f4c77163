"""Granting access to existing items in batches, and wrapping them to a new recovery key."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from intake.crypto import fingerprint, generate_keypair
from intake.models import Item, KeyWrap, RecoveryKey, Staff
from intake.services import grants
from intake.services.credentials import unlock_private_key
from intake.services.reading import open_item
from tests.support.factories import csrf_token, submit_report

PROGRESS_RE = re.compile(r"(\d+) of (\d+) items")


def _progress(response: Any) -> tuple[int, int]:
    match = PROGRESS_RE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return int(match.group(1)), int(match.group(2))


def _run(client: Any, url: str) -> list[tuple[int, int]]:
    """Press the button until done, as a person without JavaScript would."""
    seen = [_progress(client.get(url))]
    for _ in range(20):
        page = client.get(url).get_data(as_text=True)
        if 'type="submit">' not in page.split("<main", 1)[1]:
            break
        response = client.post(url, data={"csrf_token": csrf_token(page)})
        assert response.status_code == 200
        seen.append(_progress(response))
    return seen


def test_admin_grants_a_new_reviewer_access_in_batches(
        review_app, public_client, make_staff, login_as, session, settings, monkeypatch):
    monkeypatch.setattr(grants, "DEFAULT_BATCH", 2)
    admin = make_staff("admin")
    for n in range(3):
        assert submit_report(public_client, what=f"report {n}").status_code == 200
    items = session.scalar(select(func.count()).select_from(Item))
    newcomer = make_staff("reviewer")
    assert session.scalar(select(func.count()).select_from(KeyWrap).where(
        KeyWrap.staff_id == newcomer.id)) == 0

    client = review_app.test_client()
    login_as(client, admin)
    seen = _run(client, f"/admin/staff/{newcomer.id}/access")
    assert seen[0] == (0, items)
    assert seen[1] == (min(2, items), items)
    assert seen[-1] == (items, items)
    assert "Done" in client.get(f"/admin/staff/{newcomer.id}/access").get_data(as_text=True)

    session.expire_all()
    private = unlock_private_key(settings, session.get(Staff, newcomer.id), newcomer.passphrase)
    for item in session.scalars(select(Item).where(Item.ciphertext.is_not(None))):
        assert open_item(session, item, private, staff_id=newcomer.id)


def test_only_readers_can_be_granted(review_app, make_staff, login_as):
    client = review_app.test_client()
    login_as(client, make_staff("admin"))
    analyst = make_staff("analyst")
    assert client.get(f"/admin/staff/{analyst.id}/access").status_code == 404
    token = csrf_token(client.get("/admin/staff").get_data(as_text=True))
    assert client.post(f"/admin/staff/{analyst.id}/access",
                       data={"csrf_token": token}).status_code == 404
    assert client.get("/admin/staff/nobody/access").status_code == 404


def test_new_recovery_key_gets_existing_items(
        review_app, public_client, make_staff, login_as, session, monkeypatch):
    monkeypatch.setattr(grants, "DEFAULT_BATCH", 1)
    admin = make_staff("admin")
    assert submit_report(public_client).status_code == 200
    items = session.scalar(select(func.count()).select_from(Item))
    private_raw, public_raw = generate_keypair()
    key = RecoveryKey(public_key=public_raw, fingerprint=fingerprint(public_raw))
    session.add(key)
    session.commit()

    client = review_app.test_client()
    login_as(client, admin)
    status = client.get("/admin/recovery").get_data(as_text=True)
    assert key.fingerprint in status
    assert f"<td>{items}</td>" in status
    seen = _run(client, f"/admin/recovery/{key.id}/wrap")
    assert seen[-1] == (items, items) and len(seen) == items + 1
    assert "<td>0</td>" in client.get("/admin/recovery").get_data(as_text=True)
    session.expire_all()
    for item in session.scalars(select(Item).where(Item.ciphertext.is_not(None))):
        assert open_item(session, item, private_raw, recovery_key_id=key.id)


def test_recovery_page_says_when_there_is_no_key(review_client, make_staff, login_as):
    login_as(review_client, make_staff("admin"))
    page = review_client.get("/admin/recovery").get_data(as_text=True)
    assert "There is no recovery key" in page
