"""Real gunicorn with the shipped configuration: no reporter address or user agent
reaches stdout, stderr or any file the server or the app writes."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from intake import migrate
from intake.db import Database
from intake.services.staff import create_staff
from intake.settings import load_settings
from tests.support.factories import csrf_token, receipt_code, report_fields

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "127.66.77.88"          # the TCP peer address gunicorn sees
FORWARDED = "192.0.2.199"        # what a proxy would put in X-Forwarded-For
AGENT = "CanaryAgent/9.9 (UA-7f3c1e)"
WHAT = "gunicorn log canary report"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update({
        "INTAKE_DATA_DIR": str(data_dir),
        "INTAKE_STAFF_KDF_TIME_COST": "1", "INTAKE_STAFF_KDF_MEMORY_KIB": "1024",
        "INTAKE_STAFF_KDF_PARALLELISM": "1", "INTAKE_RECEIPT_KDF_MEMORY_KIB": "1024",
        "INTAKE_GUNICORN_WORKERS": "1", "INTAKE_GUNICORN_THREADS": "2",
        "INTAKE_MAX_REQUEST_MB": "1",
    })
    return env


def _prepare(env: dict[str, str]) -> None:
    """Migrate a temp SQLite instance and add one reader, so reports are accepted."""
    cfg = load_settings(environ=env)
    db = Database(cfg)
    migrate.upgrade(cfg.database_url, engine=db.engine)
    with db.transaction() as s:
        create_staff(s, cfg, "reader", "reviewer", "correct horse battery staple")
    db.dispose()


def _conn(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                      source_address=(SOURCE, 0))


def _request(port: int, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    conn = _conn(port)
    sent = {"X-Forwarded-For": FORWARDED, "User-Agent": AGENT, **(headers or {})}
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    text = response.read().decode(errors="replace")
    cookie = response.getheader("Set-Cookie") or ""
    conn.close()
    return response.status, text, cookie.split(";", 1)[0]


def _raw(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5,
                                  source_address=(SOURCE, 0)) as s:
        s.sendall(data)
        with contextlib.suppress(OSError):
            s.recv(4096)


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "gunicorn exited early"
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not become ready")


def test_real_gunicorn_logs_no_address_or_agent(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = _env(data_dir)
    _prepare(env)
    port = _free_port()
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("wb") as so, err.open("wb") as se:
        proc = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "config/gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{port}", "intake.public:create_app()"],
            cwd=tmp_path, env=env, stdout=so, stderr=se)
        try:
            _wait_ready(port, proc)
            status, page, cookie = _request(port, "GET", "/")
            assert status == 200
            fields = report_fields(what=WHAT)
            fields["csrf_token"] = csrf_token(page)
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
            status, receipt_page, _ = _request(port, "POST", "/", body, form)
            assert status == 200
            assert receipt_code(receipt_page)
            assert _request(port, "GET", f"/missing/{FORWARDED}?ua={AGENT[:5]}")[0] == 404
            assert _request(port, "DELETE", "/")[0] == 405
            assert _request(port, "POST", "/", b"what=x", form | {"Cookie": ""})[0] == 400
            big = b"what=" + b"x" * (2 * 1024 * 1024)
            assert _request(port, "POST", "/", big, form)[0] == 413
            _raw(port, b"\x16\x03\x01 NOT HTTP\r\n\r\n")           # TLS to a plain port
            _raw(port, b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    written = {"stdout": out.read_text(errors="replace"), "stderr": err.read_text(errors="replace")}
    for path in list(data_dir.rglob("*")) + list(tmp_path.glob("*.log")):
        if path.is_file() and path.suffix not in (".db", ".db-wal", ".db-shm"):
            written[str(path)] = path.read_text(errors="replace")
    everything = "\n".join(written.values())
    assert "[address]" in everything, "gunicorn logged no warning at all: the test saw nothing"
    for secret in (SOURCE, FORWARDED, AGENT, "CanaryAgent", "UA-7f3c1e", WHAT):
        assert secret not in everything, f"{secret!r} leaked into {list(written)}"
