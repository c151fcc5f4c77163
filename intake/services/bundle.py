"""Encrypted case bundles for a named recipient: a tar stream under HPKE + STREAM.

Layout: MAGIC ‖ 36-byte bundle id ‖ 4-byte length ‖ HPKE-wrapped data key ‖ STREAM
ciphertext of a tar archive (associated data binds the bundle id). Nothing is written
in plaintext: the tar is produced chunk by chunk into the encryptor (`iter_tar`, also fed
to OpenPGP for hand-overs) and read back out of the decryptor.
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


class SizeMismatch(ValueError):
    """A file yielded more or fewer bytes than its tar header announced."""


def iter_tar(files: Iterable[CaseFile], root: str) -> Iterator[bytes]:
    """A POSIX (pax) tar stream of the files, yielded as made: tarfile's own headers, each
    file's chunks as they come (a header needs the size first; CaseFile knows it)."""
    for f in files:
        info = tarfile.TarInfo(f"{root}/{f.path}")
        info.size, info.mode = f.size, 0o600
        yield info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")
        written = 0
        for chunk in f.iter_bytes():
            written += len(chunk)
            yield chunk
        if written != f.size:
            raise SizeMismatch(f.path)
        yield tarfile.NUL * (-written % tarfile.BLOCKSIZE)
    yield tarfile.NUL * tarfile.RECORDSIZE  # the end-of-archive blocks, padded to a record


def iter_bundle(files: Iterable[CaseFile], recipient_public: bytes, root: str
                ) -> Iterator[bytes]:
    """The encrypted bundle of a tar of the files, to one recipient, as it is made."""
    bundle_id = new_id()
    data_key = new_data_key()
    wrapped = wrap_data_key(data_key, recipient_public, _binding(bundle_id))
    yield MAGIC + bundle_id.encode("ascii") + len(wrapped).to_bytes(4, "big") + wrapped
    enc = StreamEncryptor(data_key, stream_associated_data(bundle_id, BUNDLE_KIND))
    for chunk in iter_tar(files, root):
        if out := enc.update(chunk):
            yield out
    yield enc.finalize()


def write_bundle(files: Iterable[CaseFile], recipient_public: bytes, out: BinaryIO,
                 root: str) -> None:
    """Encrypt a tar of the files to one recipient public key."""
    for chunk in iter_bundle(files, recipient_public, root):
        out.write(chunk)


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
