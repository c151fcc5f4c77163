"""Sandbox tests need bubblewrap (and LibreOffice for Office files); CI must have both."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from intake.convert.availability import check

_FOUND = check()


def _need(ok: bool, what: str) -> pytest.MarkDecorator:
    """Skip locally when missing; under CI a missing component fails (like the browser)."""
    return pytest.mark.skipif(not ok and not os.environ.get("CI"), reason=f"{what} missing")


needs_sandbox = _need(_FOUND.usable, "bubblewrap or pypdfium2")
needs_office = _need(_FOUND.usable and shutil.which("soffice") is not None, "LibreOffice")


@dataclass
class Listener:
    """A TCP server on 127.0.0.1 that counts every connection it accepts."""

    port: int
    connections: list[bytes] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[Listener]:
    """Anything in the sandbox that reaches the host's network would show up here."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    found = Listener(server.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    found.connections.append(conn.recv(1024))
                except OSError:
                    found.connections.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield found
    stop.set()
    thread.join(timeout=2)
    server.close()
