"""`intake serve`: both apps on two loopback ports through gunicorn, no access log."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from intake.cli.common import database, settings
from intake.services.staff import staff_count

GUNICORN_CONF = Path(__file__).resolve().parent.parent.parent / "config" / "gunicorn.conf.py"


def _gunicorn(app: str, host: str, port: int) -> subprocess.Popen[bytes]:
    """One gunicorn master per app: the review app never shares a process with the public one."""
    cmd = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF),
           "--bind", f"{host}:{port}", app]
    return subprocess.Popen(cmd)  # noqa: S603 - fixed argv, no shell


def register(main: click.Group) -> None:
    """Attach `serve`."""

    @main.command("serve")
    def serve() -> None:
        """Serve the public app and the review app until interrupted."""
        cfg = settings()
        cfg.log_dir.mkdir(parents=True, exist_ok=True)
        if staff_count(database(cfg).factory()) == 0:
            click.echo("No staff account exists yet. Create the first administrator with:")
            click.echo("    .venv/bin/intake staff create admin --role admin")
        procs = [
            _gunicorn("intake.public:create_app()", cfg.public_host, cfg.public_port),
            _gunicorn("intake.review:create_app()", cfg.review_host, cfg.review_port),
        ]
        click.echo(f"public app:  http://{cfg.public_host}:{cfg.public_port}/")
        click.echo(f"review app:  http://{cfg.review_host}:{cfg.review_port}/")

        def _stop(*_args: object) -> None:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, _stop)
        try:
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            _stop()
            for proc in procs:
                proc.wait(timeout=30)
        codes = [proc.returncode for proc in procs]
        if any(code not in (0, -signal.SIGTERM, None) for code in codes):
            raise SystemExit(1)
