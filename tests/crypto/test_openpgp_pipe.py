"""The encryption child's own loop, run in this process (mutation testing cannot reach the
real child): it reads exactly the length-prefixed certificate, leaves the plaintext for
Sequoia, writes a binary message that decrypts, and refuses input that ends too soon."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pysequoia
import pytest

from intake.crypto import openpgp_pipe

PLAINTEXT = b"they came at night " * 1000  # 19 KB: fits a pipe with the certificate


def _fed(data: bytes) -> int:
    """The read end of a pipe that holds `data` and then ends."""
    read, write = os.pipe()
    os.write(write, data)
    os.close(write)
    return read


def _main(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: bytes) -> tuple[int, bytes]:
    """Run the child's main with a pipe as standard input and a file as standard output."""
    out = tmp_path / "message"
    with os.fdopen(_fed(data), "rb", buffering=0) as stdin, open(out, "wb") as stdout:
        monkeypatch.setattr(sys, "stdin", stdin)
        monkeypatch.setattr(sys, "stdout", stdout)
        code = openpgp_pipe.main()
    return code, out.read_bytes()


def test_the_message_is_binary_and_decrypts_to_what_followed_the_certificate(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tsk = pysequoia.Tsk.generate("partner <p@example.org>")
    cert = bytes(tsk.extract_certificate())
    code, message = _main(monkeypatch, tmp_path,
                          len(cert).to_bytes(4, "big") + cert + PLAINTEXT)
    assert code == 0
    assert message[0] & 0x80 and not message.startswith(b"-----")  # a packet, not armor
    assert PLAINTEXT[:19] not in message
    assert pysequoia.decrypt(message, tsk.decryptor()).bytes == PLAINTEXT


def test_input_that_ends_inside_the_certificate_is_refused(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cert = bytes(pysequoia.Tsk.generate("p").extract_certificate())
    for data in (b"", b"\x00\x00", len(cert).to_bytes(4, "big") + cert[:-1]):
        with pytest.raises(EOFError):
            _main(monkeypatch, tmp_path, data)


def test_a_certificate_that_arrives_in_pieces_is_read_exactly() -> None:
    """Pipes hand over what is there: the reader waits for the rest and takes no more."""
    read, write = os.pipe()

    def trickle() -> None:
        os.write(write, b"ab")
        time.sleep(0.2)
        os.write(write, b"cdREST")
        os.close(write)

    feeder = threading.Thread(target=trickle)
    feeder.start()
    try:
        assert openpgp_pipe._read_exact(read, 4) == b"abcd"
        feeder.join()
        assert os.read(read, 100) == b"REST"
    finally:
        os.close(read)
