"""Issue 13, finding 13: `make run` (intake db upgrade, then intake serve) left the SQLite
database and the data directory world-readable under a usual umask (022). Everything the
service writes is private to its user, as in production (UMask=0077 in the units)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from intake.db import Database
from intake.settings import load_settings

INTAKE = Path(sys.executable).parent / "intake"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _loose(root: Path) -> list[str]:
    """Every path under root that group or others may read, write or enter."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(root.parent)} {oct(mode)}")
    return found


def _shared_umask() -> None:
    os.umask(0o022)  # what a developer's shell usually has


def test_make_run_writes_nothing_others_can_read(tmp_path: Path) -> None:
    data = tmp_path / "instance"
    env = {**os.environ, "INTAKE_DATA_DIR": str(data), "INTAKE_PUBLIC_PORT": str(_free_port()),
           "INTAKE_REVIEW_PORT": str(_free_port())}
    env.pop("INTAKE_DATABASE_URL", None)
    env.pop("INTAKE_CONFIG", None)
    upgrade = subprocess.run([str(INTAKE), "db", "upgrade"], env=env, capture_output=True,  # noqa: S603
                             text=True, timeout=120, preexec_fn=_shared_umask, check=False)
    assert upgrade.returncode == 0, upgrade.stderr
    server = subprocess.Popen([str(INTAKE), "serve"], env=env, preexec_fn=_shared_umask,  # noqa: S603
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{env['INTAKE_REVIEW_PORT']}/login"
        for _attempt in range(120):
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                    assert response.status == 200
                break
            except OSError:
                time.sleep(0.25)
        else:
            raise AssertionError("the review app did not start")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (data / "intake.db").exists()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "intake.db").stat().st_mode) == 0o600
    assert _loose(data) == []


def test_the_app_factories_database_is_private_whatever_the_umask(tmp_path: Path) -> None:
    """gunicorn started some other way (not through `intake`) still gets a private file."""
    data = tmp_path / "loose"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    old = os.umask(0o022)
    try:
        settings = load_settings(environ={}, data_dir=str(data))
        db = Database(settings)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x)")
            conn.commit()
        db.dispose()
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert _loose(data) == []
