"""The reporter's side of a case after the report: read replies, add information and files."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.crypto import DecryptionError, ReceiptKeys, derive_receipt_keys, normalize_code
from intake.models import Case, Item, PendingNotification, hour_floor, new_id
from intake.payloads import PayloadError, TextPayload
from intake.services import attachments, site
from intake.services.attachments import FileBatch, PreparedFile, UploadProblem
from intake.services.keyring import case_recipients, seal_item
from intake.services.reading import NoAccess, open_item
from intake.services.reports import NotAccepting, receipt_params
from intake.settings import Settings

# Derived instead of a real code when the input is not even a code, so that a malformed
# code costs the same Argon2id work as a real one.
_PLACEHOLDER_CODE = "0" * 30


class EmptyFollowup(ValueError):
    """Neither text nor a file was sent."""


class FollowupRefused(ValueError):
    """A right code but unusable input: the message, and the page to show again."""

    def __init__(self, message: str, view: ReceiptView, status: int = 400) -> None:
        super().__init__(message)
        self.view = view
        self.status = status


@dataclass(frozen=True)
class Reply:
    """A staff reply as the reporter sees it: the day it was written and its text."""

    at: datetime
    text: str


@dataclass(frozen=True)
class Sent:
    """Something the reporter sent, as the receipt page lists it: the day, whether it was the
    report or more information, and how many files came with it (never its content)."""

    at: datetime
    kind: str
    files: int


@dataclass(frozen=True)
class ReceiptView:
    """What a right receipt code shows: status, replies, and the days the reporter sent
    something (so they know what arrived); nothing the reporter wrote."""

    status: str
    replies: list[Reply]
    sent: list[Sent] = field(default_factory=list)


def _sent(session: Session, case: Case) -> list[Sent]:
    """The report and each follow-up, oldest first, with their file counts."""
    files = dict(session.execute(
        select(Item.parent_id, func.count()).where(
            Item.case_id == case.id, Item.kind == "attachment").group_by(Item.parent_id)).all())
    rows = session.execute(select(Item.id, Item.kind, Item.created_at).where(
        Item.case_id == case.id, Item.kind.in_(("report", "followup")))
        .order_by(Item.created_at, Item.kind.desc())).all()
    return [Sent(at, kind, int(files.get(item_id, 0))) for item_id, kind, at in rows]


def _case_for(session: Session, settings: Settings, code: str) -> tuple[Case | None, ReceiptKeys]:
    """Exactly one Argon2id derivation whatever was typed, then the look-up."""
    normalized = normalize_code(code)
    keys = derive_receipt_keys(normalized or _PLACEHOLDER_CODE, site.receipt_salt(session),
                               receipt_params(settings))
    if normalized is None:
        return None, keys
    case = session.scalar(select(Case).where(Case.lookup_id == keys.lookup_id))
    return case, keys


def _replies(session: Session, case: Case, keys: ReceiptKeys) -> list[Reply]:
    """Every staff reply, decrypted with the reply key only the receipt code derives."""
    out = []
    items = session.scalars(select(Item).where(Item.case_id == case.id, Item.kind == "reply")
                            .order_by(Item.seq, Item.created_at, Item.id))
    for item in items:
        try:
            reply = TextPayload.decode(open_item(session, item, keys.reply_private))
        except (NoAccess, DecryptionError, PayloadError):
            continue
        out.append(Reply(item.created_at, reply.text))
    return out


def open_receipt(session: Session, settings: Settings, code: str) -> ReceiptView | None:
    """Status and replies for a right code; None for any other input, after the same work."""
    case, keys = _case_for(session, settings, code)
    if case is None:
        return None
    return ReceiptView(case.status, _replies(session, case, keys), _sent(session, case))


@dataclass(frozen=True)
class FollowupDone:
    """The stored follow-up's files (for the confirmation) and the case page to show."""

    view: ReceiptView
    files: list[PreparedFile]


def add_followup(session: Session, settings: Settings, code: str, text: str,
                 files: FileBatch | None = None) -> FollowupDone | None:
    """Store more information (and files) under the case; None for a wrong code.

    One derivation per request: refusals carry the case page so it is not derived again.
    """
    case, keys = _case_for(session, settings, code)
    if case is None:
        return None
    view = ReceiptView(case.status, _replies(session, case, keys), _sent(session, case))
    try:
        if not text.strip() and not (files and files.files):
            raise EmptyFollowup(_("Please write something or choose a file to send."))
        prepared = _store(session, settings, case, text, files)
    except (EmptyFollowup, UploadProblem) as exc:
        session.rollback()
        raise FollowupRefused(str(exc), view, getattr(exc, "status", 400)) from None
    return FollowupDone(replace(view, sent=_sent(session, case)), prepared)


def _store(session: Session, settings: Settings, case: Case, text: str,
           files: FileBatch | None) -> list[PreparedFile]:
    """Seal the follow-up to the case's readers and the recovery key, files under it."""
    recipients = case_recipients(session, case)
    if not recipients:
        raise NotAccepting()
    prepared = attachments.prepare(settings, files)
    item = Item(id=new_id(), case_id=case.id, kind="followup", created_at=hour_floor())
    seal_item(session, item, TextPayload(text.strip()).encode(), recipients)
    attachments.store(session, case.id, item.id, prepared, recipients)
    case.unread_followup = True
    session.add(PendingNotification(kind="followup"))
    session.commit()
    attachments.mark_kept(prepared)
    return prepared
