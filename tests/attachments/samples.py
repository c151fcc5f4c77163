"""Sample files made in the test (never shipped binaries) and a tempfile-free multipart post."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
from PIL import Image
from werkzeug.test import encode_multipart

from tests.support.factories import csrf_token, report_fields

GPS_IFD = 0x8825
CAMERA = "CanaryCam-9000"


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG with GPS coordinates, a camera model and an orientation tag."""
    exif = Image.Exif()
    exif[0x0110] = CAMERA
    exif[0x0112] = 6
    exif[GPS_IFD] = {1: "N", 2: (42.0, 52.0, 10.0), 3: "E", 4: (74.0, 36.0, 5.0)}
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def gps_of(data: bytes) -> dict[int, Any]:
    """The GPS IFD of an image (empty when there is none)."""
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


def pdf_with_metadata() -> bytes:
    """A one-page PDF with an author in docinfo and a creator in XMP."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = "Canary Author"
    with pdf.open_metadata() as meta:
        meta["dc:creator"] = ["Canary Creator"]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def png_bomb() -> bytes:
    """A small PNG that claims far more pixels than Pillow is allowed to decode."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    return out.getvalue()


def post_multipart(client: Any, path: str, fields: dict[str, Any],
                   files: list[tuple[str, bytes]]) -> Any:
    """POST a multipart body built in memory (the test client would spool big bodies to a
    temporary file itself, which would hide what the server does)."""
    values: list[tuple[str, Any]] = []
    for name, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            values.append((name, v))
    from werkzeug.datastructures import FileStorage, MultiDict

    md: MultiDict[str, Any] = MultiDict(values)
    for filename, data in files:
        md.add("files", FileStorage(io.BytesIO(data), filename=filename,
                                    content_type="application/octet-stream"))
    boundary, body = encode_multipart(md)
    return client.post(path, data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def send_report(client: Any, files: list[tuple[str, bytes]], **overrides: Any) -> Any:
    """The report form with files, through a real CSRF token."""
    page = client.get("/")
    fields = report_fields(**overrides)
    fields["csrf_token"] = csrf_token(page.get_data(as_text=True))
    return post_multipart(client, "/", fields, files)
