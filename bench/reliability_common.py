"""Shared by the reliability runs and their short CI versions: an instance, a real gunicorn,
threaded report clients with real CSRF tokens, and verification that receipts decrypt."""

from __future__ import annotations

import html
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from intake import migrate
from intake.crypto import derive_receipt_keys
from intake.db import Database
from intake.models import Case, Item, Staff
from intake.payloads import ReportAnswers
from intake.services import site
from intake.services.credentials import unlock_private_key
from intake.services.reading import open_item
from intake.services.reports import receipt_params
from intake.services.staff import create_staff
from intake.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RECEIPT_RE = re.compile(r'class="receipt"[^>]*><strong>([0-9 ]+)</strong>')
PASSPHRASE = "reliability run passphrase, not a real one"
ENV_FIELDS = ("data_dir", "database_url", "public_secret_key", "review_secret_key",
              "rate_limit_secret", "receipt_kdf_time_cost", "receipt_kdf_memory_kib",
              "receipt_kdf_parallelism", "staff_kdf_time_cost", "staff_kdf_memory_kib",
              "staff_kdf_parallelism", "rate_limit_submit", "rate_limit_receipt",
              "rate_limit_login", "rate_limit_storage")


def bench_settings(data_dir: Path, database_url: str, fast_kdf: bool = False) -> Settings:
    """Settings of a throw-away instance; rate limits out of the way of the load."""
    kdf = {}
    if fast_kdf:
        kdf = {"receipt_kdf_time_cost": 1, "receipt_kdf_memory_kib": 1024,
               "receipt_kdf_parallelism": 1}
    return load_settings(
        environ={}, data_dir=str(data_dir), database_url=database_url,
        public_secret_key="bench-public-" + secrets.token_hex(24),
        review_secret_key="bench-review-" + secrets.token_hex(24),
        rate_limit_secret="bench-limit-" + secrets.token_hex(24),
        staff_kdf_time_cost=1, staff_kdf_memory_kib=8192, staff_kdf_parallelism=1,
        rate_limit_submit="1000000/hour", rate_limit_receipt="1000000/hour",
        rate_limit_login="1000000/hour", **kdf)


@dataclass
class Reader:
    """The staff member whose key the verification decrypts with."""

    staff_id: str
    private_key: bytes


def prepare(settings: Settings) -> Reader:
    """Migrate the instance and create one reviewer (so reports are accepted)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings)
    try:
        migrate.upgrade(settings.database_url, engine=db.engine)
        with db.transaction() as s:
            staff, _uri = create_staff(s, settings, f"reader{secrets.token_hex(3)}",
                                       "reviewer", PASSPHRASE)
            s.flush()
            private = unlock_private_key(settings, staff, PASSPHRASE)
            return Reader(staff.id, private)
    finally:
        db.dispose()


@contextmanager
def fresh_pg_database(base_url: str) -> Iterator[str]:
    """A new PostgreSQL database on the same server, dropped afterwards."""
    url = make_url(base_url)
    name = f"intake_bench_{secrets.token_hex(4)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(settings: Settings, database_url: str | None = None) -> dict[str, str]:
    """The INTAKE_* environment that makes gunicorn's create_app() load these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    for name in ENV_FIELDS:
        env[f"INTAKE_{name.upper()}"] = str(getattr(settings, name))
    if database_url is not None:
        env["INTAKE_DATABASE_URL"] = database_url
    return env


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
        cmd = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF),
               "--bind", f"127.0.0.1:{self.port}", "intake.public:create_app()"]
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


@dataclass
class Outcome:
    """One attempted submission as the reporter saw it."""

    status: int
    code: str | None = None
    kept_text: bool = False
    error: str = ""


def report_text(index: int) -> str:
    """Unique, non-ASCII report text, so a mix-up between reports would show."""
    return f"Reliability report {index} {secrets.token_hex(6)}: Бишкек, Ош — ѳ ү ң."


def submit(http: requests.Session, base: str, what: str, timeout: float = 60) -> Outcome:
    """GET the form for a real CSRF token, POST a report; classify what came back."""
    page = http.get(base + "/", timeout=timeout)
    match = CSRF_RE.search(page.text)
    if match is None:
        return Outcome(page.status_code, error=f"no form (HTTP {page.status_code})")
    data = {"what": what, "when_month": "3", "when_year": "2026", "region": "naryn",
            "place": "Naryn", "acts": ["surveillance"], "perpetrators": ["unknown"],
            "consent_stats": "yes", "csrf_token": match.group(1)}
    resp = http.post(base + "/", data=data, timeout=timeout)
    found = RECEIPT_RE.search(resp.text)
    kept = html.escape(what, quote=False) in resp.text or html.escape(what) in resp.text
    if resp.status_code == 200 and found:
        return Outcome(200, code=found.group(1))
    return Outcome(resp.status_code, kept_text=kept,
                   error="" if resp.status_code == 503 else f"HTTP {resp.status_code}")


@dataclass
class LoadResult:
    """Receipts shown (code -> text) and everything that was not a receipt."""

    receipts: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unavailable: int = 0
    retried: int = 0
    seconds: float = 0.0


def run_load(base: str | Callable[[], str], total: int, clients: int,
             retry_connection_errors: bool = False,
             result: LoadResult | None = None) -> LoadResult:
    """`total` reports from `clients` threads, each with its own cookie jar.

    Pass `result` to watch receipts arrive while the run goes on (the crash run does).
    """
    result = result if result is not None else LoadResult()
    lock = threading.Lock()
    local = threading.local()

    def _one(index: int) -> None:
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = requests.Session()
        what = report_text(index)
        while True:
            url = base() if callable(base) else base
            try:
                outcome = submit(http, url, what)
            except requests.RequestException as exc:
                if retry_connection_errors:
                    with lock:
                        result.retried += 1
                    time.sleep(0.2)
                    continue
                outcome = Outcome(0, error=type(exc).__name__)
            if outcome.status == 503 and retry_connection_errors:
                with lock:
                    result.retried += 1
                time.sleep(0.2)
                continue
            break
        with lock:
            if outcome.code:
                result.receipts[outcome.code] = what
            elif outcome.status == 503:
                result.unavailable += 1
            else:
                result.errors.append(outcome.error)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(_one, range(total)))
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class Verification:
    """Receipts checked against the database."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    cases_stored: int = 0

    @property
    def ok(self) -> bool:
        """Every receipt found its case and the case decrypted to what was sent."""
        return not self.missing and not self.wrong


def verify(settings: Settings, reader: Reader, receipts: dict[str, str],
           threads: int = 2) -> Verification:
    """Receipt -> Argon2id look-up id -> case -> report decrypted with the staff key."""
    db = Database(settings)
    out = Verification()
    lock = threading.Lock()
    with db.transaction() as s:
        salt = site.receipt_salt(s)
        out.cases_stored = len(list(s.scalars(select(Case.id))))
    params = receipt_params(settings)

    def _check(item: tuple[str, str]) -> None:
        code, what = item
        lookup = derive_receipt_keys(code, salt, params).lookup_id
        with db.transaction() as s:
            case = s.scalars(select(Case).where(Case.lookup_id == lookup)).first()
            if case is None:
                with lock:
                    out.missing.append(code)
                return
            report = s.scalars(select(Item).where(Item.case_id == case.id,
                                                  Item.kind == "report")).one()
            plain = open_item(s, report, reader.private_key, staff_id=reader.staff_id)
            ok = ReportAnswers.decode(plain).what == what
        with lock:
            out.checked += 1
            if not ok:
                out.wrong.append(code)

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(_check, receipts.items()))
    finally:
        db.dispose()
    return out


def staff_exists(settings: Settings, staff_id: str) -> bool:
    """Sanity check used by the runs after a restart."""
    db = Database(settings)
    try:
        with db.transaction() as s:
            return s.get(Staff, staff_id) is not None
    finally:
        db.dispose()
