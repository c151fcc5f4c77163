"""Submitting a report: derive the receipt, encrypt to every recipient, commit, then answer."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.crypto import (
    Argon2Params,
    ReceiptKeys,
    derive_receipt_keys,
    generate_code,
    normalize_code,
)
from intake.models import Case, CaseTeam, Item, PendingNotification, hour_floor, new_id
from intake.payloads import ReportAnswers
from intake.services import attachments, site
from intake.services.attachments import FileBatch, PreparedFile
from intake.services.keyring import Recipient, recipients_for_region, seal_item
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


@dataclass(frozen=True)
class Submitted:
    """The receipt code to show, and whether this post was a repeat of a stored report."""

    code: str
    already_received: bool = False


def receipt_code_for(offered: str | None) -> str:
    """The code the form carried (drawn when it was served), or a fresh one if it carried
    none or something that is not a code; always shown in the same grouped form."""
    digits = normalize_code(offered or "")
    if digits is None:
        return generate_code()
    return " ".join(digits[i:i + 5] for i in range(0, len(digits), 5))


def submit_report(session: Session, settings: Settings, answers: ReportAnswers,
                  files: FileBatch | None = None, code: str | None = None) -> Submitted:
    """Store one encrypted report and return its receipt code only after the commit.

    The same code posted again (a reload, a restored tab, a double tap, a retry after a
    network error) finds the stored case and stores nothing: one report, one code.
    """
    teams, recipients = recipients_for_region(session, answers.region)
    if not recipients:
        raise NotAccepting()
    code = receipt_code_for(code)
    keys = derive_receipt_keys(code, site.receipt_salt(session), receipt_params(settings))
    prepared = attachments.prepare(settings, files)
    try:
        _store(session, settings, answers, keys, prepared, (teams, recipients))
    except IntegrityError:
        # The look-up id is unique: this form was stored before (a reload, a retry, a double
        # tap that raced). Asking first would cost every report a query; a repeat is rare.
        session.rollback()
        if _already_stored(session, keys.lookup_id):
            return Submitted(code, already_received=True)
        raise
    attachments.mark_kept(prepared)
    return Submitted(code)


def _store(session: Session, settings: Settings, answers: ReportAnswers, keys: ReceiptKeys,
           prepared: list[PreparedFile], routed: tuple[list[str], list[Recipient]]) -> None:
    """The case, its teams, its encrypted report and files, and a content-free
    notification; one commit (a duplicate look-up id fails it as a whole)."""
    teams, recipients = routed
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
        awaiting_ack=answers.danger_now,
        ack_due=(received + timedelta(days=rules.ack_due_days)).date(),
        response_due=(received + timedelta(days=rules.response_due_days)).date(),
    )
    session.add(case)
    session.add_all(CaseTeam(case_id=case.id, team_id=team_id) for team_id in teams)
    item = Item(id=new_id(), case_id=case.id, kind="report", created_at=received)
    seal_item(session, item, answers.encode(), recipients)
    attachments.store(session, case, item, prepared, recipients)
    session.add(PendingNotification(kind="urgent" if answers.danger_now else "report"))
    session.commit()


def _already_stored(session: Session, lookup_id: bytes) -> bool:
    return session.scalar(select(Case.id).where(Case.lookup_id == lookup_id)) is not None
