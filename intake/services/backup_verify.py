"""`intake backup verify`: authenticate a whole archive and check it against its manifest.

Touches no instance. Restore runs the same pass first, so a wrong key, a truncated,
flipped, extended or re-ordered archive is refused before anything is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from intake.services.backup import (
    EXCLUDED_TABLES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    safe_blob_name,
)
from intake.services.backup_archive import ArchiveReader, BackupError
from intake.services.progress import Progress, Silent

TABLE_PART = re.compile(r"db/([a-z_][a-z0-9_]{0,62})\.(\d{6})\.jsonl")
MAX_MANIFEST = 1 << 20
COUNT_CHUNK = 1 << 20


@dataclass
class Verified:
    """An authenticated archive: its manifest, header (binds its key) and file digest."""

    manifest: dict[str, Any]
    header: bytes
    sha256: str
    encrypted: bool


def _count_lines(data: IO[bytes]) -> int:
    """Rows in one table part (its first line names the columns)."""
    lines = 0
    while chunk := data.read(COUNT_CHUNK):
        lines += chunk.count(b"\n")
    return max(lines - 1, 0)


class _Tally:
    """What the archive really holds, member by member, in the order the writer used."""

    def __init__(self) -> None:
        self.tables: dict[str, int] = {}
        self.last_part: tuple[str, int] | None = None
        self.blobs = self.blob_bytes = 0
        self.last_blob = ""
        self.manifest: dict[str, Any] | None = None

    def table_part(self, name: str, index: int, data: IO[bytes]) -> None:
        """Parts of one table are contiguous and numbered 0, 1, 2…; no excluded table."""
        if name in EXCLUDED_TABLES:
            raise BackupError(f"archive holds {name} rows, which are never backed up")
        expected = (name, self.last_part[1] + 1) if self.last_part and \
            self.last_part[0] == name else (name, 0)
        if (name, index) != expected or (index == 0 and name in self.tables):
            raise BackupError(f"archive member out of order: {name} part {index}")
        self.last_part = (name, index)
        self.tables[name] = self.tables.get(name, 0) + _count_lines(data)

    def blob(self, name: str, size: int) -> None:
        """Blobs come sorted by name, so a repeat (or an unsafe name) is refused."""
        if not safe_blob_name(name) or name <= self.last_blob:
            raise BackupError(f"archive has an unsafe or repeated blob name: {name!r}")
        self.last_blob = name
        self.blobs, self.blob_bytes = self.blobs + 1, self.blob_bytes + size

    def read_manifest(self, data: IO[bytes]) -> None:
        """The manifest: JSON, this format and version."""
        raw = data.read(MAX_MANIFEST + 1)
        try:
            manifest = json.loads(raw) if len(raw) <= MAX_MANIFEST else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            manifest = None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError("not an Intake backup (no readable manifest)")
        if manifest.get("version") != FORMAT_VERSION:
            raise BackupError(f"unsupported backup format version {manifest.get('version')}")
        self.manifest = manifest

    def check(self) -> dict[str, Any]:
        """The manifest must describe exactly what was read."""
        m = self.manifest
        if m is None:
            raise BackupError("archive has no manifest (incomplete backup)")
        if m.get("tables") != self.tables:
            raise BackupError("row counts differ from the manifest")
        if (m.get("blobs"), m.get("blob_bytes")) != (self.blobs, self.blob_bytes):
            raise BackupError("blob count or size differs from the manifest")
        return m


def _walk(reader: ArchiveReader) -> dict[str, Any]:
    """Read every member; anything unexpected, or anything after the manifest, is refused."""
    tally = _Tally()
    for info, data in reader.members():
        if tally.manifest is not None:
            raise BackupError("archive continues after its manifest")
        if not info.isfile() or data is None:
            raise BackupError(f"unexpected archive member {info.name!r}")
        part = TABLE_PART.fullmatch(info.name)
        if part:
            tally.table_part(part.group(1), int(part.group(2)), data)
        elif info.name.startswith("blobs/"):
            tally.blob(info.name[len("blobs/"):], info.size)
        elif info.name == MANIFEST:
            tally.read_manifest(data)
        else:
            raise BackupError(f"unexpected archive member {info.name!r}")
    return tally.check()


def verify_file(path: Path, private_raw: bytes | None, *, allow_plain: bool = False,
                progress: Progress | None = None) -> Verified:
    """Authenticate the whole file and check it; BackupError says what is wrong."""
    bar = progress or Silent()
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc}") from exc
    with fh:
        bar.start("verify", path.stat().st_size)
        reader = ArchiveReader(fh, private_raw, allow_plain=allow_plain, progress=bar.advance)
        manifest = _walk(reader)
        bar.finish()
        return Verified(manifest, reader.header, reader.sha256, reader.encrypted)
