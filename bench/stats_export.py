"""Benchmark (not a test): 1,000,000 labelled cases, full statistics export, SQLite and PostgreSQL.

Usage: .venv/bin/python bench/stats_export.py [--quick] [--cases N] [--runs 3]
       [--changes 200] [--pg URL | --no-pg] [--pg-schema NAME] [--no-sqlite]
Per database: loads the cases, fills stats_counts the way an upgrade or `intake stats rebuild`
does (timed: that is the from-scratch GROUP BY over case_labels), then prints the median of
the runs of one full export of a new data generation (one case relabelled before each run,
untimed; then the counts aggregated from stats_counts, the protection with its interval
audit together with the previous generation, the generation stored, CSV and JSON rendered)
as seconds and as a ratio of the rebuild, the audit's share of each run, the same export
served from the stored generation, and the cost of one label change through the triage
service against the same change without count upkeep (the path before revision 0007),
alternated in the same run. --pg-schema keeps the loaded PostgreSQL data in that schema
between rounds (loaded once, reused when it holds --cases cases).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from intake import migrate  # noqa: E402
from intake.db import Database  # noqa: E402
from intake.models import COUNTED_STATUSES, Case, CaseLabel, Staff  # noqa: E402
from intake.services.audit import record  # noqa: E402
from intake.services.staff import create_staff  # noqa: E402
from intake.services.statistics import protected  # noqa: E402
from intake.services.triage import MULTI, SINGLE, allowed_codes, set_labels  # noqa: E402
from intake.settings import Settings, load_settings  # noqa: E402
from intake.stats import compute  # noqa: E402
from intake.stats.exports import to_csv, to_json  # noqa: E402
from intake.stats.filters import Filters  # noqa: E402
from intake.stats.recount import rebuild  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STATUS = (["verified"] * 40 + ["closed"] * 20 + ["escalated"] * 10 + ["new"] * 10
          + ["in_review"] * 10 + ["rejected"] * 10)
ACTS = (["threats"] * 25 + ["surveillance"] * 20 + ["judicial"] * 15 + ["smear"] * 12
        + ["digital"] * 10 + ["detention"] * 6 + ["raid"] * 5 + ["assault"] * 3 + ["family"] * 2
        + ["travel"] * 1 + ["medical"] * 1 + ["other"] * 1)
PERPS = (["unknown"] * 25 + ["police"] * 20 + ["security_service"] * 18
         + ["prosecutor_court"] * 12 + ["progov_group"] * 10 + ["official"] * 6
         + ["private"] * 5 + ["nationalist"] * 3 + ["other"] * 1)
REGIONS = (["bishkek"] * 35 + ["osh_city"] * 15 + ["chui"] * 10 + ["osh"] * 8
           + ["jalal_abad"] * 8 + ["issyk_kul"] * 6 + ["naryn"] * 4 + ["talas"] * 4
           + ["batken"] * 4 + ["outside"] * 4 + ["unknown"] * 2)
TARGETS = (["defender"] * 30 + ["journalist"] * 20 + ["lawyer"] * 15 + ["activist"] * 20
           + ["ngo_staff"] * 10 + ["relative"] * 5)
QUARTERS = [f"{y}-Q{q}" for y in range(2022, 2027) for q in (1, 2, 3, 4)]


def generate(n: int, seed: int = 5) -> Iterator[tuple[tuple, list[tuple[str, str, str]]]]:
    """Cases and their labels with skewed, plausible distributions (1–3 acts, 1–2 perpetrators)."""
    rng = random.Random(seed)
    received = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        row = (case_id, f"{i:08x}", received, rng.choice(STATUS), "normal",
               secrets.token_bytes(32), b"\x00", rng.random() < 0.85, False)
        acts = {rng.choice(ACTS) for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))}
        perps = {rng.choice(PERPS) for _ in range(rng.choice((1, 1, 2)))}
        labels = [(case_id, "act_type", a) for a in acts]
        labels += [(case_id, "perpetrator", p) for p in perps]
        labels += [(case_id, "region", rng.choice(REGIONS)),
                   (case_id, "period", rng.choice(QUARTERS)),
                   (case_id, "target", rng.choice(TARGETS))]
        yield row, labels


CASE_COLS = ("id, reference, received_at, status, priority, lookup_id, reply_public_key, "
             "consent_stats, unread_followup")


def load_sqlite(db: Database, n: int) -> None:
    """executemany in one transaction."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cases, labels = [], []
        for row, lab in generate(n):
            cases.append((*row[:2], row[2].isoformat(sep=" "), *row[3:]))
            labels.extend(lab)
            if len(cases) >= 50_000:
                _flush_sqlite(cur, cases, labels)
        _flush_sqlite(cur, cases, labels)
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _flush_sqlite(cur: object, cases: list, labels: list) -> None:
    cur.executemany(f"INSERT INTO cases ({CASE_COLS}) VALUES (?,?,?,?,?,?,?,?,?)", cases)  # type: ignore[attr-defined]
    cur.executemany("INSERT INTO case_labels (case_id, vocabulary, code) VALUES (?,?,?)",  # type: ignore[attr-defined]
                    labels)
    cases.clear()
    labels.clear()


def load_postgres(db: Database, n: int) -> None:
    """COPY, the fast path PostgreSQL offers.

    cases is analysed before the labels go in: the foreign-key checks of the label COPY are
    planned then, and without statistics the planner may scan ix_cases_stats (status,
    consent_stats, id) for every label instead of the primary key (seen here: > 35 min).
    """
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY cases ({CASE_COLS}) FROM STDIN") as case_copy:  # type: ignore[attr-defined]
            labels: list[tuple[str, str, str]] = []
            for row, lab in generate(n):
                case_copy.write_row(row)
                labels.extend(lab)
        raw.commit()
        cur.execute("ANALYZE cases")
        raw.commit()
        with cur.copy("COPY case_labels (case_id, vocabulary, code) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for label in labels:
                copy.write_row(label)
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


AUDIT_SECONDS: list[float] = []


def _timed_protect(*args: object, **kwargs: object) -> object:
    """The protection with its interval audit, timed inside each export."""
    start = time.perf_counter()
    try:
        return _protect(*args, **kwargs)
    finally:
        AUDIT_SECONDS.append(time.perf_counter() - start)


_protect = compute.protect
compute.protect = _timed_protect  # type: ignore[assignment]


def full_export(db: Database, settings: object) -> int:
    """All periods of the current generation, CSV + JSON; bytes produced. Protected (interval
    audit included) and stored when the data state is new, else read from the store."""
    with db.transaction() as session:
        payload = protected(session, settings, None, Filters(), "bench")  # type: ignore[arg-type]
        return len(to_csv(payload)) + len(to_json(payload))


def bench_staff(session: Session, settings: Settings) -> Staff:
    """The reviewer the bench changes labels as (kept data keeps it between rounds)."""
    staff = session.scalars(select(Staff).where(Staff.username == "bench")).first()
    if staff is None:
        staff, _uri = create_staff(session, settings, "bench", "reviewer", "bench passphrase")
    return staff


def new_generation(db: Database, settings: Settings, rng: random.Random) -> None:
    """One counted case relabelled through the triage service: the next export is of a new
    data state (untimed)."""
    with db.transaction() as session:
        staff = bench_staff(session, settings)
        case = session.scalars(select(Case).where(
            Case.status.in_(COUNTED_STATUSES), Case.consent_stats.is_(True))
            .offset(rng.randrange(1000)).limit(1)).one()
        set_labels(session, staff, case, random_labels(rng))


def old_set_labels(session: Session, staff: Staff, case: Case,
                   chosen: dict[str, list[str]]) -> None:
    """The triage label change as it was before revision 0007: no count upkeep (baseline)."""
    pairs: list[tuple[str, str]] = []
    for vocabulary in MULTI + SINGLE:
        codes = [c for c in dict.fromkeys(chosen.get(vocabulary, [])) if c]
        if any(c not in allowed_codes(vocabulary) for c in codes):
            raise ValueError("unknown code")
        pairs += [(vocabulary, c) for c in codes]
    session.execute(delete(CaseLabel).where(CaseLabel.case_id == case.id))
    session.add_all(CaseLabel(case_id=case.id, vocabulary=v, code=c) for v, c in pairs)
    record(session, staff, "case.labels", target=case.reference)
    session.commit()


def random_labels(rng: random.Random) -> dict[str, list[str]]:
    """A plausible label set, as a reviewer would choose it."""
    return {"act_type": sorted({rng.choice(ACTS) for _ in range(rng.choice((1, 2, 3)))}),
            "perpetrator": sorted({rng.choice(PERPS) for _ in range(rng.choice((1, 2)))}),
            "region": [rng.choice(REGIONS)], "period": [rng.choice(QUARTERS)],
            "target": [rng.choice(TARGETS)]}


def label_changes(db: Database, settings: Settings, changes: int) -> tuple[float, float]:
    """Median seconds of one label change, old path and new path, alternated on counted cases."""
    rng = random.Random(8)
    with db.transaction() as session:
        staff_id = bench_staff(session, settings).id
        ids = list(session.scalars(select(Case.id).where(
            Case.status.in_(COUNTED_STATUSES), Case.consent_stats.is_(True)).limit(changes * 2)))
    old: list[float] = []
    new: list[float] = []
    for n in range(changes * 2):
        path, times = (old_set_labels, old) if n % 2 else (set_labels, new)
        chosen = random_labels(rng)
        session = db.factory()
        try:
            start = time.perf_counter()
            staff_row = session.get(Staff, staff_id)
            case = session.get(Case, ids[n])
            assert staff_row is not None and case is not None
            path(session, staff_row, case, chosen)
            times.append(time.perf_counter() - start)
        finally:
            session.close()
    return statistics.median(old), statistics.median(new)


def loaded(db: Database, n: int) -> bool:
    """Whether a kept schema already holds the n cases (then loading is skipped)."""
    with db.transaction() as session:
        return session.scalar(text("SELECT count(*) FROM cases")) == n


def measure(label: str, url: str, data_dir: Path, n: int, runs: int, pg: bool,
            changes: int) -> float:
    settings = load_settings(environ={}, data_dir=str(data_dir), database_url=url,
                             staff_kdf_time_cost=1, staff_kdf_memory_kib=1024,
                             staff_kdf_parallelism=1)
    db = Database(settings)
    migrate.upgrade(url, engine=db.engine)
    start = time.perf_counter()
    kept = loaded(db, n)
    if not kept:
        (load_postgres if pg else load_sqlite)(db, n)
    load = time.perf_counter() - start
    start = time.perf_counter()
    with db.transaction() as session:
        rows = rebuild(session).rows
    rebuilt = time.perf_counter() - start
    full_export(db, settings)  # warm the cache once, as a running server would be
    rng = random.Random(11)
    times, cached = [], []
    AUDIT_SECONDS.clear()
    for _ in range(runs):
        new_generation(db, settings, rng)
        start = time.perf_counter()
        size = full_export(db, settings)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        full_export(db, settings)
        cached.append(time.perf_counter() - start)
    ratios = [a / t for a, t in zip(AUDIT_SECONDS, times, strict=True)]
    old, new = label_changes(db, settings, changes) if changes else (0.0, 0.0)
    db.dispose()
    median = statistics.median(times)
    print(f"{label}: {n:,} cases {'kept from an earlier round' if kept else 'loaded'} in "
          f"{load:.1f} s; rebuild of stats_counts (GROUP BY over case_labels) "
          f"{rebuilt:.3f} s, {rows:,} rows")
    print(f"{label}: full export of a new generation, median of {runs} runs {median:.3f} s "
          f"(runs {', '.join(f'{t:.3f}' for t in times)}; {size:,} bytes) "
          f"= {median / rebuilt:.4f} × the rebuild")
    print(f"{label}: the same export served from the stored generation: median "
          f"{statistics.median(cached):.3f} s (runs {', '.join(f'{t:.3f}' for t in cached)})")
    print(f"{label}: protection with interval audit inside those runs: "
          f"{', '.join(f'{a:.3f}' for a in AUDIT_SECONDS)} s = "
          f"{', '.join(f'{r:.2f}' for r in ratios)} of each export (median "
          f"{statistics.median(ratios):.2f})")
    if changes:
        print(f"{label}: one label change, median of {changes} each: without count upkeep "
              f"{old * 1000:.2f} ms, with it {new * 1000:.2f} ms = {new / old:.2f} × the old path")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--changes", type=int, default=200,
                        help="label changes timed per path (0: skip)")
    parser.add_argument("--pg", default=os.environ.get("INTAKE_BENCH_PG", PG_DEFAULT))
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--pg-schema", default=None,
                        help="keep the PostgreSQL data in this schema between rounds")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="`make bench` size: 100,000 cases, 50 label changes")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.changes = min(args.cases, 100_000), min(args.changes, 50)
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    results = {}
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            results["sqlite"] = measure("SQLite", url, Path(tmp), args.cases, args.runs,
                                        False, args.changes)
    if not args.no_pg:
        schema = args.pg_schema or f"bench_{secrets.token_hex(4)}"
        if not schema.replace("_", "").isalnum():
            parser.error("--pg-schema: letters, digits and _ only")
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        try:
            sep = "&" if "?" in args.pg else "?"
            url = f"{args.pg}{sep}options=-csearch_path%3D{schema}"
            with tempfile.TemporaryDirectory() as tmp:
                results["postgresql"] = measure("PostgreSQL", url, Path(tmp), args.cases,
                                                args.runs, True, args.changes)
        finally:
            if not args.pg_schema:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    for name, median in results.items():
        print(f"{name}: {median:.3f} s, {median / 2.0:.2f} × the 2 s target")


if __name__ == "__main__":
    main()
