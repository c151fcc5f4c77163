"""A machine-wide limit on concurrent staff-login Argon2id work, so logins never starve reporters.

One login costs about half a CPU-second of memory-hard work. Ten staff signing in at once
(or a login flood) would otherwise take every core from the public form on the same host.
The gate lets at most `slots` logins derive at a time across all review worker processes
(one file lock per slot in the data dir); the rest wait their turn. Waiting costs the
staff member a little time; it never costs a reporter their page.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "login-kdf-{n}.lock"


def default_slots() -> int:
    """Half the cores (at least one): the other half stay free for the public app."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 2) // 2)


def _open(path: Path) -> int:
    """Each acquisition opens its own descriptor, so threads of one process exclude each other."""
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


@contextmanager
def kdf_slot(lock_dir: Path, slots: int | None = None) -> Iterator[None]:
    """Hold one of `slots` machine-wide slots for the duration of a login's key derivations."""
    count = slots or default_slots()
    lock_dir.mkdir(parents=True, exist_ok=True)
    paths = [lock_dir / LOCK_NAME.format(n=n) for n in range(count)]
    fd = None
    for path in paths:
        candidate = _open(path)
        try:
            fcntl.flock(candidate, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(candidate)
            continue
        fd = candidate
        break
    if fd is None:
        fd = _open(paths[threading.get_ident() % count])
        fcntl.flock(fd, fcntl.LOCK_EX)  # releases the GIL while it waits
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
