"""The pipe protocol between the sandboxed worker and the app: pixels or a refusal code.

Only raw RGB pixels cross the boundary (no file format to parse on the app's side):
    b"P" + width:u32 + height:u32 + width*height*3 bytes   one page
    b"E" + length:u16 + ASCII code                          a refusal (last frame)
    b"D" + count:u32                                        done (last frame)
"""

from __future__ import annotations

import struct
from typing import BinaryIO

PAGE, ERROR, DONE = b"P", b"E", b"D"
MAX_CODE = 64


def write_page(out: BinaryIO, width: int, height: int, rgb: bytes) -> None:
    """One page of raw RGB pixels."""
    out.write(PAGE + struct.pack(">II", width, height))
    out.write(rgb)
    out.flush()


def write_error(out: BinaryIO, code: str) -> None:
    """A refusal the app translates (e.g. "too_many_pages:5000")."""
    raw = code.encode("ascii", "replace")[:MAX_CODE]
    out.write(ERROR + struct.pack(">H", len(raw)) + raw)
    out.flush()


def write_done(out: BinaryIO, count: int) -> None:
    """The end of a successful conversion."""
    out.write(DONE + struct.pack(">I", count))
    out.flush()
