"""Benchmark (not a test): one statistics view served from the stored generation vs protected again.

Usage: .venv/bin/python bench/stats_view.py [--quick] [--cases 300] [--runs 7] [--no-sqlite]
       [--pg URL [--pg-schema NAME]] [--background]
Loads the cases of bench/stats_export.py (SQLite in a temporary directory; PostgreSQL in a
fresh schema, or in the schema stats_export.py --pg-schema kept, reused when it holds
--cases cases), then alternates two ways of serving the analyst page's service call
(`analyst_page`: the protected tables of all time plus the releases list) and one JSON
export: from the stored generation (how every view works now), and after deleting it, so
the call protects the counts again with the interval audit (what every view did before
the generations were stored). Prints the medians.

--background: what a staff request pays after a data change now. The generation of the
loaded counts is made first (timed), one count then grows by one case, and the page's
service call runs as a staff request does, with the app's background maker: it returns
after at most WAIT_SECONDS with the last stored result, and the time until the new
generation is stored is printed beside it.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, delete, select, text, update  # noqa: E402

from bench.stats_export import bench_staff, load_postgres, load_sqlite, loaded  # noqa: E402
from intake import migrate  # noqa: E402
from intake.db import Database  # noqa: E402
from intake.models import StatsCount, StatsGeneration  # noqa: E402
from intake.services.statistics import export  # noqa: E402
from intake.services.stats_background import Maker  # noqa: E402
from intake.services.stats_page import analyst_page  # noqa: E402
from intake.settings import Settings, load_settings  # noqa: E402
from intake.stats.filters import Filters  # noqa: E402
from intake.stats.recount import rebuild  # noqa: E402


def serve(db: Database, settings: Settings, fresh: bool) -> float:
    """Seconds for the page's service call and a JSON export; `fresh` protects again."""
    with db.transaction() as session:
        if fresh:
            session.execute(delete(StatsGeneration))
        staff = bench_staff(session, settings)
        start = time.perf_counter()
        analyst_page(session, settings, staff, Filters())
        export(session, settings, staff, Filters(), "json")
        return time.perf_counter() - start


def background(db: Database, settings: Settings, name: str, cases: int) -> None:
    """A data change, then the page as a staff request gets it (stats_background)."""
    with db.transaction() as session:
        session.execute(delete(StatsGeneration))
    made = serve(db, settings, fresh=True)
    with db.transaction() as session:
        first = session.execute(select(StatsCount.kind, StatsCount.code, StatsCount.region,
                                       StatsCount.period).limit(1)).one()
        session.execute(update(StatsCount).where(
            StatsCount.kind == first[0], StatsCount.code == first[1],
            StatsCount.region == first[2], StatsCount.period == first[3])
            .values(n=StatsCount.n + 1))
    maker = Maker(db, settings)
    with db.transaction() as session:
        staff = bench_staff(session, settings)
        start = time.perf_counter()
        page = analyst_page(session, settings, staff, Filters(), maker)
        answered = time.perf_counter() - start
    maker.start(None, "bench", None).join()
    stored = time.perf_counter() - start
    print(f"{name}, {cases:,} cases: a new generation made in the request (before) "
          f"{made:.1f} s; after one more case, the staff request answered in {answered:.1f} s "
          f"({'the last stored numbers, marked as older' if page['newer_pending'] else 'new'})"
          f"; the new generation was stored {stored:.1f} s after the request began")


def run(url: str, data_dir: Path, cases: int, runs: int, pg: bool,
        in_background: bool = False) -> None:
    settings = load_settings(environ={}, data_dir=str(data_dir), database_url=url,
                             staff_kdf_time_cost=1, staff_kdf_memory_kib=1024,
                             staff_kdf_parallelism=1)
    db = Database(settings)
    migrate.upgrade(url, engine=db.engine)
    if not loaded(db, cases):
        (load_postgres if pg else load_sqlite)(db, cases)
        with db.transaction() as session:
            rebuild(session)
    if in_background:
        background(db, settings, "PostgreSQL" if pg else "SQLite", cases)
        db.dispose()
        return
    serve(db, settings, fresh=True)  # warm caches once
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(runs):
        for fresh in (True, False):
            times[fresh].append(serve(db, settings, fresh))
    db.dispose()
    name = "PostgreSQL" if pg else "SQLite"
    median: Callable[[bool], float] = lambda fresh: statistics.median(times[fresh])  # noqa: E731
    print(f"{name}, {cases:,} cases, median of {runs}: page + JSON export from the stored "
          f"generation {median(False) * 1000:.1f} ms; protected again "
          f"{median(True) * 1000:.1f} ms (= {median(True) / median(False):.0f} ×)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    # 300 thinly spread cases: many small numbers, the audit's expensive case that still
    # finishes in seconds (docs/performance.md); 1,000,000 with --pg-schema
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pg", default=None, help="also on this PostgreSQL URL")
    parser.add_argument("--pg-schema", default=None, help="a schema stats_export.py kept")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--quick", action="store_true", help="`make bench` size: 5 runs")
    parser.add_argument("--background", action="store_true",
                        help="a data change, then the page as a staff request gets it")
    args = parser.parse_args()
    if args.quick:
        args.runs = min(args.runs, 5)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{Path(tmp) / 'view.db'}", Path(tmp), args.cases, args.runs, False,
                args.background)
    if args.pg:
        schema = args.pg_schema or f"bench_{secrets.token_hex(4)}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        try:
            sep = "&" if "?" in args.pg else "?"
            with tempfile.TemporaryDirectory() as tmp:
                run(f"{args.pg}{sep}options=-csearch_path%3D{schema}", Path(tmp), args.cases,
                    args.runs, True, args.background)
        finally:
            if not args.pg_schema:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
