"""The plaintext formats sealed inside encrypted items, in one place: offline decryption of
an archive years from now depends on them, so each is versioned, typed and decoded strictly.

Everything that encodes or decodes an item's plaintext goes through this module (a test
holds the rest of the package to that). The stored statistics formats (releases, protected
generations) are defined next to the computation that makes them, in intake.stats.payload,
and reach the services through here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from intake.stats.payload import (
    StatsPayload,
    StatsPayloadError,
    decode_generation,
    decode_payload,
    encode_generation,
    encode_payload,
)

__all__ = ["AttachmentMeta", "PayloadError", "ReportAnswers", "SafeCopyMeta", "StatsPayload",
           "StatsPayloadError", "TextPayload", "decode_generation", "decode_payload",
           "encode_generation", "encode_payload"]


class PayloadError(ValueError):
    """The plaintext is not a payload of the expected format, or of a version we cannot read."""


def _load(data: bytes, name: str, version: int) -> dict[str, Any]:
    """Parse one JSON object and check its version; never return something half-understood."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"{name}: not UTF-8 JSON") from exc
    if not isinstance(raw, dict):
        raise PayloadError(f"{name}: not an object")
    found = raw.get("v")
    if not isinstance(found, int) or isinstance(found, bool) or not 1 <= found <= version:
        raise PayloadError(f"{name}: unsupported format version {found!r}")
    return raw


def _dump(version: int, body: dict[str, Any]) -> bytes:
    return json.dumps({"v": version, **body}, ensure_ascii=False).encode("utf-8")


def _text(raw: dict[str, Any], key: str, name: str, default: str | None = "") -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise PayloadError(f"{name}: {key} is not text")
    return value


def _optional_text(raw: dict[str, Any], key: str, name: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise PayloadError(f"{name}: {key} is not text")
    return value


def _flag(raw: dict[str, Any], key: str, name: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise PayloadError(f"{name}: {key} is not true/false")
    return value


def _count(raw: dict[str, Any], key: str, name: str) -> int:
    value = raw.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PayloadError(f"{name}: {key} is not a size")
    return value


def _codes(raw: dict[str, Any], key: str, name: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PayloadError(f"{name}: {key} is not a list of codes")
    return list(value)


@dataclass
class ReportAnswers:
    """What the reporter typed on the form (kind "report")."""

    VERSION: ClassVar[int] = 1

    what: str
    when_date: str | None = None
    when_month: str | None = None
    when_year: str | None = None
    region: str | None = None
    place: str = ""
    acts: list[str] = field(default_factory=list)
    perpetrators: list[str] = field(default_factory=list)
    danger_now: bool = False
    contact: str = ""
    consent_stats: bool = False
    language: str = "en"

    def encode(self) -> bytes:
        """Versioned JSON, UTF-8."""
        return _dump(self.VERSION, asdict(self))

    @classmethod
    def decode(cls, data: bytes) -> ReportAnswers:
        """Inverse of encode; PayloadError for anything else."""
        name = "report"
        raw = _load(data, name, cls.VERSION)
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known - {"v"}
        if unknown:
            raise PayloadError(f"{name}: unknown fields {sorted(unknown)}")
        return cls(
            what=_text(raw, "what", name, None),
            when_date=_optional_text(raw, "when_date", name),
            when_month=_optional_text(raw, "when_month", name),
            when_year=_optional_text(raw, "when_year", name),
            region=_optional_text(raw, "region", name),
            place=_text(raw, "place", name),
            acts=_codes(raw, "acts", name),
            perpetrators=_codes(raw, "perpetrators", name),
            danger_now=_flag(raw, "danger_now", name),
            contact=_text(raw, "contact", name),
            consent_stats=_flag(raw, "consent_stats", name),
            language=_text(raw, "language", name, "en"),
        )

    def pretty(self) -> bytes:
        """The same answers as indented JSON, for people reading an offline export."""
        return json.dumps({"v": self.VERSION, **asdict(self)}, ensure_ascii=False,
                          indent=2).encode("utf-8")


@dataclass(frozen=True)
class TextPayload:
    """A follow-up from the reporter, a reply to them or an internal note."""

    VERSION: ClassVar[int] = 1

    text: str

    def encode(self) -> bytes:
        """Versioned JSON, UTF-8."""
        return _dump(self.VERSION, {"text": self.text})

    @classmethod
    def decode(cls, data: bytes) -> TextPayload:
        """Inverse of encode; PayloadError for anything else."""
        return cls(_text(_load(data, "text", cls.VERSION), "text", "text", None))


@dataclass(frozen=True)
class AttachmentMeta:
    """An attachment item's own plaintext: the reporter's file name, the detected type, the
    original's size and digest, and the stored copy's (which differ when it was cleaned);
    `complete` is False when cleaning left some part as it was (absent before: True)."""

    VERSION: ClassVar[int] = 1

    filename: str
    mime: str
    size: int
    sha256: str
    cleaned: bool
    stored_size: int
    stored_sha256: str
    complete: bool = True

    def encode(self) -> bytes:
        """Versioned JSON, UTF-8."""
        return _dump(self.VERSION, asdict(self))

    @classmethod
    def decode(cls, data: bytes) -> AttachmentMeta:
        """Inverse of encode; PayloadError for anything else."""
        name = "attachment"
        raw = _load(data, name, cls.VERSION)
        size = _count(raw, "size", name)
        sha256 = _text(raw, "sha256", name, None)
        return cls(
            filename=_text(raw, "filename", name, "file"),
            mime=_text(raw, "mime", name, None),
            size=size,
            sha256=sha256,
            cleaned=_flag(raw, "cleaned", name),
            stored_size=_count(raw, "stored_size", name) if "stored_size" in raw else size,
            stored_sha256=_text(raw, "stored_sha256", name, sha256),
            complete=_flag(raw, "complete", name) if "complete" in raw else True,
        )

    def as_dict(self) -> dict[str, Any]:
        """For manifests of offline exports."""
        return asdict(self)


@dataclass(frozen=True)
class SafeCopyMeta:
    """A safe copy's own plaintext (kind "safe_copy", child of an attachment): its blob is a
    PDF of page images only, rebuilt from pixels rendered in the sandbox (docs/decisions.md).

    `source_sha256` is the digest of the stored attachment it was made from; `sha256` and
    `size` are the PDF's; `dpi` the rendering resolution; `ocr` whether a text layer was
    added (never, so far)."""

    VERSION: ClassVar[int] = 1

    pages: int
    dpi: int
    size: int
    sha256: str
    source_sha256: str
    ocr: bool = False

    def encode(self) -> bytes:
        """Versioned JSON, UTF-8."""
        return _dump(self.VERSION, asdict(self))

    @classmethod
    def decode(cls, data: bytes) -> SafeCopyMeta:
        """Inverse of encode; PayloadError for anything else."""
        name = "safe copy"
        raw = _load(data, name, cls.VERSION)
        unknown = set(raw) - {f.name for f in fields(cls)} - {"v"}
        if unknown:
            raise PayloadError(f"{name}: unknown fields {sorted(unknown)}")
        meta = cls(pages=_count(raw, "pages", name), dpi=_count(raw, "dpi", name),
                   size=_count(raw, "size", name), sha256=_text(raw, "sha256", name, None),
                   source_sha256=_text(raw, "source_sha256", name, None),
                   ocr=_flag(raw, "ocr", name))
        if meta.pages < 1 or meta.dpi < 1:
            raise PayloadError(f"{name}: no pages")
        return meta

    def as_dict(self) -> dict[str, Any]:
        """For manifests of offline exports."""
        return asdict(self)
