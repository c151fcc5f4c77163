"""Real gunicorn with the shipped configuration on a free loopback port."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from . import ROOT

GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"


def gunicorn_command(port: int, app_spec: str) -> list[str]:
    """The shipped gunicorn configuration serving `app_spec` on a loopback port."""
    return [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF),
            "--bind", f"127.0.0.1:{port}", app_spec]


def free_port() -> int:
    """A port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])



def bare_app() -> Any:
    """The baseline: a Flask app with one route and nothing else, served the same way."""
    from flask import Flask

    app = Flask("bench.bare")

    @app.get("/")
    def index() -> str:
        return "ok"

    return app


SERVERS: dict[str, int] = {}
TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """utime + stime of one process (all its threads), in seconds; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _children(pid: int) -> list[int]:
    """Direct children (gunicorn workers) of a process."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def server_cpu(address: str) -> Callable[[], float]:
    """A reader of the CPU seconds used by a gunicorn master and its workers so far."""
    pid = SERVERS[address]
    return lambda: _proc_cpu(pid) + sum(_proc_cpu(child) for child in _children(pid))


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str] | None = None,
             nice: int = 0) -> Iterator[str]:
    """Serve `app_spec` with config/gunicorn.conf.py on a free port; yields host:port."""
    port = free_port()
    full_env = {**os.environ, **(env or {}), "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}"}
    cmd = gunicorn_command(port, app_spec)
    if nice:
        cmd = ["nice", "-n", str(nice), *cmd]
    proc = subprocess.Popen(cmd, env=full_env, cwd=ROOT)  # noqa: S603 - fixed argv
    address = f"127.0.0.1:{port}"
    SERVERS[address] = proc.pid
    try:
        _wait_ready(address, proc)
        yield address
    finally:
        SERVERS.pop(address, None)
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(address: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Poll until the server answers (any status), or fail with the reason."""
    host, port = address.split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn on {address} did not answer within {timeout}s")



class Server:
    """The public app under real gunicorn with the shipped configuration."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2, threads: int = 4):
        self.port = free_port()
        self.env = {**env, "INTAKE_GUNICORN_WORKERS": str(workers),
                    "INTAKE_GUNICORN_THREADS": str(threads)}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """The server's URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        """Start gunicorn in its own process group and wait until it answers."""
        cmd = gunicorn_command(self.port, "intake.public:create_app()")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log,  # noqa: S603
                                         start_new_session=True, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see {self.log}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout}s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL the master and its workers (the process group this object started)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        """Graceful stop."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

