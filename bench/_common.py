"""Shared bench helpers: a throw-away instance, gunicorn on a free port, a load driver, stats.

Every benchmark compares against a baseline measured in the same run, because the
machines are shared and noisy; these helpers keep the conditions identical.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import platform
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from intake import migrate  # noqa: E402
from intake.db import Database  # noqa: E402
from intake.settings import Settings, load_settings  # noqa: E402

GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
PG_URL = os.environ.get("INTAKE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SECRETS = {
    "public_secret_key": "bench-public-" + "p" * 40,
    "review_secret_key": "bench-review-" + "r" * 40,
    "rate_limit_secret": "bench-ratelimit-" + "l" * 40,
}
PASSPHRASE = "correct horse battery staple bench"


# ---------------------------------------------------------------- figures and conditions

def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; benchmarks report p50/p99 the same way everywhere."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    """Median of repeated runs: robust against a neighbour's burst of CPU."""
    return statistics.median(values)


def machine_info() -> str:
    """One line of conditions printed above every set of figures."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"{when}; {cores} cores, {mem:.0f} GiB RAM; {platform.python_implementation()} "
            f"{platform.python_version()}; load average {load}")


def header(title: str) -> None:
    """Section heading on stdout, with the machine conditions."""
    print(f"\n== {title} ==")
    print(f"   conditions: {machine_info()}")


def free_port() -> int:
    """A port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- a throw-away instance

@dataclass
class Instance:
    """A migrated database and data dir that live only for one benchmark."""

    settings: Settings
    database: Database
    env: dict[str, str] = field(default_factory=dict)


def pg_available() -> bool:
    """PostgreSQL figures are skipped (with a note) when the server is not reachable."""
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


@contextmanager
def instance(backend: str = "sqlite", **overrides: Any) -> Iterator[Instance]:
    """A fresh instance: SQLite in a temp dir, or PostgreSQL in its own schema."""
    tmp = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'intake.db'}"
    else:
        schema = f"bench_{secrets.token_hex(5)}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        sep = "&" if "?" in PG_URL else "?"
        url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    values: dict[str, Any] = {"data_dir": str(tmp), "database_url": url, **SECRETS, **overrides}
    settings = load_settings(environ={}, **values)
    database = Database(settings)
    migrate.upgrade(url, engine=database.engine)
    env = {f"INTAKE_{k.upper()}": str(v) for k, v in values.items()}
    try:
        yield Instance(settings, database, env)
    finally:
        database.dispose()
        if schema is not None:
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def add_recipients(inst: Instance, reviewers: int = 3, recovery: bool = True,
                   role: str = "reviewer") -> list[str]:
    """Reviewers with key pairs (and the recovery key): who every report is wrapped to."""
    from intake.crypto import fingerprint, generate_keypair
    from intake.models import RecoveryKey
    from intake.services.staff import create_staff

    names = []
    with inst.database.transaction() as session:
        for n in range(reviewers):
            name = f"bench-{role}-{n}"
            create_staff(session, inst.settings, name, role, PASSPHRASE)
            names.append(name)
        if recovery:
            _private, public = generate_keypair()
            session.add(RecoveryKey(public_key=public, fingerprint=fingerprint(public)))
    return names


# ---------------------------------------------------------------- gunicorn

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
    cmd = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF),
           "--bind", f"127.0.0.1:{port}", app_spec]
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


# ---------------------------------------------------------------- HTTP clients and load

class Client:
    """One keep-alive HTTP connection with a cookie jar: a browser, minus the browser."""

    def __init__(self, address: str) -> None:
        host, port = address.split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str,
                form: list[tuple[str, str]] | None = None) -> tuple[int, str]:
        """Send one request; returns status and body text; keeps cookies."""
        headers = {"Accept-Language": "en"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, data

    def csrf(self, path: str) -> str:
        """GET a form page and return its CSRF token (the cookie is kept)."""
        status, page = self.request("GET", path)
        match = CSRF_RE.search(page)
        if status != 200 or not match:
            raise RuntimeError(f"GET {path} gave {status} without a CSRF token")
        return match.group(1)

    def close(self) -> None:
        self.conn.close()


@dataclass
class LoadResult:
    """Latencies (seconds) of the measured window, errors, and the window length."""

    latencies: list[float]
    errors: int
    seconds: float
    calls: int = 0
    cpu_seconds: float = 0.0

    @property
    def cpu_ms_per_call(self) -> float:
        """Server CPU per request over the whole run (warm-up included): noise-resistant."""
        return self.cpu_seconds / self.calls * 1000 if self.calls else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def p(self, pct: float) -> float:
        return percentile(self.latencies, pct)

    def line(self, label: str, unit: str = "req/s") -> str:
        return (f"{label:<34} {self.rate:7.1f} {unit}  p50 {self.p(50) * 1000:6.1f} ms"
                f"  p99 {self.p(99) * 1000:6.1f} ms  cpu {self.cpu_ms_per_call:5.1f} ms/call"
                f"  n={len(self.latencies)} err={self.errors}")


Step = Callable[[Any], bool]


def run_load(make_state: Callable[[], Any], step: Step, concurrency: int, seconds: float,
             warmup: float = 1.0, cpu_of: Callable[[], float] = time.process_time,
             pace: float = 0.0) -> LoadResult:
    """`concurrency` threads each call `step(state)` in a loop; only the window is timed.

    `make_state` runs once per thread before the clock starts (e.g. fetch a CSRF token);
    `step` returns True for a success; `cpu_of` reads the CPU seconds of whoever serves
    the calls (this process by default, or a gunicorn server's processes). Latencies count
    only calls that started and ended inside the window, so warm-up and the tail do not
    distort the figures. `pace` > 0 makes each thread open-loop: one call every `pace`
    seconds (a steady arrival rate), so latency is not hidden by a slowed-down client.
    """
    latencies: list[float] = []
    errors = [0]
    calls = [0]
    lock = threading.Lock()
    window = [0.0, 0.0]

    def open_window() -> None:
        window[0] = time.monotonic() + warmup
        window[1] = window[0] + seconds

    barrier = threading.Barrier(concurrency, action=open_window)

    def worker() -> None:
        state = make_state()
        barrier.wait()
        start_at, stop_at = window
        mine: list[float] = []
        bad = 0
        count = 0
        next_at = time.monotonic() + random.uniform(0, pace)
        while True:
            if pace:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += pace
            t0 = time.monotonic()
            if t0 >= stop_at:
                break
            try:
                ok = step(state)
            except Exception:  # noqa: BLE001 - a failed request is counted, not fatal
                ok = False
            t1 = time.monotonic()
            if t0 >= start_at and t1 <= stop_at:
                if ok:
                    mine.append(t1 - t0)
                else:
                    bad += 1
            count += 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad
            calls[0] += count
        close = getattr(state, "close", None)
        if close is not None:
            close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    cpu_before = cpu_of()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(latencies, errors[0], seconds, calls[0], cpu_of() - cpu_before)


def ratio(a: float, b: float) -> str:
    """`a/b` formatted; 'n/a' when the baseline is missing."""
    return f"{a / b:.2f}" if b else "n/a"
