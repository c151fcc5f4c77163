"""A partner's certificate, refused for each reason with its own code, at the exact boundary
of its expiry; and the encryption child run without anything of the parent's environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timedelta

import pysequoia
import pytest
from pysequoia.packet import PacketPile, Tag

from intake.crypto import openpgp

# The child stand-in reads everything it is fed (as the real one does), then prints what
# it can see of the environment and writes a line to its standard error.
ENV_PROBE = textwrap.dedent("""
    import json, os, sys
    sys.stdin.buffer.read()
    sys.stderr.write("child-stderr-5e1a\\n")
    sys.stdout.write(json.dumps(dict(os.environ)))
""")


def _cert(validity_seconds: int | None = None) -> pysequoia.Cert:
    return pysequoia.Tsk.generate("partner <p@example.org>",
                                  validity_seconds=validity_seconds).extract_certificate()


def _code(data: bytes, now: datetime | None = None) -> str:
    with pytest.raises(openpgp.CertificateError) as refused:
        openpgp.check_certificate(data, now)
    assert str(refused.value) == refused.value.code  # what a log line would show
    return refused.value.code


def test_nothing_and_two_certificates_are_named_apart() -> None:
    two = str(_cert()).encode() + str(_cert()).encode()
    assert _code(b"") == "unreadable"
    assert _code(two) == "several"
    assert _code(bytes(_cert()) + bytes(_cert())) == "several"


def test_a_revoked_certificate_is_refused() -> None:
    tsk = pysequoia.Tsk.generate("gone <g@example.org>")
    cert = tsk.extract_certificate()
    revoked = pysequoia.Cert.from_bytes(bytes(cert) + bytes(cert.revoke(tsk.certifier())))
    assert revoked.is_revoked
    assert _code(bytes(revoked)) == "revoked"


def test_a_certificate_without_an_encryption_key_is_refused() -> None:
    packets = list(PacketPile.from_bytes(bytes(_cert())))
    cut = next(i for i, p in enumerate(packets) if p.tag == Tag.PublicSubkey
               and packets[i + 1].key_flags is not None
               and packets[i + 1].key_flags.transport_encryption)
    signing_only = pysequoia.Cert.from_packets(packets[:cut] + packets[cut + 2:])
    assert _code(bytes(signing_only)) == "no_encryption_key"


def test_expiry_is_judged_at_the_time_given_and_at_its_exact_second() -> None:
    cert = _cert(validity_seconds=3600)
    expires = cert.expiration
    assert expires is not None
    data = bytes(cert)
    assert _code(data, now=expires) == "expired"
    assert _code(data, now=expires + timedelta(days=30)) == "expired"
    stored, _fpr = openpgp.check_certificate(data, now=expires - timedelta(seconds=1))
    assert stored == data
    assert openpgp.check_certificate(data)[0] == data  # today: an hour left


def test_a_stored_certificate_loads_back_as_itself() -> None:
    cert = _cert()
    loaded = openpgp.load(bytes(cert))
    assert loaded.fingerprint == cert.fingerprint and bytes(loaded) == bytes(cert)


def test_a_child_that_fails_on_its_own_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plaintext was fine; the child was not (here: a certificate it cannot read)."""
    with pytest.raises(openpgp.EncryptionFailed, match="exit 1"):
        list(openpgp.iter_encrypt(b"not a certificate", iter([b"plaintext"])))
    # It reads all it is fed first, so that the feeder never meets a closed pipe.
    failing = "import sys; sys.stdin.buffer.read(); sys.exit(3)"
    monkeypatch.setattr(openpgp, "CHILD", (sys.executable, "-c", failing))
    with pytest.raises(openpgp.EncryptionFailed, match="exit 3"):
        list(openpgp.iter_encrypt(bytes(_cert()), iter([])))


def test_a_child_that_closes_its_output_before_it_exits_is_waited_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """End of output is not the end of the child: it is not killed for exiting slowly."""
    lingering = ("import os, sys, time; sys.stdin.buffer.read(); os.write(1, b'whole');"
                 " os.close(1); time.sleep(0.5); os._exit(0)")
    monkeypatch.setattr(openpgp, "CHILD", (sys.executable, "-c", lingering))
    assert b"".join(openpgp.iter_encrypt(bytes(_cert()), iter([b"x"]))) == b"whole"


def test_the_child_inherits_no_environment_and_no_stderr(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """Keys, database addresses and secrets in the service's environment stay there; what the
    child prints on failure does not reach the service's log."""
    monkeypatch.setenv("INTAKE_REVIEW_SECRET_KEY", "the-secret-from-the-environment")
    monkeypatch.setattr(openpgp, "CHILD", (sys.executable, "-c", ENV_PROBE))
    seen = json.loads(b"".join(openpgp.iter_encrypt(bytes(_cert()), iter([b"x" * 100]))))
    assert seen["PATH"] == os.defpath
    assert set(seen) <= {"PATH", "LC_CTYPE"}  # Python itself may add LC_CTYPE (PEP 538)
    assert "child-stderr-5e1a" not in capfd.readouterr().err


# A process that starts a stream, takes one piece and ends without closing it (a worker
# shut down mid-download). The child cannot write on (nobody reads), so the feeder thread
# is stuck writing to it: as a daemon thread it does not keep the process alive.
ABANDON = textwrap.dedent("""
    import os
    import pysequoia
    from intake.crypto import openpgp
    cert = bytes(pysequoia.Tsk.generate("p").extract_certificate())
    def endless():
        while True:
            yield os.urandom(65536)
    stream = openpgp.iter_encrypt(cert, endless())
    next(stream)
    print("started", flush=True)
""")


def test_an_abandoned_stream_does_not_keep_the_process_alive() -> None:
    before = set(threading.enumerate())
    stream = openpgp.iter_encrypt(bytes(_cert()), iter(lambda: os.urandom(65536), b""))
    next(stream)
    feeders = set(threading.enumerate()) - before
    assert feeders and all(t.daemon for t in feeders)
    stream.close()
    # The same, as it happens: a process that ends with the stream still open.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen([sys.executable, "-c", ABANDON], stdout=subprocess.PIPE,  # noqa: S603
                            env=env)
    try:
        out, _err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert out == b"started\n" and proc.returncode == 0
