"""pip-audit on the pinned constraints.txt, tolerant of having no network.

A known vulnerability fails the build with the exact pin to raise. When the
vulnerability service cannot be reached (offline build machines), it says so
plainly, lists what went unchecked, and does not fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OFFLINE_HINTS = ("ConnectionError", "Max retries", "NewConnectionError", "Name or service",
                 "Temporary failure", "timed out", "ProxyError", "SSLError", "Network is")


def main() -> int:
    """Run pip-audit once and turn its JSON into a verdict an engineer can act on."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        cmd = [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip",
               "-r", str(ROOT / "constraints.txt"), "--progress-spinner", "off",
               "--timeout", "20", "-f", "json", "-o", str(report)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True,  # noqa: S603
                                  timeout=600, check=False)
        except subprocess.TimeoutExpired:
            return _offline("pip-audit timed out")
        if not report.exists() or not report.read_text().strip():
            if any(hint in done.stderr for hint in OFFLINE_HINTS):
                return _offline(done.stderr.strip().splitlines()[-1])
            print(f"pip-audit failed (exit {done.returncode}):\n{done.stderr}", file=sys.stderr)
            return 1
        data = json.loads(report.read_text())
    deps = data.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    if vulnerable:
        print("pip-audit: known vulnerabilities in pinned dependencies:", file=sys.stderr)
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
                print(f"  {dep['name']}=={dep['version']}: {vuln['id']} (fixed in: {fixes})",
                      file=sys.stderr)
        print("Fix: raise each pin in constraints.txt to a fixed version (and the floor in "
              "pyproject.toml if needed), run `make install-dev`, then the tests.",
              file=sys.stderr)
        return 1
    if deps and len(skipped) == len(deps):
        return _offline(f"none of the {len(deps)} pinned packages could be looked up")
    if skipped:
        names = ", ".join(d["name"] for d in skipped)
        print(f"pip-audit: WARNING, not audited ({len(skipped)}): {names}")
    print(f"pip-audit: no known vulnerabilities in {len(deps) - len(skipped)} pinned packages")
    return 0


def _offline(reason: str) -> int:
    print("pip-audit: SKIPPED - the vulnerability service could not be reached "
          f"({reason}). The pinned dependencies were NOT audited; run `make audit` "
          "on a machine with network access before a release.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
