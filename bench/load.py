"""Load: N reports from C concurrent clients against real gunicorn; zero errors, and every
receipt maps to a stored case that decrypts with a staff key.

    .venv/bin/python bench/load.py --reports 5000 --clients 32 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lib.instances import app_env, bench_settings, fresh_pg_database, prepare  # noqa: E402
from bench.lib.reports import ReportRun, Verification, run_reports, verify  # noqa: E402
from bench.lib.servers import Server  # noqa: E402


@dataclass
class LoadRun:
    """What a load run measured."""

    load: ReportRun
    verification: Verification

    @property
    def ok(self) -> bool:
        """Zero errors, zero 503s, and every receipt decrypts."""
        return (not self.load.errors and not self.load.unavailable
                and self.verification.ok and self.verification.checked == len(self.load.receipts))


def run(database_url: str, data_dir: Path, reports: int, clients: int, workers: int = 2,
        threads: int = 4, fast_kdf: bool = False) -> LoadRun:
    """Start gunicorn on a prepared instance, load it, stop it, verify every receipt."""
    settings = bench_settings(data_dir, database_url, fast_kdf=fast_kdf)
    reader = prepare(settings)
    server = Server(app_env(settings), data_dir / "gunicorn.log", workers, threads)
    server.start()
    try:
        load = run_reports(server.base, reports, clients)
    finally:
        server.stop()
    return LoadRun(load, verify(settings, reader, load.receipts))


def main() -> int:
    """Print the figures; exit non-zero on any error."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL server URL (a fresh database is created); "
                             "empty: SQLite")
    parser.add_argument("--fast-kdf", action="store_true",
                        help="cheap receipt derivation (not representative)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="intake-load-") as tmp:
        ctx = fresh_pg_database(args.database_url) if args.database_url else nullcontext(
            f"sqlite:///{Path(tmp) / 'data' / 'intake.db'}")
        with ctx as url:
            result = run(url, Path(tmp) / "data", args.reports, args.clients, args.workers,
                         args.threads, args.fast_kdf)
    load, ver = result.load, result.verification
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"backend={backend} reports={args.reports} clients={args.clients} "
          f"workers={args.workers}x{args.threads} fast_kdf={args.fast_kdf}")
    print(f"receipts={len(load.receipts)} errors={len(load.errors)} "
          f"unavailable_503={load.unavailable} seconds={load.seconds:.1f} "
          f"reports_per_second={len(load.receipts) / max(load.seconds, 1e-9):.1f}")
    print(f"verified={ver.checked} missing={len(ver.missing)} wrong={len(ver.wrong)} "
          f"cases_stored={ver.cases_stored}")
    if load.errors:
        print("first errors:", load.errors[:5])
    print("OK" if result.ok else "FAILED")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
