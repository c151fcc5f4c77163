"""`intake notify send`: run from a timer; mails staff that something waits, if it is time,
and administrators when an urgent report went unacknowledged."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from intake.cli.common import database, settings
from intake.notify import NotifyError, send_batch
from intake.urgent import escalate


def register(main: click.Group) -> None:
    """Attach the `notify` group."""

    @main.group("notify")
    def notify_group() -> None:
        """Content-free staff notification e-mail."""

    @notify_group.command("send")
    @click.option("--force", is_flag=True, help="Send now even if a batch went out recently.")
    def send(force: bool) -> None:
        """Send one batch if events wait and notify_batch_minutes have passed."""
        from intake.review import create_app

        cfg = settings()
        db = database(cfg)
        app = create_app(cfg, db)  # its Babel set-up translates the message
        try:
            with app.app_context(), db.transaction() as session:
                outcome = send_batch(session, cfg, force=force)
            with app.app_context(), db.transaction() as session:
                escalation = escalate(session, cfg, datetime.now(UTC))
        except NotifyError as exc:
            raise click.ClickException(f"{exc} (the events stay queued for the next run)") \
                from exc
        finally:
            db.dispose()
        click.echo(f"notify: {outcome.reason}; messages sent: {outcome.sent}")
        click.echo(f"urgent: {escalation.reason}; messages sent: {escalation.sent}")
