"""Run the converter in bubblewrap: no network, nothing of the host but the system files and
the interpreter, memory-backed scratch space, CPU, memory, file-size and wall-clock limits.

Decrypted bytes go in through a pipe and raw pixels come out through a pipe; there is no
code path that converts without the sandbox (see `intake doctor`).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image

from intake.convert import frames

PACKAGE_DIR = Path(__file__).resolve().parent
INSIDE = "/sandbox"  # where this package appears inside the sandbox, as intake_convert
SCRATCH_HOME = "/home/convert"
SYSTEM_BINDS = ("/usr", "/etc/fonts", "/etc/libreoffice", "/var/lib/libreoffice")
JPEG_QUALITY = 85
MB = 1024 * 1024


class ConversionRefused(Exception):
    """The document was not converted; `code` says why (the view translates it)."""

    def __init__(self, code: str, count: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.count = count


@dataclass(frozen=True)
class Limits:
    """What one conversion may use; from settings (convert_*)."""

    max_pages: int
    seconds: int
    memory_mb: int
    dpi: int = 150
    max_side: int = 2400

    @property
    def max_pixels(self) -> int:
        """A decoded image larger than this is refused before it is decoded."""
        return 40 * 1000 * 1000


@dataclass(frozen=True)
class Page:
    """One rendered page: its size in pixels and its pixels as JPEG (made outside)."""

    width: int
    height: int
    jpeg: bytes


def _passwd() -> bytes:
    """A one-line user database: LibreOffice looks its user up, the host's list stays out."""
    return f"convert:x:{os.getuid()}:{os.getgid()}::{SCRATCH_HOME}:/bin/false\n".encode()


def sandbox_argv(command: list[str], passwd_fd: int) -> list[str]:
    """bubblewrap around a command: new namespaces (no network), read-only system, tmpfs."""
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL"]
    for path in SYSTEM_BINDS:
        argv += ["--ro-bind-try", path, path]
    for link in ("lib", "lib64", "bin", "sbin"):
        if Path(f"/{link}").is_symlink():
            argv += ["--symlink", f"usr/{link}", f"/{link}"]
        else:
            argv += ["--ro-bind-try", f"/{link}", f"/{link}"]
    # The scratch tmpfs first: a later bind lands on top of it, so an interpreter or a
    # checkout that lives under /tmp (a CI clone) is still visible inside.
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",  # noqa: S108 - sandbox tmpfs  # nosec B108
             "--tmpfs", SCRATCH_HOME]
    for prefix in sorted({sys.base_prefix, sys.prefix}):
        if not prefix.startswith("/usr"):
            argv += ["--ro-bind", prefix, prefix]
    argv += ["--ro-bind", str(PACKAGE_DIR), f"{INSIDE}/intake_convert",
             "--ro-bind-data", str(passwd_fd), "/etc/passwd",
             "--setenv", "HOME", SCRATCH_HOME, "--chdir", INSIDE, "--remount-ro", "/"]
    return [*argv, *command]


def limit_argv(limits: Limits) -> list[str]:
    """prlimit: CPU seconds, address space, largest file (the tmpfs), open files."""
    memory = limits.memory_mb * MB
    return ["prlimit", f"--cpu={limits.seconds}", f"--as={memory}", f"--fsize={memory}",
            "--nofile=256", "--core=0", "--"]


def worker_command(limits: Limits, python: str | None = None) -> list[str]:
    """The worker module run by the venv's interpreter, ignoring environment and user site."""
    return [python or sys.executable, "-E", "-s", "-B", "-m", "intake_convert.worker",
            "--max-pages", str(limits.max_pages), "--dpi", str(limits.dpi),
            "--max-side", str(limits.max_side), "--max-pixels", str(limits.max_pixels)]


CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def start(command: list[str], limits: Limits) -> subprocess.Popen[bytes]:
    """Start a command in the sandbox under the limits, with pipes and an empty environment
    (the app's secrets may be in its environment; none of it goes in)."""
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, _passwd())
    finally:
        os.close(write_fd)
    try:
        return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            limit_argv(limits) + sandbox_argv(command, read_fd), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=CLEAN_ENV,
            pass_fds=(read_fd,), start_new_session=True)
    finally:
        os.close(read_fd)


def convert(data: bytes, limits: Limits) -> list[Page]:
    """Pages of a document rendered in the sandbox; ConversionRefused otherwise."""
    if shutil.which("bwrap") is None or shutil.which("prlimit") is None:
        raise ConversionRefused("unavailable")
    return collect(start(worker_command(limits), limits), data, limits)


def collect(proc: subprocess.Popen[bytes], data: bytes, limits: Limits) -> list[Page]:
    """Feed the converter, read frames under a wall-clock limit, always reap it."""
    expired = threading.Event()

    def stop() -> None:
        expired.set()
        proc.kill()

    timer = threading.Timer(limits.seconds, stop)
    feeder = threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True)
    timer.start()
    feeder.start()
    try:
        assert proc.stdout is not None
        return list(_read_pages(proc.stdout, limits))
    except ConversionRefused as refusal:
        if expired.is_set():
            raise ConversionRefused("timeout") from None
        raise refusal from None
    finally:
        timer.cancel()
        proc.kill()
        proc.wait()
        feeder.join(timeout=5)


def _feed(pipe: IO[bytes] | None, data: bytes) -> None:
    """Write the document to the worker's stdin; it may stop reading (refused, killed)."""
    if pipe is None:
        return
    try:
        pipe.write(data)
    except (BrokenPipeError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError):
            pipe.close()


def _exactly(stream: IO[bytes], size: int) -> bytes:
    """Read size bytes or fail: a short read means the worker died (limit, crash, timeout)."""
    chunks = []
    remaining = size
    while remaining:
        chunk = stream.read(min(remaining, MB))
        if not chunk:
            raise ConversionRefused("failed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_pages(stream: IO[bytes], limits: Limits) -> Iterator[Page]:
    """Check every frame against the limits before reading its pixels; JPEG-encode each."""
    count = 0
    while True:
        tag = _exactly(stream, 1)
        if tag == frames.DONE:
            if struct.unpack(">I", _exactly(stream, 4))[0] != count or count == 0:
                raise ConversionRefused("failed")
            return
        if tag == frames.ERROR:
            (length,) = struct.unpack(">H", _exactly(stream, 2))
            code = _exactly(stream, min(length, frames.MAX_CODE)).decode("ascii", "replace")
            name, _sep, number = code.partition(":")
            raise ConversionRefused(name, int(number) if number.isdigit() else None)
        if tag != frames.PAGE:
            raise ConversionRefused("failed")
        width, height = struct.unpack(">II", _exactly(stream, 8))
        count += 1
        if count > limits.max_pages:
            raise ConversionRefused("too_many_pages")
        if not (0 < width <= limits.max_side and 0 < height <= limits.max_side):
            raise ConversionRefused("failed")
        pixels = _exactly(stream, width * height * 3)
        yield Page(width, height, _jpeg(width, height, pixels))


def _jpeg(width: int, height: int, pixels: bytes) -> bytes:
    """Pixels to JPEG in the app: a fixed-size raw buffer, nothing else is parsed."""
    image = Image.frombytes("RGB", (width, height), pixels)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
