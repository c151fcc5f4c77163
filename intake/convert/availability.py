"""What this installation can convert: bubblewrap that really starts, LibreOffice, PDFium,
Tesseract. Checked by the case page (feature shown unavailable) and by `intake doctor`."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from intake.convert.sandbox import CLEAN_ENV, sandbox_argv


@dataclass(frozen=True)
class Availability:
    """Each component, and whether safe copies can be made at all."""

    bwrap: bool
    prlimit: bool
    pdfium: bool
    libreoffice: bool
    tesseract: bool

    @property
    def usable(self) -> bool:
        """Safe copies need the sandbox and PDFium; LibreOffice only for Office documents."""
        return self.bwrap and self.prlimit and self.pdfium


def sandbox_starts() -> bool:
    """bubblewrap is installed and may create namespaces here (containers often forbid it)."""
    if shutil.which("bwrap") is None:
        return False
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"convert:x:0:0::/:/bin/false\n")
    os.close(write_fd)
    try:
        result = subprocess.run(sandbox_argv(["/bin/true"], read_fd), env=CLEAN_ENV,  # noqa: S603
                                capture_output=True, timeout=20, check=False,
                                pass_fds=(read_fd,))
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        os.close(read_fd)
    return result.returncode == 0


def check() -> Availability:
    """A fresh look at the installation (for `intake doctor`)."""
    return Availability(
        bwrap=sandbox_starts(),
        prlimit=shutil.which("prlimit") is not None,
        pdfium=importlib.util.find_spec("pypdfium2") is not None,
        libreoffice=shutil.which("soffice") is not None,
        tesseract=shutil.which("tesseract") is not None,
    )


@lru_cache(maxsize=1)
def cached() -> Availability:
    """Checked once per process (the packages do not appear or vanish while it runs)."""
    return check()
