"""Multi-recipient sealed streams: one fresh STREAM key, HPKE-wrapped to each recipient.

Layout: MAGIC ‖ kind (1-byte length ‖ ASCII) ‖ 16-byte random archive id ‖ 1-byte recipient
count ‖ per recipient: 2-byte length ‖ HPKE wrap of the stream key, then the STREAM
ciphertext. The wraps (HPKE info: their own label, the kind and the archive id) carry no
key identifier (a reader tries each), and the associated
data of every segment binds the SHA-256 of the whole header, so removing, adding or
altering a recipient, the kind or the id makes the first segment fail authentication.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke

from intake.crypto._common import KEY_LEN, frame
from intake.crypto.envelope import SUITE, new_data_key
from intake.crypto.errors import DecryptionError
from intake.crypto.keys import load_private, load_public
from intake.crypto.stream import StreamDecryptor, StreamEncryptor

MAGIC = b"INTAKE-SEALED\x01"
ARCHIVE_VERSION = 1
ID_LEN = 16
MAX_RECIPIENTS = 32
MAX_WRAP_LEN = 4096
MAX_KIND_LEN = 32


def _wrap_info(kind: str, archive_id: bytes) -> bytes:
    """HPKE info of this archive's wraps: its own label, so no item wrap ever fits here."""
    return frame(b"intake/archive-wrap", bytes([ARCHIVE_VERSION]), kind, archive_id)


def _wrap(key: bytes, public_raw: bytes, info: bytes) -> bytes:
    """HPKE-seal the stream key to one recipient (same suite as item wraps)."""
    return SUITE.encrypt(key, load_public(public_raw), info=info)


def _unwrap(wrapped: bytes, private: hpke.MLKEM768X25519PrivateKey, info: bytes) -> bytes | None:
    """The stream key, or None if this wrap is not for this key (or was altered)."""
    try:
        key = SUITE.decrypt(wrapped, private, info=info)
    except (InvalidTag, ValueError):
        return None
    return key if len(key) == KEY_LEN else None


def _aad(header: bytes) -> bytes:
    """Every segment is bound to the exact header it came with."""
    return frame(b"intake/archive", bytes([ARCHIVE_VERSION]), hashlib.sha256(header).digest())


def seal_stream(kind: str, recipients: Sequence[bytes]) -> tuple[bytes, StreamEncryptor]:
    """Header bytes to write first, and the encryptor for everything after it."""
    if not recipients:
        raise ValueError("no recipients: nobody could ever open this archive")
    if len(recipients) > MAX_RECIPIENTS:
        raise ValueError(f"at most {MAX_RECIPIENTS} recipients")
    raw_kind = kind.encode("ascii")
    if not 0 < len(raw_kind) <= MAX_KIND_LEN:
        raise ValueError("archive kind must be 1-32 ASCII characters")
    archive_id = secrets.token_bytes(ID_LEN)
    key = new_data_key()
    header = bytearray(MAGIC + bytes([len(raw_kind)]) + raw_kind + archive_id)
    header.append(len(recipients))
    for public in recipients:
        wrapped = _wrap(key, public, _wrap_info(kind, archive_id))
        header += len(wrapped).to_bytes(2, "big") + wrapped
    return bytes(header), StreamEncryptor(key, _aad(bytes(header)))


def _read_exact(src: BinaryIO, n: int) -> bytes:
    """n bytes or a clear error: a short header is a truncated or foreign file."""
    data = src.read(n)
    if len(data) != n:
        raise DecryptionError("truncated archive header")
    return data


def is_sealed(prefix: bytes) -> bool:
    """Whether a file's first bytes are a sealed archive's (vs. e.g. a plain tar)."""
    return prefix.startswith(MAGIC)


def open_stream(src: BinaryIO, kind: str, private_raw: bytes) -> tuple[bytes, StreamDecryptor]:
    """Read the header, unwrap the key with `private_raw`; the decryptor for the rest.

    DecryptionError if this is not a sealed archive of `kind` or no wrap opens with the key.
    """
    if _read_exact(src, len(MAGIC)) != MAGIC:
        raise DecryptionError("not a sealed Intake archive")
    kind_len = _read_exact(src, 1)[0]
    found = _read_exact(src, kind_len)
    if found != kind.encode("ascii"):
        raise DecryptionError(f"this archive holds {found.decode('ascii', 'replace')!r}, "
                              f"not {kind!r}")
    archive_id = _read_exact(src, ID_LEN)
    try:
        private: hpke.MLKEM768X25519PrivateKey | None = load_private(private_raw)
    except ValueError:
        private = None  # reported below like any key that opens nothing
    count = _read_exact(src, 1)[0]
    if not 0 < count <= MAX_RECIPIENTS:
        raise DecryptionError("malformed archive header")
    header = bytearray(MAGIC + bytes([kind_len]) + found + archive_id + bytes([count]))
    key: bytes | None = None
    for _ in range(count):
        size_raw = _read_exact(src, 2)
        size = int.from_bytes(size_raw, "big")
        if size > MAX_WRAP_LEN:
            raise DecryptionError("malformed archive header")
        wrapped = _read_exact(src, size)
        header += size_raw + wrapped
        if key is None and private is not None:
            key = _unwrap(wrapped, private, _wrap_info(kind, archive_id))
    if key is None:
        raise DecryptionError("this key cannot open the archive (wrong key, or not made for it)")
    return bytes(header), StreamDecryptor(key, _aad(bytes(header)))
