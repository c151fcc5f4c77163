"""`intake notify send`: run from a timer; mails staff that something waits, if it is time."""

from __future__ import annotations

import click

from intake.cli.common import database, settings
from intake.notify import NotifyError, send_batch


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
        except NotifyError as exc:
            raise click.ClickException(f"{exc} (the events stay queued for the next run)") \
                from exc
        finally:
            db.dispose()
        click.echo(f"notify: {outcome.reason}; messages sent: {outcome.sent}")
