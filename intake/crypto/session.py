"""Split-key staff sessions: the server keeps the wrap, the browser cookie keeps the key."""

from __future__ import annotations

import secrets

from intake.crypto._common import KEY_LEN
from intake.crypto.errors import DecryptionError
from intake.crypto.keys import PRIVATE_KEY_LEN
from intake.crypto.symmetric import open_secret, seal_secret

PURPOSE = "session-private-key"


def new_session_key() -> bytes:
    """32 random bytes for the cookie half; useless without the server's wrapped row."""
    return secrets.token_bytes(KEY_LEN)


def wrap_for_session(private_raw: bytes, session_key: bytes, session_id: str) -> bytes:
    """Seal the unlocked private key under the session key, bound to this session's id."""
    if len(private_raw) != PRIVATE_KEY_LEN:
        raise ValueError(f"private key must be {PRIVATE_KEY_LEN} bytes")
    return seal_secret(session_key, PURPOSE, session_id, private_raw)


def unwrap_for_session(blob: bytes, session_key: bytes, session_id: str) -> bytes:
    """Both halves give the private key back; DecryptionError on a wrong key, id or tamper."""
    private_raw = open_secret(session_key, PURPOSE, session_id, blob)
    if len(private_raw) != PRIVATE_KEY_LEN:
        raise DecryptionError("unwrapped private key has the wrong length")
    return private_raw
