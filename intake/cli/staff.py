"""`intake staff create`: the first admin, and any staff member, from the terminal."""

from __future__ import annotations

import io
import sys

import click
import qrcode

from intake.cli.common import database, settings
from intake.models import ROLES
from intake.services.audit import record
from intake.services.errors import StaffError
from intake.services.onboarding import invite_staff, setup_path
from intake.services.staff import create_staff


def _read_passphrase(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return str(click.prompt("Passphrase", hide_input=True, confirmation_prompt=True))


def register(main: click.Group) -> None:
    """Attach the `staff` group."""

    @main.group("staff")
    def staff_group() -> None:
        """Staff accounts."""

    @staff_group.command("create")
    @click.argument("username")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--passphrase-stdin", is_flag=True, help="Read the passphrase from one line.")
    def create(username: str, role: str, passphrase_stdin: bool) -> None:
        """Create a staff member with a key pair and print the TOTP enrolment."""
        cfg = settings()
        passphrase = _read_passphrase(passphrase_stdin)
        db = database(cfg)
        try:
            with db.transaction() as session:
                member, uri = create_staff(session, cfg, username, role, passphrase)
                record(session, None, "staff.create", target=member.username,
                       detail={"role": role, "via": "cli"})
        except StaffError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"created {role} {username!r}")
        click.echo("Scan this with an authenticator app (or enter the URI by hand):")
        click.echo(uri)
        qr = qrcode.QRCode(border=1)
        qr.add_data(uri)
        out = io.StringIO()
        qr.print_ascii(out=out, invert=True)
        click.echo(out.getvalue())

    @staff_group.command("invite")
    @click.argument("username")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    def invite(username: str, role: str) -> None:
        """Create an inactive account and print its one-time setup link path (72 hours)."""
        db = database(settings())
        try:
            with db.transaction() as session:
                token = invite_staff(session, None, username, role)
        except StaffError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            db.dispose()
        click.echo(f"invited {role} {username!r}; one-time setup link (valid 72 hours),")
        click.echo("to open on the review app's address:")
        click.echo(setup_path(token))
