"""The review app's "View safely": previews and a safe PDF from the sandbox, never the
original's bytes; hostile files end in a pixel-only copy or a clear refusal, never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from intake.convert.pixelpdf import verify
from intake.models import AuditEvent, Item, KeyWrap
from tests.attachments.samples import send_report
from tests.convert import samples
from tests.convert.conftest import needs_office, needs_sandbox
from tests.convert.test_hostile import assert_pixels_only
from tests.support.canary import files_under, hits, read_files
from tests.support.factories import csrf_token


@pytest.fixture
def reviewer(make_staff: Any, recovery_key: Any) -> Any:
    """A reviewer (and the recovery key), so reports are accepted."""
    return make_staff("reviewer")


def _attachment(public_client: Any, session: Any, name: str, data: bytes) -> Item:
    response = send_report(public_client, [(name, data)], metadata="keep")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    [item] = session.scalars(select(Item).where(Item.kind == "attachment")).all()
    return item


def _make(client: Any, item_id: str) -> Any:
    page = client.get(f"/files/{item_id}/safe")
    assert page.status_code == 200
    return client.post(f"/files/{item_id}/safe",
                       data={"csrf_token": csrf_token(page.get_data(as_text=True))})


@needs_sandbox
def test_view_safely_shows_previews_and_the_safe_pdf(public_client: Any, review_client: Any,
                                                     session: Any, reviewer: Any,
                                                     login_as: Any, settings: Any) -> None:
    original = samples.pdf_with_javascript_and_launch(9)
    item = _attachment(public_client, session, "leaflet.pdf", original)
    login_as(review_client, reviewer)
    made = _make(review_client, item.id)
    assert made.status_code == 303
    page = review_client.get(f"/files/{item.id}/safe")
    html = page.get_data(as_text=True)
    assert f"/files/{item.id}/safe/pages/1.jpg" in html
    assert f"/files/{item.id}/safe.pdf" in html
    preview = review_client.get(f"/files/{item.id}/safe/pages/1.jpg")
    assert preview.status_code == 200
    assert preview.headers["Content-Type"] == "image/jpeg"
    assert preview.headers["X-Content-Type-Options"] == "nosniff"
    assert preview.data.startswith(b"\xff\xd8") and preview.data != original
    assert review_client.get(f"/files/{item.id}/safe/pages/2.jpg").status_code == 404
    pdf = review_client.get(f"/files/{item.id}/safe.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Disposition"].endswith('-1-safe.pdf"')
    assert "leaflet" not in pdf.headers["Content-Disposition"]
    assert_pixels_only(pdf.data, 1)
    verify(pdf.data)
    assert original not in pdf.data and samples.CANARY.encode() not in pdf.data
    actions = session.scalars(select(AuditEvent.action)).all()
    for action in ("attachment.safe_copy", "attachment.safe_view", "attachment.safe_download"):
        assert action in actions
    assert "attachment.download" not in actions  # the original was never sent


@needs_sandbox
def test_safe_copy_is_an_encrypted_item_bound_to_the_attachment(
        public_client: Any, review_client: Any, session: Any, reviewer: Any,
        login_as: Any, settings: Any, make_staff: Any) -> None:
    """A fresh data key wrapped to the attachment's readers only; ciphertext on disk."""
    item = _attachment(public_client, session, "photo.jpg", samples.photo())
    later = make_staff("reviewer")  # became a reader after the report: holds no wrap
    login_as(review_client, reviewer)
    token = csrf_token(review_client.get(f"/files/{item.id}/safe").get_data(as_text=True))
    for _twice in range(2):  # made once, then found
        made = review_client.post(f"/files/{item.id}/safe", data={"csrf_token": token})
        assert made.status_code == 303
    [copy] = session.scalars(select(Item).where(Item.kind == "safe_copy")).all()
    assert (copy.case_id, copy.parent_id, copy.format_version) == (item.case_id, item.id, 2)
    holders = set(session.scalars(select(KeyWrap.staff_id).where(KeyWrap.item_id == copy.id)))
    original_holders = set(session.scalars(select(KeyWrap.staff_id).where(
        KeyWrap.item_id == item.id, KeyWrap.for_reporter.is_(False))))
    assert holders == original_holders and later.id not in holders
    original_wraps = set(session.scalars(select(KeyWrap.wrapped).where(
        KeyWrap.item_id == item.id)))
    assert not original_wraps & set(session.scalars(select(KeyWrap.wrapped).where(
        KeyWrap.item_id == copy.id)))
    blob = (settings.blob_dir / copy.blob_name).read_bytes()
    assert b"%PDF" not in blob and b"\xff\xd8\xff" not in blob
    login_as(review_client, later)
    assert review_client.get(f"/files/{item.id}/safe.pdf").status_code == 403  # no wrap


HOSTILE = [
    ("javascript.pdf", lambda: samples.pdf_with_javascript_and_launch(9), None),
    ("polyglot.pdf", samples.pdf_zip_polyglot, None),
    ("pages.pdf", lambda: samples.many_pages_pdf(5000), "5000 pages"),
    ("broken.docx", lambda: samples.docx(["x"])[:300], "could not be converted"),
    ("notes.bin", lambda: b"plain words " * 10, "none of these"),
]


@needs_sandbox
@pytest.mark.parametrize(("name", "make", "refusal"), HOSTILE)
def test_hostile_uploads_give_a_safe_copy_or_a_clear_refusal(
        public_client: Any, review_client: Any, session: Any, reviewer: Any, login_as: Any,
        name: str, make: Any, refusal: str | None) -> None:
    item = _attachment(public_client, session, name, make())
    login_as(review_client, reviewer)
    response = _make(review_client, item.id)
    if refusal is None:
        assert response.status_code == 303
        assert_pixels_only(review_client.get(f"/files/{item.id}/safe.pdf").data, 1)
        return
    assert response.status_code == 422
    assert refusal in response.get_data(as_text=True)
    assert "attachment.safe_copy_refused" in session.scalars(select(AuditEvent.action)).all()
    assert not session.scalars(select(Item).where(Item.kind == "safe_copy")).all()


@needs_office
@pytest.mark.parametrize(("name", "make", "ok"), [
    ("macro.docm", lambda: samples.docx([samples.CANARY], port=9), True),
    ("bomb.docx", samples.zip_bomb_docx, False),
])
def test_hostile_office_uploads(public_client: Any, review_client: Any, session: Any,
                                reviewer: Any, login_as: Any,
                                name: str, make: Any, ok: bool) -> None:
    item = _attachment(public_client, session, name, make())
    login_as(review_client, reviewer)
    response = _make(review_client, item.id)
    assert response.status_code == (303 if ok else 422)
    if ok:
        assert_pixels_only(review_client.get(f"/files/{item.id}/safe.pdf").data, 1)


def test_unavailable_sandbox_is_said_and_nothing_is_converted(
        public_client: Any, review_client: Any, session: Any, reviewer: Any,
        login_as: Any, monkeypatch: Any) -> None:
    from intake.convert import availability
    from intake.services import safe_copies

    monkeypatch.setattr(availability, "cached", lambda: availability.Availability(
        bwrap=False, prlimit=True, pdfium=True, libreoffice=True, tesseract=False))

    def never(*_args: Any) -> None:
        raise AssertionError("converted without the sandbox")

    monkeypatch.setattr(safe_copies, "convert", never)
    item = _attachment(public_client, session, "photo.jpg", samples.photo())
    login_as(review_client, reviewer)
    page = review_client.get(f"/files/{item.id}/safe")
    assert "cannot be made on this server" in page.get_data(as_text=True)
    assert "Make a safe copy" not in page.get_data(as_text=True)
    token = csrf_token(review_client.get(f"/files/{item.id}").get_data(as_text=True))
    response = review_client.post(f"/files/{item.id}/safe", data={"csrf_token": token})
    assert response.status_code == 422
    assert "cannot be made on this server" in response.get_data(as_text=True)
    assert not session.scalars(select(Item).where(Item.kind == "safe_copy")).all()


@needs_office
def test_no_plaintext_of_the_document_in_the_data_dir(public_client: Any, review_client: Any,
                                                       session: Any, reviewer: Any,
                                                       login_as: Any, settings: Any) -> None:
    """After upload and conversion: database, blobs and logs hold no plaintext of it."""
    rtf = ("{\\rtf1\\ansi " + samples.CANARY + "\\par}").encode()
    item = _attachment(public_client, session, "letter.rtf", rtf)
    login_as(review_client, reviewer)
    assert _make(review_client, item.id).status_code == 303
    pdf = review_client.get(f"/files/{item.id}/safe.pdf").data
    assert_pixels_only(pdf, 1)
    tokens = [samples.CANARY, rtf.decode()[:24]]
    assert hits(tokens, read_files(files_under(settings.data_dir))) == []
