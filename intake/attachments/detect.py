"""File types from the content (magic bytes), never from the name or the client's header."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

import filetype

# Types whose location and device data we can remove (Pillow and pikepdf).
CLEANABLE = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
# What a name claims, mapped to the type it claims; used only to catch mislabelled files.
CLAIMED = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
           ".webp": "image/webp", ".pdf": "application/pdf"}
UNKNOWN = ("application/octet-stream", "bin")
_SAFE_EXT = re.compile(r"^[a-z0-9]{1,8}$")


@dataclass(frozen=True)
class FileType:
    """The detected MIME type, a safe extension and whether we can clean it."""

    mime: str
    ext: str

    @property
    def cleanable(self) -> bool:
        """JPEG, PNG, WebP and PDF only."""
        return self.mime in CLEANABLE


def detect(head: bytes) -> FileType:
    """Guess from the first bytes; anything unrecognised is a plain binary file."""
    kind = filetype.guess(bytes(head))
    if kind is None or not _SAFE_EXT.match(kind.extension or ""):
        return FileType(*UNKNOWN)
    return FileType(kind.mime, kind.extension)


def claimed_type(filename: str) -> str | None:
    """The cleanable type a file's name claims to be, if any."""
    return CLAIMED.get(PurePath(filename.replace("\\", "/")).suffix.lower())


def mislabelled(filename: str, detected: FileType) -> bool:
    """The name promises a type we would clean, but the content is something else."""
    claimed = claimed_type(filename)
    return claimed is not None and not detected.cleanable
