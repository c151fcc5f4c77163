"""Why a file could not be opened or cleaned, shared by the image and PDF cleaners."""

from __future__ import annotations


class UnreadableFile(ValueError):
    """A file we cannot safely open: `reason` is 'bomb' (one image has too many pixels),
    'budget' (the request's images together have too many) or 'damaged'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
