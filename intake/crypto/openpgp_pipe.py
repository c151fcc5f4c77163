"""Child process of `openpgp.iter_encrypt`: stdin = 4-byte length ‖ certificate ‖ plaintext,
stdout = the binary OpenPGP message, made by Sequoia in constant memory."""

from __future__ import annotations

import os
import sys

import pysequoia


def _read_exact(fd: int, n: int) -> bytes:
    """Exactly n bytes from the pipe (unbuffered: the rest stays for Sequoia to read)."""
    out = b""
    while len(out) < n:
        chunk = os.read(fd, n - len(out))
        if not chunk:
            raise EOFError("input ended inside the certificate")
        out += chunk
    return out


def main() -> int:
    """Encrypt stdin to the certificate at its head; a non-zero exit on any failure."""
    size = int.from_bytes(_read_exact(0, 4), "big")
    cert = pysequoia.Cert.from_bytes(_read_exact(0, size))
    pysequoia.encrypt_file("/dev/stdin", "/dev/stdout", [cert], armor=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
