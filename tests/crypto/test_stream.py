"""STREAM attachments: round trips at every boundary, and every kind of tampering."""

import io
import random
import tracemalloc

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.crypto import (
    SEGMENT_SIZE,
    DecryptionError,
    StreamDecryptor,
    StreamEncryptor,
    decrypt_file,
    encrypt_file,
    iter_decrypt,
    new_data_key,
    stream_associated_data,
)
from intake.crypto import stream as stream_mod
from tests.crypto.helpers import flipped

SEG_CT = SEGMENT_SIZE + 16
HEADER = 8
AAD = stream_associated_data("att-1", "attachment")


def encrypt(key, data, aad=AAD, chunk=None):
    enc = StreamEncryptor(key, aad)
    if chunk is None:
        return enc.update(data) + enc.finalize()
    out = b"".join(enc.update(data[i : i + chunk]) for i in range(0, len(data), chunk))
    return out + enc.finalize()


def decrypt(key, blob, aad=AAD, chunk=None):
    dec = StreamDecryptor(key, aad)
    if chunk is None:
        return dec.update(blob) + dec.finalize()
    out = b"".join(dec.update(blob[i : i + chunk]) for i in range(0, len(blob), chunk))
    return out + dec.finalize()


def segments(blob):
    """Split a stream into its header and ciphertext segments."""
    body = blob[HEADER:]
    return blob[:HEADER], [body[i : i + SEG_CT] for i in range(0, len(body), SEG_CT)]


def data(n, seed=0):
    return random.Random(seed).randbytes(n)


SIZES = [0, 1, 1000, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE]


@pytest.mark.parametrize("size", SIZES)
def test_round_trip_sizes(size):
    key = new_data_key()
    plaintext = data(size)
    blob = encrypt(key, plaintext)
    full, rest = divmod(size, SEGMENT_SIZE)
    assert len(blob) == HEADER + full * SEG_CT + rest + 16  # final segment always present
    assert decrypt(key, blob) == plaintext
    assert decrypt(key, blob, chunk=777) == plaintext
    assert encrypt(key, plaintext, chunk=SEGMENT_SIZE)[HEADER:] != blob[HEADER:]  # fresh prefix


def test_empty_and_exact_multiple_end_in_empty_final_segment():
    key = new_data_key()
    assert len(encrypt(key, b"")) == HEADER + 16
    _, segs = segments(encrypt(key, data(2 * SEGMENT_SIZE)))
    assert [len(s) for s in segs] == [SEG_CT, SEG_CT, 16]


def test_header_is_emitted_once_and_first():
    enc = StreamEncryptor(new_data_key(), AAD)
    header = enc.header
    assert len(header) == HEADER and header[0] == 1
    first = enc.update(b"abc")
    assert first == header
    assert enc.update(b"def") == b""
    assert not enc.finalize().startswith(header)


def test_finalize_without_update_includes_header():
    key = new_data_key()
    enc = StreamEncryptor(key, AAD)
    blob = enc.finalize()
    assert blob.startswith(enc.header) and decrypt(key, blob) == b""


def test_encryptor_and_decryptor_are_single_use():
    key = new_data_key()
    enc = StreamEncryptor(key, AAD)
    blob = enc.finalize()
    with pytest.raises(ValueError):
        enc.update(b"more")
    dec = StreamDecryptor(key, AAD)
    dec.update(blob)
    dec.finalize()
    with pytest.raises(DecryptionError):
        dec.update(b"")
    with pytest.raises(DecryptionError):
        dec.finalize()


def test_decryptor_holds_back_possible_final_segment():
    key = new_data_key()
    plaintext = data(2 * SEGMENT_SIZE + 10)
    blob = encrypt(key, plaintext)
    dec = StreamDecryptor(key, AAD)
    assert dec.update(blob[: HEADER + SEG_CT]) == b""  # might be the last segment: held back
    assert dec.update(blob[HEADER + SEG_CT : HEADER + SEG_CT + 1]) == plaintext[:SEGMENT_SIZE]
    rest = dec.update(blob[HEADER + SEG_CT + 1 :])
    assert rest + dec.finalize() == plaintext[SEGMENT_SIZE:]


def test_small_stream_every_flipped_byte_fails():
    key = new_data_key()
    blob = encrypt(key, b"tiny attachment")
    for bad in flipped(blob):
        with pytest.raises(DecryptionError):
            decrypt(key, bad)


@pytest.mark.parametrize("position", [0, 7, 8, 100, HEADER + SEG_CT - 1, HEADER + SEG_CT, -17, -1])
def test_multi_segment_flipped_byte_fails(position):
    key = new_data_key()
    blob = bytearray(encrypt(key, data(SEGMENT_SIZE + 500)))
    blob[position] ^= 0x01
    with pytest.raises(DecryptionError):
        decrypt(key, bytes(blob))


@pytest.mark.parametrize("size", [0, 10, SEGMENT_SIZE, 2 * SEGMENT_SIZE + 10])
def test_truncation_fails(size):
    key = new_data_key()
    blob = encrypt(key, data(size))
    cuts = {0, 1, HEADER - 1, HEADER, HEADER + 1, len(blob) - 1, len(blob) - 16}
    cuts |= {HEADER + k * SEG_CT for k in range(1, size // SEGMENT_SIZE + 1)}  # at boundaries
    cuts |= {HEADER + k * SEG_CT + 100 for k in range(size // SEGMENT_SIZE)}  # mid-segment
    for cut in sorted(c for c in cuts if 0 <= c < len(blob)):
        with pytest.raises(DecryptionError):
            decrypt(key, blob[:cut])


def test_dropping_the_empty_final_segment_fails():
    key = new_data_key()
    blob = encrypt(key, data(2 * SEGMENT_SIZE))
    with pytest.raises(DecryptionError):
        decrypt(key, blob[:-16])


def test_reordered_segments_fail():
    key = new_data_key()
    header, segs = segments(encrypt(key, data(3 * SEGMENT_SIZE + 5)))
    for order in ([1, 0, 2, 3], [0, 2, 1, 3], [0, 1, 3, 2], [3, 1, 2, 0]):
        with pytest.raises(DecryptionError):
            decrypt(key, header + b"".join(segs[i] for i in order))


def test_dropped_or_duplicated_middle_segment_fails():
    key = new_data_key()
    header, segs = segments(encrypt(key, data(3 * SEGMENT_SIZE + 5)))
    for picked in ([0, 2, 3], [0, 1, 1, 2, 3], [1, 2, 3]):
        with pytest.raises(DecryptionError):
            decrypt(key, header + b"".join(segs[i] for i in picked))


@pytest.mark.parametrize("size", [0, 10, SEGMENT_SIZE, SEGMENT_SIZE + 10])
def test_extension_fails(size):
    key = new_data_key()
    blob = encrypt(key, data(size))
    _, segs = segments(blob)
    _, other_segs = segments(encrypt(key, data(2 * SEGMENT_SIZE)))
    for extra in (b"\x00", b"x" * 16, segs[-1], segs[0], other_segs[0], b"\x00" * SEG_CT):
        with pytest.raises(DecryptionError):
            decrypt(key, blob + extra)


def test_segment_swapped_between_streams_with_same_key_fails():
    key = new_data_key()
    plaintext = data(2 * SEGMENT_SIZE + 5)
    header_a, segs_a = segments(encrypt(key, plaintext))
    header_b, segs_b = segments(encrypt(key, plaintext))
    for i in range(len(segs_a)):
        mixed = segs_a[:i] + [segs_b[i]] + segs_a[i + 1 :]
        with pytest.raises(DecryptionError):
            decrypt(key, header_a + b"".join(mixed))
    with pytest.raises(DecryptionError):  # B's header over A's segments
        decrypt(key, header_b + b"".join(segs_a))


def test_wrong_key_or_associated_data_fails():
    key = new_data_key()
    blob = encrypt(key, data(100))
    for bad_key in (new_data_key(), b"", key[:16]):
        with pytest.raises(DecryptionError):
            decrypt(bad_key, blob)
    for aad in (
        stream_associated_data("att-2", "attachment"),
        stream_associated_data("att-1", "report"),
        b"",
    ):
        with pytest.raises(DecryptionError):
            decrypt(key, blob, aad=aad)


def test_wrong_version_fails():
    key = new_data_key()
    blob = encrypt(key, b"data")
    with pytest.raises(DecryptionError):
        decrypt(key, b"\x02" + blob[1:])


def test_failed_decryptor_stays_failed():
    key = new_data_key()
    blob = bytearray(encrypt(key, data(3 * SEGMENT_SIZE)))
    blob[HEADER + 5] ^= 1
    dec = StreamDecryptor(key, AAD)
    with pytest.raises(DecryptionError):
        dec.update(bytes(blob))
    with pytest.raises(DecryptionError):
        dec.update(b"")
    with pytest.raises(DecryptionError):
        dec.finalize()


def test_counter_overflow_raises():
    enc = StreamEncryptor(new_data_key(), AAD)
    enc._counter = (1 << 32) - 2
    enc.update(b"a" * SEGMENT_SIZE)  # last non-final counter value
    with pytest.raises(OverflowError):
        enc.update(b"b" * SEGMENT_SIZE)
    enc2 = StreamEncryptor(new_data_key(), AAD)
    enc2._counter = 1 << 32
    with pytest.raises(OverflowError):
        enc2.finalize()


def test_decryptor_counter_overflow_raises():
    key = new_data_key()
    blob = encrypt(key, data(2 * SEGMENT_SIZE))
    dec = StreamDecryptor(key, AAD)
    dec.update(blob[:HEADER])
    dec._counter = 1 << 32
    with pytest.raises(DecryptionError):
        dec.update(blob[HEADER:])


def test_file_helpers_round_trip():
    key = new_data_key()
    plaintext = data(3 * SEGMENT_SIZE + 123)
    dst = io.BytesIO()
    written = encrypt_file(key, AAD, io.BytesIO(plaintext), dst, chunk=10_000)
    assert written == len(dst.getvalue())
    out = io.BytesIO()
    assert decrypt_file(key, AAD, io.BytesIO(dst.getvalue()), out, chunk=4096) == len(plaintext)
    assert out.getvalue() == plaintext
    assert b"".join(iter_decrypt(key, AAD, io.BytesIO(dst.getvalue()))) == plaintext


def test_iter_decrypt_raises_where_tampering_is_detected():
    key = new_data_key()
    plaintext = data(4 * SEGMENT_SIZE)
    blob = bytearray(encrypt(key, plaintext))
    blob[HEADER + 2 * SEG_CT + 3] ^= 1  # third segment
    pieces = []
    with pytest.raises(DecryptionError):
        for piece in iter_decrypt(key, AAD, io.BytesIO(bytes(blob)), chunk=SEG_CT):
            pieces.append(piece)
    assert b"".join(pieces) == plaintext[: 2 * SEGMENT_SIZE]


def test_iter_decrypt_detects_truncation_at_the_end():
    key = new_data_key()
    blob = encrypt(key, data(2 * SEGMENT_SIZE + 1))
    with pytest.raises(DecryptionError):
        list(iter_decrypt(key, AAD, io.BytesIO(blob[: HEADER + 2 * SEG_CT])))


class _Zeros(io.RawIOBase):
    """A large source that never exists in memory."""

    def __init__(self, size):
        self.left = size

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return bytes(n)


class _Sink(io.RawIOBase):
    """Counts and discards."""

    def __init__(self):
        self.count = 0

    def writable(self):
        return True

    def write(self, b):
        self.count += len(b)
        return len(b)


def test_constant_memory_for_large_streams():
    key = new_data_key()
    size = 64 * 1024 * 1024
    tracemalloc.start()
    try:
        sink = _Sink()
        encrypt_file(key, AAD, _Zeros(size), sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.count == HEADER + (size // SEGMENT_SIZE) * SEG_CT + 16
    assert peak < 8 * 1024 * 1024  # a few 1 MiB chunks, not the 64 MiB total


@settings(
    max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    size=st.integers(min_value=0, max_value=200_000),
    seed=st.integers(min_value=0, max_value=2**32),
    enc_chunks=st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=8),
    dec_chunks=st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=8),
)
def test_round_trip_random_sizes_and_chunkings(size, seed, enc_chunks, dec_chunks):
    key = new_data_key()
    plaintext = data(size, seed)

    def pieces(blob, chunks):
        pos, i = 0, 0
        while pos < len(blob):
            step = chunks[i % len(chunks)]
            yield blob[pos : pos + step]
            pos, i = pos + step, i + 1

    enc = StreamEncryptor(key, AAD)
    blob = b"".join(enc.update(p) for p in pieces(plaintext, enc_chunks)) + enc.finalize()
    assert len(blob) == HEADER + (size // SEGMENT_SIZE) * SEG_CT + size % SEGMENT_SIZE + 16
    dec = StreamDecryptor(key, AAD)
    assert b"".join(dec.update(p) for p in pieces(blob, dec_chunks)) + dec.finalize() == plaintext


def test_prefix_seam_is_used(monkeypatch):
    monkeypatch.setattr(stream_mod, "_new_prefix", lambda: b"\xaa" * 7)
    assert StreamEncryptor(new_data_key(), AAD).header == b"\x01" + b"\xaa" * 7


class _Ciphertext(io.RawIOBase):
    """An encrypted stream of zeros produced as it is read, never whole in memory."""

    def __init__(self, key, size):
        self.enc = StreamEncryptor(key, AAD)
        self.left = size
        self.pending = b""
        self.requests = []

    def readable(self):
        return True

    def read(self, n=-1):
        self.requests.append(n)
        while (n is None or n < 0 or len(self.pending) < n) and self.enc is not None:
            if self.left:
                step = min(self.left, SEGMENT_SIZE)
                self.left -= step
                self.pending += self.enc.update(bytes(step))
            else:
                self.pending += self.enc.finalize()
                self.enc = None
        n = len(self.pending) if n is None or n < 0 else n
        out, self.pending = self.pending[:n], self.pending[n:]
        return out


def test_decrypt_file_reads_in_chunks_and_runs_in_constant_memory():
    key = new_data_key()
    size = 32 * 1024 * 1024
    src = _Ciphertext(key, size)
    tracemalloc.start()
    try:
        sink = _Sink()
        assert decrypt_file(key, AAD, src, sink, chunk=SEG_CT) == size
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.count == size
    assert set(src.requests) == {SEG_CT}  # the chunk argument is what is read, every time
    assert peak < 4 * 1024 * 1024  # a few segments, not the 32 MiB total


def test_decrypt_file_default_chunk_is_bounded():
    key = new_data_key()
    src = _Ciphertext(key, 3 * stream_mod.DEFAULT_CHUNK)
    assert decrypt_file(key, AAD, src, _Sink()) == 3 * stream_mod.DEFAULT_CHUNK
    assert set(src.requests) == {stream_mod.DEFAULT_CHUNK}


def test_final_segment_at_the_last_counter_value_round_trips():
    """Counter 2^32−1 is the last nonce there is: it may carry the final segment, only that."""
    key = new_data_key()
    last = (1 << 32) - 1
    enc = StreamEncryptor(key, AAD)
    enc._counter = last
    blob = enc.update(b"tail") + enc.finalize()
    assert len(blob) == HEADER + 4 + 16
    dec = StreamDecryptor(key, AAD)
    assert dec.update(blob[:HEADER]) == b""
    dec._counter = last
    assert dec.update(blob[HEADER:]) + dec.finalize() == b"tail"

    full = StreamEncryptor(key, AAD)
    full._counter = last
    with pytest.raises(OverflowError):
        full.update(b"x" * SEGMENT_SIZE)  # a non-final segment there would leave no final one


def test_decryptor_refuses_a_final_segment_past_the_last_counter_value():
    key = new_data_key()
    enc = StreamEncryptor(key, AAD)
    enc._counter = (1 << 32) - 1
    blob = enc.finalize()
    dec = StreamDecryptor(key, AAD)
    dec.update(blob[:HEADER])
    dec._counter = 1 << 32
    dec.update(blob[HEADER:])
    with pytest.raises(DecryptionError):
        dec.finalize()


def test_full_size_final_segment_is_refused():
    """The final segment is always short; a full one marked final is a forged ending."""
    key = new_data_key()
    prefix = bytes(range(stream_mod.PREFIX_LEN))
    segment = AESGCM(key).encrypt(stream_mod._nonce(prefix, 0, True), bytes(SEGMENT_SIZE), AAD)
    blob = bytes([stream_mod.STREAM_VERSION]) + prefix + segment
    assert len(blob) == HEADER + SEG_CT
    dec = StreamDecryptor(key, AAD)
    assert dec.update(blob) == b""  # held back: it could be the last one
    with pytest.raises(DecryptionError):
        dec.finalize()
    with pytest.raises(DecryptionError):
        list(iter_decrypt(key, AAD, io.BytesIO(blob)))


def test_header_alone_is_not_yet_a_stream():
    key = new_data_key()
    blob = encrypt(key, b"x")
    dec = StreamDecryptor(key, AAD)
    assert dec.update(blob[: HEADER - 1]) == b""
    assert dec.update(blob[HEADER - 1 : HEADER]) == b""
    assert dec.update(blob[HEADER:]) + dec.finalize() == b"x"
    short = StreamDecryptor(key, AAD)
    short.update(blob[:HEADER])
    with pytest.raises(DecryptionError, match="final segment missing"):
        short.finalize()  # the header was read: what is missing is the final segment
