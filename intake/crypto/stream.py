"""STREAM online AEAD (Hoang–Reyhanitabar–Rogaway–Vizár) on AES-256-GCM for attachments.

Layout: version ‖ 7-byte random nonce prefix, then segments of SEGMENT_SIZE plaintext bytes
(+16-byte tag). Segment nonce = prefix ‖ 32-bit big-endian counter ‖ last flag (0x01 on the
final segment). The final segment always holds fewer than SEGMENT_SIZE bytes (possibly none),
so truncation at a segment boundary, reordering and extension are all detected.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from intake.crypto._common import KEY_LEN, TAG_LEN, frame, require_key
from intake.crypto.errors import DecryptionError

STREAM_VERSION = 1
SEGMENT_SIZE = 65536
PREFIX_LEN = 7
HEADER_LEN = 1 + PREFIX_LEN
SEGMENT_CT_SIZE = SEGMENT_SIZE + TAG_LEN
MAX_SEGMENTS = 1 << 32
DEFAULT_CHUNK = 1 << 20


def stream_associated_data(item_id: str, kind: str) -> bytes:
    """Associated data for every segment: label, version, kind and item id."""
    return frame(b"intake/stream", bytes([STREAM_VERSION]), kind, item_id)


def _new_prefix() -> bytes:
    """A fresh random nonce prefix per stream (a seam for the known-answer test)."""
    return secrets.token_bytes(PREFIX_LEN)


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    """prefix ‖ counter ‖ flag: each segment's position and finality are authenticated."""
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class StreamEncryptor:
    """Incremental encryptor; holds at most one segment of plaintext whatever the total size."""

    def __init__(self, key: bytes, associated_data: bytes) -> None:
        """Pick a fresh nonce prefix; one encryptor per stream."""
        require_key(key)
        self._aead = AESGCM(key)
        self._aad = bytes(associated_data)
        self._prefix = _new_prefix()
        self._buffer = bytearray()
        self._counter = 0
        self._header_sent = False
        self._finished = False

    @property
    def header(self) -> bytes:
        """The stream header; it is also emitted at the start of the first update/finalize."""
        return bytes([STREAM_VERSION]) + self._prefix

    def _seal(self, chunk: bytes | bytearray, last: bool) -> bytes:
        """Encrypt one segment, refusing to wrap the counter (one slot kept for the final)."""
        limit = MAX_SEGMENTS if last else MAX_SEGMENTS - 1
        if self._counter >= limit:
            raise OverflowError("stream too long: segment counter exhausted")
        out = self._aead.encrypt(_nonce(self._prefix, self._counter, last), chunk, self._aad)
        self._counter += 1
        return out

    def _start(self) -> bytearray:
        """Output buffer, beginning with the header on the very first call."""
        if self._finished:
            raise ValueError("stream already finalized")
        out = bytearray() if self._header_sent else bytearray(self.header)
        self._header_sent = True
        return out

    def update(self, data: bytes) -> bytes:
        """Buffer data and return every complete segment that is ready (header first)."""
        out = self._start()
        self._buffer += data
        pos = 0
        while len(self._buffer) - pos >= SEGMENT_SIZE:
            out += self._seal(self._buffer[pos : pos + SEGMENT_SIZE], last=False)
            pos += SEGMENT_SIZE
        del self._buffer[:pos]
        return bytes(out)

    def finalize(self) -> bytes:
        """Emit the final (short, possibly empty) segment; the encryptor is then spent."""
        out = self._start()
        out += self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._finished = True
        return bytes(out)


class StreamDecryptor:
    """Incremental decryptor; releases only authenticated segments, finalize checks the end."""

    def __init__(self, key: bytes, associated_data: bytes) -> None:
        """A wrong-length key is reported like any other decryption failure."""
        if len(key) != KEY_LEN:
            raise DecryptionError("wrong key length")
        self._aead = AESGCM(key)
        self._aad = bytes(associated_data)
        self._prefix: bytes | None = None
        self._buffer = bytearray()
        self._counter = 0
        self._done = False

    def _open(self, chunk: bytes | bytearray, last: bool) -> bytes:
        """Authenticate and decrypt one segment at the expected position."""
        assert self._prefix is not None
        if self._counter >= MAX_SEGMENTS:
            raise DecryptionError("stream too long")
        try:
            out = self._aead.decrypt(_nonce(self._prefix, self._counter, last), chunk, self._aad)
        except InvalidTag:
            raise DecryptionError(f"segment {self._counter} failed authentication") from None
        self._counter += 1
        return out

    def _check_usable(self) -> None:
        """A failed or finished decryptor must never release more plaintext."""
        if self._done:
            raise DecryptionError("stream already finalized or failed")

    def _update(self, data: bytes) -> bytes:
        """Read the header once, then decrypt all segments known not to be the last."""
        self._buffer += data
        if self._prefix is None:
            if len(self._buffer) < HEADER_LEN:
                return b""
            if self._buffer[0] != STREAM_VERSION:
                raise DecryptionError("unknown stream format version")
            self._prefix = bytes(self._buffer[1:HEADER_LEN])
            del self._buffer[:HEADER_LEN]
        out = bytearray()
        pos = 0
        while len(self._buffer) - pos > SEGMENT_CT_SIZE:
            out += self._open(self._buffer[pos : pos + SEGMENT_CT_SIZE], last=False)
            pos += SEGMENT_CT_SIZE
        del self._buffer[:pos]
        return bytes(out)

    def _finalize(self) -> bytes:
        """The held-back tail must be exactly one short final segment."""
        if self._prefix is None:
            raise DecryptionError("truncated stream: no header")
        if not TAG_LEN <= len(self._buffer) < SEGMENT_CT_SIZE:
            raise DecryptionError("truncated stream: final segment missing")
        return self._open(bytes(self._buffer), last=True)

    def update(self, data: bytes) -> bytes:
        """Feed ciphertext; returns plaintext of complete segments that cannot be the last."""
        self._check_usable()
        try:
            return self._update(data)
        except DecryptionError:
            self._close()
            raise

    def finalize(self) -> bytes:
        """Decrypt the final segment; DecryptionError on truncation, extension or tampering."""
        self._check_usable()
        try:
            return self._finalize()
        finally:
            self._close()

    def _close(self) -> None:
        """Drop buffered ciphertext and refuse all further use."""
        self._done = True
        self._buffer = bytearray()


def encrypt_file(
    key: bytes, aad: bytes, src: BinaryIO, dst: BinaryIO, chunk: int = DEFAULT_CHUNK
) -> int:
    """Encrypt src into dst in constant memory; returns the number of bytes written."""
    enc = StreamEncryptor(key, aad)
    written = 0
    while block := src.read(chunk):
        written += dst.write(enc.update(block))
    written += dst.write(enc.finalize())
    return written


def iter_decrypt(
    key: bytes, aad: bytes, src: BinaryIO, chunk: int = DEFAULT_CHUNK
) -> Iterator[bytes]:
    """Yield authenticated plaintext as it arrives; DecryptionError where tampering shows."""
    dec = StreamDecryptor(key, aad)
    while block := src.read(chunk):
        if out := dec.update(block):
            yield out
    if tail := dec.finalize():
        yield tail


def decrypt_file(
    key: bytes, aad: bytes, src: BinaryIO, dst: BinaryIO, chunk: int = DEFAULT_CHUNK
) -> int:
    """Decrypt src into dst; returns bytes written. On DecryptionError discard dst entirely."""
    return sum(dst.write(piece) for piece in iter_decrypt(key, aad, src, chunk))
