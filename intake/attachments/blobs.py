"""The blob store: random names in settings.blob_dir, STREAM ciphertext only, never plaintext."""

from __future__ import annotations

import io
import logging
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from intake.crypto import StreamEncryptor, iter_decrypt, stream_associated_data
from intake.models import hour_floor

log = logging.getLogger(__name__)

ATTACHMENT_KIND = "attachment"
# The throw-away stream an upload is received into: its key is never wrapped or stored.
UPLOAD_STREAM_KIND = "upload-stream"


def new_blob_name() -> str:
    """A random name that says nothing about the case, the item or the file."""
    return secrets.token_hex(24)


def blob_path(blob_dir: Path, name: str) -> Path:
    """Resolve a stored name, refusing anything that is not one of ours."""
    if not name or any(ch not in "0123456789abcdef" for ch in name):
        raise ValueError("not a blob name")
    return blob_dir / name


def open_new_blob(blob_dir: Path, name: str) -> io.BufferedWriter:
    """Create the blob file exclusively, readable by the service user only."""
    if not blob_dir.is_dir():
        # The first file ever creates the folder: its parent's time would show that second.
        blob_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        coarsen_times(blob_dir.parent)
    fd = os.open(blob_path(blob_dir, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


def aad(item_id: str) -> bytes:
    """Every attachment blob is bound to its metadata item's id."""
    return stream_associated_data(item_id, ATTACHMENT_KIND)


def stream_aad(item_id: str) -> bytes:
    """The throw-away upload stream is bound to the item it may become, under its own kind."""
    return stream_associated_data(item_id, UPLOAD_STREAM_KIND)


def write_blob(blob_dir: Path, data_key: bytes, item_id: str,
               chunks: Iterable[bytes]) -> tuple[str, int]:
    """Encrypt plaintext chunks (a cleaned copy, or a stream re-encrypted) into a new blob.

    Returns (name, size); a failure part-way deletes the partial blob.
    """
    name = new_blob_name()
    enc = StreamEncryptor(data_key, aad(item_id))
    try:
        with open_new_blob(blob_dir, name) as fh:
            size = 0
            for chunk in chunks:
                size += fh.write(enc.update(chunk))
            size += fh.write(enc.finalize())
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        remove_blob(blob_dir, name)
        raise
    return name, size


def iter_blob(blob_dir: Path, name: str, data_key: bytes, item_id: str,
              associated_data: bytes | None = None) -> Iterator[bytes]:
    """Authenticated plaintext chunks; DecryptionError where tampering shows."""
    with blob_path(blob_dir, name).open("rb") as fh:
        yield from iter_decrypt(data_key, associated_data or aad(item_id), fh)


def read_blob(blob_dir: Path, name: str, data_key: bytes, item_id: str) -> bytes:
    """The whole plaintext in memory (only for files ≤ max_file_mb)."""
    return b"".join(iter_blob(blob_dir, name, data_key, item_id))


def remove_blob(blob_dir: Path, name: str) -> None:
    """Delete a blob; already gone is fine. The folder's time is then set back to the hour."""
    blob_path(blob_dir, name).unlink(missing_ok=True)
    coarsen_times(blob_dir)


def coarsen_times(blob_dir: Path, name: str | None = None) -> None:
    """Access and modification times of a blob and of the blob folder, to the hour.

    Otherwise the file system records the very second a reporter sent a file (and the
    database maps blob names to cases). The inode change time and, where the file system
    keeps one, the birth time cannot be set by any process: see docs/decisions.md.
    Never raises: the report is already committed when this runs.
    """
    stamp = hour_floor().timestamp()
    targets = [blob_dir] if name is None else [blob_path(blob_dir, name), blob_dir]
    for target in targets:
        try:
            os.utime(target, (stamp, stamp))
        except OSError as exc:
            log.warning("could not set blob times to the hour: %s", type(exc).__name__)


def coarsen_all(blob_dir: Path) -> int:
    """Every blob's access and modification times down to its own hour; returns the count.

    For blobs written before times were coarsened, and run hourly (`intake blob-times`) so
    that each blob's inode change time, which records the last change to the file, becomes
    the time of this run instead of the second the reporter's file arrived.
    """
    if not blob_dir.is_dir():
        return 0
    done = 0
    for path in sorted(blob_dir.iterdir()):
        if not path.is_file() or path.is_symlink():
            continue
        mtime = int(path.stat().st_mtime)
        stamp = mtime - mtime % 3600
        os.utime(path, (stamp, stamp))
        done += 1
    coarsen_times(blob_dir)
    return done
