"""Safe copies: pages per second for a 50-page PDF and a 20-page DOCX, the sandbox's
overhead against the same conversion without it (same worker, same run), peak memory.

Each measurement runs in its own child process, so its peak memory is its own:
"converter peak" is the largest sum of the resident sets of the converter's processes
(bubblewrap, the worker, LibreOffice; sampled every 20 ms from /proc), "app peak" the
process that reads the pixels and builds the PDF (its maximum resident set).

    .venv/bin/python bench/safe_copy.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from lib.figures import header, median, ratio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intake.convert.pixelpdf import build, verify  # noqa: E402
from intake.convert.sandbox import (  # noqa: E402
    CLEAN_ENV,
    PACKAGE_DIR,
    Limits,
    collect,
    convert,
    worker_command,
)
from tests.convert.samples import docx, text_pdf  # noqa: E402

LIMITS = Limits(max_pages=300, seconds=600, memory_mb=2048, dpi=150)
LINES = "The committee met on the third floor and recorded every name in the ledger."


def document(kind: str) -> bytes:
    """The same synthetic documents every run: 50 PDF pages, 20 DOCX pages."""
    if kind == "pdf":
        return text_pdf(LINES, pages=50)
    return docx([f"{LINES} ({n + 1})" for n in range(20)], page_breaks=True)


def _descendants_rss_mb(root: int) -> float:
    """Resident memory of every process below `root` (the sandbox's too: its PID namespace
    is visible from here), summed."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        rss[int(entry.name)] = int(fields[21]) * resource.getpagesize()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        children = [c for c, p in parents.items() if p == pid]
        total += sum(rss.get(c, 0) for c in children)
        stack += children
    return total / 2**20


class PeakSampler(threading.Thread):
    """Samples the children's summed resident memory every 20 ms; keeps the peak."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, _descendants_rss_mb(os.getpid()))


def one(kind: str, mode: str) -> dict[str, float]:
    """Convert once (sandboxed or not), build and verify the PDF; time and memory."""
    data = document(kind)
    sampler = PeakSampler()
    sampler.start()
    started = time.perf_counter()
    if mode == "sandbox":
        pages = convert(data, LIMITS)
    else:
        shutil.rmtree("/tmp/convert", ignore_errors=True)  # noqa: S108 - a cold profile, as in the sandbox
        with tempfile.TemporaryDirectory() as where:  # the same module, as the sandbox has it
            (Path(where) / "intake_convert").symlink_to(PACKAGE_DIR)
            proc = subprocess.Popen(worker_command(LIMITS), stdin=subprocess.PIPE,  # noqa: S603
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    env=CLEAN_ENV, cwd=where)
            pages = collect(proc, data, LIMITS)
    pdf = build(pages, LIMITS.dpi)
    verify(pdf)
    seconds = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    children = sampler.peak
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "pages": len(pages), "converter_mb": children, "app_mb": own,
            "pdf_kb": len(pdf) / 1024}


def measure(kind: str, mode: str, repeats: int) -> list[dict[str, float]]:
    """`repeats` fresh child processes."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, __file__, "--one", kind, mode],  # noqa: S603
                             capture_output=True, text=True, check=True, cwd=ROOT)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


def main() -> int:
    """Interleave sandboxed and plain runs so both see the same machine load."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", nargs=2, metavar=("KIND", "MODE"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*args.one)))
        return 0
    header(f"safe copies at {LIMITS.dpi} dpi, median of {args.repeats} runs")
    for kind, label in (("pdf", "50-page PDF"), ("docx", "20-page DOCX")):
        sandboxed: list[dict[str, float]] = []
        plain: list[dict[str, float]] = []
        for _ in range(args.repeats):
            sandboxed += measure(kind, "sandbox", 1)
            plain += measure(kind, "plain", 1)
        pages = sandboxed[0]["pages"]
        s_time = median([r["seconds"] for r in sandboxed])
        p_time = median([r["seconds"] for r in plain])
        print(f"   {label}: {pages:.0f} pages; sandboxed {s_time:.2f} s "
              f"({pages / s_time:.1f} pages/s), without sandbox {p_time:.2f} s "
              f"({pages / p_time:.1f} pages/s); overhead ratio {ratio(s_time, p_time)}")
        print(f"      peak memory: converter {max(r['converter_mb'] for r in sandboxed):.0f} MB "
              f"(without sandbox {max(r['converter_mb'] for r in plain):.0f} MB), app side "
              f"{max(r['app_mb'] for r in sandboxed):.0f} MB; safe PDF "
              f"{median([r['pdf_kb'] for r in sandboxed]):.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
