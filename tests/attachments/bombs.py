"""Hostile images made by the tests: tiny files that declare huge pixel counts, and the
largest images the shipped limits still accept. Also runnable as a separate process
(`python -m tests.attachments.bombs generate DIR` / `measure MIME FILE`) so that neither
making a sample nor another test inflates the peak memory being measured."""

from __future__ import annotations

import functools
import io
import json
import os
import resource
import struct
import sys
import time
import zlib
from pathlib import Path

from PIL import Image

SHIPPED_PER_IMAGE = 50_000_000
SHIPPED_PER_REQUEST = 250_000_000


def orientation_exif(value: int = 6) -> bytes:
    """EXIF asking for a rotation, so cleaning also pays for the upright copy."""
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


@functools.cache
def webp_bomb(side: int = 8000) -> bytes:
    """The review's sample: a lossless WebP of about 2.5 KB that decodes to 64 Mpx RGBA."""
    out = io.BytesIO()
    Image.new("RGBA", (side, side)).save(out, "WEBP", lossless=True)
    return out.getvalue()


def _patched_jpeg(width: int, height: int) -> bytes:
    """A small valid JPEG whose SOF header is rewritten to claim width × height."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "grey").save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _patched_png(width: int, height: int) -> bytes:
    """A small valid PNG whose IHDR is rewritten (CRC fixed) to claim width × height."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "grey").save(out, "PNG")
    data = bytearray(out.getvalue())
    start = data.index(b"IHDR")
    data[start + 4:start + 12] = struct.pack(">II", width, height)
    data[start + 17:start + 21] = struct.pack(">I", zlib.crc32(bytes(data[start:start + 17])))
    return bytes(data)


def header_bombs() -> dict[str, tuple[str, bytes]]:
    """Files whose headers claim 81 Mpx (over our limit, under Pillow's own guard): if
    they were decoded before the check they would fail as damaged, not as too large."""
    return {"claims.jpg": ("image/jpeg", _patched_jpeg(9000, 9000)),
            "claims.png": ("image/png", _patched_png(9000, 9000))}


def generate(directory: Path) -> dict[str, str]:
    """Write the memory-test samples; returns name → MIME type."""
    directory.mkdir(parents=True, exist_ok=True)
    samples = {"webp-bomb.webp": "image/webp", "largest.jpg": "image/jpeg",
               "largest-noise.webp": "image/webp"}
    (directory / "webp-bomb.webp").write_bytes(webp_bomb())
    # The largest JPEG the shipped limit accepts, rotated: decoded, turned upright, encoded.
    Image.new("RGB", (7000, 7000), "grey").save(directory / "largest.jpg", "JPEG",
                                                exif=orientation_exif())
    # The largest WebP it accepts (8.3 Mpx), lossless noise: the costliest WebP to clean.
    side = 2880
    noise = Image.frombytes("RGBA", (side, side), os.urandom(side * side * 4))
    noise.save(directory / "largest-noise.webp", "WEBP", lossless=True, method=0, quality=0)
    return samples


def measure(mime: str, path: Path) -> dict[str, object]:
    """Clean one file with the shipped limits; peak resident memory growth in MiB."""
    from intake.attachments.budget import PixelBudget
    from intake.attachments.clean import UnreadableFile, clean

    data = path.read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        clean(mime, data, PixelBudget(SHIPPED_PER_IMAGE, SHIPPED_PER_REQUEST))
        result = "cleaned"
    except UnreadableFile as exc:
        result = exc.reason
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return {"result": result, "growth_mib": round(growth, 1),
            "seconds": round(time.perf_counter() - start, 2), "bytes": len(data)}


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        print(json.dumps(generate(Path(sys.argv[2]))))
    else:
        print(json.dumps(measure(sys.argv[2], Path(sys.argv[3]))))
