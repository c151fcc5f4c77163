"""Progress of long operator commands, so services report it without knowing the terminal."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """One phase at a time: start with a total, advance, finish."""

    def start(self, label: str, total: int) -> None:
        """A new phase of `total` units (rows, blobs or bytes)."""

    def advance(self, n: int) -> None:
        """n more units done."""

    def finish(self) -> None:
        """The phase is over."""


class Silent:
    """Progress that shows nothing (tests, library use)."""

    def start(self, label: str, total: int) -> None:
        """Nothing to show."""

    def advance(self, n: int) -> None:
        """Nothing to show."""

    def finish(self) -> None:
        """Nothing to show."""
