"""What the sandbox can reach: no network, no data directory, no configuration, no secrets,
and no plaintext of the document on the host's disk during or after a conversion."""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from intake.convert.sandbox import Limits, convert, start
from intake.settings import CONFIG_DIR
from tests.convert import samples
from tests.convert.conftest import Listener, needs_office, needs_sandbox
from tests.support.canary import files_under, hits, read_files

PROBE = r"""
import json, os, socket, sys
paths, port = json.loads(sys.argv[1]), int(sys.argv[2])
data_dir = paths[0]
found = {"paths": [], "network": [], "env": sorted(k for k in os.environ if "INTAKE" in k
                                                   or "SECRET" in k or "DATABASE" in k)}
for path in paths:
    if os.path.lexists(path):
        found["paths"].append(path)
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    try:
        s = socket.socket(family)
        s.settimeout(2)
        s.connect((host, port))
        found["network"].append(host)
    except OSError:
        pass
try:
    socket.getaddrinfo("example.org", 80)
    found["network"].append("dns")
except OSError:
    pass
wrote = []
for path in ("/usr/probe", "/etc/probe", data_dir + "/probe"):
    try:
        open(path, "w").write("x")
        wrote.append(path)
    except OSError:
        pass
found["wrote"] = wrote
print(json.dumps(found))
"""


@needs_sandbox
def test_probe_finds_no_network_data_or_configuration(settings: Any, listener: Listener,
                                                       monkeypatch: Any) -> None:
    """A program run the way the converter is run sees none of the host's state."""
    settings.blob_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "intake.db").write_bytes(b"database")
    monkeypatch.setenv("INTAKE_REVIEW_SECRET_KEY", "the-secret-from-the-environment")
    limits = Limits(max_pages=1, seconds=30, memory_mb=1024)
    project = CONFIG_DIR.parent
    paths = [settings.data_dir, settings.blob_dir, settings.data_dir / "intake.db", CONFIG_DIR,
             CONFIG_DIR / "defaults.toml", project / "README.md", project / "intake",
             project / "instance", Path.home() / ".ssh", Path("/etc/shadow"),
             Path("/etc/hostname"), Path("/var/lib/postgresql"), Path("/run/postgresql")]
    proc = start([sys.executable, "-E", "-s", "-c", PROBE, json.dumps([str(p) for p in paths]),
                  str(listener.port)], limits)
    out, _err = proc.communicate(timeout=60)
    found = json.loads(out)
    assert found == {"paths": [], "network": [], "env": [], "wrote": []}
    assert listener.connections == []
    assert not (settings.data_dir / "probe").exists()


def _scan_roots(settings: Any) -> list[Path]:
    return [settings.data_dir, Path(tempfile.gettempdir()), Path("/var/tmp"),  # noqa: S108
            Path("/dev/shm"), Path.home() / ".config"]


def _in_a_checkout(path: Path) -> bool:
    """Inside a git checkout (a CI clone may live under /tmp, and the tests' own sources
    hold the canary): source, not something a conversion wrote."""
    return any((parent / ".git").exists() for parent in path.parents)


def _written(settings: Any) -> list[Path]:
    """Files in the scanned places, less any checkout of this project."""
    return [p for p in files_under(*_scan_roots(settings)) if not _in_a_checkout(p)]


@needs_office
def test_no_plaintext_on_disk_during_or_after_conversion(settings: Any) -> None:
    """Scan the places a converter would write while LibreOffice works, and after.

    The canary is new on every run: a fixed one is also in files this run did not write (a
    CI system's copy of the change under /tmp held it, and failed the scan)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    canary = f"CANARY-{secrets.token_hex(8)}-SECRET-WORDS"
    document = samples.docx([canary] * 20, page_breaks=True)
    rtf = ("{\\rtf1\\ansi " + canary + "\\par}").encode()
    tokens = [canary]
    found: list[str] = []
    done = threading.Event()

    def scan() -> None:
        while not done.is_set():
            found.extend(hits(tokens, read_files(_written(settings))))

    scanner = threading.Thread(target=scan)
    scanner.start()
    try:
        for data in (document, rtf):
            assert convert(data, Limits(max_pages=50, seconds=90, memory_mb=1536, dpi=72))
    finally:
        done.set()
        scanner.join()
    found.extend(hits(tokens, read_files(_written(settings))))
    assert found == []


@needs_sandbox
def test_unsandboxed_conversion_is_not_reachable_from_the_service() -> None:
    """The only way in is `convert`, which always builds the bubblewrap command."""
    import intake.convert.sandbox as sandbox

    calls: list[list[str]] = []
    real = sandbox.sandbox_argv

    def spy(command: list[str], fd: int) -> list[str]:
        argv = real(command, fd)
        calls.append(argv)
        return argv

    sandbox.sandbox_argv = spy  # type: ignore[assignment]
    try:
        convert(samples.photo(), Limits(max_pages=1, seconds=30, memory_mb=1024))
    finally:
        sandbox.sandbox_argv = real  # type: ignore[assignment]
    [argv] = calls
    assert argv[:2] == ["bwrap", "--unshare-all"] and "--die-with-parent" in argv
    assert not any(str(p) in argv for p in (CONFIG_DIR,))


def test_missing_bubblewrap_refuses_instead_of_converting(monkeypatch: Any) -> None:
    """No bwrap on PATH: a refusal, never a conversion in the app process."""
    import pytest

    from intake.convert.sandbox import ConversionRefused

    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ConversionRefused) as refused:
        convert(samples.photo(), Limits(max_pages=1, seconds=5, memory_mb=512))
    assert refused.value.code == "unavailable"
