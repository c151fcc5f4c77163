"""The backup container: a tar stream, sealed to recipients on the way out, checked on the way in.

The tar is produced straight into the STREAM encryptor (intake.crypto.archive) and read
straight out of the decryptor, so no plaintext member ever touches the disk. Reading
yields members in order and only ends normally after the final segment authenticated.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Callable, Iterator, Sequence
from typing import IO, BinaryIO, cast

from intake.crypto import DecryptionError, StreamDecryptor, StreamEncryptor
from intake.crypto.archive import is_sealed, open_stream, seal_stream

KIND = "backup"
TAR_BUFSIZE = 1 << 20
READ_CHUNK = 1 << 20
READ_BUFSIZE = 64 << 10


class BackupError(RuntimeError):
    """An operator-facing reason a backup, verify or restore cannot go on."""


class _Sink(io.RawIOBase):
    """Write-only file object: tar bytes go through the encryptor (if any) and a digest."""

    def __init__(self, out: IO[bytes], enc: StreamEncryptor | None, header: bytes) -> None:
        self._out, self._enc = out, enc
        self.digest = hashlib.sha256()
        self.written = 0
        self._emit(header)

    def _emit(self, data: bytes) -> None:
        if data:
            self._out.write(data)
            self.digest.update(data)
            self.written += len(data)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        raw = bytes(data)
        self._emit(self._enc.update(raw) if self._enc else raw)
        return len(raw)

    def finish(self) -> None:
        """The final, short segment: without it a reader reports truncation."""
        if self._enc is not None:
            self._emit(self._enc.finalize())


class ArchiveWriter:
    """Add members in order; `close` ends the tar and the encryption and gives the SHA-256."""

    def __init__(self, out: IO[bytes], recipients: Sequence[bytes] | None) -> None:
        """recipients=None writes a plain tar (only behind the explicit unencrypted flag)."""
        if recipients is None:
            header, enc = b"", None
        else:
            header, enc = seal_stream(KIND, recipients)
        self._sink = _Sink(out, enc, header)
        self._tar = tarfile.open(  # noqa: SIM115 - closed by close(), the end of the archive
            fileobj=self._sink, mode="w|", format=tarfile.PAX_FORMAT, bufsize=TAR_BUFSIZE)

    def add_bytes(self, name: str, data: bytes) -> None:
        """One member from memory (a table part, the manifest)."""
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o600
        self._tar.addfile(info, io.BytesIO(data))

    def add_file(self, name: str, fh: BinaryIO, size: int) -> None:
        """One member copied from an open file (a blob), in bounded chunks."""
        info = tarfile.TarInfo(name)
        info.size, info.mode = size, 0o600
        self._tar.addfile(info, fh)

    def close(self) -> str:
        """End the tar, emit the final segment; the hex SHA-256 of every byte written."""
        self._tar.close()
        self._sink.finish()
        return self._sink.digest.hexdigest()

    @property
    def written(self) -> int:
        """Bytes written so far (header and ciphertext included)."""
        return self._sink.written


class _Plaintext(io.RawIOBase):
    """Read-only file object over the decrypted stream; counts ciphertext bytes consumed."""

    def __init__(self, src: BinaryIO, dec: StreamDecryptor | None,
                 progress: Callable[[int], None]) -> None:
        self._src, self._dec, self._progress = src, dec, progress
        self._buf = memoryview(b"")
        self._eof = False

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        """Next plaintext chunk; at the end of the file the final segment is checked."""
        while not self._buf and not self._eof:
            block = self._src.read(READ_CHUNK)
            self._progress(len(block))
            if not block:
                self._eof = True
                out = self._dec.finalize() if self._dec else b""
            else:
                out = self._dec.update(block) if self._dec else block
            self._buf = memoryview(out)

    def readinto(self, target: bytearray) -> int:  # type: ignore[override]
        self._fill()
        n = min(len(target), len(self._buf))
        target[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


class _Hashing(io.RawIOBase):
    """Pass-through reader that hashes every byte of the file it reads."""

    def __init__(self, src: BinaryIO) -> None:
        self._src = src
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self._src.read(-1 if size is None else size)
        self.digest.update(data)
        return data


class ArchiveReader:
    """Open a backup for reading: sealed (needs the key) or, only if allowed, a plain tar."""

    def __init__(self, src: BinaryIO, private_raw: bytes | None, *, allow_plain: bool = False,
                 progress: Callable[[int], None] | None = None) -> None:
        """Refuses a plain tar unless allow_plain, and a sealed one without a key."""
        self._progress = progress or (lambda _n: None)
        prefix = src.read(64)
        src.seek(0)
        self._hashing = _Hashing(src)
        src = cast(BinaryIO, self._hashing)
        dec: StreamDecryptor | None = None
        if is_sealed(prefix):
            if private_raw is None:
                raise BackupError("this backup is encrypted: give the recovery key (--key)")
            try:
                self.header, dec = open_stream(src, KIND, private_raw)
            except DecryptionError as exc:
                raise BackupError(str(exc)) from None
            self._progress(len(self.header))
        elif not allow_plain:
            raise BackupError("not an encrypted Intake backup; an unencrypted archive cannot "
                               "be authenticated and is refused unless you say it is one "
                               "(--unencrypted)")
        else:
            self.header = b""
        self.encrypted = dec is not None
        self._plain = _Plaintext(src, dec, self._progress)

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the file bytes read so far (all of them once members() is done)."""
        return self._hashing.digest.hexdigest()

    def members(self) -> Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]]:
        """Each member and its data in archive order; raises BackupError on any damage.

        The caller must exhaust the iterator: the final segment is checked only at the end.
        """
        reader = io.BufferedReader(self._plain, TAR_BUFSIZE)  # type: ignore[type-var]
        try:
            # A small stream buffer: tarfile re-slices it on every read of a member.
            with tarfile.open(fileobj=reader, mode="r|", bufsize=READ_BUFSIZE) as tar:
                for info in tar:
                    yield info, tar.extractfile(info)
            while chunk := reader.read(READ_CHUNK):  # to the end: the final segment
                if chunk.strip(b"\0"):
                    raise BackupError("data after the end of the archive")
        except DecryptionError as exc:
            raise BackupError(f"damaged, truncated or extended archive ({exc})") from None
        except tarfile.TarError as exc:
            raise BackupError(f"malformed archive ({exc})") from None
