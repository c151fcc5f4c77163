"""Database outage: PostgreSQL made unreachable mid-run (a TCP proxy on loopback is cut; the
machine's server keeps running), then SQLite locked by another process. The form must
answer 503 with the typed text kept, and the app must recover without a restart.

    .venv/bin/python bench/outage.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lib.instances import app_env, bench_settings, fresh_pg_database, prepare  # noqa: E402
from bench.lib.reports import Outcome, report_text, run_reports, submit, verify  # noqa: E402
from bench.lib.servers import Server  # noqa: E402
from bench.tcp_proxy import TcpProxy  # noqa: E402


@dataclass
class OutageRun:
    """What happened before, during and after the outage."""

    before: int = 0
    during: list[Outcome] = field(default_factory=list)
    during_seconds: list[float] = field(default_factory=list)
    recovery_seconds: float = -1.0
    after: int = 0
    errors: list[str] = field(default_factory=list)
    restarted: bool = False
    verified: bool = False

    @property
    def ok(self) -> bool:
        """Every outage answer was a 503 that kept the text; recovery without restart."""
        return (bool(self.during) and all(o.status == 503 and o.kept_text for o in self.during)
                and self.recovery_seconds >= 0 and not self.restarted and not self.errors
                and self.verified)


def _during(http: requests.Session, base: str, attempts: int, run: OutageRun) -> None:
    """Submit while the database is gone; time each answer."""
    for index in range(attempts):
        started = time.perf_counter()
        run.during.append(submit(http, base, report_text(10_000 + index)))
        run.during_seconds.append(time.perf_counter() - started)


def _recover(http: requests.Session, base: str, run: OutageRun, limit: float = 60) -> str | None:
    """Submit until a receipt comes back; returns the receipt code."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        what = report_text(20_000)
        outcome = submit(http, base, what)
        if outcome.code:
            run.recovery_seconds = time.perf_counter() - started
            return outcome.code
        time.sleep(0.1)
    return None


def run_postgresql(database_url: str, data_dir: Path, reports: int = 100, clients: int = 8,
                   attempts: int = 5) -> OutageRun:
    """gunicorn -> proxy -> PostgreSQL; cut the proxy mid-run, then restore it."""
    settings = bench_settings(data_dir, database_url, fast_kdf=True)
    reader = prepare(settings)
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = Server(app_env(settings, proxied), data_dir / "gunicorn.log")
    server.start()
    run = OutageRun()
    receipts: dict[str, str] = {}
    try:
        pid = server.proc.pid if server.proc else 0
        first = run_reports(server.base, reports, clients)
        run.before = len(first.receipts)
        receipts.update(first.receipts)
        run.errors += first.errors
        http = requests.Session()
        proxy.cut()
        _during(http, server.base, attempts, run)
        proxy.restore()
        _recover(http, server.base, run)
        second = run_reports(server.base, reports, clients)
        run.after = len(second.receipts)
        receipts.update(second.receipts)
        run.errors += second.errors + ["503 after recovery"] * second.unavailable
        run.restarted = server.proc is None or server.proc.pid != pid or (
            server.proc.poll() is not None)
    finally:
        server.stop()
        proxy.cut()
    run.verified = verify(settings, reader, receipts).ok
    return run


def run_sqlite(data_dir: Path, attempts: int = 2) -> OutageRun:
    """gunicorn on SQLite while another process holds an exclusive lock on the file."""
    db_path = data_dir / "intake.db"
    settings = bench_settings(data_dir, f"sqlite:///{db_path}", fast_kdf=True)
    reader = prepare(settings)
    server = Server(app_env(settings), data_dir / "gunicorn.log")
    server.start()
    run = OutageRun()
    receipts: dict[str, str] = {}
    try:
        pid = server.proc.pid if server.proc else 0
        first = run_reports(server.base, 20, 4)
        run.before = len(first.receipts)
        receipts.update(first.receipts)
        http = requests.Session()
        http.get(server.base + "/")
        locker = sqlite3.connect(db_path, isolation_level=None, timeout=30)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            _during(http, server.base, attempts, run)
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        code = _recover(http, server.base, run)
        run.after = 1 if code else 0
        run.restarted = server.proc is None or server.proc.pid != pid
    finally:
        server.stop()
    run.verified = verify(settings, reader, receipts).ok
    return run


def _print(name: str, run: OutageRun) -> None:
    statuses = sorted({o.status for o in run.during})
    kept = sum(o.kept_text for o in run.during)
    slowest = max(run.during_seconds, default=0)
    print(f"{name}: before={run.before} during={len(run.during)} statuses={statuses} "
          f"text_kept={kept}/{len(run.during)} slowest_503={slowest:.2f}s "
          f"recovery={run.recovery_seconds:.2f}s after={run.after} "
          f"restarted={run.restarted} errors={len(run.errors)} verified={run.verified} "
          f"{'OK' if run.ok else 'FAILED'}")


def main() -> int:
    """Run both scenarios that apply and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="intake-outage-") as tmp:
        if args.database_url:
            with fresh_pg_database(args.database_url) as url:
                pg = run_postgresql(url, Path(tmp) / "pg", args.reports, args.clients)
            _print("postgresql-proxy-cut", pg)
            results.append(pg.ok)
        lite = run_sqlite(Path(tmp) / "sqlite")
        _print("sqlite-exclusive-lock", lite)
        results.append(lite.ok)
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
