"""Scan every place the service writes for a canary token."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import make_url


def files_under(*roots: Path) -> list[Path]:
    """Every regular file below the given roots (database, -wal, -shm, blobs, logs, temp)."""
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(p for p in root.rglob("*") if p.is_file())
    return found


def hits(tokens: Iterable[str], blobs: Iterable[tuple[str, bytes]]) -> list[str]:
    """Names of the blobs that contain any token, as UTF-8 or UTF-16 (case-insensitive)."""
    found = []
    forms = []
    for token in tokens:
        forms += [token.encode().lower(), token.encode("utf-16-le").lower()]
    for name, data in blobs:
        low = data.lower()
        for form in forms:
            if form in low:
                found.append(f"{name}: {form[:40]!r}")
    return found


def read_files(paths: Iterable[Path]) -> list[tuple[str, bytes]]:
    """(name, bytes) for each readable file."""
    out = []
    for path in paths:
        try:
            out.append((str(path), path.read_bytes()))
        except OSError:
            continue
    return out


def pg_dump(sqlalchemy_url: str) -> bytes:
    """A plain-SQL dump of the test schema, as an operator's backup would contain."""
    url = make_url(sqlalchemy_url)
    options = str(url.query.get("options", ""))
    schema = options.split("search_path=")[-1] if "search_path=" in options else "public"
    env = dict(os.environ)
    cmd = [
        "pg_dump", "--no-owner", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
        "-U", url.username or "postgres", "-n", schema, url.database or "postgres",
    ]
    return subprocess.run(cmd, check=True, capture_output=True, env=env).stdout  # noqa: S603
