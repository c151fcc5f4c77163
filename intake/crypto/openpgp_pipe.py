"""Child process of `openpgp.iter_encrypt`: stdin = 4-byte length ‖ certificate ‖ plaintext,
stdout = the binary OpenPGP message, made by Sequoia in constant memory."""

from __future__ import annotations

import os
import sys

import pysequoia

HEADER = 4  # bytes of the certificate's length, big-endian


def _read_exact(fd: int, n: int) -> bytes:
    """Exactly n bytes from the pipe (unbuffered: the rest stays for Sequoia to read)."""
    out = b""
    while len(out) < n:
        chunk = os.read(fd, n - len(out))
        if not chunk:
            raise EOFError("input ended inside the certificate")
        out += chunk
    return out


def encrypt(source: int, sink: int) -> int:
    """Encrypt what follows the certificate on `source` to it, onto `sink` (file descriptors:
    a parameter so that tests can run it in their own process)."""
    header = _read_exact(source, HEADER)
    size = int.from_bytes(header, "big")
    cert = pysequoia.Cert.from_bytes(_read_exact(source, size))
    pysequoia.encrypt_file(f"/dev/fd/{source}", f"/dev/fd/{sink}", [cert], armor=False)
    return 0


def main() -> int:
    """Standard input to standard output; a non-zero exit on any failure."""
    return encrypt(sys.stdin.fileno(), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
