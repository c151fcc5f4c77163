"""Remove location and device metadata in memory: Pillow for images, pikepdf for PDF."""

from __future__ import annotations

from dataclasses import dataclass

from intake.attachments.budget import PixelBudget
from intake.attachments.errors import UnreadableFile
from intake.attachments.images import PIL_FORMATS, clean_image
from intake.attachments.pdf import clean_pdf

__all__ = ["Cleaned", "UnreadableFile", "clean"]


@dataclass(frozen=True)
class Cleaned:
    """The cleaned bytes; `complete` is False when some part could not be cleaned (and is
    in the copy as it was), which the reporter and the reviewers are told."""

    data: bytes
    complete: bool = True


def clean(mime: str, data: bytes, budget: PixelBudget) -> Cleaned:
    """A copy without EXIF, XMP, ICC or text chunks (images) or without what identifies
    the author, device or origin (PDF: see intake.attachments.pdf)."""
    if mime in PIL_FORMATS:
        return Cleaned(clean_image(data, PIL_FORMATS[mime], budget))
    if mime == "application/pdf":
        return Cleaned(*clean_pdf(data, budget))
    raise ValueError(f"cannot clean {mime}")
