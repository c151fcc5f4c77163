"""`intake backup [verify|prune|recipient-key]` and `intake restore`: sealed disaster recovery."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from intake.cli.common import Bar, database, settings
from intake.crypto import (
    export_private_pem,
    export_public_pem,
    fingerprint,
    generate_keypair,
    import_private_pem,
)
from intake.db import Database
from intake.services import site
from intake.services.audit import record
from intake.services.backup import BackupError, write_backup
from intake.services.backup_restore import restore
from intake.services.backup_rotation import archive_name, prune
from intake.services.backup_verify import Verified, verify_file
from intake.settings import Settings

EXPOSES = ("staff usernames, roles and e-mail addresses, the audit log (who viewed which "
           "case, when), every case's status, priority, dates and coded labels (act type, "
           "region, quarter), notification queue and statistics; report contents and "
           "attachments stay encrypted")


def _read_key(path: Path | None) -> bytes | None:
    """The private key file (recovery key or an extra backup recipient's), or None."""
    if path is None:
        return None
    try:
        return import_private_pem(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot use key file {path}: {exc}") from exc


def _max_age(db: Database, cfg: Settings, requested: int | None) -> int | None:
    """Archives may not outlive the retention period: default it, refuse longer."""
    with db.transaction() as session:
        retention = site.effective(session, cfg).retention_days
    if requested is not None and requested < 1:
        raise click.ClickException("--max-age-days must be at least 1")
    if retention > 0 and requested is not None and requested > retention:
        raise click.ClickException(
            f"--max-age-days {requested} is longer than the retention period ({retention} "
            "days): purged cases would survive in old backups")
    return requested if requested is not None else (retention or None)


def _print_manifest(checked: Verified) -> None:
    """What an operator compares in the drill."""
    m: dict[str, Any] = checked.manifest
    click.echo(f"archive sha256: {checked.sha256}")
    click.echo(f"encrypted: {'yes' if checked.encrypted else 'NO'}"
               + (f" (recipients: {', '.join(m.get('recipients') or [])})"
                  if checked.encrypted else ""))
    click.echo(f"taken: {m.get('created_at')}  schema revision: {m.get('revision')}")
    for name, rows in sorted(m["tables"].items()):
        click.echo(f"  {name}: {rows} rows")
    click.echo(f"blobs: {m['blobs']} ({m['blob_bytes']} bytes)"
               + (f", {m['missing_blobs']} missing on disk at backup time"
                  if m.get("missing_blobs") else ""))
    click.echo(f"not in any backup: {', '.join(m.get('excluded_tables') or [])}")


def _prune(db: Database, cfg: Settings, directory: Path, keep: int,
           max_age_days: int | None) -> None:
    """Rotation, reported and audited (counts only)."""
    age = _max_age(db, cfg, max_age_days)
    try:
        result = prune(directory, keep, age)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    with db.transaction() as session:
        record(session, None, "backup.prune", detail={"removed": len(result.removed),
                                                      "kept": len(result.kept)})
    click.echo(f"rotation: kept {len(result.kept)}, removed {len(result.removed)} "
               f"(keep {keep}, max age {age or 'unlimited'} days)")


def register(main: click.Group) -> None:
    """Attach the `backup` group and `restore`."""

    @main.group("backup", invoke_without_command=True)
    @click.option("--out", "out", type=click.Path(path_type=Path),
                  help="Archive file, or a directory (the file is then named by the time).")
    @click.option("--keep", type=int, help="Then keep at most N archives in the --out "
                  "directory (never one older than the retention period).")
    @click.option("--max-age-days", type=int,
                  help="With --keep: remove archives older than this (default and maximum: "
                  "the retention period).")
    @click.option("--unencrypted-exposing-metadata", "unencrypted", is_flag=True,
                  help=f"Write a PLAIN tar. Whoever holds it reads {EXPOSES}.")
    @click.pass_context
    def backup_group(ctx: click.Context, out: Path | None, keep: int | None,
                     max_age_days: int | None, unencrypted: bool) -> None:
        """Write a consistent, encrypted snapshot of the database and blobs."""
        if ctx.invoked_subcommand is not None:
            if out or keep or max_age_days or unencrypted:
                raise click.UsageError("these options belong to `intake backup` itself")
            return
        if out is None:
            raise click.UsageError("--out FILE or --out DIR is required")
        if keep is not None and not out.is_dir():
            raise click.UsageError("--keep needs --out to be an existing directory")
        target = out / archive_name(datetime.now(UTC), not unencrypted) if out.is_dir() else out
        if target.exists():
            raise click.ClickException(f"{target} exists; refusing to overwrite a backup")
        cfg = settings()
        db = database(cfg)
        if unencrypted:
            click.echo(f"WARNING: unencrypted backup. Whoever holds {target} reads {EXPOSES}.",
                       err=True)
        bar = Bar()
        try:
            result = write_backup(db, cfg, target, encrypt=not unencrypted, progress=bar)
            m = result.manifest
            with db.transaction() as session:
                record(session, None, "backup.create", detail={
                    "encrypted": not unencrypted, "rows": sum(m["tables"].values()),
                    "blobs": m["blobs"], "sha256": result.sha256})
            click.echo(f"backup written to {target}: {sum(m['tables'].values())} rows, "
                       f"{m['blobs']} blobs ({m['blob_bytes']} bytes)"
                       + (f", {m['missing_blobs']} blobs missing on disk"
                          if m["missing_blobs"] else ""))
            click.echo(f"encrypted to: {', '.join(m['recipients'])}" if m["recipients"]
                       else "NOT ENCRYPTED")
            click.echo(f"sha256: {result.sha256}")
            if keep is not None:
                _prune(db, cfg, out, keep, max_age_days)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            bar.finish()
            db.dispose()

    @backup_group.command("verify")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path),
                  help="Recovery key file (or an extra backup recipient's private key).")
    @click.option("--unencrypted", is_flag=True, help="Accept a plain (unauthenticated) tar.")
    def verify_cmd(archive: Path, key_file: Path | None, unencrypted: bool) -> None:
        """Authenticate a whole archive and print its manifest; touches no instance."""
        bar = Bar()
        try:
            checked = verify_file(archive, _read_key(key_file), allow_plain=unencrypted,
                                  progress=bar)
        except BackupError as exc:
            raise click.ClickException(f"{archive}: {exc}") from exc
        finally:
            bar.finish()
        click.echo(f"{archive}: OK, every byte authenticated" if checked.encrypted
                   else f"{archive}: structure OK (UNENCRYPTED: not authenticated)")
        _print_manifest(checked)

    @backup_group.command("prune")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--keep", type=int, required=True, help="Keep at most N archives.")
    @click.option("--max-age-days", type=int,
                  help="Remove archives older than this (default and maximum: retention).")
    def prune_cmd(directory: Path, keep: int, max_age_days: int | None) -> None:
        """Rotate the archives in DIRECTORY (only files named by `intake backup`)."""
        cfg = settings()
        db = database(cfg)
        try:
            _prune(db, cfg, directory, keep, max_age_days)
        finally:
            db.dispose()

    @backup_group.command("recipient-key")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="Where to write the PRIVATE key (keep it with the custodian, offline).")
    def recipient_key(out: Path) -> None:
        """Make a key pair for an extra backup recipient: OUT and OUT.pub (for the config)."""
        public_path = out.with_name(out.name + ".pub")
        if out.exists() or public_path.exists():
            raise click.ClickException(f"{out} or {public_path} exists; refusing to overwrite")
        private_raw, public_raw = generate_keypair()
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(export_private_pem(private_raw))
        public_path.write_text(export_public_pem(public_raw), encoding="utf-8")
        click.echo(f"private key: {out} (fingerprint {fingerprint(public_raw)})")
        click.echo(f"public key: {public_path}: add its path to backup_recipients")

    @main.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path),
                  help="Recovery key file (or an extra backup recipient's private key).")
    @click.option("--unencrypted", is_flag=True,
                  help="Accept a plain tar made with --unencrypted-exposing-metadata "
                  "(it cannot be authenticated).")
    @click.option("--force", is_flag=True,
                  help="Replace everything in a NON-empty instance (destroys its data).")
    def restore_cmd(archive: Path, key_file: Path | None, unencrypted: bool,
                    force: bool) -> None:
        """Authenticate the whole archive, then restore it into an empty instance."""
        private = _read_key(key_file)
        cfg = settings()
        db = database(cfg)
        bar = Bar()
        try:
            checked = restore(db, cfg, archive, private, allow_plain=unencrypted,
                              force=force, progress=bar)
            bar.finish()
            with db.transaction() as session:
                record(session, None, "backup.restore", detail={
                    "forced": force, "sha256": checked.sha256})
        except BackupError as exc:
            raise click.ClickException(f"{archive}: {exc}; nothing was restored") from exc
        finally:
            bar.finish()
            db.dispose()
        click.echo(f"restored {archive} (taken {checked.manifest['created_at']}, sha256 "
                   f"{checked.sha256}); schema is up to date")
