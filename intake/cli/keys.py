"""`intake recovery-key generate`: the offline key whose private half leaves the server."""

from __future__ import annotations

import os
from pathlib import Path

import click

from intake.cli.common import database
from intake.crypto import export_private_pem, fingerprint, generate_keypair
from intake.models import RecoveryKey
from intake.services.audit import record


def register(main: click.Group) -> None:
    """Attach the `recovery-key` group."""

    @main.group("recovery-key")
    def recovery_group() -> None:
        """The organisation recovery key."""

    @recovery_group.command("generate")
    @click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="Where to write the PRIVATE key; move it offline immediately.")
    def generate(out: Path) -> None:
        """Create a recovery key pair; only the public half is stored on the server."""
        if out.exists():
            raise click.ClickException(f"{out} already exists; refusing to overwrite a key")
        private_raw, public_raw = generate_keypair()
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(export_private_pem(private_raw))
        db = database()
        with db.transaction() as session:
            key = RecoveryKey(public_key=public_raw, fingerprint=fingerprint(public_raw))
            session.add(key)
            session.flush()
            record(session, None, "recovery_key.generate", target=key.fingerprint[:20])
        click.echo(f"recovery key written to {out} (fingerprint {fingerprint(public_raw)})")
        click.echo("Move this file to offline storage now and delete it from this machine.")
        click.echo("New reports are encrypted to it from now on.")
