"""Shared tamper helpers: every byte position, every truncation."""

from collections.abc import Iterator


def flipped(blob: bytes, mask: int = 0x01) -> Iterator[bytes]:
    """Every copy of blob with exactly one byte changed."""
    for i in range(len(blob)):
        yield blob[:i] + bytes([blob[i] ^ mask]) + blob[i + 1 :]


def truncations(blob: bytes) -> Iterator[bytes]:
    """Every proper prefix of blob, including the empty one."""
    for n in range(len(blob)):
        yield blob[:n]
