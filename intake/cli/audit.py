"""`intake audit verify` and `intake audit anchor`: walk the hash chain, name the first
broken entry, and check it against anchors kept off the server (mail, paper)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from intake.cli.common import database
from intake.services.audit import current_anchor, parse_anchor, verify

# Anchors inside any text (a saved notification mail, notes): "1234:<64 hex>".
_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{1,12}):([0-9a-f]{64})(?![0-9A-Za-z])")


def _anchors(values: tuple[str, ...], files: tuple[Path, ...]) -> list[tuple[int, str]]:
    found = []
    for value in values:
        try:
            found.append(parse_anchor(value))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--anchor") from exc
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace").lower()
        matches = [(int(n), h) for n, h in _IN_TEXT.findall(text) if int(n) > 0]
        if not matches:
            raise click.BadParameter(f"{path}: no audit anchor (N:<64 hex digits>) in it",
                                     param_hint="--anchor-file")
        found += matches
    return found


def register(main: click.Group) -> None:
    """Attach the `audit` group."""

    @main.group("audit")
    def audit_group() -> None:
        """The staff audit log."""

    @audit_group.command("verify")
    @click.option("--anchor", "anchor_values", multiple=True, metavar="N:HASH",
                  help="An anchor kept off the server (from a notification mail, the audit "
                       "page or `intake audit anchor`); may be given several times.")
    @click.option("--anchor-file", "anchor_files", multiple=True,
                  type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="A file (e.g. saved mails) whose every N:HASH is an anchor.")
    def verify_command(anchor_values: tuple[str, ...], anchor_files: tuple[Path, ...]) -> None:
        """Check every entry commits to the one before, and that every anchor still
        matches; exit 1 when the chain is broken or was rewritten."""
        anchors = _anchors(anchor_values, anchor_files)
        db = database()
        try:
            with db.transaction() as session:
                report = verify(session, anchors)
        finally:
            db.dispose()
        if report.ok:
            click.echo(f"ok: {report.count} entries, head {report.anchor}"
                       + (f"; {len(set(anchors))} anchors match" if anchors else
                          "; no anchor given: a rewrite of the whole log would not show"))
            return
        click.echo(f"broken: entry {report.broken_id}: {report.reason}", err=True)
        raise SystemExit(1)

    @audit_group.command("anchor")
    def anchor_command() -> None:
        """Print the head of the log as an anchor to keep off the server."""
        db = database()
        try:
            with db.transaction() as session:
                anchor = current_anchor(session)
        finally:
            db.dispose()
        click.echo(anchor or "the audit log is empty")
