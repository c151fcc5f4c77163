"""How much decoding one request and one process may do: pixel limits and cleaning slots.

A file of a few kilobytes can declare billions of pixels, and decoded pixels cost memory
(about 4 bytes each, more while re-encoding). So dimensions are checked from the header
before anything is decoded, each request has a pixel budget, and each process runs at most
`cleaning_slots` cleanings at once; together they bound a worker's memory whatever arrives.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# How long a request waits for a free cleaning slot before it is told to try again.
SLOT_WAIT_SECONDS = 30.0


class OverBudget(ValueError):
    """Decoding would pass a limit: `reason` is 'image' (one image) or 'request' (all)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CleanerBusy(RuntimeError):
    """Every cleaning slot of this process stayed taken for SLOT_WAIT_SECONDS."""


@dataclass
class PixelBudget:
    """Pixels one request may still decode; per image at most `per_image`."""

    per_image: int
    remaining: int

    @classmethod
    def unlimited(cls) -> PixelBudget:
        """For callers that bound memory otherwise (tests of the cleaner alone)."""
        return cls(per_image=1 << 62, remaining=1 << 62)

    def take(self, width: int, height: int, weight: int = 1) -> None:
        """Charge one image's declared pixels (times the format's memory weight) before it
        is decoded; OverBudget if it is over the per-image limit or the request's rest."""
        pixels = max(width, 0) * max(height, 0) * weight
        if pixels > self.per_image:
            raise OverBudget("image")
        if pixels > self.remaining:
            raise OverBudget("request")
        self.remaining -= pixels


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _semaphore(size: int) -> threading.BoundedSemaphore:
    """One semaphore per process (per configured size), shared by every thread."""
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(max(size, 1))
        return _slots[size]


@contextmanager
def cleaning_slot(size: int, wait: float | None = None) -> Iterator[None]:
    """Hold one of this process's `size` cleaning slots; CleanerBusy if none frees in time
    (`wait` seconds, SLOT_WAIT_SECONDS by default)."""
    semaphore = _semaphore(size)
    if not semaphore.acquire(timeout=SLOT_WAIT_SECONDS if wait is None else wait):
        raise CleanerBusy()
    try:
        yield
    finally:
        semaphore.release()
