#!/usr/bin/env python3
"""Hand-made mutants of what mutmut leaves alone: module-level constants and decorators.

mutmut mutates function bodies only, yet some of the most dangerous one-line mistakes are
elsewhere: an endpoint added to OPEN_ENDPOINTS, a rate limit dropped from LIMITED, a key
that rotates yearly, an input limit raised, a view's @roles removed or widened. Each mutant
below is applied to a scratch copy of the tree, the tests meant to notice it run there, and
the mutant is reported killed (a test failed) or survived. Part of `make mutation`.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue

from mutation import ROOT, SCRATCH, copy_tree  # the sibling script: one way to copy the tree

# Where things live; edit here when a module moves.
ACCESS = "intake/review/access.py"
RATELIMIT = "intake/web/ratelimit.py"
RECEIPT = "intake/crypto/receipt.py"
STREAM = "intake/crypto/stream.py"
VIEWS = "intake/review/*.py"  # every file that may declare @roles

# Test files (globs) meant to catch each kind of mistake.
ACCESS_TESTS = ("tests/review/test_role*.py", "tests/review/test_auth_*.py",
                "tests/review/test_session_fixation.py", "tests/review/test_case.py",
                "tests/review/test_admin_grant.py")
ROLE_TESTS = ("tests/review/test_role*.py",)
LIMIT_TESTS = ("tests/hardening/test_ratelimit*.py", "tests/hardening/test_throttle*.py",
               "tests/public/test_receipt*.py")
CRYPTO_TESTS = ("tests/crypto",)
ALL_ROLES = ("admin", "reviewer", "analyst")


@dataclass(frozen=True)
class Mutant:
    """Replace `old` (which must occur exactly once) by `new` in `path`."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


def _limited_entry(endpoint: str) -> str:
    """The LIMITED line of one endpoint, as written in the source."""
    text = (ROOT / RATELIMIT).read_text(encoding="utf-8")
    match = re.search(rf'^ *"{re.escape(endpoint)}": .*\n', text, re.MULTILINE)
    return match.group(0) if match else f'"{endpoint}": <not found>'


def constant_mutants() -> list[Mutant]:
    """The named constants whose change the suite must notice."""
    out = [
        Mutant('OPEN_ENDPOINTS gains "cases.case"', ACCESS, "OPEN_ENDPOINTS = {",
               'OPEN_ENDPOINTS = {"cases.case", ', ACCESS_TESTS),
        Mutant('OPEN_ENDPOINTS gains "admin.grant_post"', ACCESS, "OPEN_ENDPOINTS = {",
               'OPEN_ENDPOINTS = {"admin.grant_post", ', ACCESS_TESTS),
        Mutant("ROTATE_HOURS 6 → 8760", RATELIMIT, "ROTATE_HOURS = 6\n",
               "ROTATE_HOURS = 8760\n", LIMIT_TESTS),
        Mutant("receipt input limit 200 → 10**9", RECEIPT, "_MAX_INPUT = 200 ",
               "_MAX_INPUT = 10**9 ", CRYPTO_TESTS),
        Mutant("receipt input limit 200 → 199", RECEIPT, "_MAX_INPUT = 200 ",
               "_MAX_INPUT = 199 ", CRYPTO_TESTS),
        Mutant("stream MAX_SEGMENTS 2^32 → 2^33", STREAM, "MAX_SEGMENTS = 1 << 32\n",
               "MAX_SEGMENTS = 1 << 33\n", CRYPTO_TESTS),
    ]
    limited = re.findall(r'^ +"([\w.]+)": \("rate_limit_', (ROOT / RATELIMIT).read_text(
        encoding="utf-8"), re.MULTILINE)
    for endpoint in limited:
        out.append(Mutant(f"LIMITED loses {endpoint}", RATELIMIT, _limited_entry(endpoint),
                          "", LIMIT_TESTS))
    entry = _limited_entry("review.second_factor")
    out.append(Mutant("LIMITED: second factor no longer shares the login scope", RATELIMIT,
                      entry, entry.replace('"login"', '"second_factor"'), LIMIT_TESTS))
    entry = _limited_entry("public.report_submit")
    out.append(Mutant("LIMITED: report submission counts GET instead of POST", RATELIMIT,
                      entry, entry.replace('("POST",)', '("GET",)'), LIMIT_TESTS))
    return out


def decorator_mutants() -> list[Mutant]:
    """Each view's @roles removed (refused to all) and widened to every role."""
    out = []
    for path in sorted(glob.glob(str(ROOT / VIEWS))):
        rel = str(Path(path).relative_to(ROOT))
        lines = Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
        for i, line in enumerate(lines):
            if not line.lstrip().startswith("@roles("):
                continue
            view = next((ln.split("def ", 1)[1].split("(")[0] for ln in lines[i + 1:]
                         if ln.lstrip().startswith("def ")), "?")
            # The decorator plus the def line makes the replaced text unique in the file.
            following = next(ln for ln in lines[i + 1:] if ln.lstrip().startswith("def "))
            old = line + "".join(lines[i + 1: lines.index(following) + 1])
            where = f"{Path(rel).stem}.{view}"
            out.append(Mutant(f"{where} without @roles", rel, old, old.replace(line, "", 1),
                              ACCESS_TESTS))
            widened = line[: line.index("@")] + "@roles(" + ", ".join(
                f'"{r}"' for r in ALL_ROLES) + ")\n"
            if set(re.findall(r'"(\w+)"', line)) != set(ALL_ROLES) and "*ROLES" not in line:
                out.append(Mutant(f"{where} @roles widened to every role", rel, old,
                                  old.replace(line, widened, 1), ROLE_TESTS))
    return out


def _tests(patterns: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        found += sorted(str(Path(p).relative_to(ROOT)) for p in glob.glob(str(ROOT / pattern)))
    return found


def _pytest(tree: Path, tests: list[str]) -> int:
    """Run the tests in the scratch tree, importing its (mutated) intake, never the original."""
    env = dict(os.environ)
    env.pop("INTAKE_TEST_DATABASE_URL", None)  # SQLite only, like the mutmut run
    env["PYTHONPATH"] = str(tree)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(  # noqa: S603 - our own interpreter and test files
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
         "-p", "no:warnings", *tests],
        cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        check=False, timeout=900).returncode


def _check_isolated(tree: Path) -> None:
    """The scratch tree must shadow the editable install, or every mutant would survive."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    where = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", "import intake; print(intake.__file__)"],
        cwd=tree, env=env, capture_output=True, text=True, check=True).stdout.strip()
    if not where.startswith(str(tree)):
        sys.exit(f"scratch tree does not shadow the installed package: {where}")


def run(mutants: list[Mutant], children: int) -> list[tuple[Mutant, str]]:
    """Apply each mutant in one of `children` scratch trees and run its tests."""
    trees: Queue[Path] = Queue()
    for n in range(children):
        trees.put(copy_tree(SCRATCH / f"handmade-{n}"))
    _check_isolated(SCRATCH / "handmade-0")

    clean = {tuple(_tests(m.tests)) for m in mutants}
    for tests in clean:
        if _pytest(SCRATCH / "handmade-0", list(tests)) != 0:
            sys.exit(f"the tests fail without any mutant: {' '.join(tests)}")

    def one(mutant: Mutant) -> tuple[Mutant, str]:
        tree = trees.get()
        target = tree / mutant.path
        try:
            if not target.exists():
                return mutant, "stale (file missing)"
            original = target.read_text(encoding="utf-8")
            if original.count(mutant.old) != 1 or mutant.old == mutant.new:
                return mutant, "stale (text not found once)"
            target.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
            try:
                code = _pytest(tree, _tests(mutant.tests))
            finally:
                target.write_text(original, encoding="utf-8")
            status = {0: "survived", 1: "killed"}.get(code, f"killed (pytest exit {code})")
            print(f"  {status:<12} {mutant.name}", flush=True)  # progress, in case of a stop
            return mutant, status
        finally:
            trees.put(tree)

    with ThreadPoolExecutor(max_workers=children) as pool:
        return list(pool.map(one, mutants))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--only", default="", help="run mutants whose name contains this")
    args = parser.parse_args()
    mutants = [m for m in constant_mutants() + decorator_mutants() if args.only in m.name]
    started = time.monotonic()
    results = run(mutants, args.children)
    print("\n== hand-made mutants (module-level constants and decorators)")
    for mutant, status in results:
        print(f"  {status:<12} {mutant.name}  [{mutant.path}]")
    killed = sum(1 for _m, s in results if s.startswith("killed"))
    print(f"\nhand-made: {killed}/{len(results)} killed "
          f"({100 * killed / max(len(results), 1):.1f}%), "
          f"{(time.monotonic() - started) / 60:.1f} min")
    if any(s.startswith("stale") for _m, s in results):
        sys.exit("some hand-made mutants no longer apply: update .ci/handmade_mutants.py")


if __name__ == "__main__":
    main()
