"""Finding 10 through the real server: the review's hostile WebPs, several per request, sent
at the same time as the largest images the shipped limits accept, to one gunicorn worker
with the shipped configuration (4 threads). The worker's resident memory is sampled from
/proc; its peak growth must stay under the per-worker ceiling (docs/performance.md)."""

from __future__ import annotations

import http.client
import io
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.hardening.test_gunicorn_logs import ROOT, _env, _free_port, _prepare, _wait_ready
from tests.support.factories import csrf_token, report_fields

# Idle worker + one cleaning slot (≤ 512 MiB, test_image_bombs) + request buffers.
WORKER_CEILING_MIB = 600
TYPED = "Typed text that must come back"


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _worker(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        kids = [int(x) for task in Path(f"/proc/{master}/task").iterdir()
                for x in (task / "children").read_text().split()]
        if kids:
            return kids[0]
        time.sleep(0.1)
    raise AssertionError("no gunicorn worker")


def _submit(port: int, files: list[tuple[str, bytes]]) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=240)
    conn.request("GET", "/")
    page = conn.getresponse()
    html = page.read().decode()
    cookie = (page.getheader("Set-Cookie") or "").split(";", 1)[0]
    fields = report_fields(what=TYPED)
    fields["csrf_token"] = csrf_token(html)
    form: MultiDict[str, Any] = MultiDict(
        [(k, v) for k, value in fields.items()
         for v in (value if isinstance(value, list) else [value])])
    for name, data in files:
        form.add("files", FileStorage(io.BytesIO(data), filename=name,
                                      content_type="application/octet-stream"))
    boundary, body = encode_multipart(form)
    conn.request("POST", "/", body=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": cookie})
    response = conn.getresponse()
    text = response.read().decode(errors="replace")
    conn.close()
    return response.status, text


def test_worker_memory_bounded_under_hostile_images(tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    subprocess.run([sys.executable, "-m", "tests.attachments.bombs", "generate",  # noqa: S603
                    str(samples)], cwd=ROOT, check=True, capture_output=True, timeout=300)
    bomb = (samples / "webp-bomb.webp").read_bytes()
    largest_jpeg = (samples / "largest.jpg").read_bytes()
    largest_webp = (samples / "largest-noise.webp").read_bytes()
    env = _env(tmp_path / "data")
    env.pop("INTAKE_MAX_REQUEST_MB")
    env["INTAKE_GUNICORN_THREADS"] = "4"
    env["INTAKE_RATE_LIMIT_SUBMIT"] = "1000/hour"
    _prepare(env)
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "config/gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "intake.public:create_app()"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(port, proc)
        worker = _worker(proc.pid)
        _submit(port, [])  # warm: templates, first database connection, one derivation
        baseline = _rss_kib(worker)
        peak, stop = [baseline], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _rss_kib(worker))
                time.sleep(0.005)

        plan = {"bombs-1": [("a.webp", bomb), ("b.webp", bomb), ("c.webp", bomb)],
                "bombs-2": [("d.webp", bomb), ("e.webp", bomb), ("f.webp", bomb)],
                "largest-both": [("big.jpg", largest_jpeg), ("big.webp", largest_webp)],
                "largest-jpeg": [("big2.jpg", largest_jpeg)]}
        results: dict[str, tuple[int, str]] = {}
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        clients = [threading.Thread(target=lambda k=k, f=f: results.__setitem__(
            k, _submit(port, f))) for k, f in plan.items()]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed = time.perf_counter() - start
        stop.set()
        sampler.join()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    growth = (peak[0] - baseline) / 1024
    print(json.dumps({"baseline_mib": round(baseline / 1024, 1),
                      "peak_mib": round(peak[0] / 1024, 1), "growth_mib": round(growth, 1),
                      "seconds": round(elapsed, 1),
                      "status": {k: v[0] for k, v in results.items()}}))
    for key in ("bombs-1", "bombs-2"):
        status, html = results[key]
        assert status == 400 and "too large to process safely" in html and TYPED in html
    for key in ("largest-both", "largest-jpeg"):
        status, html = results[key]
        assert status == 200 and 'class="receipt"' in html, key
    assert growth < WORKER_CEILING_MIB
