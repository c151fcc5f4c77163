"""The safe copy: a PDF built here from pixels only, and the check that it is nothing more.

Each page is one JPEG image XObject drawn over the whole page; there is no text, no font,
no action, no annotation, no form, no embedded file and no JavaScript. `verify` is run on
every copy before it is stored (and by the tests on hostile samples).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf
from pikepdf import Dictionary, Name

from intake.convert.sandbox import Page

POINTS_PER_INCH = 72
ALLOWED_OPERATORS = {"q", "Q", "cm", "Do"}
ALLOWED_ROOT = {"/Type", "/Pages"}
ALLOWED_PAGE = {"/Type", "/Parent", "/MediaBox", "/Resources", "/Contents"}


class NotPixelOnly(ValueError):
    """The PDF holds something besides page images (never stored, never served)."""


def build(pages: Sequence[Page], dpi: int) -> bytes:
    """One page per rendered image, sized so it prints at the resolution it was drawn at."""
    pdf = pikepdf.new()
    for page in pages:
        width = page.width * POINTS_PER_INCH / dpi
        height = page.height * POINTS_PER_INCH / dpi
        image = pikepdf.Stream(pdf, page.jpeg, Type=Name.XObject, Subtype=Name.Image,
                               Width=page.width, Height=page.height,
                               ColorSpace=Name.DeviceRGB, BitsPerComponent=8,
                               Filter=Name.DCTDecode)
        content = pikepdf.Stream(pdf, f"q {width:.3f} 0 0 {height:.3f} 0 0 cm /Im0 Do Q"
                                 .encode())
        pdf.pages.append(pikepdf.Page(Dictionary(
            Type=Name.Page, MediaBox=[0, 0, width, height],
            Resources=Dictionary(XObject=Dictionary(Im0=image)), Contents=content)))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, fix_metadata_version=False)
    return out.getvalue()


def _check_page(page: pikepdf.Page) -> None:
    """Only an image XObject and a content stream of q/cm/Do/Q."""
    obj = page.obj
    extra = set(obj.keys()) - ALLOWED_PAGE
    if extra:
        raise NotPixelOnly(f"page keys {sorted(extra)}")
    resources = obj.get("/Resources", Dictionary())
    if set(resources.keys()) - {"/XObject"}:
        raise NotPixelOnly(f"resources {sorted(resources.keys())}")
    xobjects = resources.get("/XObject", Dictionary())
    for _name, xobject in xobjects.items():
        if xobject.get("/Subtype") != Name.Image:
            raise NotPixelOnly("a non-image XObject")
        if set(xobject.keys()) - {"/Type", "/Subtype", "/Width", "/Height", "/ColorSpace",
                                  "/BitsPerComponent", "/Filter", "/Length"}:
            raise NotPixelOnly("image with extra entries")
    for operands_operator in pikepdf.parse_content_stream(page):
        operator = str(operands_operator.operator)
        if operator not in ALLOWED_OPERATORS:
            raise NotPixelOnly(f"content operator {operator}")


def verify(data: bytes) -> int:
    """The number of pages, or NotPixelOnly if anything but page images is in the file."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        raise NotPixelOnly("not a PDF") from exc
    with pdf:
        extra = set(pdf.Root.keys()) - ALLOWED_ROOT
        if extra:
            raise NotPixelOnly(f"catalog keys {sorted(extra)}")
        if set(pdf.trailer.keys()) - {"/Root", "/Size", "/ID", "/Info"}:
            raise NotPixelOnly("trailer entries")
        for page in pdf.pages:
            _check_page(page)
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                kind = obj.get("/Subtype")
                if kind not in (None, Name.Image):
                    raise NotPixelOnly("a non-image stream")
        return len(pdf.pages)


def page_image(data: bytes, number: int) -> bytes:
    """The JPEG of page `number` (1-based) of a stored safe copy, for the inline preview."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if not 1 <= number <= len(pdf.pages):
            raise IndexError(number)
        xobjects = pdf.pages[number - 1].obj.Resources.XObject
        return bytes(xobjects["/Im0"].read_raw_bytes())
