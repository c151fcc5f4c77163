"""The object Werkzeug's multipart parser writes each file part into: it encrypts as it goes.

Nothing plaintext reaches the disk: each chunk is hashed, its first bytes kept in memory
for type detection, and only STREAM ciphertext is written to a randomly named blob. That
stream blob is under a throw-away key that is never wrapped: once the file is checked (and
cleaned), what is kept is written to a new blob under a fresh data key, and the stream blob
and its key are dropped, so a recovered stream blob decrypts with no key anyone holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.attachments import blobs
from intake.crypto import StreamEncryptor, new_data_key
from intake.models import new_id

HEAD_BYTES = 8192


class EncryptingSink:
    """One file part: an item id, a throw-away stream key, a stream blob opened on the first
    byte; later the stored copy (`data_key`, `blob_name`, `stored_size`) once it is written."""

    def __init__(self, blob_dir: Path, max_bytes: int, filename: str | None) -> None:
        """Nothing touches the disk until there is content (browsers send empty parts)."""
        self.blob_dir = blob_dir
        self.max_bytes = max_bytes
        self.filename = filename or ""
        self.item_id = new_id()
        self._stream_key: bytes | None = new_data_key()
        self.stream_blob: str | None = None
        self.stream_size = 0
        self.data_key: bytes | None = None
        self.blob_name: str | None = None
        self.size = 0
        self.stored_size = 0
        self.head = bytearray()
        self.too_large = False
        self.finished = False
        self.kept = False
        self._hash = hashlib.sha256()
        self._enc: StreamEncryptor | None = None
        self._fh: Any = None

    @property
    def sha256(self) -> str:
        """Digest of the original bytes, for chain of custody."""
        return self._hash.hexdigest()

    @property
    def empty(self) -> bool:
        """An empty file input, not a file."""
        return self.size == 0 and not self.too_large

    def write(self, data: bytes) -> int:
        """Hash, keep the head, encrypt and append; past the limit, drop the blob at once."""
        if self.too_large or not data:
            return len(data)
        if self.size + len(data) > self.max_bytes:
            self.too_large = True
            self.discard()
            return len(data)
        if self._fh is None:
            assert self._stream_key is not None
            self.stream_blob = blobs.new_blob_name()
            self._fh = blobs.open_new_blob(self.blob_dir, self.stream_blob)
            self._enc = StreamEncryptor(self._stream_key, blobs.stream_aad(self.item_id))
        assert self._enc is not None
        if len(self.head) < HEAD_BYTES:
            self.head += data[: HEAD_BYTES - len(self.head)]
        self._hash.update(data)
        self.size += len(data)
        self.stream_size += self._fh.write(self._enc.update(data))
        return len(data)

    def finish(self) -> None:
        """Write the final segment (called once parsing is done); the stream blob is
        temporary, so it is not fsynced: only the stored copy must be durable."""
        if self.finished or self._fh is None or self._enc is None:
            self.finished = True
            return
        self.stream_size += self._fh.write(self._enc.finalize())
        self._fh.close()
        self.finished = True

    def iter_received(self) -> Iterator[bytes]:
        """The file as received, decrypted chunk by chunk from the stream blob."""
        if self.stream_blob is None or self._stream_key is None:
            raise ValueError("the received stream is gone")
        return blobs.iter_blob(self.blob_dir, self.stream_blob, self._stream_key, self.item_id,
                               blobs.stream_aad(self.item_id))

    def store(self, chunks: Iterable[bytes]) -> None:
        """Write what is kept (as received, or cleaned) under a fresh data key, then drop
        the stream blob and its key: only the fresh key is ever wrapped."""
        data_key = new_data_key()
        name, size = blobs.write_blob(self.blob_dir, data_key, self.item_id, chunks)
        self.data_key, self.blob_name, self.stored_size = data_key, name, size
        self.forget_stream()

    def forget_stream(self) -> None:
        """Delete the stream blob and drop the only reference to its key."""
        if self._fh is not None and not self._fh.closed:
            self._fh.close()
        if self.stream_blob is not None:
            blobs.remove_blob(self.blob_dir, self.stream_blob)
            self.stream_blob = None
        self._stream_key = None
        self._enc = None

    def discard(self) -> None:
        """Close and delete whatever was written (rejected request or oversize file)."""
        self.forget_stream()
        if self.blob_name is not None:
            blobs.remove_blob(self.blob_dir, self.blob_name)
            self.blob_name = None
        self.data_key = None
        self.finished = True

    # The file-like surface Werkzeug's FileStorage expects; reading plaintext back is refused.
    def seek(self, *_args: Any) -> int:
        return 0

    def tell(self) -> int:
        return self.size

    def read(self, *_args: Any) -> bytes:
        return b""

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None


@dataclass
class UploadBatch:
    """Every sink of one request, so the request's end can delete what was not kept."""

    blob_dir: Path
    max_file_bytes: int
    sinks: list[EncryptingSink] = field(default_factory=list)

    def new_sink(self, total_content_length: int | None, content_type: str | None,
                 filename: str | None = None, content_length: int | None = None) -> EncryptingSink:
        """The stream factory Werkzeug calls for each file part."""
        sink = EncryptingSink(self.blob_dir, self.max_file_bytes, filename)
        self.sinks.append(sink)
        return sink

    def files(self) -> list[EncryptingSink]:
        """Non-empty file parts, finished and ready for detection and cleaning."""
        out = []
        for sink in self.sinks:
            sink.finish()
            if not sink.empty:
                out.append(sink)
        return out

    def discard_unkept(self) -> None:
        """Delete every blob of this request that did not end up in a committed item, and
        every stream blob whatever happened."""
        for sink in self.sinks:
            if sink.kept:
                sink.forget_stream()
            else:
                sink.discard()
