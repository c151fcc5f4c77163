"""Finding 5, from the attacker's side: a PDF that hides GPS photos, files, authors,
JavaScript and its /ID; after cleaning none of it can be read out of the file, and a part
we cannot clean is reported instead of being claimed clean."""

from __future__ import annotations

import io
import json
from typing import Any

import pikepdf
from pikepdf import Dictionary, Name
from sqlalchemy import select

from intake.attachments.budget import PixelBudget
from intake.attachments.clean import clean
from intake.models import Case, Item, Staff
from intake.services.credentials import unlock_private_key
from intake.services.reading import item_data_key, open_item
from tests.attachments.hostile_pdf import (
    CANARIES,
    document_id,
    everything_in,
    hostile_pdf,
    jpeg_images,
)
from tests.attachments.samples import CAMERA, gps_of, send_report


def _budget() -> PixelBudget:
    return PixelBudget(per_image=50_000_000, remaining=250_000_000)


def test_hostile_pdf_keeps_nothing_personal() -> None:
    original = hostile_pdf()
    before = everything_in(original)
    assert all(c.encode() in before for c in CANARIES)  # the sample hides what it claims
    assert any(gps_of(jpeg) for jpeg in jpeg_images(original))
    result = clean("application/pdf", original, _budget())
    assert result.complete
    after = everything_in(result.data)
    assert [c for c in CANARIES if c.encode() in after] == []
    for needle in (b"/JavaScript", b"/OpenAction", b"/AA", b"/EmbeddedFile", b"/Launch",
                   b"/FileAttachment", b"Exif"):
        assert needle not in after, needle
    images = jpeg_images(result.data)
    assert len(images) == 2  # the pictures are still there, drawn as before
    for jpeg in images:
        assert gps_of(jpeg) == {} and CAMERA.encode() not in jpeg
    with pikepdf.open(io.BytesIO(result.data)) as pdf:
        assert len(pdf.pages) == 1 and not pdf.attachments
        text, link = pdf.pages[0].obj.Annots  # the file attachment is gone
        assert str(text.Contents) == "see the photo" and "/T" not in text  # no author
        assert link.Subtype == Name.Link and "/A" not in link  # no Launch action


def test_pdf_gets_a_new_random_id() -> None:
    original = hostile_pdf()
    old = document_id(original)
    first = document_id(clean("application/pdf", original, _budget()).data)
    second = document_id(clean("application/pdf", original, _budget()).data)
    assert not set(first) & set(old)
    assert first != second  # random, not derived from the file


def _pdf_with_image(filters: Any, data: bytes) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    image = pikepdf.Stream(pdf, data)
    image.Type, image.Subtype, image.Width, image.Height = Name.XObject, Name.Image, 8, 8
    image.ColorSpace, image.BitsPerComponent, image.Filter = Name.DeviceRGB, 8, filters
    pdf.pages[0].obj.Resources = Dictionary(XObject=Dictionary(Im0=image))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_parts_that_cannot_be_cleaned_are_reported() -> None:
    jpx = _pdf_with_image(Name.JPXDecode, b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 64)
    broken = _pdf_with_image(Name.DCTDecode, b"\xff\xd8\xff\xe1 not really a jpeg")
    for sample in (jpx, broken):
        result = clean("application/pdf", sample, _budget())
        assert result.complete is False
        assert b"Canary" not in result.data


def test_reporter_told_when_a_pdf_is_not_completely_cleaned(
        public_client: Any, settings: Any, session: Any, reviewer: Any) -> None:
    jpx = _pdf_with_image(Name.JPXDecode, b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 64)
    response = send_report(public_client, [("scan.pdf", jpx), ("report.pdf", hostile_pdf())])
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "scan.pdf: NOT completely cleaned" in " ".join(html.split())
    assert "report.pdf: location and device data removed" in " ".join(html.split())
    staff = session.get(Staff, reviewer.id)
    key = unlock_private_key(settings, staff, reviewer.passphrase)
    metas = {}
    for item in session.scalars(select(Item).where(Item.kind == "attachment")):
        meta = json.loads(open_item(session, item, key, staff_id=reviewer.id))
        metas[meta["filename"]] = meta
        if meta["filename"] == "report.pdf":
            from intake.attachments import blobs

            stored = blobs.read_blob(settings.blob_dir, item.blob_name,
                                     item_data_key(session, item, key, staff_id=reviewer.id),
                                     item.id)
            assert [c for c in CANARIES if c.encode() in everything_in(stored)] == []
    assert metas["scan.pdf"]["complete"] is False and metas["scan.pdf"]["cleaned"] is True
    assert metas["report.pdf"]["complete"] is True



def test_reviewers_see_partial_cleaning_and_get_no_cleaned_copy(
        public_client: Any, review_client: Any, session: Any, settings: Any, reviewer: Any,
        login_as: Any) -> None:
    jpx = _pdf_with_image(Name.JPXDecode, b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 64)
    assert send_report(public_client, [("scan.pdf", jpx)]).status_code == 200
    assert send_report(public_client, [("kept.pdf", jpx)], metadata="keep").status_code == 200
    login_as(review_client, reviewer)
    pages = [" ".join(review_client.get(f"/cases/{case.reference}").get_data(as_text=True)
                      .split()) for case in session.scalars(select(Case))]
    assert sum("parts of this file could not be cleaned" in page for page in pages) == 1
    key = unlock_private_key(settings, session.get(Staff, reviewer.id), reviewer.passphrase)
    [kept] = [i for i in session.scalars(select(Item).where(Item.kind == "attachment"))
              if json.loads(open_item(session, i, key, staff_id=reviewer.id))["filename"]
              == "kept.pdf"]
    response = review_client.get(f"/files/{kept.id}?variant=cleaned")
    assert response.status_code == 422  # never handed out as a cleaned copy
    assert "could not be made" in response.get_data(as_text=True)
