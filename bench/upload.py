"""Benchmark (not a test): a large upload through the real gunicorn server.

Starts gunicorn with config/gunicorn.conf.py on loopback over a temporary SQLite instance,
streams a generated file as a report attachment (never held in memory), samples the worker's
resident memory from /proc, and in the same run times shutil.copyfile of a file of the same
size on the same disk. Prints the throughput ratio and the peak memory growth.

    .venv/bin/python bench/upload.py            # 1 GB
    .venv/bin/python bench/upload.py --size-mb 64   # quick run
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1 << 20
BOUNDARY = "----intake-bench-boundary-7f3a9"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(x) for x in text]
    return out


def generated(size: int) -> Iterator[bytes]:
    """Pseudo-random content, generated chunk by chunk (never the whole file in memory)."""
    block = bytearray(os.urandom(CHUNK))
    sent = 0
    n = 0
    while sent < size:
        n += 1
        block[:8] = n.to_bytes(8, "big")
        piece = bytes(block[: min(CHUNK, size - sent)])
        sent += len(piece)
        yield piece


def wait_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def form_page(port: int) -> tuple[str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    if not match:
        raise SystemExit("no CSRF token on the form (is a recovery key registered?)")
    return match.group(1), cookie


def upload(port: int, size: int) -> tuple[float, int]:
    token, cookie = form_page(port)
    fields = {"csrf_token": token, "what": "benchmark upload", "consent_stats": "no",
              "metadata": "keep"}
    head = "".join(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   for k, v in fields.items())
    head += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
             f'filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n')
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head.encode()) + size + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    conn.putrequest("POST", "/")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    conn.putheader("Content-Length", str(length))
    conn.putheader("Cookie", cookie)
    conn.endheaders()
    conn.send(head.encode())
    for piece in generated(size):
        conn.send(piece)
    conn.send(tail)
    response = conn.getresponse()
    body = response.read().decode()
    elapsed = time.perf_counter() - start
    if response.status != 200 or 'class="receipt"' not in body:
        raise SystemExit(f"upload failed: HTTP {response.status}")
    return elapsed, response.status


def copy_baseline(workdir: Path, size: int) -> float:
    src, dst = workdir / "copy-src.bin", workdir / "copy-dst.bin"
    with src.open("wb") as fh:
        for piece in generated(size):
            fh.write(piece)
        fh.flush()
        os.fsync(fh.fileno())
    start = time.perf_counter()
    shutil.copyfile(src, dst)
    with dst.open("rb+") as fh:
        os.fsync(fh.fileno())  # the server fsyncs its blob too
    elapsed = time.perf_counter() - start
    src.unlink()
    dst.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--quick", action="store_true",
                        help="256 MiB instead of the size given (make bench)")
    args = parser.parse_args()
    if args.quick:
        args.size_mb = min(args.size_mb, 256)
    size = args.size_mb * 1024 * 1024
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="intake-bench-", dir=ROOT) as tmp:
        workdir = Path(tmp)
        env = dict(os.environ, INTAKE_DATA_DIR=str(workdir / "data"),
                   INTAKE_MAX_FILE_MB=str(args.size_mb + 1),
                   INTAKE_MAX_REQUEST_MB=str(args.size_mb + 1),
                   INTAKE_GUNICORN_WORKERS="1")
        env.pop("INTAKE_DATABASE_URL", None)
        env.pop("INTAKE_CONFIG", None)
        subprocess.run([bin_dir / "intake", "db", "upgrade"], env=env, check=True,
                       capture_output=True)
        subprocess.run([bin_dir / "intake", "recovery-key", "generate", "--out",
                        str(workdir / "recovery.key")], env=env, check=True,
                       capture_output=True)
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "config/gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{port}", "intake.public:create_app()"],
            env=env, cwd=ROOT)
        try:
            wait_up(port, proc)
            form_page(port)  # warm the worker: imports, templates, first DB connection
            [worker] = children(proc.pid)
            baseline = rss_kib(worker)
            peak = [baseline]
            stop = threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    peak[0] = max(peak[0], rss_kib(worker))
                    time.sleep(0.01)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            upload_s, _status = upload(port, size)
            stop.set()
            sampler.join()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        copy_s = copy_baseline(workdir, size)
    mb = size / (1024 * 1024)
    up_rate, copy_rate = mb / upload_s, mb / copy_s
    print(f"file size: {mb:.0f} MiB")
    print(f"upload through gunicorn: {upload_s:.2f} s = {up_rate:.1f} MiB/s")
    print(f"shutil.copyfile same disk: {copy_s:.2f} s = {copy_rate:.1f} MiB/s")
    print(f"throughput ratio upload/copy: {up_rate / copy_rate:.3f}")
    print(f"worker RSS baseline {baseline / 1024:.1f} MiB, peak {peak[0] / 1024:.1f} MiB, "
          f"growth {(peak[0] - baseline) / 1024:.1f} MiB (target < 100 MiB)")


if __name__ == "__main__":
    main()
