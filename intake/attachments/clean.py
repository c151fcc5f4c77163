"""Remove location and device metadata in memory: Pillow for images, pikepdf for PDF."""

from __future__ import annotations

import io
import warnings

import pikepdf
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow refuses images over twice this many pixels and warns over it; we treat both as
# a decompression bomb. 64 Mpx covers any phone or camera photo.
Image.MAX_IMAGE_PIXELS = 64_000_000
_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


class UnreadableFile(ValueError):
    """A file we cannot safely open: `reason` is 'bomb' or 'damaged'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def clean(mime: str, data: bytes) -> bytes:
    """A copy without EXIF, XMP, ICC or text chunks (images) or docinfo and XMP (PDF)."""
    if mime in _PIL_FORMATS:
        return _clean_image(data, _PIL_FORMATS[mime])
    if mime == "application/pdf":
        return _clean_pdf(data)
    raise ValueError(f"cannot clean {mime}")


def _clean_image(data: bytes, fmt: str) -> bytes:
    """Decode fully (bombs and truncation show here), apply orientation, re-encode bare."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                bare = upright.copy()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise UnreadableFile("bomb") from None
        except (OSError, SyntaxError, ValueError, EOFError, UnidentifiedImageError):
            raise UnreadableFile("damaged") from None
    bare.info = {}
    out = io.BytesIO()
    options: dict[str, object] = {}
    if fmt == "JPEG":
        if bare.mode not in ("RGB", "L", "CMYK"):
            bare = bare.convert("RGB")
        options = {"quality": 95, "subsampling": 0}
    elif fmt == "WEBP":
        options = {"lossless": True} if image.info.get("lossless") else {"quality": 95}
    bare.save(out, format=fmt, **options)
    return out.getvalue()


def _clean_pdf(data: bytes) -> bytes:
    """Drop the document information dictionary and the XMP metadata stream."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            if "/Metadata" in pdf.Root:
                del pdf.Root["/Metadata"]
            for page in pdf.pages:
                if "/Metadata" in page.obj:
                    del page.obj["/Metadata"]
            out = io.BytesIO()
            pdf.save(out, fix_metadata_version=False)
            return out.getvalue()
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError, OSError):
        raise UnreadableFile("damaged") from None
