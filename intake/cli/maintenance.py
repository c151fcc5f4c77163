"""`intake purge`, `intake blob-times`: retention and file times (backups: intake.cli.backup)."""

from __future__ import annotations

import click

from intake.attachments import blobs
from intake.cli.common import database, settings
from intake.services import retention


def register(main: click.Group) -> None:
    """Attach purge and blob-times."""

    @main.command("blob-times")
    def blob_times() -> None:
        """Set every blob's file times to the hour (run hourly: deploy/intake-blob-times.*)."""
        count = blobs.coarsen_all(settings().blob_dir)
        click.echo(f"{count} blob file(s): access and modification times set to the hour")

    @main.command("purge")
    @click.option("--dry-run", is_flag=True, help="Only count what would be purged.")
    def purge(dry_run: bool) -> None:
        """Crypto-shred closed cases older than the retention period (counts only)."""
        cfg = settings()
        db = database(cfg)
        session = db.factory()
        try:
            counts = retention.purge(session, cfg, dry_run=dry_run)
        finally:
            session.close()
            db.dispose()
        if counts.retention_days <= 0:
            click.echo("retention is off (retention_days = 0): nothing purged")
            return
        verb = "would purge" if dry_run else "purged"
        click.echo(f"{verb}: {counts.cases} cases, {counts.items} items, {counts.wraps} key "
                   f"wraps, {counts.labels} labels, {counts.blobs} blob files "
                   f"(retention {counts.retention_days} days)")
