"""The `intake` command; each sub-command group lives in its own module."""

from __future__ import annotations

import click

from intake.cli import audit, db, keys, serve, staff


@click.group()
def main() -> None:
    """Intake: secure incident-reporting intake (operator commands)."""


for module in (audit, db, keys, serve, staff):
    module.register(main)
