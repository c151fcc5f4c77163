"""Encryption cost: one 2 KB report to 3 recipients, our envelope against OpenPGP.

Our envelope is new_data_key + encrypt_item (AES-256-GCM) + wrap_data_key × 3 (HPKE,
ML-KEM-768 + X25519). The comparisons, in the same run and on the same payload:
pysequoia (what current tip-line software uses) and `gpg --encrypt` (what older
whistleblowing systems used), both with three freshly generated keys. gpg is timed as
a subprocess per report, and in-process by encrypting many files in one invocation.

    .venv/bin/python bench/encryption_cost.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lib.figures import header, median

from intake.crypto import ItemBinding, encrypt_item, generate_keypair, new_data_key, wrap_data_key
from intake.models import new_id

PAYLOAD = (b"Two men followed me from the office to my home. " * 60)[:2048]
RECIPIENTS = 3


def per_call_ms(fn: Callable[[], object], calls: int, repeats: int) -> float:
    """Median over `repeats` batches of the mean time of one call, in ms."""
    fn()
    batches = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        batches.append((time.perf_counter() - start) / calls * 1000)
    return median(batches)


def envelope_case() -> Callable[[], object]:
    """Our item encryption, exactly as keyring.seal_item does it (minus the ORM)."""
    publics = [generate_keypair()[1] for _ in range(RECIPIENTS)]

    def run() -> object:
        binding = ItemBinding(new_id(), "report", new_id())
        key = new_data_key()
        blob = encrypt_item(key, binding, PAYLOAD)
        return blob, [wrap_data_key(key, pub, binding) for pub in publics]

    return run


def sequoia_case() -> tuple[Callable[[], object] | None, str]:
    """pysequoia encrypt to three generated certificates, binary output."""
    try:
        import pysequoia
    except ImportError as exc:
        return None, f"pysequoia not installed: {exc}"
    uids = [f"recipient {n} <r{n}@bench.invalid>" for n in range(RECIPIENTS)]
    if hasattr(pysequoia, "Tsk"):
        certs = [pysequoia.Tsk.generate(uid).extract_certificate() for uid in uids]
    else:
        certs = [pysequoia.Cert.generate(uid) for uid in uids]
    version = getattr(pysequoia, "__version__", "") or _dist_version("pysequoia")
    return (lambda: pysequoia.encrypt(PAYLOAD, certs, armor=False)), \
        f"pysequoia {version}, default profile (Curve25519 keys), binary output"


def _dist_version(name: str) -> str:
    """Installed distribution version, for the conditions line."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


class Gpg:
    """A temporary GNUPGHOME holding three generated ed25519/cv25519 keys."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="intake-bench-gpg-"))
        os.chmod(self.home, 0o700)
        self.env = {**os.environ, "GNUPGHOME": str(self.home)}
        self.recipients = []
        for n in range(RECIPIENTS):
            uid = f"recipient {n} <r{n}@bench.invalid>"
            self._gpg("--passphrase", "", "--quick-gen-key", uid, "future-default", "default",
                      "never")
            self.recipients += ["-r", f"r{n}@bench.invalid"]
        self.version = self._gpg("--version").stdout.splitlines()[0].decode()

    def _gpg(self, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(  # noqa: S603 - fixed argv
            ["gpg", "--batch", "--quiet", "--trust-model", "always", "--pinentry-mode",
             "loopback", *args], input=data, env=self.env, capture_output=True, check=True)

    def encrypt_one(self) -> bytes:
        """One report = one gpg process, as a system that shells out would do it."""
        return self._gpg(*self.recipients, "--encrypt", data=PAYLOAD).stdout

    def encrypt_files(self, count: int) -> float:
        """Seconds for one gpg process that encrypts `count` files (in-process batching)."""
        work = self.home / f"batch{count}"
        work.mkdir(exist_ok=True)
        files = []
        for n in range(count):
            path = work / f"r{n}"
            path.write_bytes(PAYLOAD)
            files.append(str(path))
        start = time.perf_counter()
        self._gpg("--yes", *self.recipients, "--encrypt-files", *files)
        elapsed = time.perf_counter() - start
        shutil.rmtree(work)
        return elapsed

    def close(self) -> None:
        subprocess.run(["gpgconf", "--kill", "all"], env=self.env,  # noqa: S603, S607
                       capture_output=True, check=False)
        shutil.rmtree(self.home, ignore_errors=True)


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Time the three in one run, print each and the ratios against our envelope."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    calls, repeats = (50, 5) if args.quick else (200, 7)
    header("Encryption cost: one 2 KB report to 3 recipients")
    figures: dict[str, float] = {}
    ours = per_call_ms(envelope_case(), calls, repeats)
    figures["envelope_ms"] = ours
    print(f"   payload {len(PAYLOAD)} bytes; median of {repeats} batches of {calls} "
          "(gpg subprocess: fewer)")
    print(f"   intake envelope (AES-256-GCM + 3 × HPKE ML-KEM-768+X25519): {ours:8.3f} ms")
    seq, note = sequoia_case()
    if seq is None:
        print(f"   pysequoia: NOT MEASURED: {note}")
    else:
        figures["sequoia_ms"] = per_call_ms(seq, calls, repeats)
        print(f"   {note}: {figures['sequoia_ms']:8.3f} ms  "
              f"(ratio to ours {figures['sequoia_ms'] / ours:.2f})")
    if shutil.which("gpg") is None:
        print("   gpg: NOT MEASURED: gpg not on PATH (Debian package gnupg)")
        return figures
    gpg = Gpg()
    try:
        sub_calls = 5 if args.quick else 20
        figures["gpg_subprocess_ms"] = per_call_ms(gpg.encrypt_one, sub_calls, 3)
        small, big = 10, (100 if args.quick else 400)
        per_file = median([(gpg.encrypt_files(big) - gpg.encrypt_files(small)) / (big - small)
                           for _ in range(3)]) * 1000
        figures["gpg_inprocess_ms"] = per_file
        print(f"   {gpg.version}, ed25519/cv25519 keys (future-default):")
        print(f"     gpg --encrypt, one process per report: {figures['gpg_subprocess_ms']:8.3f} ms"
              f"  (ratio to ours {figures['gpg_subprocess_ms'] / ours:.1f})")
        print(f"     gpg in-process ({big}-{small} files in one --encrypt-files, difference "
              f"per file): {per_file:8.3f} ms  (ratio to ours {per_file / ours:.2f})")
    finally:
        gpg.close()
    return figures


if __name__ == "__main__":
    main()
