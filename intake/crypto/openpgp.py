"""OpenPGP recipients (pysequoia): validate a partner's certificate and encrypt a stream to it.

pysequoia's `encrypt` takes the whole message as bytes; its `encrypt_file` streams in
constant memory but holds the GIL while it waits for input, so it cannot be fed from a
thread of this process. It therefore runs in a child process (`openpgp_pipe`) fed through
pipes: the plaintext passes through kernel pipe buffers only, never a file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pysequoia
from pysequoia.packet import PacketPile, Tag

CHUNK = 1 << 16
CHILD = (sys.executable, "-I", "-m", "intake.crypto.openpgp_pipe")


class CertificateError(ValueError):
    """Not a certificate we can encrypt to; the code says why (for a translated message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def group(hex_digits: str) -> str:
    """Upper-case in groups of four, as gpg prints it and people read it aloud."""
    digits = hex_digits.upper()
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def check_certificate(data: bytes, now: datetime | None = None) -> tuple[bytes, str]:
    """(binary certificate, grouped fingerprint) of exactly one public, unrevoked, unexpired
    certificate with a usable encryption key; CertificateError otherwise."""
    try:
        certs = pysequoia.Cert.split_bytes(data)
    except Exception:  # noqa: BLE001 - pysequoia raises its own untyped errors on bad input
        raise CertificateError("unreadable") from None
    if len(certs) != 1:
        raise CertificateError("unreadable" if not certs else "several")
    cert = certs[0]
    if _holds_secrets(data):
        raise CertificateError("secret")
    check_usable(cert, now)
    return bytes(cert), group(cert.fingerprint)


def _holds_secrets(data: bytes) -> bool:
    """Whether any packet is secret key material (even under a public block's armor)."""
    secret = (Tag.SecretKey, Tag.SecretSubkey)
    return any(packet.tag in secret for packet in PacketPile.from_bytes(data))


def check_usable(cert: pysequoia.Cert, now: datetime | None = None) -> None:
    """Revoked, expired, or no valid encryption-capable key: CertificateError. The probe is
    Sequoia's own choice of encryption key under its standard policy, as `sq` would make it."""
    if cert.is_revoked:
        raise CertificateError("revoked")
    expires = cert.expiration
    if expires is not None and expires <= (now or datetime.now(UTC)):
        raise CertificateError("expired")
    try:
        pysequoia.encrypt(b"probe", [cert], armor=False)
    except Exception:  # noqa: BLE001 - "no encryption-capable key" is an untyped error
        raise CertificateError("no_encryption_key") from None


def load(stored: bytes) -> pysequoia.Cert:
    """A stored certificate back as a Cert."""
    return pysequoia.Cert.from_bytes(stored)


def _feed(proc: subprocess.Popen[bytes], cert: bytes, plaintext: Iterator[bytes],
          failed: list[BaseException]) -> None:
    """Writer thread: the certificate (length-prefixed), then the plaintext, then EOF.

    If the plaintext fails, the child is killed before it sees EOF, so it never writes
    the final integrity tag: a partial message can never pass for a complete one."""
    assert proc.stdin is not None
    fd = proc.stdin.fileno()
    try:
        _write_all(fd, len(cert).to_bytes(4, "big") + cert)
        for chunk in plaintext:
            _write_all(fd, chunk)
    except BaseException as exc:  # noqa: BLE001 - handed to the reader, which re-raises
        proc.kill()
        failed.append(exc)
    finally:
        proc.stdin.close()  # EOF for the child; nothing is buffered (written with os.write)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class EncryptionFailed(RuntimeError):
    """The child or the plaintext source failed: the message sent so far is incomplete."""


def iter_encrypt(cert: bytes, plaintext: Iterator[bytes]) -> Iterator[bytes]:
    """A binary OpenPGP message to `cert`, yielded as it is made; memory stays constant.

    If the consumer stops early the child is killed. A failure after the first bytes
    raises EncryptionFailed: the recipient's tool then reports the message truncated."""
    with subprocess.Popen(  # noqa: S603 - fixed argv of our own interpreter, no shell
            CHILD, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={"PATH": os.defpath}) as proc:
        failed: list[BaseException] = []
        writer = threading.Thread(target=_feed, args=(proc, cert, plaintext, failed),
                                  daemon=True)
        writer.start()
        finished = False
        try:
            assert proc.stdout is not None
            while chunk := proc.stdout.read(CHUNK):
                yield chunk
            finished = True
        finally:
            if not finished:
                proc.kill()
            proc.wait()  # a child that closed its output may still be exiting: not killed
            writer.join()
    if failed or proc.returncode != 0:
        raise EncryptionFailed(repr(failed[0]) if failed else f"exit {proc.returncode}")
