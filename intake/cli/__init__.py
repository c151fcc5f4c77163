"""The `intake` command; each sub-command group lives in its own module."""

from __future__ import annotations

import click

from intake.cli import audit, backup, db, decrypt, keys, maintenance, notify, serve, staff, stats


@click.group()
def main() -> None:
    """Intake: secure incident-reporting intake (operator commands)."""


for module in (audit, backup, db, decrypt, keys, maintenance, notify, serve, staff, stats):
    module.register(main)
