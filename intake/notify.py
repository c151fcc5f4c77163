"""Staff e-mail that something is waiting: never content or case detail, at most one batch
per `notify_batch_minutes`, so mail traffic reveals as little as possible about reports."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from intake.models import READER_ROLES, PendingNotification, Staff
from intake.services import site
from intake.services.audit import current_anchor
from intake.settings import Settings

LAST_SENT = "notify_last_sent"
MAIL_LANGUAGE = "en"


class NotifyError(RuntimeError):
    """The mail server refused or could not be reached; the batch stays queued."""


@dataclass(frozen=True)
class Outcome:
    """What one run did, for the operator's terminal and the timer's journal."""

    sent: int
    reason: str


def recipients(session: Session) -> list[str]:
    """Active staff who read cases and gave an address (analysts have nothing to review)."""
    rows = session.scalars(select(Staff.email).where(
        Staff.active.is_(True), Staff.role.in_(READER_ROLES), Staff.email.is_not(None),
        Staff.email != "")).all()
    return sorted({str(r) for r in rows})


def _last_sent(session: Session) -> datetime | None:
    raw = site.get_value(session, LAST_SENT)
    return datetime.fromisoformat(raw) if raw else None


# When administrators are mailed if an urgent report is still unacknowledged (urgent.py).
ESCALATE_AT = "urgent_escalate_at"


def compose(settings: Settings, kinds: set[str], to: str,
            anchor: str | None = None) -> EmailMessage:
    """A deliberately empty message: what kind of thing waits, never which or how many;
    plus the audit log's current anchor, so every staff mailbox keeps a copy of it off
    the server (`intake audit verify --anchor-file` reads saved mails)."""
    with force_locale(MAIL_LANGUAGE):
        lines = []
        if "urgent" in kinds:
            lines.append(_("A report from someone in danger now is waiting. Please open the "
                           "review app and acknowledge it on its case page."))
        if "report" in kinds:
            lines.append(_("There are new reports waiting in the review app."))
        if "followup" in kinds:
            lines.append(_("There are new follow-ups from reporters waiting in the review app."))
        if not lines:
            lines.append(_("There is new activity waiting in the review app."))
        lines += ["", _("This message contains no details on purpose. "
                        "Sign in to the review app to read them.")]
        if anchor:
            lines += ["", _("Audit log checkpoint (keep this message: it lets an administrator "
                            "prove later that the log was not rewritten):"), anchor]
        subject = (_("Urgent: a report is waiting for review") if "urgent" in kinds
                   else _("Items are waiting for review"))
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    # The default Message-ID would carry this server's host name.
    domain = settings.smtp_from.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content("\n".join(lines) + "\n")
    return message


def _tls_context(settings: Settings) -> ssl.SSLContext:
    """Certificate and host name verified, against the system's CAs or smtp_ca_file."""
    return ssl.create_default_context(cafile=settings.smtp_ca_file or None)


def deliver(settings: Settings, messages: list[EmailMessage]) -> None:
    """One SMTP session over TLS: implicit (smtp_tls = "implicit" or port 465) or STARTTLS,
    which the server must offer. Plain text only to a relay on this machine, when the
    operator chose "local-plain" (settings refuse it for any other host)."""
    implicit = settings.smtp_tls == "implicit" or settings.smtp_port == 465
    try:
        if implicit:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                                  timeout=30, context=_tls_context(settings))
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
        with smtp:
            smtp.ehlo()
            if not implicit and settings.smtp_tls != "local-plain":
                if not smtp.has_extn("starttls"):
                    raise NotifyError(
                        f"the mail server {settings.smtp_host}:{settings.smtp_port} does not "
                        "offer STARTTLS; nothing was sent (notification mail requires TLS; "
                        "see smtp_tls in config/defaults.toml)")
                smtp.starttls(context=_tls_context(settings))
                smtp.ehlo()
            for message in messages:
                smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise NotifyError(f"could not send the notification: {type(exc).__name__}: {exc}") \
            from exc


def send_batch(session: Session, settings: Settings, now: datetime | None = None,
               force: bool = False) -> Outcome:
    """Send one batch if one is due, then forget the events it covered (caller commits)."""
    now = now or datetime.now(UTC)
    # The events seen now, by id (random ids carry no order): one arriving meanwhile waits.
    seen = list(session.scalars(select(PendingNotification.id)))
    if not seen:
        return Outcome(0, "nothing waiting")
    covered = PendingNotification.id.in_(seen)
    to = recipients(session) if settings.smtp_host else []
    if not to:
        session.execute(delete(PendingNotification).where(covered))
        return Outcome(0, "notifications off (no smtp_host or no staff e-mail): queue cleared")
    last = _last_sent(session)
    kinds = set(session.scalars(select(PendingNotification.kind).where(covered)).all())
    urgent = "urgent" in kinds  # someone in danger now: never waits for the batch
    if (not force and not urgent and last
            and now - last < timedelta(minutes=settings.notify_batch_minutes)):
        return Outcome(0, "not due yet (batched)")
    anchor = current_anchor(session)
    deliver(settings, [compose(settings, kinds, address, anchor) for address in to])
    session.execute(delete(PendingNotification).where(covered))
    site.set_value(session, LAST_SENT, now.isoformat())
    if urgent and not site.get_value(session, ESCALATE_AT):
        deadline = now + timedelta(minutes=settings.urgent_escalate_minutes)
        site.set_value(session, ESCALATE_AT, deadline.isoformat())
    return Outcome(len(to), "sent (urgent)" if urgent else "sent")
