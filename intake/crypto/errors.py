"""The one exception callers catch, so cryptography's own exceptions never leak out."""

from __future__ import annotations


class DecryptionError(Exception):
    """Raised on any authentication failure or malformed ciphertext, wrap or key blob."""
