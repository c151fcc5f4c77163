"""Reviewer downloads: original as stored, cleaned copy on the fly, tamper detection, audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from intake.models import AuditEvent, Item
from tests.attachments.samples import gps_of, jpeg_with_gps, send_report
from tests.support.factories import csrf_token, receipt_code
from tests.support.files import download_original


def _photo_case(public_client: Any, session: Any, keep: bool = True) -> Item:
    response = send_report(public_client, [("IMG_0042.jpeg", jpeg_with_gps())],
                           metadata="keep" if keep else "remove")
    receipt_code(response.get_data(as_text=True))
    [item] = session.scalars(select(Item).where(Item.kind == "attachment")).all()
    return item


def test_original_has_gps_cleaned_copy_does_not(public_client: Any, review_client: Any,
                                               session: Any, reviewer: Any,
                                               login_as: Any) -> None:
    item = _photo_case(public_client, session)
    login_as(review_client, reviewer)
    original = download_original(review_client, item.id)
    assert original.status_code == 200
    assert original.data == jpeg_with_gps()
    assert gps_of(original.data)
    cleaned = download_original(review_client, item.id, "cleaned")
    assert cleaned.status_code == 200
    assert gps_of(cleaned.data) == {}
    for response in (original, cleaned):
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "IMG_0042" not in disposition
        assert disposition.endswith('-1.jpg"')
    actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("attachment.download") == 2
    details = " ".join(session.scalars(select(AuditEvent.detail)).all())
    assert "IMG_0042" not in details


def test_tampered_blob_gives_clear_error(public_client: Any, review_client: Any, session: Any,
                                         settings: Any, reviewer: Any, login_as: Any) -> None:
    item = _photo_case(public_client, session)
    path = settings.blob_dir / item.blob_name
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    login_as(review_client, reviewer)
    response = download_original(review_client, item.id)
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("text/html")
    assert "failed its integrity check" in response.get_data(as_text=True)
    assert "attachment.integrity_failure" in session.scalars(select(AuditEvent.action)).all()


def test_downloads_need_a_reader_role(public_client: Any, review_client: Any, session: Any,
                                      make_staff: Any, reviewer: Any, login_as: Any) -> None:
    item = _photo_case(public_client, session)
    assert download_original(review_client, item.id).status_code == 302
    login_as(review_client, make_staff("analyst"))
    assert download_original(review_client, item.id).status_code == 403


def test_unknown_item_and_uncleanable_type(public_client: Any, review_client: Any,
                                           session: Any, reviewer: Any, login_as: Any) -> None:
    send_report(public_client, [("notes.txt", b"plain words")])
    [item] = session.scalars(select(Item).where(Item.kind == "attachment")).all()
    login_as(review_client, reviewer)
    assert review_client.get("/files/00000000-0000-4000-8000-000000000000").status_code == 404
    response = download_original(review_client, item.id, "cleaned")
    assert response.status_code == 400
    ok = download_original(review_client, item.id)
    assert ok.data == b"plain words"
    assert ok.headers["Content-Disposition"].endswith('-1.bin"')


def test_case_page_partial_lists_files(review_app: Any, public_client: Any, session: Any,
                                       settings: Any, reviewer: Any) -> None:
    from flask import render_template

    from intake.models import Case, Staff
    from intake.payloads import AttachmentMeta
    from intake.services.cases import AttachmentEntry
    from intake.services.credentials import unlock_private_key
    from intake.services.reading import open_item

    item = _photo_case(public_client, session)
    key = unlock_private_key(settings, session.get(Staff, reviewer.id), reviewer.passphrase)
    meta = AttachmentMeta.decode(open_item(session, item, key, staff_id=reviewer.id))
    case = session.scalars(select(Case)).one()
    with review_app.test_request_context():
        html = render_template("review/_files.html", case=case,
                               files=[AttachmentEntry(item.id, item.parent_id, meta)])
    assert "IMG_0042.jpeg" in html
    assert f"/files/{item.id}?variant=cleaned" in html
    assert meta.sha256 in html


def test_tampering_after_verification_cuts_the_stream(public_client: Any, review_client: Any,
                                                      session: Any, settings: Any,
                                                      reviewer: Any, login_as: Any,
                                                      monkeypatch: Any) -> None:
    import pytest

    import intake.services.downloads as downloads
    from intake.crypto import DecryptionError

    send_report(public_client, [("big.bin", bytes(range(256)) * 12288)])
    [item] = session.scalars(select(Item).where(Item.kind == "attachment")).all()
    path = settings.blob_dir / item.blob_name
    raw = bytearray(path.read_bytes())
    raw[-40] ^= 0x01  # damage the last segment: earlier segments still authenticate
    path.write_bytes(bytes(raw))
    monkeypatch.setattr(downloads, "verify_blob", lambda *_a: None)  # the race window
    login_as(review_client, reviewer)
    page = review_client.get(f"/files/{item.id}")
    response = review_client.post(f"/files/{item.id}", buffered=False, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "offline": "y"})
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == 256 * 12288
    with pytest.raises(DecryptionError):
        b"".join(response.response)


def test_case_page_lists_the_files_it_can_open(public_client: Any, review_client: Any,
                                               session: Any, reviewer: Any,
                                               login_as: Any) -> None:
    from intake.models import Case

    item = _photo_case(public_client, session, keep=False)
    case = session.scalars(select(Case)).one()
    login_as(review_client, reviewer)
    html = review_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "IMG_0042.jpeg" in html
    assert f"/files/{item.id}" in html
    assert "the stored copy is cleaned" in html


def test_original_only_after_confirming_offline(public_client: Any, review_client: Any,
                                                session: Any, reviewer: Any,
                                                login_as: Any) -> None:
    """A link, a GET or a POST without the box ticked never sends the reporter's bytes."""
    item = _photo_case(public_client, session)
    login_as(review_client, reviewer)
    page = review_client.get(f"/files/{item.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert jpeg_with_gps() not in page.data
    assert "not connected to any network" in html
    token = csrf_token(html)
    for data in ({"csrf_token": token}, {"csrf_token": token, "offline": ""},
                 {"offline": "y"}):
        refused = review_client.post(f"/files/{item.id}", data=data)
        assert refused.status_code == 400
        assert jpeg_with_gps() not in refused.data
        if "csrf_token" in data:  # the page again, with the reason (no token: the CSRF page)
            assert "Please confirm that you will open" in refused.get_data(as_text=True)
    assert "attachment.download" not in session.scalars(select(AuditEvent.action)).all()
    sent = download_original(review_client, item.id)
    assert sent.data == jpeg_with_gps()
    [detail] = session.scalars(select(AuditEvent.detail).where(
        AuditEvent.action == "attachment.download")).all()
    assert "offline machine" in detail
