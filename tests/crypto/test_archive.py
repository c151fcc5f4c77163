"""Sealed multi-recipient streams: each recipient opens, nobody can re-address or re-label."""

from __future__ import annotations

import hashlib
import io

import pytest

from intake.crypto import DecryptionError, generate_keypair
from intake.crypto._common import frame
from intake.crypto.archive import (
    MAGIC,
    MAX_KIND_LEN,
    MAX_RECIPIENTS,
    MAX_WRAP_LEN,
    is_sealed,
    open_stream,
    seal_stream,
)
from intake.crypto.envelope import SUITE
from intake.crypto.keys import load_private, load_public
from intake.crypto.stream import StreamDecryptor, StreamEncryptor


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


# The layout as the module docstring and docs/crypto describe it, written out independently
# of seal_stream/open_stream: a change to a label, a version byte or a field order in the
# module breaks these, where a round trip through the module's own two halves would not.
def _wrap_info(kind: str, archive_id: bytes) -> bytes:
    return frame(b"intake/archive-wrap", b"\x01", kind, archive_id)


def _forge(kind: bytes, wraps: list[bytes], key: bytes, body: bytes,
           archive_id: bytes = bytes(range(16))) -> bytes:
    """An archive as anyone holding the recipients' public keys could write it."""
    header = MAGIC + bytes([len(kind)]) + kind + archive_id + bytes([len(wraps)])
    for wrapped in wraps:
        header += len(wrapped).to_bytes(2, "big") + wrapped
    enc = StreamEncryptor(key, frame(b"intake/archive", b"\x01", hashlib.sha256(header).digest()))
    return header + enc.update(body) + enc.finalize()


def test_an_archive_written_to_the_documented_layout_opens():
    private, public = generate_keypair()
    key, archive_id = bytes(range(32)), bytes(range(100, 116))
    wrapped = SUITE.encrypt(key, load_public(public), info=_wrap_info("backup", archive_id))
    blob = _forge(b"backup", [wrapped], key, b"the body", archive_id)
    assert _open(blob, "backup", private) == b"the body"


def test_a_sealed_archive_reads_by_the_documented_layout():
    private, public = generate_keypair()
    header, enc = seal_stream("bundle", [public])
    body = enc.update(b"the body") + enc.finalize()
    assert header[:len(MAGIC)] == MAGIC and is_sealed(header + body)
    assert header[len(MAGIC)] == 6 and header[len(MAGIC) + 1:len(MAGIC) + 7] == b"bundle"
    archive_id = header[len(MAGIC) + 7:len(MAGIC) + 23]
    assert header[len(MAGIC) + 23] == 1  # one recipient
    size = int.from_bytes(header[len(MAGIC) + 24:len(MAGIC) + 26], "big")
    wrapped = header[len(MAGIC) + 26:]
    assert len(wrapped) == size
    key = SUITE.decrypt(wrapped, load_private(private), info=_wrap_info("bundle", archive_id))
    dec = StreamDecryptor(key, frame(b"intake/archive", b"\x01", hashlib.sha256(header).digest()))
    assert dec.update(body) + dec.finalize() == b"the body"


def test_is_sealed_knows_its_own_files_only():
    _private, public = generate_keypair()
    assert is_sealed(seal_stream("backup", [public])[0])
    for other in (b"", MAGIC[:-1], b"PK\x03\x04" + MAGIC, b"intake-sealed\x01"):
        assert not is_sealed(other)


def test_a_forged_wrap_holding_a_key_of_the_wrong_size_opens_nothing():
    """Anyone with a public key can write wraps: one that carries a 31- or 33-byte key is
    refused like any key that opens nothing, not passed on to the stream."""
    private, public = generate_keypair()
    for size in (31, 33):
        key = bytes(range(size))
        wrapped = SUITE.encrypt(key, load_public(public), info=_wrap_info("backup", bytes(16)))
        blob = _forge(b"backup", [wrapped], bytes(32), b"x", bytes(16))
        with pytest.raises(DecryptionError, match="^this key cannot open the archive"):
            _open(blob, "backup", private)


@pytest.mark.parametrize("private", [b"", bytes(95), bytes(97)])
def test_a_malformed_private_key_opens_nothing(private):
    _priv, public = generate_keypair()
    with pytest.raises(DecryptionError, match="^this key cannot open the archive"):
        _open(_seal("backup", [public], b"x"), "backup", private)


def test_recipient_count_limits_when_sealing_and_opening():
    keys = [generate_keypair() for _ in range(MAX_RECIPIENTS + 1)]
    assert MAX_RECIPIENTS == 32
    with pytest.raises(ValueError, match="at most 32 recipients"):
        seal_stream("backup", [public for _private, public in keys])
    blob = _seal("backup", [public for _private, public in keys[:MAX_RECIPIENTS]], b"all")
    assert _open(blob, "backup", keys[MAX_RECIPIENTS - 1][0]) == b"all"
    prefix = MAGIC + b"\x06backup" + bytes(16)
    for count in (0, MAX_RECIPIENTS + 1, 255):
        with pytest.raises(DecryptionError, match="^malformed archive header$"):
            _open(prefix + bytes([count]) + b"\x00" * 64, "backup", keys[0][0])


def test_wrap_length_limit_is_exact():
    """A wrap of MAX_WRAP_LEN bytes is read (a stranger's wrap does not stop the reader);
    one byte more is a malformed header, not a 64 KiB read."""
    private, public = generate_keypair()
    key = bytes(range(32))
    mine = SUITE.encrypt(key, load_public(public), info=_wrap_info("backup", bytes(16)))
    assert MAX_WRAP_LEN == 4096
    blob = _forge(b"backup", [bytes(MAX_WRAP_LEN), mine], key, b"x", bytes(16))
    assert _open(blob, "backup", private) == b"x"
    too_long = _forge(b"backup", [bytes(MAX_WRAP_LEN + 1), mine], key, b"x", bytes(16))
    with pytest.raises(DecryptionError, match="^malformed archive header$"):
        _open(too_long, "backup", private)


def test_kind_length_limits():
    private, public = generate_keypair()
    for kind in ("b", "k" * MAX_KIND_LEN):
        assert _open(_seal(kind, [public], b"x"), kind, private) == b"x"
    for kind in ("", "k" * (MAX_KIND_LEN + 1)):
        with pytest.raises(ValueError, match="1-32 ASCII"):
            seal_stream(kind, [public])
