"""Benchmark (not a test): `intake backup`, `backup verify` and `restore` against `tar`.

Fills a throw-away instance with N cases (synthetic rows with the sizes real ones have:
a 1.5 KB report ciphertext, three HPKE wraps of real size, four labels and an audit entry
per case) and B MiB of blob files (random bytes, 256 KiB each, attached to the first cases),
then runs the real CLI as child processes:

- `intake backup --out FILE` vs `tar -cf` of the database file(s) and blob directory;
- `intake backup verify FILE --key K` (whole-archive authentication);
- `intake restore FILE --key K` into a second, empty instance vs `tar -xf` of that tar.

Everything lives in one temporary directory on the same disk. Peak memory is each child's
peak RSS (wait4) minus the peak RSS of the same CLI running `backup prune` on an empty
directory (imports, settings, one database query): the growth the work itself causes.

    .venv/bin/python bench/backup.py              # 100,000 cases, 1 GiB of blobs
    .venv/bin/python bench/backup.py --quick      # 10,000 cases, 128 MiB
    .venv/bin/python bench/backup.py --pg         # the same on PostgreSQL
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lib.figures import header
from lib.instances import instance, pg_available

from intake.crypto import (
    ItemBinding,
    export_private_pem,
    fingerprint,
    generate_keypair,
    wrap_data_key,
)
from intake.models import Base, RecoveryKey, new_id
from intake.services.staff import create_staff

ROOT = Path(__file__).resolve().parent.parent
INTAKE = str(ROOT / ".venv" / "bin" / "intake")
BLOB_SIZE = 256 << 10
BATCH = 5000
CHEAP_KDF = {"staff_kdf_time_cost": 1, "staff_kdf_memory_kib": 1024,
             "staff_kdf_parallelism": 1}


def _rows(n_cases: int, n_blobs: int, staff: list[str], recovery_id: str):  # type: ignore[no-untyped-def]
    """Yield (table, batch of rows) for the synthetic instance."""
    wrap_len = len(wrap_data_key(b"k" * 32, generate_keypair()[1],
                                 ItemBinding(new_id(), "report", new_id())))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    cases, items, wraps, labels, audit = [], [], [], [], []
    prev_hash = "0" * 64
    for n in range(n_cases):
        case_id = new_id()
        at = start + timedelta(hours=n % 8000)
        cases.append({"id": case_id, "reference": f"B{n:09d}", "received_at": at,
                      "status": ("new", "in_review", "closed")[n % 3], "priority": "normal",
                      "lookup_id": secrets.token_bytes(32),
                      "reply_public_key": secrets.token_bytes(1216), "consent_stats": True,
                      "unread_followup": False})
        kinds = [("report", None)] + ([("attachment", f"{n:08x}{secrets.token_hex(12)}")]
                                      if n < n_blobs else [])
        for kind, blob in kinds:
            item_id = new_id()
            items.append({"id": item_id, "case_id": case_id, "parent_id": None, "kind": kind,
                          "created_at": at, "format_version": 1,
                          "ciphertext": None if blob else secrets.token_bytes(1536),
                          "blob_name": blob, "blob_size": BLOB_SIZE if blob else None})
            for who in staff[:2]:
                wraps.append({"item_id": item_id, "staff_id": who, "recovery_key_id": None,
                              "for_reporter": False, "wrapped": secrets.token_bytes(wrap_len)})
            wraps.append({"item_id": item_id, "staff_id": None, "recovery_key_id": recovery_id,
                          "for_reporter": False, "wrapped": secrets.token_bytes(wrap_len)})
        for vocab, code in (("act_type", "threats"), ("perpetrator", "police"),
                            ("region", "osh"), ("target", "journalist")):
            labels.append({"case_id": case_id, "vocabulary": vocab, "code": code})
        digest = secrets.token_hex(32)
        audit.append({"at": at, "staff_id": staff[0], "actor": "bench", "action": "case.view",
                      "target": f"B{n:09d}", "detail": "{}", "prev_hash": prev_hash,
                      "hash": digest})
        prev_hash = digest
        if len(cases) >= BATCH or n == n_cases - 1:
            yield from (("cases", cases), ("items", items), ("key_wraps", wraps),
                        ("case_labels", labels), ("audit_events", audit))
            cases, items, wraps, labels, audit = [], [], [], [], []


def populate(inst, n_cases: int, blob_mb: int, key_file: Path) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Fill the instance; write the recovery key file. Returns (blob count, blob bytes)."""
    private, public = generate_keypair()
    key_file.write_text(export_private_pem(private))
    with inst.database.transaction() as s:
        staff = [create_staff(s, inst.settings, f"bench-reviewer-{i}", "reviewer",
                              "correct horse battery staple")[0].id for i in range(3)]
        key = RecoveryKey(public_key=public, fingerprint=fingerprint(public))
        s.add(key)
        s.flush()
        recovery_id = key.id
    n_blobs = blob_mb * (1 << 20) // BLOB_SIZE
    tables = Base.metadata.tables
    with inst.database.engine.begin() as conn:
        for name, batch in _rows(n_cases, n_blobs, staff, recovery_id):
            if batch:
                conn.execute(tables[name].insert(), batch)
    blob_dir = inst.settings.blob_dir
    blob_dir.mkdir(parents=True, exist_ok=True)
    with inst.database.engine.connect() as conn:
        names = [r[0] for r in conn.execute(tables["items"].select().with_only_columns(
            tables["items"].c.blob_name).where(tables["items"].c.blob_name.is_not(None)))]
    for name in names:
        (blob_dir / name).write_bytes(os.urandom(BLOB_SIZE))
    if inst.database.engine.dialect.name == "sqlite":  # tar copies the database, not a WAL
        with inst.database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return len(names), len(names) * BLOB_SIZE


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE,  # noqa: S603
                            stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out}\n{err}")
    return elapsed, int(usage.ru_maxrss)


def du(path: Path) -> int:
    """Bytes in a file or below a directory."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench(backend: str, n_cases: int, blob_mb: int) -> None:
    """One full round on one database kind."""
    header(f"backup and restore, {backend}: {n_cases:,} cases, {blob_mb} MiB of blobs")
    with instance(backend, **CHEAP_KDF) as src, instance(backend, **CHEAP_KDF) as dst:
        work = src.settings.data_dir.parent / f"{src.settings.data_dir.name}-work"
        work.mkdir()
        try:
            _round(src, dst, work, n_cases, blob_mb)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _round(src, dst, work: Path, n_cases: int, blob_mb: int) -> None:  # type: ignore[no-untyped-def]
    """Fill, then time tar and our commands on the same files."""
    key_file = work / "recovery.key"
    t0 = time.perf_counter()
    n_blobs, blob_bytes = populate(src, n_cases, blob_mb, key_file)
    print(f"   filled in {time.perf_counter() - t0:.0f} s: {n_blobs} blobs "
          f"({blob_bytes / 2**20:.0f} MiB)")
    env_src = {**src.env}
    env_dst = {**dst.env}
    empty = work / "empty"
    empty.mkdir()
    start_s, base_kib = run([INTAKE, "backup", "prune", str(empty), "--keep", "1"], env_src)

    data = src.settings.data_dir
    members = [p.name for p in data.iterdir() if p.name.startswith("intake.db")] \
        + ["blobs"]
    tar_file = work / "plain.tar"
    tar_c, _ = run(["tar", "-cf", str(tar_file), "-C", str(data), *members], {})
    archive = work / "backup.intake-backup"
    backup_s, backup_kib = run([INTAKE, "backup", "--out", str(archive)], env_src)
    verify_s, verify_kib = run([INTAKE, "backup", "verify", str(archive), "--key",
                                str(key_file)], {})
    untar = work / "untar"
    untar.mkdir()
    tar_x, _ = run(["tar", "-xf", str(tar_file), "-C", str(untar)], {})
    restore_s, restore_kib = run([INTAKE, "restore", str(archive), "--key",
                                  str(key_file)], env_dst)
    restored = len(list(dst.settings.blob_dir.iterdir()))
    assert restored == n_blobs, (restored, n_blobs)

    db_bytes = du(tar_file) - blob_bytes
    print(f"   sizes: database ~{db_bytes / 2**20:.0f} MiB + blobs "
          f"{blob_bytes / 2**20:.0f} MiB; tar {du(tar_file) / 2**20:.0f} MiB; "
          f"archive {du(archive) / 2**20:.0f} MiB")
    print(f"   baseline CLI (prune on an empty dir): {start_s:.1f} s, peak RSS "
          f"{base_kib / 1024:.0f} MiB")
    rows = [("backup", backup_s, tar_c, backup_kib), ("verify", verify_s, tar_x, verify_kib),
            ("restore (verify + load)", restore_s, tar_x, restore_kib)]
    print(f"   {'step':<24} {'seconds':>8} {'tar s':>7} {'ratio':>6} {'peak RSS':>9} "
          f"{'growth':>7}")
    for name, secs, tar_s, kib in rows:
        print(f"   {name:<24} {secs:8.1f} {tar_s:7.1f} {secs / tar_s:6.1f} "
              f"{kib / 1024:7.0f} M {(kib - base_kib) / 1024:5.0f} M")
    print("   (tar -cf is the baseline for backup, tar -xf for verify and restore)")


def main() -> None:
    """Parse the sizes and run on SQLite (and PostgreSQL with --pg)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--blob-mb", type=int, default=1024)
    parser.add_argument("--quick", action="store_true", help="10,000 cases, 128 MiB")
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--pg-only", action="store_true", help="only on PostgreSQL")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.blob_mb = 10_000, 128
    backends = [] if args.pg_only else ["sqlite"]
    if args.pg or args.pg_only:
        if pg_available():
            backends.append("postgresql")
        else:
            print("PostgreSQL not reachable: skipped")
    for backend in backends:
        bench(backend, args.cases, args.blob_mb)


if __name__ == "__main__":
    main()
