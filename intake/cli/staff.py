"""`intake staff create`, `enrol`, `invite`: accounts from the terminal. The authenticator
is enrolled here by confirming a code, so no web page ever shows the secret to a session
that has only a passphrase."""

from __future__ import annotations

import sys

import click
import pyotp
from sqlalchemy import select

from intake.cli.common import database, settings
from intake.models import ROLES, Staff
from intake.services.audit import record
from intake.services.enrolment import matching_step, provisioning_uri, qr_text
from intake.services.errors import StaffError
from intake.services.onboarding import invite_staff, setup_path
from intake.services.staff import checked_new_account, create_staff, set_new_totp

CODE_TRIES = 3


def _read_passphrase(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return str(click.prompt("Passphrase", hide_input=True, confirmation_prompt=True))


def _read_code(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    return str(click.prompt("Code shown by the app", default="", show_default=False))


def _enrol_in_terminal(username: str, secret: str, codes_from_stdin: bool) -> int:
    """Show the QR and URI, then take a code (up to three tries); returns its time step."""
    uri = provisioning_uri(username, secret)
    click.echo("Scan this with an authenticator app (or enter the URI by hand):")
    click.echo(uri)
    click.echo(qr_text(uri))
    click.echo("Then type the code the app shows, to confirm enrolment.")
    sys.stdout.flush()
    for _try in range(CODE_TRIES):
        step = matching_step(secret, _read_code(codes_from_stdin))
        if step is not None:
            return step
        click.echo("That code was not accepted; wait for the next one.", err=True)
    raise click.ClickException("enrolment not confirmed: nothing was saved")


def register(main: click.Group) -> None:
    """Attach the `staff` group."""

    @main.group("staff")
    def staff_group() -> None:
        """Staff accounts."""

    @staff_group.command("create")
    @click.argument("username")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--passphrase-stdin", is_flag=True,
                  help="Read the passphrase from one line of standard input, and the "
                       "authenticator code from the next line (after the URI is printed).")
    def create(username: str, role: str, passphrase_stdin: bool) -> None:
        """Create a staff member with a key pair and enrol their authenticator here."""
        cfg = settings()
        db = database(cfg)
        try:
            with db.transaction() as session:  # refuse a taken name before any question
                checked_new_account(session, username, role)
            passphrase = _read_passphrase(passphrase_stdin)
            secret = pyotp.random_base32()
            step = _enrol_in_terminal(username.strip(), secret, passphrase_stdin)
            with db.transaction() as session:
                member, _uri = create_staff(session, cfg, username, role, passphrase, secret)
                member.totp_enrolled = True
                member.totp_last_step = step
                record(session, None, "staff.create", target=member.username,
                       detail={"role": role, "via": "cli"})
        except StaffError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            db.dispose()
        click.echo(f"created {role} {username!r}, authenticator enrolled")

    @staff_group.command("enrol")
    @click.argument("username")
    @click.option("--code-stdin", is_flag=True,
                  help="Read the authenticator code from standard input.")
    def enrol(username: str, code_stdin: bool) -> None:
        """Give an account a new authenticator secret (lost phone), confirmed here."""
        cfg = settings()
        db = database(cfg)
        try:
            with db.transaction() as session:
                found = session.scalar(select(Staff).where(Staff.username == username))
                if found is None or not found.active:
                    raise click.ClickException("no active account by that name")
            secret = pyotp.random_base32()
            step = _enrol_in_terminal(username, secret, code_stdin)
            with db.transaction() as session:
                member = session.scalar(select(Staff).where(Staff.username == username))
                if member is None:
                    raise click.ClickException("no active account by that name")
                set_new_totp(cfg, member, secret)
                member.totp_enrolled = True
                member.totp_last_step = step
                record(session, None, "staff.enrol", target=member.username,
                       detail={"via": "cli"})
        finally:
            db.dispose()
        click.echo(f"authenticator of {username!r} enrolled")

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
