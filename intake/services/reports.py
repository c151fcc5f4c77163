"""Submitting a report: derive the receipt, encrypt to every recipient, commit, then answer."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.crypto import (
    FORMAT_VERSION,
    Argon2Params,
    ItemBinding,
    ReceiptKeys,
    derive_receipt_keys,
    generate_code,
    normalize_code,
)
from intake.models import Case, CaseTeam, Item, PendingNotification, hour_floor, new_id
from intake.models.base import table_of
from intake.payloads import ReportAnswers
from intake.services import attachments, routing, site
from intake.services.attachments import FileBatch, PreparedFile
from intake.services.keyring import INSERT_WRAPS, Recipient, recipients_for_region, seal
from intake.settings import Settings

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
# A drawn reference that is already taken fails the insert; it is drawn again this often.
REFERENCE_ATTEMPTS = 3
SITE_KEYS = (site.RECEIPT_SALT, *site.EDITABLE, routing.ADMINS_READ_ALL)
# Built once: on SQLite constructing a statement costs more than running it.
INSERT_CASE, INSERT_CASE_TEAMS = insert(table_of(Case)), insert(table_of(CaseTeam))
INSERT_ITEM, INSERT_NOTIFICATION = insert(table_of(Item)), insert(table_of(PendingNotification))


class NotAccepting(RuntimeError):
    """No recipient key exists yet: nobody could ever read a report."""


def receipt_params(settings: Settings) -> Argon2Params:
    """The one deliberate cost of a submission."""
    return Argon2Params(
        settings.receipt_kdf_time_cost,
        settings.receipt_kdf_memory_kib,
        settings.receipt_kdf_parallelism,
    )


def new_reference() -> str:
    """Short staff-facing reference, random (never sequential), unambiguous letters. Unique
    in the database: a clash (1 in 30⁸ per pair) fails the insert and is drawn again."""
    ref = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{ref[:4]}-{ref[4:]}"


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
    network error) finds the stored case and stores nothing: one report, one code. Every
    query here is paid by every reporter: three reads, then the inserts, one commit.
    """
    values = site.get_values(session, SITE_KEYS)
    teams, recipients = recipients_for_region(
        session, answers.region, values.get(routing.ADMINS_READ_ALL) == "1")
    if not recipients:
        raise NotAccepting()
    code = receipt_code_for(code)
    salt = (bytes.fromhex(values[site.RECEIPT_SALT]) if values.get(site.RECEIPT_SALT)
            else site.receipt_salt(session))
    keys = derive_receipt_keys(code, salt, receipt_params(settings))
    prepared = attachments.prepare(settings, files)
    report = NewReport(answers, keys, prepared, teams, recipients,
                       site.apply_editable(settings, values))
    for attempt in range(REFERENCE_ATTEMPTS):
        try:
            _store(session, report)
        except IntegrityError:
            # The look-up id is unique: this form was stored before (a reload, a retry, a
            # double tap that raced). Asking first would cost every report a query; a repeat
            # is rare. Any other clash (a drawn reference already taken) is drawn again.
            session.rollback()
            if _already_stored(session, keys.lookup_id):
                return Submitted(code, already_received=True)
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
            continue
        attachments.mark_kept(prepared)
        return Submitted(code)
    raise AssertionError("unreachable: the last attempt returns or raises")


@dataclass(frozen=True)
class NewReport:
    """Everything a report's rows are made of, gathered before the one transaction."""

    answers: ReportAnswers
    keys: ReceiptKeys
    prepared: list[PreparedFile]
    teams: list[str]
    recipients: list[Recipient]
    rules: Settings


def _store(session: Session, report: NewReport) -> None:
    """The case, its teams, its encrypted report (thread position 1) and files, and a
    content-free notification; one commit (a duplicate look-up id fails it as a whole).
    Rows go in through the tables, not ORM objects: this is the hot path of every report."""
    answers, received = report.answers, hour_floor()
    case_id, item_id = new_id(), new_id()
    sealed = seal(ItemBinding(item_id, "report", case_id, None), answers.encode(),
                  report.recipients)
    connection = session.connection()
    connection.execute(INSERT_CASE, {
        "id": case_id, "reference": new_reference(), "received_at": received,
        "status": "new", "priority": "urgent" if answers.danger_now else "normal",
        "lookup_id": report.keys.lookup_id, "reply_public_key": report.keys.reply_public,
        "consent_stats": answers.consent_stats, "awaiting_ack": answers.danger_now,
        "ack_due": (received + timedelta(days=report.rules.ack_due_days)).date(),
        "response_due": (received + timedelta(days=report.rules.response_due_days)).date(),
    })
    if report.teams:
        connection.execute(INSERT_CASE_TEAMS, [{"case_id": case_id, "team_id": team_id}
                                                for team_id in report.teams])
    connection.execute(INSERT_ITEM, {
        "id": item_id, "case_id": case_id, "kind": "report", "created_at": received, "seq": 1,
        "format_version": FORMAT_VERSION, "ciphertext": sealed.ciphertext})
    connection.execute(INSERT_WRAPS, sealed.wraps)
    attachments.store(session, case_id, item_id, report.prepared, report.recipients)
    connection.execute(INSERT_NOTIFICATION, {"kind": "urgent" if answers.danger_now else "report"})
    session.commit()


def _already_stored(session: Session, lookup_id: bytes) -> bool:
    return session.scalar(select(Case.id).where(Case.lookup_id == lookup_id)) is not None
