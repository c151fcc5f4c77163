"""`intake decrypt`, `intake export-case`, `intake open-bundle`: offline access to a case."""

from __future__ import annotations

import os
from pathlib import Path

import click

from intake.cli.common import database, settings
from intake.crypto import DecryptionError, import_private_pem, import_public_pem
from intake.services.bundle import open_bundle, write_bundle
from intake.services.offline import CaseFile, case_files


def _read_private(path: Path) -> bytes:
    """A private key file, or a clean operator error."""
    try:
        return import_private_pem(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot use key file {path}: {exc}") from exc


def _write_file(out_dir: Path, f: CaseFile) -> None:
    """Write via a temporary name; a file that fails authentication is removed, not kept."""
    target = out_dir / f.path
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in f.iter_bytes():
                fh.write(chunk)
    except DecryptionError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)


def register(main: click.Group) -> None:
    """Attach `decrypt`, `export-case` and `open-bundle`."""

    @main.command("decrypt")
    @click.option("--key", "key_file", required=True,
                  type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="The offline recovery key file.")
    @click.option("--case", "reference", required=True, help="Case reference, e.g. ABCD-EFGH.")
    @click.option("--out", "out_dir", required=True,
                  type=click.Path(file_okay=False, path_type=Path))
    def decrypt(key_file: Path, reference: str, out_dir: Path) -> None:
        """Decrypt a whole case into DIR with the recovery key (no server needed)."""
        private = _read_private(key_file)
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        cfg = settings()
        db = database(cfg)
        failed: list[str] = []
        with db.transaction() as session:
            try:
                for f in case_files(session, cfg, reference, private):
                    try:
                        _write_file(out_dir, f)
                        click.echo(f"  {f.path}")
                    except DecryptionError:
                        failed.append(f.path)
                        click.echo(f"  {f.path}: FAILED integrity check, not written", err=True)
            except (LookupError, DecryptionError) as exc:
                raise click.ClickException(str(exc)) from exc
        db.dispose()
        if failed:
            raise click.ClickException(f"{len(failed)} file(s) failed their integrity check")
        click.echo(f"case {reference} decrypted into {out_dir}")

    @main.command("export-case")
    @click.argument("reference")
    @click.option("--to", "to_file", required=True,
                  type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="The recipient's public key file.")
    @click.option("--key", "key_file", required=True,
                  type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="The offline recovery key file (to decrypt the case).")
    @click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
                  help="Bundle file (default REFERENCE.intake-bundle).")
    def export_case(reference: str, to_file: Path, key_file: Path, out_file: Path | None) -> None:
        """Write one encrypted bundle of the case for a named recipient."""
        private = _read_private(key_file)
        try:
            public = import_public_pem(to_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"cannot use public key {to_file}: {exc}") from exc
        out_file = out_file or Path(f"{reference.upper()}.intake-bundle")
        cfg = settings()
        db = database(cfg)
        fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out, db.transaction() as session:
                write_bundle(case_files(session, cfg, reference, private), public, out,
                             root=reference.upper())
        except (LookupError, DecryptionError) as exc:
            out_file.unlink(missing_ok=True)
            raise click.ClickException(str(exc)) from exc
        finally:
            db.dispose()
        click.echo(f"encrypted bundle written to {out_file}")

    @main.command("open-bundle")
    @click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--key", "key_file", required=True,
                  type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="Your private key file.")
    @click.option("--out", "out_dir", required=True,
                  type=click.Path(file_okay=False, path_type=Path))
    def open_bundle_cmd(bundle: Path, key_file: Path, out_dir: Path) -> None:
        """Decrypt and unpack a bundle made by export-case."""
        private = _read_private(key_file)
        try:
            with bundle.open("rb") as src:
                names = open_bundle(src, private, out_dir)
        except DecryptionError as exc:
            raise click.ClickException(
                f"cannot open {bundle}: not for this key, or damaged ({exc})") from exc
        click.echo(f"{len(names)} file(s) extracted into {out_dir}")
