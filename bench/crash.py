"""Crash: the server is SIGKILLed repeatedly during load and restarted; every report whose
receipt was shown must survive intact (acknowledge only what is durable).

    .venv/bin/python bench/crash.py --reports 2000 --clients 32 --kills 10 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lib.instances import app_env, bench_settings, fresh_pg_database, prepare  # noqa: E402
from bench.lib.reports import ReportRun, Verification, run_reports, verify  # noqa: E402
from bench.lib.servers import Server  # noqa: E402


@dataclass
class CrashRun:
    """What a crash run measured."""

    load: ReportRun
    verification: Verification
    kills: int

    @property
    def ok(self) -> bool:
        """Every receipted report is stored and decrypts to what was sent."""
        return (not self.load.errors and self.verification.ok
                and self.verification.checked == len(self.load.receipts))

    @property
    def unacknowledged_stored(self) -> int:
        """Cases committed whose receipt never reached the client (killed mid-response)."""
        return self.verification.cases_stored - len(self.load.receipts)


def run(database_url: str, data_dir: Path, reports: int, clients: int, kills: int,
        interval: float, fast_kdf: bool = False) -> CrashRun:
    """Load the server while a second thread SIGKILLs and restarts it `kills` times."""
    settings = bench_settings(data_dir, database_url, fast_kdf=fast_kdf)
    reader = prepare(settings)
    server = Server(app_env(settings), data_dir / "gunicorn.log")
    server.start()
    done = threading.Event()
    live = ReportRun()
    killed = 0

    def _killer() -> None:
        """Kill at evenly spread points of the run (by receipts shown), at most every
        `interval` seconds, so every kill lands while reports are in flight."""
        nonlocal killed
        while killed < kills and not done.is_set():
            threshold = reports * (killed + 1) // (kills + 1)
            if len(live.receipts) < threshold:
                time.sleep(0.02)
                continue
            server.kill()
            killed += 1
            time.sleep(0.2)
            server.start()
            done.wait(interval)

    thread = threading.Thread(target=_killer, daemon=True)
    thread.start()
    try:
        load = run_reports(server.base, reports, clients, retry_connection_errors=True,
                        result=live)
    finally:
        done.set()
        thread.join(timeout=120)
        server.stop()
    return CrashRun(load, verify(settings, reader, load.receipts), killed)


def main() -> int:
    """Print the figures; exit non-zero when a receipted report was lost."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0,
                        help="minimum seconds between kills")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--fast-kdf", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="intake-crash-") as tmp:
        ctx = fresh_pg_database(args.database_url) if args.database_url else nullcontext(
            f"sqlite:///{Path(tmp) / 'data' / 'intake.db'}")
        with ctx as url:
            result = run(url, Path(tmp) / "data", args.reports, args.clients, args.kills,
                         args.interval, args.fast_kdf)
    load, ver = result.load, result.verification
    print(f"backend={'postgresql' if args.database_url else 'sqlite'} reports={args.reports} "
          f"clients={args.clients} kills={result.kills} interval={args.interval}s")
    print(f"receipts={len(load.receipts)} retried_attempts={load.retried} "
          f"errors={len(load.errors)} seconds={load.seconds:.1f}")
    print(f"verified={ver.checked} lost={len(ver.missing)} corrupted={len(ver.wrong)} "
          f"stored_without_receipt={result.unacknowledged_stored}")
    print("OK" if result.ok else "FAILED")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
