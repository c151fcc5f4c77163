"""The urgent path's second step: when a danger-now report has been mailed to the staff on
call and nobody acknowledges it on its case page in time, mail the administrators.

Content-free like every staff mail (intake/notify.py). No case row stores a time: the
notifier keeps one "escalate after" moment in the site values, armed by the urgent mail
and cleared when it fires."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import Case, Staff
from intake.notify import ESCALATE_AT, MAIL_LANGUAGE, Outcome, compose, deliver
from intake.services import site
from intake.settings import Settings


def admin_addresses(session: Session) -> list[str]:
    """Active administrators who gave an address."""
    rows = session.scalars(select(Staff.email).where(
        Staff.active.is_(True), Staff.role == "admin", Staff.email.is_not(None),
        Staff.email != "")).all()
    return sorted({str(r) for r in rows})


def compose_escalation(settings: Settings, to: str) -> EmailMessage:
    """The administrators' mail: an urgent report is unacknowledged; nothing more."""
    message = compose(settings, {"urgent"}, to)
    with force_locale(MAIL_LANGUAGE):
        del message["Subject"]
        message["Subject"] = _("Escalation: an urgent report has not been acknowledged")
        message.set_content("\n".join([
            _("A report from someone in danger now has not been acknowledged by anyone on "
              "call. Please open the review app now."),
            "",
            _("This message contains no details on purpose. "
              "Sign in to the review app to read them.")]) + "\n")
    return message


def escalate(session: Session, settings: Settings, now: datetime) -> Outcome:
    """Mail the administrators if the window has passed with a report still unacknowledged;
    the window closes either way (caller commits)."""
    raw = site.get_value(session, ESCALATE_AT)
    if not raw:
        return Outcome(0, "no urgent alert running")
    if now < datetime.fromisoformat(raw):
        return Outcome(0, "urgent alert: waiting for an acknowledgement")
    waiting = session.scalar(select(func.count()).select_from(Case)
                             .where(Case.awaiting_ack.is_(True))) or 0
    to = admin_addresses(session) if settings.smtp_host and waiting else []
    if to:
        deliver(settings, [compose_escalation(settings, address) for address in to])
    site.set_value(session, ESCALATE_AT, "")
    if not waiting:
        return Outcome(0, "urgent reports acknowledged in time")
    return Outcome(len(to), "escalated to administrators" if to else
                   "escalation due but no administrator has an e-mail address")
