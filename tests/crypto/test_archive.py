"""Sealed multi-recipient streams: each recipient opens, nobody can re-address or re-label."""

from __future__ import annotations

import io

import pytest

from intake.crypto import DecryptionError, generate_keypair
from intake.crypto.archive import open_stream, seal_stream


def _seal(kind: str, publics: list[bytes], body: bytes) -> bytes:
    header, enc = seal_stream(kind, publics)
    return header + enc.update(body) + enc.finalize()


def _open(blob: bytes, kind: str, private: bytes) -> bytes:
    src = io.BytesIO(blob)
    _header, dec = open_stream(src, kind, private)
    return dec.update(src.read()) + dec.finalize()


def test_every_recipient_opens_and_a_stranger_does_not():
    keys = [generate_keypair() for _ in range(3)]
    blob = _seal("backup", [pub for _priv, pub in keys[:2]], b"x" * 200_000)
    for private, _public in keys[:2]:
        assert _open(blob, "backup", private) == b"x" * 200_000
    with pytest.raises(DecryptionError, match="cannot open"):
        _open(blob, "backup", keys[2][0])
    assert keys[0][1] not in blob  # no key identifier in the header


def test_header_is_bound_to_the_stream():
    """Dropping the other recipient's wrap (to hide who else can read) breaks the stream."""
    (a_priv, a_pub), (_b_priv, b_pub) = generate_keypair(), generate_keypair()
    header, enc = seal_stream("backup", [a_pub, b_pub])
    body = enc.update(b"secret") + enc.finalize()
    prefix_len = len(b"INTAKE-SEALED\x01") + 1 + len("backup") + 16
    first_len = int.from_bytes(header[prefix_len + 1:prefix_len + 3], "big")
    first = header[prefix_len + 1:prefix_len + 3 + first_len]
    stripped = header[:prefix_len] + b"\x01" + first + body
    with pytest.raises(DecryptionError):
        _open(stripped, "backup", a_priv)
    assert _open(header + body, "backup", a_priv) == b"secret"


def test_kind_is_checked_and_bound():
    private, public = generate_keypair()
    blob = _seal("bundle", [public], b"data")
    with pytest.raises(DecryptionError, match="bundle"):
        _open(blob, "backup", private)
    relabelled = blob.replace(b"\x06bundle", b"\x06backup", 1)
    with pytest.raises(DecryptionError):
        _open(relabelled, "backup", private)


def test_nobody_to_open_it_is_refused():
    with pytest.raises(ValueError):
        seal_stream("backup", [])
