"""Hostile documents through the sandbox: a pixel-only PDF (verified) or a clear refusal."""

from __future__ import annotations

import time

import pikepdf
import pytest

from intake.convert.pixelpdf import NotPixelOnly, build, verify
from intake.convert.sandbox import ConversionRefused, Limits, convert
from tests.convert import samples
from tests.convert.conftest import Listener, needs_office, needs_sandbox

LIMITS = Limits(max_pages=50, seconds=60, memory_mb=1536, dpi=72)


def _safe(data: bytes, limits: Limits = LIMITS) -> bytes:
    pdf = build(convert(data, limits), limits.dpi)
    verify(pdf)
    return pdf


def assert_pixels_only(pdf: bytes, pages: int) -> None:
    """Checked independently of `verify`: no script, action, file, font or text operator."""
    for marker in (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/URI", b"/Font",
                   b"/AA", b"/OpenAction", b"/Annots", b"/AcroForm", b"/Names",
                   samples.CANARY.encode()):
        assert marker not in pdf, marker
    with pikepdf.open(__import__("io").BytesIO(pdf)) as doc:
        assert len(doc.pages) == pages
        for page in doc.pages:
            operators = {str(op.operator) for op in pikepdf.parse_content_stream(page)}
            assert operators <= {"q", "Q", "cm", "Do"}, operators
            assert "BT" not in operators and "Tj" not in operators
            xobjects = list(page.obj.Resources.XObject.values())
            assert [x.Subtype for x in xobjects] == [pikepdf.Name.Image]
        streams = [o for o in doc.objects if isinstance(o, pikepdf.Stream)]
        assert all(o.get("/Subtype") in (None, pikepdf.Name.Image) for o in streams)


def test_verify_rejects_the_hostile_originals() -> None:
    """The verifier is not a rubber stamp: each sample as sent fails it."""
    for data in (samples.pdf_with_javascript_and_launch(1), samples.text_pdf(),
                 samples.pdf_zip_polyglot()):
        with pytest.raises(NotPixelOnly):
            verify(data)


@needs_sandbox
def test_pdf_with_javascript_launch_and_attachment(listener: Listener) -> None:
    pdf = _safe(samples.pdf_with_javascript_and_launch(listener.port))
    assert_pixels_only(pdf, 1)
    assert listener.connections == []


@needs_office
def test_office_macro_remote_template_and_remote_image(listener: Listener) -> None:
    """The macro never runs, the template and picture are never fetched from the host."""
    pdf = _safe(samples.docx([samples.CANARY, "second paragraph"], port=listener.port))
    assert_pixels_only(pdf, 1)
    time.sleep(0.5)
    assert listener.connections == []


@needs_sandbox
def test_pdf_zip_polyglot_keeps_only_the_pdf_pixels() -> None:
    pdf = _safe(samples.pdf_zip_polyglot())
    assert_pixels_only(pdf, 1)
    assert b"hidden.txt" not in pdf and b"PK\x05\x06" not in pdf


@needs_office
def test_zip_bomb_docx_is_refused_within_the_limits() -> None:
    limits = Limits(max_pages=50, seconds=20, memory_mb=1024, dpi=72)
    started = time.monotonic()
    with pytest.raises(ConversionRefused) as refused:
        convert(samples.zip_bomb_docx(), limits)
    assert refused.value.code in ("timeout", "too_large", "too_many_pages", "failed",
                                  "unreadable")
    assert time.monotonic() - started < limits.seconds + 10


@needs_sandbox
def test_five_thousand_pages_refused_before_rendering() -> None:
    started = time.monotonic()
    with pytest.raises(ConversionRefused) as refused:
        convert(samples.many_pages_pdf(5000), LIMITS)
    assert (refused.value.code, refused.value.count) == ("too_many_pages", 5000)
    assert time.monotonic() - started < 15


@needs_sandbox
@pytest.mark.parametrize(("data", "code"), [
    (samples.corrupted_pdf(), "unreadable"),
    (b"\x00\x01garbage" * 100, "unsupported"),
    (b"PK\x03\x04" + b"\x00" * 200, "unreadable"),
    (b"", "unsupported"),
])
def test_corrupted_or_unknown_files_are_refused(data: bytes, code: str) -> None:
    with pytest.raises(ConversionRefused) as refused:
        convert(data, LIMITS)
    assert refused.value.code == code


@needs_sandbox
def test_photo_becomes_one_page() -> None:
    assert_pixels_only(_safe(samples.photo()), 1)


@needs_sandbox
def test_wall_clock_limit_stops_the_sandbox() -> None:
    """A conversion over its time is killed and reported as such (here: too many pages for
    one second of rendering)."""
    with pytest.raises(ConversionRefused) as refused:
        convert(samples.text_pdf(pages=40), Limits(max_pages=50, seconds=1, memory_mb=1536,
                                                   dpi=300))
    assert refused.value.code == "timeout"
