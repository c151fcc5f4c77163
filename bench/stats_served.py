"""Benchmark (not a test): the statistics page under gunicorn while a first protection runs.

Usage: .venv/bin/python bench/stats_served.py [--quick] [--cases 10000] [--limit 900]

Loads the cases of bench/stats_export.py into a throw-away SQLite instance with no stored
generation, serves the review app with the shipped gunicorn configuration (2 workers ×
4 threads, 120-second worker timeout), signs an analyst in, and asks for /stats: the first
request starts the protection in the background and must answer within the wait (15 s)
instead of outliving the worker timeout. Then it asks again every 5 seconds until the page
shows numbers, timing /healthz meanwhile, and reports whether gunicorn killed any worker.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from flask import session as flask_session  # noqa: E402
from lib.instances import SECRETS, app_env  # noqa: E402
from lib.servers import free_port, gunicorn_command  # noqa: E402

from bench.stats_export import load_sqlite  # noqa: E402
from intake import migrate  # noqa: E402
from intake.db import Database  # noqa: E402
from intake.models import StaffSession  # noqa: E402
from intake.review import create_app  # noqa: E402
from intake.review.access import store_cookie_half  # noqa: E402
from intake.services.sessions import _id_hash, mark_second_factor, start_session  # noqa: E402
from intake.services.staff import create_staff  # noqa: E402
from intake.settings import Settings, load_settings  # noqa: E402
from intake.stats.recount import rebuild  # noqa: E402

PASSPHRASE = "bench analyst passphrase"
PREPARING = "The statistics are being prepared."


def analyst_cookie(settings: Settings, db: Database) -> tuple[str, str]:
    """A signed-in analyst's session cookie (name, value), made through the real split-key
    path with the second factor marked done, as bench/inbox.py does."""
    app = create_app(settings, db)
    with db.transaction() as session:
        staff, _uri = create_staff(session, settings, "analyst", "analyst", PASSPHRASE)
        session.flush()
        half = start_session(session, staff, None)  # an analyst holds no case key
        session.flush()
        mark_second_factor(session, session.get(StaffSession, _id_hash(half.session_id)))
    with app.test_request_context():
        store_cookie_half(half)
        values = dict(flask_session)
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    return str(app.config["SESSION_COOKIE_NAME"]), serializer.dumps(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--limit", type=float, default=900, help="give up after this (s)")
    parser.add_argument("--quick", action="store_true", help="`make bench` size: 1,000 cases")
    args = parser.parse_args()
    if args.quick:
        args.cases = min(args.cases, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'served.db'}"
        settings = load_settings(environ={}, data_dir=tmp, database_url=url,
                                 staff_kdf_time_cost=1, staff_kdf_memory_kib=1024,
                                 staff_kdf_parallelism=1, **SECRETS)
        db = Database(settings)
        migrate.upgrade(url, engine=db.engine)
        load_sqlite(db, args.cases)
        with db.transaction() as session:
            rebuild(session)
        name, value = analyst_cookie(settings, db)
        db.dispose()
        port, log = free_port(), Path(tmp) / "gunicorn.log"
        with log.open("wb") as out:
            server = subprocess.Popen(  # noqa: S603 - fixed argv
                gunicorn_command(port, "intake.review:create_app()"), env=app_env(settings),
                stdout=out, stderr=out, cwd=Path(__file__).resolve().parent.parent)
        base, cookies = f"http://127.0.0.1:{port}", {name: value}
        try:
            for _ in range(300):
                try:
                    requests.get(base + "/healthz", timeout=2)
                    break
                except requests.RequestException:
                    time.sleep(0.2)
            start = time.perf_counter()
            first = requests.get(base + "/stats", cookies=cookies, timeout=130)
            answered = time.perf_counter() - start
            health: list[float] = []
            shown = None
            while time.perf_counter() - start < args.limit:
                t0 = time.perf_counter()
                requests.get(base + "/healthz", timeout=30)
                health.append(time.perf_counter() - t0)
                page = requests.get(base + "/stats", cookies=cookies, timeout=130)
                if page.status_code == 200 and PREPARING not in page.text:
                    shown = time.perf_counter() - start
                    break
                time.sleep(5)
        finally:
            server.terminate()
            server.wait(timeout=60)
        text = log.read_text(errors="replace")
    when = (f"{shown:.0f} s after the first request began" if shown is not None
            else f"not within {args.limit:.0f} s")
    print(f"SQLite, {args.cases:,} cases, review app under gunicorn (2 workers × 4 threads, "
          f"120 s timeout): the first /stats answered {first.status_code} in {answered:.1f} s"
          f" ({'being prepared' if PREPARING in first.text else 'numbers'}); numbers shown "
          f"{when}; /healthz meanwhile median {statistics.median(health) * 1000:.0f} ms, max "
          f"{max(health) * 1000:.0f} ms over {len(health)} checks; worker timeouts in the "
          f"gunicorn log: {text.count('WORKER TIMEOUT')}")


if __name__ == "__main__":
    main()
