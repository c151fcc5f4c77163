"""`make bench`: every benchmark in quick mode, one after another, in about five minutes.

Each script runs in its own process (a clean interpreter, its own servers); a script
that is not there yet is skipped with a note, and a failing one does not stop the rest.

    .venv/bin/python bench/run_all.py [--full] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# (script, what it measures); owned by different people, run in this order.
SCRIPTS = [
    ("encryption_cost.py", "encryption cost vs OpenPGP"),
    ("intake_throughput.py", "intake throughput vs the receipt-derivation bound"),
    ("login_cost.py", "login cost and parallel logins vs the public form"),
    ("inbox.py", "inbox pages with 100,000 cases"),
    ("upload.py", "1 GB streaming upload"),
    ("stats_export.py", "statistics export (1,000,000 cases; 100,000 quick)"),
    ("stats_view.py", "statistics view: stored generation vs protected again (300 cases)"),
    ("stats_served.py", "statistics page under gunicorn during a first protection (10,000; "
                        "1,000 quick)"),
    ("move_team.py", "moving 10,000 cases to another team vs a plain read (1,000 quick)"),
    ("backup.py", "encrypted backup, verify and restore vs tar (100,000 cases + 1 GiB)"),
]


def main(argv: list[str] | None = None) -> int:
    """Run the scripts; print a summary line per script; non-zero if one failed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--full", action="store_true", help="full sizes (much longer)")
    parser.add_argument("--only", nargs="*", default=None, help="script names to run")
    args = parser.parse_args(argv)
    summary: list[str] = []
    failed = False
    started = time.monotonic()
    for script, what in SCRIPTS:
        if args.only and script not in args.only and script.removesuffix(".py") not in args.only:
            continue
        path = BENCH / script
        if not path.exists():
            summary.append(f"  skipped  {script:<22} ({what}): not written yet")
            continue
        cmd = [sys.executable, str(path)] + ([] if args.full else ["--quick"])
        t0 = time.monotonic()
        code = subprocess.call(cmd, cwd=BENCH.parent)  # noqa: S603 - our own scripts
        spent = time.monotonic() - t0
        state = "ok" if code == 0 else f"FAILED ({code})"
        failed |= code != 0
        summary.append(f"  {state:<8} {script:<22} ({what}): {spent:.0f} s")
    print(f"\n== make bench: {time.monotonic() - started:.0f} s in all ==")
    print("\n".join(summary))
    print("Figures and how to read them: docs/performance.md")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
