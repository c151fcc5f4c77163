"""The converter that runs inside the sandbox: untrusted bytes on stdin, pixels on stdout.

Run only by `intake.convert.sandbox` (as `python -m intake_convert.worker` inside
bubblewrap, with no network and nothing of the host but the system and the interpreter).
It imports nothing of intake outside this package. A file never touches a real disk: only
LibreOffice needs a file, and it gets one on the sandbox's memory-backed /tmp.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from . import frames

OFFICE_TIMEOUT = 3600  # the app's wall-clock limit ends the whole sandbox long before
IMAGE_FORMATS = ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP"]


class Refused(Exception):
    """A refusal code for the app (it shows a translated message for each)."""


def office_suffix(data: bytes) -> str | None:
    """The extension LibreOffice should see for an Office/ODF/RTF file, or None."""
    if data.startswith(b"{\\rtf"):
        return ".rtf"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return ".doc"  # OLE2: LibreOffice detects Word, Excel or PowerPoint from the content
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mime = archive.read("mimetype")[:100]
                for kind, ext in ((b"text", ".odt"), (b"spreadsheet", ".ods"),
                                  (b"presentation", ".odp")):
                    if kind in mime:
                        return ext
            if "[Content_Types].xml" in names:
                for prefix, ext in (("word/", ".docx"), ("xl/", ".xlsx"), ("ppt/", ".pptx")):
                    if any(n.startswith(prefix) for n in names):
                        return ext
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        raise Refused("unreadable") from None
    return None


def office_to_pdf(data: bytes, suffix: str) -> bytes:
    """LibreOffice headless, on the sandbox's tmpfs only; macros never run in a conversion."""
    if shutil.which("soffice") is None:
        raise Refused("no_office")
    work = Path("/tmp/convert")  # noqa: S108 - the sandbox's own tmpfs  # nosec B108
    (work / "out").mkdir(parents=True, exist_ok=True)
    source = work / f"document{suffix}"
    source.write_bytes(data)
    command = ["soffice", "--headless", "--norestore", "--nologo", "--nolockcheck",
               "--nodefault", "-env:UserInstallation=file:///tmp/convert/profile",
               "--convert-to", "pdf", "--outdir", str(work / "out"), str(source)]
    result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # noqa: S603
                            stderr=subprocess.DEVNULL, timeout=OFFICE_TIMEOUT, check=False)
    produced = work / "out" / "document.pdf"
    source.unlink()
    if result.returncode != 0 or not produced.is_file():
        raise Refused("unreadable")
    pdf = produced.read_bytes()
    produced.unlink()
    return pdf


def pdf_pages(data: bytes, max_pages: int, dpi: int,
              max_side: int) -> Iterator[tuple[int, int, bytes]]:
    """Render each page with PDFium (no JavaScript, no forms), refusing too many pages."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        raise Refused("unreadable") from None
    count = len(document)
    if count == 0:
        raise Refused("unreadable")
    if count > max_pages:
        raise Refused(f"too_many_pages:{count}")
    for index in range(count):
        page = document[index]
        width, height = page.get_size()
        scale = min(dpi / 72, max_side / max(width, height, 1))
        image = page.render(scale=scale, may_draw_forms=False).to_pil().convert("RGB")
        yield image.width, image.height, image.tobytes()
        page.close()
    document.close()


def image_pages(data: bytes, max_pages: int, max_side: int,
                max_pixels: int) -> Iterator[tuple[int, int, bytes]]:
    """Decode an image (each frame of a multi-page TIFF or GIF) to RGB, scaled down."""
    from PIL import Image, ImageSequence

    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as picture:
            frames_count = getattr(picture, "n_frames", 1)
            if frames_count > max_pages:
                raise Refused(f"too_many_pages:{frames_count}")
            for frame in ImageSequence.Iterator(picture):
                rgb = frame.convert("RGB")
                rgb.thumbnail((max_side, max_side))
                yield rgb.width, rgb.height, rgb.tobytes()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("too_large") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise Refused("unreadable") from None


def is_image(data: bytes) -> bool:
    """Pillow recognises one of the image formats we render."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS):
            return True
    except Exception:  # noqa: BLE001 - anything Pillow cannot identify is simply not an image
        return False


def pages(data: bytes, args: argparse.Namespace) -> Iterator[tuple[int, int, bytes]]:
    """Pick the renderer from the content (never from a name the sender chose)."""
    if b"%PDF-" in data[:1024]:
        yield from pdf_pages(data, args.max_pages, args.dpi, args.max_side)
        return
    suffix = office_suffix(data)
    if suffix is not None:
        yield from pdf_pages(office_to_pdf(data, suffix), args.max_pages, args.dpi,
                             args.max_side)
        return
    if is_image(data):
        yield from image_pages(data, args.max_pages, args.max_side, args.max_pixels)
        return
    raise Refused("unsupported")


def run(stdin: BinaryIO, stdout: BinaryIO, argv: list[str]) -> int:
    """Convert what arrives on stdin; every outcome is one last frame on stdout."""
    parser = argparse.ArgumentParser(prog="intake_convert.worker")
    parser.add_argument("--max-pages", type=int, required=True)
    parser.add_argument("--dpi", type=int, required=True)
    parser.add_argument("--max-side", type=int, required=True)
    parser.add_argument("--max-pixels", type=int, required=True)
    args = parser.parse_args(argv)
    data = stdin.read()
    count = 0
    try:
        for width, height, rgb in pages(data, args):
            frames.write_page(stdout, width, height, rgb)
            count += 1
    except Refused as refusal:
        frames.write_error(stdout, str(refusal))
        return 0
    except MemoryError:
        frames.write_error(stdout, "too_large")
        return 0
    except Exception:  # noqa: BLE001 - a hostile file must end in a refusal, not a traceback
        frames.write_error(stdout, "unreadable")
        return 0
    frames.write_done(stdout, count)
    return 0


def main() -> int:
    """Keep the pixel pipe for frames only: anything a library prints goes to stderr."""
    pixels = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return run(sys.stdin.buffer, pixels, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
