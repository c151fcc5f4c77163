"""What an item's envelope is bound to: its id, kind, case and parent, per format version."""

from __future__ import annotations

from dataclasses import dataclass

from intake.crypto._common import frame

# Version 1 bound only the item id and kind, so an item moved to another case in the
# database still opened there; version 2 also binds the case and the parent item.
UNBOUND_VERSION = 1
FORMAT_VERSION = 2
VERSIONS = (UNBOUND_VERSION, FORMAT_VERSION)


@dataclass(frozen=True)
class ItemBinding:
    """Where an item sits: decrypting it anywhere else (another case or parent) fails."""

    item_id: str
    kind: str
    case_id: str
    parent_id: str | None = None

    def __post_init__(self) -> None:
        """Ids are never empty, so an empty parent field can only mean "no parent"."""
        if not self.item_id or not self.kind:
            raise ValueError("an item binding needs an item id and a kind")
        if self.parent_id == "":
            raise ValueError("parent id must be None or a non-empty id")

    @property
    def parent_part(self) -> str:
        """The parent as framed: its id, or empty for an item without a parent."""
        return self.parent_id or ""


def item_aad(binding: ItemBinding, version: int) -> bytes:
    """AEAD associated data of an item's inline ciphertext for one format version."""
    if version == UNBOUND_VERSION:
        return frame(b"intake/item", bytes([version]), binding.kind, binding.item_id)
    if version == FORMAT_VERSION:
        return frame(b"intake/item", bytes([version]), binding.kind, binding.item_id,
                     binding.case_id, binding.parent_part)
    raise ValueError(f"unknown item format version {version}")


def wrap_info(binding: ItemBinding, version: int) -> bytes:
    """HPKE info of a data-key wrap for one format version."""
    if version == UNBOUND_VERSION:
        return frame(b"intake/wrap", bytes([version]), binding.item_id)
    if version == FORMAT_VERSION:
        return frame(b"intake/wrap", bytes([version]), binding.kind, binding.item_id,
                     binding.case_id, binding.parent_part)
    raise ValueError(f"unknown wrap format version {version}")
