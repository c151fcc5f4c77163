"""Type detection from content and in-memory metadata removal."""

from __future__ import annotations

import io

import pikepdf
import pytest
from PIL import Image

from intake.attachments.budget import PixelBudget
from intake.attachments.clean import UnreadableFile, clean
from intake.attachments.detect import detect, mislabelled
from tests.attachments.samples import CAMERA, gps_of, jpeg_with_gps, pdf_with_metadata, png_bomb


def _budget() -> PixelBudget:
    """The shipped per-image limit and request budget."""
    return PixelBudget(per_image=50_000_000, remaining=250_000_000)


def test_type_comes_from_content_not_name() -> None:
    jpeg = detect(jpeg_with_gps()[:8192])
    assert (jpeg.mime, jpeg.ext, jpeg.cleanable) == ("image/jpeg", "jpg", True)
    assert detect(pdf_with_metadata()[:8192]).mime == "application/pdf"
    assert detect(b"just some text").mime == "application/octet-stream"
    assert mislabelled("photo.JPG", detect(b"just some text"))
    assert not mislabelled("photo.jpg", detect(jpeg_with_gps()))
    assert not mislabelled("notes.txt", detect(b"just some text"))


def test_jpeg_loses_gps_and_camera_but_keeps_pixels_upright() -> None:
    original = jpeg_with_gps((64, 48))
    assert gps_of(original)
    cleaned = clean("image/jpeg", original, _budget()).data
    assert gps_of(cleaned) == {}
    assert CAMERA.encode() not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.size == (48, 64)  # orientation 6 applied, tag gone
        assert 0x0112 not in image.getexif()


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_lose_exif(fmt: str, mime: str) -> None:
    exif = Image.Exif()
    exif[0x0110] = CAMERA
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, fmt, exif=exif.tobytes())
    assert CAMERA.encode() in out.getvalue()
    assert CAMERA.encode() not in clean(mime, out.getvalue(), _budget()).data


def test_pdf_docinfo_and_xmp_removed() -> None:
    cleaned = clean("application/pdf", pdf_with_metadata(), _budget()).data
    with pikepdf.open(io.BytesIO(pdf_with_metadata())) as pdf:
        assert "/Author" in pdf.docinfo
        assert "/Metadata" in pdf.Root
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        assert "/Author" not in pdf.docinfo
        assert "/Metadata" not in pdf.Root
        assert len(pdf.pages) == 1


def test_bomb_truncated_and_garbage_are_refused() -> None:
    with pytest.raises(UnreadableFile) as bomb:
        clean("image/png", png_bomb(), _budget())
    assert bomb.value.reason == "bomb"
    with pytest.raises(UnreadableFile) as cut:
        clean("image/jpeg", jpeg_with_gps((400, 300))[:600], _budget())
    assert cut.value.reason == "damaged"
    with pytest.raises(UnreadableFile):
        clean("application/pdf", b"%PDF-1.7\n garbage", _budget())
