"""A timed load driver: threads calling one step in a loop, only the window measured."""

from __future__ import annotations

import http.client
import random
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .figures import percentile
from .reports import CSRF_RE


class Client:
    """One keep-alive HTTP connection with a cookie jar: a browser, minus the browser."""

    def __init__(self, address: str) -> None:
        host, port = address.split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str,
                form: list[tuple[str, str]] | None = None) -> tuple[int, str]:
        """Send one request; returns status and body text; keeps cookies."""
        headers = {"Accept-Language": "en"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, data

    def csrf(self, path: str) -> str:
        """GET a form page and return its CSRF token (the cookie is kept)."""
        status, page = self.request("GET", path)
        match = CSRF_RE.search(page)
        if status != 200 or not match:
            raise RuntimeError(f"GET {path} gave {status} without a CSRF token")
        return match.group(1)

    def close(self) -> None:
        self.conn.close()


@dataclass
class LoadResult:
    """Latencies (seconds) of the measured window, errors, and the window length."""

    latencies: list[float]
    errors: int
    seconds: float
    calls: int = 0
    cpu_seconds: float = 0.0

    @property
    def cpu_ms_per_call(self) -> float:
        """Server CPU per request over the whole run (warm-up included): noise-resistant."""
        return self.cpu_seconds / self.calls * 1000 if self.calls else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def p(self, pct: float) -> float:
        return percentile(self.latencies, pct)

    def line(self, label: str, unit: str = "req/s") -> str:
        return (f"{label:<34} {self.rate:7.1f} {unit}  p50 {self.p(50) * 1000:6.1f} ms"
                f"  p99 {self.p(99) * 1000:6.1f} ms  cpu {self.cpu_ms_per_call:5.1f} ms/call"
                f"  n={len(self.latencies)} err={self.errors}")


Step = Callable[[Any], bool]


def run_load(make_state: Callable[[], Any], step: Step, concurrency: int, seconds: float,
             warmup: float = 1.0, cpu_of: Callable[[], float] = time.process_time,
             pace: float = 0.0) -> LoadResult:
    """`concurrency` threads each call `step(state)` in a loop; only the window is timed.

    `make_state` runs once per thread before the clock starts (e.g. fetch a CSRF token);
    `step` returns True for a success; `cpu_of` reads the CPU seconds of whoever serves
    the calls (this process by default, or a gunicorn server's processes). Latencies count
    only calls that started and ended inside the window, so warm-up and the tail do not
    distort the figures. `pace` > 0 makes each thread open-loop: one call every `pace`
    seconds (a steady arrival rate), so latency is not hidden by a slowed-down client.
    """
    latencies: list[float] = []
    errors = [0]
    calls = [0]
    lock = threading.Lock()
    window = [0.0, 0.0]

    def open_window() -> None:
        window[0] = time.monotonic() + warmup
        window[1] = window[0] + seconds

    barrier = threading.Barrier(concurrency, action=open_window)

    def worker() -> None:
        state = make_state()
        barrier.wait()
        start_at, stop_at = window
        mine: list[float] = []
        bad = 0
        count = 0
        next_at = time.monotonic() + random.uniform(0, pace)
        while True:
            if pace:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += pace
            t0 = time.monotonic()
            if t0 >= stop_at:
                break
            try:
                ok = step(state)
            except Exception:  # noqa: BLE001 - a failed request is counted, not fatal
                ok = False
            t1 = time.monotonic()
            if t0 >= start_at and t1 <= stop_at:
                if ok:
                    mine.append(t1 - t0)
                else:
                    bad += 1
            count += 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad
            calls[0] += count
        close = getattr(state, "close", None)
        if close is not None:
            close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    cpu_before = cpu_of()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(latencies, errors[0], seconds, calls[0], cpu_of() - cpu_before)
