"""OpenPGP streaming through the child process: a whole message decrypts; a plaintext that
fails half-way never yields a message that decrypts; an abandoned download kills the child."""

from __future__ import annotations

from collections.abc import Iterator

import pysequoia
import pytest

from intake.crypto import openpgp

CHUNK = b"evidence " * 8000  # 72 KB, more than one pipe read


def _tsk() -> pysequoia.Tsk:
    return pysequoia.Tsk.generate("partner <p@example.org>")


def test_a_streamed_message_decrypts_to_the_plaintext() -> None:
    tsk = _tsk()
    message = b"".join(openpgp.iter_encrypt(bytes(tsk.extract_certificate()),
                                            iter([CHUNK] * 40)))
    assert CHUNK[:20] not in message
    assert pysequoia.decrypt(message, tsk.decryptor()).bytes == CHUNK * 40


def test_a_failing_plaintext_never_gives_a_message_that_decrypts() -> None:
    tsk = _tsk()

    def failing() -> Iterator[bytes]:
        yield CHUNK
        yield CHUNK
        raise OSError("the blob went away")

    out: list[bytes] = []
    with pytest.raises(openpgp.EncryptionFailed, match="the blob went away"):
        for chunk in openpgp.iter_encrypt(bytes(tsk.extract_certificate()), failing()):
            out.append(chunk)
    with pytest.raises(Exception):  # noqa: B017, PT011 - pysequoia raises a plain error
        pysequoia.decrypt(b"".join(out), tsk.decryptor())


def test_an_abandoned_stream_kills_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    started = []
    real = openpgp.subprocess.Popen

    def spy(*args: object, **kwargs: object) -> object:
        proc = real(*args, **kwargs)  # type: ignore[call-overload]
        started.append(proc)
        return proc

    monkeypatch.setattr(openpgp.subprocess, "Popen", spy)

    def endless() -> Iterator[bytes]:
        while True:
            yield CHUNK

    stream = openpgp.iter_encrypt(bytes(_tsk().extract_certificate()), endless())
    next(stream)
    stream.close()
    [proc] = started
    assert proc.returncode is not None and proc.returncode != 0


@pytest.mark.parametrize("code", ["unreadable", "secret"])
def test_certificate_checks_name_the_problem(code: str) -> None:
    data = b"not a certificate" if code == "unreadable" else str(_tsk()).encode()
    with pytest.raises(openpgp.CertificateError) as refused:
        openpgp.check_certificate(data)
    assert refused.value.code == code


def test_a_good_certificate_gives_its_grouped_fingerprint() -> None:
    cert = _tsk().extract_certificate()
    stored, fpr = openpgp.check_certificate(str(cert).encode())
    assert stored == bytes(cert)
    assert fpr.replace(" ", "") == cert.fingerprint.upper() and len(fpr.split()) == 10
