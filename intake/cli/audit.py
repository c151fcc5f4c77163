"""`intake audit verify`: walk the hash chain and name the first broken entry."""

from __future__ import annotations

import click

from intake.cli.common import database
from intake.services.audit import verify


def register(main: click.Group) -> None:
    """Attach the `audit` group."""

    @main.group("audit")
    def audit_group() -> None:
        """The staff audit log."""

    @audit_group.command("verify")
    def verify_command() -> None:
        """Check every entry commits to the one before; exit 1 when the chain is broken."""
        db = database()
        try:
            with db.transaction() as session:
                report = verify(session)
        finally:
            db.dispose()
        if report.ok:
            click.echo(f"ok: {report.count} entries, head {report.head}")
            return
        click.echo(f"broken: entry {report.broken_id}: {report.reason}", err=True)
        raise SystemExit(1)
