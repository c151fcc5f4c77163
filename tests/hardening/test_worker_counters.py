"""Real gunicorn with the shipped configuration refuses production with per-worker
rate-limit counters (memory://) and more than one worker; one worker, or Redis, starts."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hardening.test_gunicorn_logs import ROOT, _env, _free_port, _prepare, _request


def _production_env(data_dir: Path, workers: int, storage: str) -> dict[str, str]:
    env = _env(data_dir)
    env.update({
        "INTAKE_ENV": "production",
        "INTAKE_PUBLIC_SECRET_KEY": secrets.token_urlsafe(40),
        "INTAKE_REVIEW_SECRET_KEY": secrets.token_urlsafe(40),
        "INTAKE_RATE_LIMIT_SECRET": secrets.token_urlsafe(40),
        "INTAKE_RATE_LIMIT_STORAGE": storage,
        "INTAKE_GUNICORN_WORKERS": str(workers),
    })
    return env


def _gunicorn(tmp_path: Path, env: dict[str, str], app: str, port: int
              ) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "config/gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", app],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("app", ["intake.public:create_app()", "intake.review:create_app()"])
def test_production_with_memory_counters_and_two_workers_refuses_to_start(
        tmp_path: Path, app: str) -> None:
    env = _production_env(tmp_path / "data", 2, "memory://")
    _prepare(env)
    proc = _gunicorn(tmp_path, env, app, _free_port())
    try:
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3
    assert b"refuses to start 2 workers" in err and b"rate_limit_storage" in err


def test_production_with_one_worker_and_memory_counters_starts(tmp_path: Path) -> None:
    env = _production_env(tmp_path / "data", 1, "memory://")
    _prepare(env)
    port = _free_port()
    proc = _gunicorn(tmp_path, env, "intake.public:create_app()", port)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate()[1].decode(errors="replace")
            try:
                if _request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not become ready"
                time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
