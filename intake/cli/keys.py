"""The organisation recovery key: made offline, imported as a public key, optionally split.

`keygen`, `split` and `combine` touch no settings and no database, so they run on an
offline laptop with the same package; only `import` (and the discouraged on-server
`generate`) talk to an instance.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from sqlalchemy import select

from intake.cli.common import database
from intake.crypto import (
    export_private_pem,
    export_public_pem,
    fingerprint,
    generate_keypair,
    import_private_pem,
    import_public_pem,
)
from intake.crypto.custody import combine_shares, parse_share, split_key
from intake.models import RecoveryKey
from intake.services.audit import record

PRIVATE_NAME = "recovery-private.key"
PUBLIC_NAME = "recovery-public.key"


def _write_new(path: Path, text: str, mode: int) -> None:
    """Create a file that must not exist yet (never overwrite a key), with these bits."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise click.ClickException(f"{path} already exists; refusing to overwrite a key") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _install_public(public_raw: bytes, action: str) -> str:
    """Store a recovery public key on the instance (audited); returns its fingerprint."""
    print_ = fingerprint(public_raw)
    with database().transaction() as session:
        if session.scalar(select(RecoveryKey.id).where(RecoveryKey.public_key == public_raw)):
            raise click.ClickException("this recovery key is already installed")
        key = RecoveryKey(public_key=public_raw, fingerprint=print_)
        session.add(key)
        session.flush()
        record(session, None, action, target=print_[:20])
    return print_


def register(main: click.Group) -> None:
    """Attach `keygen` and the `recovery-key` group."""

    @main.command("keygen")
    @click.option("--out", "out_dir", required=True,
                  type=click.Path(file_okay=False, path_type=Path),
                  help="Directory for the key pair (created if missing).")
    def keygen(out_dir: Path) -> None:
        """Make a recovery key pair offline; needs no instance, settings or database."""
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_raw, public_raw = generate_keypair()
        _write_new(out_dir / PRIVATE_NAME, export_private_pem(private_raw), 0o600)
        _write_new(out_dir / PUBLIC_NAME, export_public_pem(public_raw), 0o644)
        click.echo(f"private key: {out_dir / PRIVATE_NAME} (keep offline)")
        click.echo(f"public key:  {out_dir / PUBLIC_NAME} (take this one to the server)")
        click.echo(f"fingerprint: {fingerprint(public_raw)}")

    @main.group("recovery-key")
    def recovery_group() -> None:
        """The organisation recovery key."""

    @recovery_group.command("import")
    @click.argument("public_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_key(public_file: Path) -> None:
        """Install only the public half; a private key file is refused."""
        try:
            public_raw = import_public_pem(public_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"cannot use {public_file}: {exc}") from exc
        print_ = _install_public(public_raw, "recovery_key.import")
        click.echo(f"recovery key installed (fingerprint {print_}).")
        click.echo("Compare this fingerprint with the one shown on the offline machine.")
        click.echo("New reports are encrypted to it from now on; wrap existing cases to it "
                   "from the admin page.")

    @recovery_group.command("split")
    @click.option("--key", "key_file", required=True,
                  type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--shares", type=int, required=True, help="How many trustees (n).")
    @click.option("--threshold", type=int, required=True, help="How many must meet (k).")
    @click.option("--out", "out_dir", required=True,
                  type=click.Path(file_okay=False, path_type=Path))
    def split(key_file: Path, shares: int, threshold: int, out_dir: Path) -> None:
        """Split the private key into N share files of which any K rebuild it (offline)."""
        try:
            private_raw = import_private_pem(key_file.read_text(encoding="utf-8"))
            parts = split_key(private_raw, shares, threshold)
        except (OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for part in parts:
            _write_new(out_dir / f"share-{part.index}-of-{shares}.txt", part.armored(), 0o600)
        click.echo(f"{shares} shares written to {out_dir}; any {threshold} rebuild the key.")
        click.echo("Give one to each trustee, then destroy the private key file.")

    @recovery_group.command("combine")
    @click.argument("share_files", nargs=-1, required=True,
                    type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--out", "out_file", required=True,
                  type=click.Path(dir_okay=False, path_type=Path))
    def combine(share_files: tuple[Path, ...], out_file: Path) -> None:
        """Rebuild the private key from K share files (offline), checked by fingerprint."""
        try:
            private_raw = combine_shares([parse_share(p.read_text(encoding="utf-8"))
                                          for p in share_files])
        except (OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        _write_new(out_file, export_private_pem(private_raw), 0o600)
        click.echo(f"recovery key rebuilt into {out_file}; destroy it after use.")

    @recovery_group.command("generate")
    @click.option("--on-this-server", "on_server", is_flag=True,
                  help="Required: acknowledge that the private key is made on the server.")
    @click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="Where to write the PRIVATE key; move it offline immediately.")
    def generate(on_server: bool, out: Path) -> None:
        """Discouraged: make the key pair ON THE SERVER (use `intake keygen` offline)."""
        if not on_server:
            raise click.ClickException(
                "the recovery key should be made offline: run `intake keygen --out DIR` on an "
                "offline machine and `intake recovery-key import` here. To make it on this "
                "server anyway, add --on-this-server.")
        click.echo("WARNING: this private key exists on this server's disk and memory; "
                   "whoever has seized or copied the server may have it.", err=True)
        private_raw, public_raw = generate_keypair()
        _write_new(out, export_private_pem(private_raw), 0o600)
        print_ = _install_public(public_raw, "recovery_key.generate")
        click.echo(f"recovery key written to {out} (fingerprint {print_})")
        click.echo("Move this file to offline storage now and delete it from this machine.")
        click.echo("New reports are encrypted to it from now on.")
