"""`intake purge`, `intake backup`, `intake restore`, `intake blob-times`: retention,
disaster recovery and file times."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from intake.attachments import blobs
from intake.cli.common import database, settings
from intake.db import Database
from intake.services import backup, retention
from intake.services.audit import record


def register(main: click.Group) -> None:
    """Attach purge, backup, restore and blob-times."""

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

    @main.command("backup")
    @click.option("--out", "out", required=True,
                  type=click.Path(dir_okay=False, writable=True, path_type=Path),
                  help="Archive to write (still encrypted; guard it like the database).")
    def backup_cmd(out: Path) -> None:
        """Write a consistent snapshot of the database and the encrypted blobs."""
        cfg = settings()
        db = database(cfg)
        try:
            with backup.snapshot(db, cfg) as snap, click.progressbar(
                    length=max(snap.steps, 1), label="backup", file=sys.stderr) as bar:
                manifest = backup.write_archive(snap, cfg, out, progress=bar.update)
            with db.transaction() as session:
                record(session, None, "backup.create", detail={
                    "tables": len(manifest["tables"]), "blobs": manifest["blobs"]})
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            db.dispose()
        rows = sum(manifest["tables"].values())
        click.echo(f"backup written to {out}: {rows} rows, {manifest['blobs']} blobs"
                   + (f", {manifest['missing_blobs']} blobs missing on disk"
                      if manifest["missing_blobs"] else ""))

    @main.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True,
                  help="Replace everything in a NON-empty instance (destroys its data).")
    def restore_cmd(archive: Path, force: bool) -> None:
        """Restore a backup into an empty instance, then apply migrations."""
        cfg = settings()
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(cfg)  # restore fills an empty instance: no migrated schema needed
        try:
            manifest = backup.read_manifest(archive)
            with click.progressbar(length=max(backup.restore_steps(manifest), 1),
                                   label="restore",
                                   file=sys.stderr) as bar:
                backup.restore(db, cfg, archive, force=force, progress=bar.update)
            with db.transaction() as session:
                record(session, None, "backup.restore", detail={"forced": force})
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            db.dispose()
        click.echo(f"restored {archive} (taken {manifest['created_at']}); schema is up to date")
