"""Submitting a report: derive the receipt, encrypt to every recipient, commit, then answer."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.crypto import Argon2Params, derive_receipt_keys, generate_code
from intake.models import Case, Item, PendingNotification, hour_floor, new_id
from intake.payloads import ReportAnswers
from intake.services import attachments, site
from intake.services.attachments import FileBatch
from intake.services.keyring import current_recipients, seal_item
from intake.settings import Settings

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


class NotAccepting(RuntimeError):
    """No recipient key exists yet: nobody could ever read a report."""


def receipt_params(settings: Settings) -> Argon2Params:
    """The one deliberate cost of a submission."""
    return Argon2Params(
        settings.receipt_kdf_time_cost,
        settings.receipt_kdf_memory_kib,
        settings.receipt_kdf_parallelism,
    )


def new_reference(session: Session) -> str:
    """Short staff-facing reference, random (never sequential), unambiguous letters."""
    while True:
        ref = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        ref = f"{ref[:4]}-{ref[4:]}"
        if session.scalar(select(Case.id).where(Case.reference == ref)) is None:
            return ref


def submit_report(session: Session, settings: Settings, answers: ReportAnswers,
                  files: FileBatch | None = None) -> str:
    """Store one encrypted report and return its receipt code only after the commit."""
    recipients = current_recipients(session)
    if not recipients:
        raise NotAccepting()
    prepared = attachments.prepare(settings, files)
    code = generate_code()
    keys = derive_receipt_keys(code, site.receipt_salt(session), receipt_params(settings))
    rules = site.effective(session, settings)
    received = hour_floor()
    case = Case(
        id=new_id(),
        reference=new_reference(session),
        received_at=received,
        status="new",
        priority="urgent" if answers.danger_now else "normal",
        lookup_id=keys.lookup_id,
        reply_public_key=keys.reply_public,
        consent_stats=answers.consent_stats,
        ack_due=(received + timedelta(days=rules.ack_due_days)).date(),
        response_due=(received + timedelta(days=rules.response_due_days)).date(),
    )
    session.add(case)
    item = Item(id=new_id(), case_id=case.id, kind="report", created_at=received)
    seal_item(session, item, answers.encode(), recipients)
    attachments.store(session, case, item, prepared, recipients)
    session.add(PendingNotification(kind="report"))
    session.commit()
    attachments.mark_kept(prepared)
    return code
