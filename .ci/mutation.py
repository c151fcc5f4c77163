#!/usr/bin/env python3
"""`make mutation`: mutmut over the security-critical modules, each against its own tests.

Each group runs in its own scratch copy under .cache/mutation/<group> with a generated
[tool.mutmut] section (mutmut reads its configuration from the working directory), so the
module list below is the only thing to edit when a module moves. Then the hand-made
mutants of module-level constants and decorators (.ci/handmade_mutants.py) run.
Prints each file's score, its survivors with their diffs, and the time of every group.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SCRATCH = ROOT / ".cache" / "mutation"
# Copied into every scratch tree: the package, its tests and what the apps read at run time.
TREE = ("intake", "tests", "templates", "static", "migrations", "config", "pyproject.toml")


@dataclass(frozen=True)
class Group:
    """Files to mutate and the test files that are meant to catch their mistakes."""

    name: str
    mutate: tuple[str, ...]
    tests: tuple[str, ...]
    # mutmut's CPU limit per mutant is 2 × multiplier × (its tests' time + 1 s).
    timeout_multiplier: float = 2.0


GROUPS = (
    Group("crypto", ("intake/crypto/*.py",), ("tests/crypto",)),
    Group("access", ("intake/review/access.py",), (
        "tests/review/test_roles.py", "tests/review/test_auth_sessions.py",
        "tests/review/test_session_fixation.py", "tests/review/test_auth_login.py",
        "tests/review/test_case.py", "tests/review/test_session_cookie.py",
    )),
    Group("suppression", ("intake/stats/suppression.py", "intake/stats/protection.py",
                           "intake/stats/audit.py"), (
        # Not the end-to-end attacker property test (through the apps, ~30 s a run):
        # these check the same modules directly, in seconds.
        "tests/stats/test_audit_exact.py", "tests/stats/test_suppression_choices.py",
        "tests/stats/test_suppression_property.py",
    ),
          # Pure computation (no I/O, no sleeps), so its tests' time is steady; a third of
          # its mutants make the solver or the protection loop run on, each until the limit
          # (219 of 715 on 30 November: 7 of the group's 15 minutes at 4 ×).
          timeout_multiplier=1.0),
    Group("throttle", ("intake/public/throttle.py",), (
        "tests/public/test_receipt.py", "tests/hardening/test_ratelimit.py",
    )),
    Group("ratelimit", ("intake/web/ratelimit.py",), ("tests/hardening/test_ratelimit.py",)),
)

DETECTED = {"killed", "timeout", "caught by type check", "segfault"}

# Survivors judged equivalent: (file glob, regex on the mutated line, why no test can see it).
# docs/testing.md lists them; keep each reason checkable by reading the code.
EQUIVALENT: tuple[tuple[str, str, str], ...] = (
    ("intake/*", r'\.(en|de)code\("(UTF-8|ASCII)"\)', "codec names are case-insensitive"),
    ("intake/*", r"\.(to|from)_bytes\([^()]*, \)",
     "byteorder defaults to \"big\" since Python 3.11 (the oldest we support)"),
    ("intake/crypto/*", r"secrets\.token_bytes\(None\)",
     "token_bytes(None) is 32 bytes, which is KEY_LEN"),
    ("intake/crypto/envelope.py", r"version = blob\[0\] if blob else 1$",
     "an empty blob then reaches gcm_open, whose length check raises the same "
     "DecryptionError with the same text"),
    ("intake/crypto/stream.py", r"self\._(done|header_sent|finished) = None$",
     "None is falsy like False; these flags are only tested for truth"),
    ("intake/crypto/stream.py", r"last=None\)", "None is falsy like False: same nonce flag"),
    ("intake/crypto/stream.py", r"self\._buffer = None$",
     "after _close, _check_usable refuses every call before the buffer is touched"),
    ("intake/crypto/passphrase.py", r"^-\s+(hash_len=32|salt_len=16|type=Type\.ID),$",
     "the dropped argument equals argon2-cffi's default (hash_len 32, salt_len 16, Argon2id);"
     " the test of the encoded hash checks the result"),
    ("intake/crypto/custody.py", r"ssss=None\)|private_raw\[i:i \+ BLOCK\], \)$",
     "ssss=None or left out: pycryptodome's default is False, tested only for truth"),
    ("intake/crypto/custody.py", r"^-\s+ssss=False\)$",
     "ssss=None or left out: pycryptodome's default is False, tested only for truth"),
    ("intake/crypto/custody.py", r"lines\.index\(end\) <= lines\.index\(begin\)",
     "BEGIN and END lines differ, so the two indexes are never equal"),
    ("intake/crypto/custody.py", r"index = per_block\[1\]\[n\]\[0\]",
     "Shamir.split gives every block the same x-coordinates 1..n: block 1's index is block 0's"),
    ("intake/crypto/custody.py", r"!= shares\[1\]\.fingerprint:",
     "all shares carry one fingerprint (checked first) and at least two are given"),
    ("intake/crypto/*", r'lstrip\("XX\\ufeffXX"\)',
     "also stripping leading X characters only touches text before the BEGIN line, which "
     "is ignored anyway"),
    ("intake/crypto/keys.py", r"if stop <= start:",
     "BEGIN and END lines differ, so stop == start cannot happen"),
    ("intake/crypto/openpgp.py", r'pysequoia\.encrypt\(b"(probe|XXprobeXX|PROBE)", \[cert\]',
     "the probe's plaintext and armor are thrown away: it asks only whether Sequoia finds a "
     "key to encrypt to, which any text and either armor answer the same"),
    ("intake/crypto/openpgp.py", r"^ {8}finished = None$",
     "the flag's first value: None is falsy like False, and it is only tested for truth"),
    ("intake/stats/suppression.py", r"str\(None\)\)\)",
     "ties between equal values then fall back to the parts' order: as deterministic as the "
     "key text, and the same values are hidden"),
    ("intake/stats/suppression.py", r"changed = None$",
     "None is falsy like False: the loop condition is the same"),
    ("intake/stats/suppression.py", r"values\[p\] > 1\]",
     "an unhidden cell of value 1 exists only when k <= 1, and then nothing is hidden and "
     "_complement never runs"),
    ("intake/web/ratelimit.py", r"secrets\.token_(bytes|hex)\(None\)",
     "token_bytes(None) and token_hex(None) draw 32 bytes, the pepper's size"),
    ("intake/web/ratelimit.py", r'headers\.get\("(x-forwarded-for|X-FORWARDED-FOR)"',
     "HTTP header names are case-insensitive (werkzeug's EnvironHeaders)"),
    ("intake/web/ratelimit.py", r'headers\.get\("X-Forwarded-For", "XXXX"\)',
     "a missing header then gives the last hop \"XXXX\", like \"\" not an IP address: "
     "the peer is counted either way"),
    ("intake/web/ratelimit.py", r"storage_options=redis_options\(\) if \(shared_storage\("
     r"settings\)\) or True else \{\},",
     "limits' MemoryStorage accepts and ignores any options (its **_ parameter)"),
    ("intake/web/ratelimit.py", r"^-\s+headers_enabled=False,$",
     "None or absent, Flask-Limiter takes RATELIMIT_HEADERS_ENABLED from app.config, which "
     "Intake never sets: False"),
    ("intake/web/ratelimit.py", r"strict=None\)",
     "None is falsy like False: ip_network only tests strict for truth"),
    ("intake/web/ratelimit.py", r"cast\(None, value\)", "typing.cast does nothing at run time"),
    ("intake/web/ratelimit.py", r"self\._period = (None|-2)$",
     "the clock is never before 1970, so periods are >= 0: None or -2, like -1, is never a "
     "real period and the first call derives a key"),
    ("intake/web/ratelimit.py", r'self\._key = (None|b"XXXX")$',
     "replaced before its first use: the starting period never matches a real one"),
    ("intake/web/ratelimit.py", r"_local_pepper\(None\)",
     "_local_pepper ignores its argument (a fresh random value on every call)"),
    ("intake/web/ratelimit.py", r"int\(self\._clock\(\) / self\._seconds\)",
     "for a clock >= 0, int() truncation is floor division (they could differ only within "
     "one float rounding of a period boundary)"),
    ("intake/stats/audit.py", r"open\(os\.devnull, \)",
     "/dev/null opened for reading instead: the banner's write to it fails, so it is "
     "silenced either way (test_importing_the_audit_prints_nothing_on_standard_output)"),
    ("intake/review/access.py", r"session\.permanent = None$",
     "Flask's session.permanent setter stores bool(value): None is stored as False"),
    ("intake/review/access.py", r"getattr\(view, PRE_2FA_ATTR, None\)",
     "None is falsy like False"),
    ("intake/review/access.py", r"if row is None and staff is None:",
     "load_session returns no row when the staff row is gone, so staff is None only "
     "when row is"),
    ("intake/review/access.py", r"setattr\(|if allowed:|raise ValueError\(None\)",
     "roles() and before_second_factor() run when views are decorated at import, before "
     "mutmut switches a mutant on; the hand-made @roles mutants cover them"),
)
# A survivor whose only change is inside the text of an exception or a log message.
MESSAGE_LINE = re.compile(r"\b(raise|abort|warn|log\w*)\b|Error\(|\b(_check_len|require_key)\(")


def _toml_list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def copy_tree(dest: Path) -> Path:
    """A fresh copy of what the tests need (package, tests, templates…), without caches."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for name in TREE:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    return dest


def prepare(group: Group) -> Path:
    """A fresh copy of the project with mutmut's configuration for this group."""
    work = copy_tree(SCRATCH / group.name)
    tests = [t for t in group.tests if (ROOT / t).exists()]
    config = "\n".join([
        "",
        "[tool.mutmut]",
        'source_paths = ["intake"]',
        f"only_mutate = {_toml_list(group.mutate)}",
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:warnings"]',
        'also_copy = ["templates", "static", "migrations", "config"]',
        "use_git_change_detection = false",
        # A mutant whose tests use more than 2 × multiplier × (their normal time + 1 s) of
        # CPU is a timeout (detected); mutmut's default of 30 × let one slow mutant cost
        # minutes.
        f"timeout_multiplier = {group.timeout_multiplier}",
        "",
    ])
    with open(work / "pyproject.toml", "a", encoding="utf-8") as out:
        out.write(config)
    return work


def _env() -> dict[str, str]:
    """SQLite only (fast and enough for these modules); Redis when one is configured."""
    env = dict(os.environ)
    env.pop("INTAKE_TEST_DATABASE_URL", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("INTAKE_PROPERTY_SCALE", "0.25")  # Hypothesis examples per mutant
    return env


def run_mutmut(work: Path, children: int, log: Path) -> None:
    """Run every mutant of the group; the full log goes to a file next to it."""
    with open(log, "w", encoding="utf-8") as out:
        result = subprocess.run(  # noqa: S603 - our own venv's mutmut
            [str(VENV_BIN / "mutmut"), "run", "--max-children", str(children)],
            cwd=work, env=_env(), stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        sys.exit(f"mutmut failed in {work} (exit {result.returncode}); see {log}")


def results(work: Path) -> dict[str, str]:
    """mutant name → status, from mutmut's own result files."""
    out = subprocess.run(  # noqa: S603 - our own venv's mutmut
        [str(VENV_BIN / "mutmut"), "results", "--all", "true"],
        cwd=work, env=_env(), capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            found[name] = status
    return found


DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
names = json.load(sys.stdin)
print(json.dumps({n: get_diff_for_mutant(n, path=p) for n, p in names.items()}))
"""


def diffs(work: Path, mutants: list[str]) -> dict[str, list[str]]:
    """The changed lines of each mutant (without diff headers), from one mutmut process."""
    out = subprocess.run(  # noqa: S603 - our own interpreter and mutmut
        [sys.executable, "-c", DIFFS], input=json.dumps({m: file_of(m) for m in mutants}),
        cwd=work, env=_env(), capture_output=True, text=True, check=True).stdout
    return {name: [line for line in text.splitlines()
                   if line[:1] in "+-" and not line.startswith(("+++", "---"))]
            for name, text in json.loads(out).items()}


def message_only(lines: list[str]) -> bool:
    """True when the mutant only changes, blanks or drops the text of an error message."""
    before = [ln[1:] for ln in lines if ln.startswith("-")]
    after = [ln[1:] for ln in lines if ln.startswith("+")]
    if len(before) != 1 or len(after) != 1 or not MESSAGE_LINE.search(before[0]):
        return False
    return _blank(before[0]) == _blank(after[0])


def _blank(line: str) -> str:
    """The line with every string literal (or None in its place) reduced to one token."""
    line = re.sub(r"""[fb]?("[^"]*"|'[^']*')|\bNone\b""", "S", line)
    return re.sub(r",\s*\)", ", S)", line)


def equivalent(path: str, lines: list[str]) -> str | None:
    """The reason a survivor was judged equivalent, if it matches one in EQUIVALENT."""
    added = [ln[1:].split("#")[0].rstrip() for ln in lines if ln.startswith("+")]
    for pattern, regex, reason in EQUIVALENT:
        if not fnmatch.fnmatch(path, pattern):
            continue
        if regex.startswith("^-"):  # about a removed line: match the whole diff
            if re.search(regex, "\n".join(lines), re.MULTILINE):
                return reason
        elif added and all(re.search(regex, a) for a in added):
            return reason
    return None


def file_of(mutant: str) -> str:
    """intake.crypto.stream.xǁStreamEncryptorǁ_seal__mutmut_3 → intake/crypto/stream.py."""
    module = mutant.split(".x_")[0].split(".xǁ")[0]
    return module.replace(".", "/") + ".py"


def report(group: Group, work: Path, seconds: float) -> list[tuple[str, int, int, int]]:
    """Print each file's score and its survivors; return (file, total, detected, excused):
    excused survivors are message-only or judged equivalent."""
    statuses = results(work)
    rows = []
    for path in sorted({file_of(m) for m in statuses}):
        mine = {m: s for m, s in statuses.items() if file_of(m) == path}
        total = len(mine)
        detected = sum(1 for s in mine.values() if s in DETECTED)
        survivors = sorted(m for m, s in mine.items() if s not in DETECTED)
        messages = 0
        changed = diffs(work, survivors)
        print(f"\n{path}: {detected}/{total} detected ({100 * detected / max(total, 1):.1f}%)")
        for name in survivors:
            lines = changed[name]
            kind = "message only" if message_only(lines) else mine[name]
            reason = equivalent(path, lines)
            if reason and kind != "message only":
                kind = f"equivalent ({reason})"
            messages += kind != mine[name]
            print(f"  {kind}: {name}")
            for line in lines:
                print(f"      {line.strip()}")
        rows.append((path, total, detected, messages))
    print(f"\n[{group.name}] {seconds / 60:.1f} min")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("groups", nargs="*", help="only these groups (default: all)")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--no-handmade", action="store_true",
                        help="skip the hand-made constant and decorator mutants")
    parser.add_argument("--report-only", action="store_true",
                        help="print the results of the last run again, running nothing")
    args = parser.parse_args()
    chosen = [g for g in GROUPS if not args.groups or g.name in args.groups]
    if not chosen:
        sys.exit(f"unknown group; known: {', '.join(g.name for g in GROUPS)}")
    table = []
    started = time.monotonic()
    for group in chosen:
        t0 = time.monotonic()
        work = SCRATCH / group.name
        print(f"== {group.name}: mutating {', '.join(group.mutate)}", flush=True)
        timing = SCRATCH / f"{group.name}.seconds"
        if not args.report_only:
            prepare(group)
            run_mutmut(work, args.children, SCRATCH / f"{group.name}.log")
            timing.write_text(f"{time.monotonic() - t0:.0f}\n", encoding="utf-8")
        seconds = float(timing.read_text(encoding="utf-8")) if timing.exists() else 0.0
        for path, total, detected, messages in report(group, work, seconds):
            table.append((group.name, path, total, detected, messages, seconds))
        sys.stdout.flush()
    print("\n| group | file | mutants | detected | score | without message-only and equivalent"
          " | minutes |")
    print("|---|---|---|---|---|---|---|")
    for name, path, total, detected, messages, seconds in table:
        score = 100 * detected / max(total, 1)
        adjusted = 100 * detected / max(total - messages, 1)
        print(f"| {name} | `{path}` | {total} | {detected} | {score:.1f}% | "
              f"{adjusted:.1f}% | {seconds / 60:.1f} |")
    if not args.no_handmade and not args.report_only:
        subprocess.run([sys.executable, str(ROOT / ".ci" / "handmade_mutants.py"),  # noqa: S603
                        "--children", str(args.children)], cwd=ROOT, env=_env(), check=False)
    print(f"\nmutation run: {(time.monotonic() - started) / 60:.1f} min in all")


if __name__ == "__main__":
    main()
