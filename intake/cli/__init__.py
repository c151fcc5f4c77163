"""The `intake` command; each sub-command group lives in its own module."""

from __future__ import annotations

import os

import click

from intake.cli import (
    audit,
    backup,
    db,
    decrypt,
    doctor,
    keys,
    maintenance,
    notify,
    serve,
    staff,
    stats,
)

PRIVATE_UMASK = 0o077


@click.group()
def main() -> None:
    """Intake: secure incident-reporting intake (operator commands)."""
    # Everything intake writes (the SQLite database and its WAL, the data and blob
    # directories, logs, backups) and everything `intake serve` starts is private to the
    # service user, whatever the shell's umask: production's systemd units set the same.
    os.umask(PRIVATE_UMASK)


for module in (audit, backup, db, decrypt, doctor, keys, maintenance, notify, serve, staff,
               stats):
    module.register(main)
