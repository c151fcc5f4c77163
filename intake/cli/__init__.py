"""The `intake` command; each sub-command group lives in its own module."""

from __future__ import annotations

import click

from intake.cli import db, keys, maintenance, serve, staff


@click.group()
def main() -> None:
    """Intake: secure incident-reporting intake (operator commands)."""


for module in (db, keys, maintenance, serve, staff):
    module.register(main)
