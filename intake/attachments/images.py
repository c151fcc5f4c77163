"""Remove location and device data from JPEG, PNG and WebP: decode, re-encode bare.

Dimensions are charged to the request's pixel budget from the header, before a pixel is
decoded; the decoded image is not copied again except to rotate it upright.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from intake.attachments.budget import OverBudget, PixelBudget
from intake.attachments.errors import UnreadableFile

# Pillow's own guard stays on as a last line (an error past twice this); ours comes first.
Image.MAX_IMAGE_PIXELS = 128_000_000
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_KEEP_INFO = ("transparency",)  # how to draw the pixels, nothing about the device
# Memory per pixel while cleaning, relative to JPEG and PNG (up to 8 bytes per pixel):
# decoding a WebP through Pillow costs up to 20 bytes per pixel and libwebp's encoder as
# much again (measured, docs/performance.md), so a WebP pixel counts six times.
WEIGHT = {"JPEG": 1, "PNG": 1, "WEBP": 6}


def clean_image(data: bytes, fmt: str, budget: PixelBudget, *, upright: bool = True) -> bytes:
    """A copy without EXIF, XMP, ICC, comments or text chunks, same format.

    `upright` applies the EXIF orientation (photos); images inside a PDF are drawn as
    stored, so they keep their pixel order. UnreadableFile for bombs and damaged files.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                budget.take(*image.size, WEIGHT[fmt])
                image.load()
                lossless = bool(image.info.get("lossless"))
                if upright:
                    ImageOps.exif_transpose(image, in_place=True)
                image.info = {k: v for k, v in image.info.items() if k in _KEEP_INFO}
                return _encode(image, fmt, lossless)
        except OverBudget as exc:
            raise UnreadableFile("bomb" if exc.reason == "image" else "budget") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise UnreadableFile("bomb") from None
        except (OSError, SyntaxError, ValueError, EOFError, UnidentifiedImageError):
            raise UnreadableFile("damaged") from None


def _encode(image: Image.Image, fmt: str, lossless: bool) -> bytes:
    """Re-encode with no metadata: JPEG quality 95 and 4:4:4, WebP lossless if it was."""
    out = io.BytesIO()
    options: dict[str, object] = {}
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        options = {"quality": 95, "subsampling": 0}
    elif fmt == "WEBP":
        # Lossless at the least effort: same pixels, a fraction of the encoder time and memory.
        options = {"lossless": True, "method": 0, "quality": 0} if lossless else {"quality": 95}
    image.save(out, format=fmt, **options)
    return out.getvalue()
