"""Encrypted case bundles for a named recipient: a tar stream under HPKE + STREAM.

Layout: MAGIC ‖ 36-byte bundle id ‖ 4-byte length ‖ HPKE-wrapped data key ‖ STREAM
ciphertext of a tar archive (associated data binds the bundle id). Nothing is written
in plaintext: the tar is produced into the encryptor and read back out of the decryptor.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from intake.crypto import (
    DecryptionError,
    ItemBinding,
    StreamEncryptor,
    iter_decrypt,
    new_data_key,
    stream_associated_data,
    unwrap_data_key,
    wrap_data_key,
)
from intake.models import new_id
from intake.services.offline import CaseFile

MAGIC = b"INTAKE-BUNDLE\x01"
BUNDLE_KIND = "bundle"


def _binding(bundle_id: str) -> ItemBinding:
    """A bundle is a file, not a database row: no case or parent it could be moved between."""
    return ItemBinding(bundle_id, BUNDLE_KIND, case_id="")


class _EncryptingWriter(io.RawIOBase):
    """A write-only file object: what tarfile writes comes out encrypted."""

    def __init__(self, enc: StreamEncryptor, out: BinaryIO) -> None:
        self._enc, self._out = enc, out

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._out.write(self._enc.update(bytes(data)))
        return len(data)


class _ChunkReader(io.RawIOBase):
    """A read-only file object over an iterator of chunks (decrypted or from blobs)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._buffer = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def write_bundle(files: Iterable[CaseFile], recipient_public: bytes, out: BinaryIO,
                 root: str) -> None:
    """Encrypt a tar of the files to one recipient public key."""
    bundle_id = new_id()
    data_key = new_data_key()
    wrapped = wrap_data_key(data_key, recipient_public, _binding(bundle_id))
    out.write(MAGIC + bundle_id.encode("ascii") + len(wrapped).to_bytes(4, "big") + wrapped)
    enc = StreamEncryptor(data_key, stream_associated_data(bundle_id, BUNDLE_KIND))
    writer = _EncryptingWriter(enc, out)
    with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for f in files:
            info = tarfile.TarInfo(f"{root}/{f.path}")
            info.size, info.mode = f.size, 0o600
            tar.addfile(info, io.BufferedReader(_ChunkReader(f.iter_bytes())))  # type: ignore[type-var]
    out.write(enc.finalize())


def open_bundle(src: BinaryIO, private_raw: bytes, out_dir: Path) -> list[str]:
    """Decrypt and extract a bundle; DecryptionError if it is not for this key or damaged."""
    header = src.read(len(MAGIC) + 36 + 4)
    if len(header) < len(MAGIC) + 40 or not header.startswith(MAGIC):
        raise DecryptionError("not an Intake bundle")
    bundle_id = header[len(MAGIC):len(MAGIC) + 36].decode("ascii", "replace")
    wrapped = src.read(int.from_bytes(header[-4:], "big"))
    data_key = unwrap_data_key(wrapped, private_raw, _binding(bundle_id))
    chunks = iter_decrypt(data_key, stream_associated_data(bundle_id, BUNDLE_KIND), src)
    names = []
    out_dir.mkdir(parents=True, exist_ok=True)
    reader = io.BufferedReader(_ChunkReader(chunks))  # type: ignore[type-var]
    with tarfile.open(fileobj=reader, mode="r|") as tar:
        for member in tar:
            tar.extract(member, out_dir, filter="data")
            names.append(member.name)
    while reader.read(1 << 16):  # read to the end, so truncation of the tail is detected
        pass
    return names
