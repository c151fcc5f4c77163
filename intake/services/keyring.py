"""Who an item is encrypted to: the readers of its case (by team) plus the recovery key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, insert, literal, select, union_all
from sqlalchemy.orm import Session

from intake.crypto import FORMAT_VERSION, ItemBinding, encrypt_item, new_data_key, wrap_data_key
from intake.models import READER_ROLES, Case, Item, KeyWrap, RecoveryKey, Staff, new_id
from intake.services import routing
from intake.services.binding import item_binding


@dataclass(frozen=True)
class Recipient:
    """One public key and where its wrap row points."""

    public_key: bytes
    staff_id: str | None = None
    recovery_key_id: str | None = None
    for_reporter: bool = False


def _recipients(session: Session, staff_filter: ColumnElement[bool] | None) -> list[Recipient]:
    """Active readers with a key (narrowed by `staff_filter`) and every active recovery
    key, in one query: this runs on every report, and a just-deactivated or removed reader
    must never get a wrap, so it is read fresh each time rather than cached."""
    staff = select(Staff.id, Staff.public_key, literal(False).label("recovery")).where(
        Staff.active.is_(True), Staff.role.in_(READER_ROLES), Staff.public_key.is_not(None))
    if staff_filter is not None:
        staff = staff.where(staff_filter)
    recovery = select(RecoveryKey.id, RecoveryKey.public_key, literal(True)).where(
        RecoveryKey.active.is_(True))
    found: list[Recipient] = []
    rows: Sequence[Any] = session.execute(union_all(staff, recovery)).all()
    for row in rows:
        key_id, public_key, is_recovery = str(row[0]), row[1], bool(row[2])
        if public_key:
            found.append(Recipient(public_key=public_key, recovery_key_id=key_id) if is_recovery
                         else Recipient(public_key=public_key, staff_id=key_id))
    return found


def current_recipients(session: Session) -> list[Recipient]:
    """Every active reader and recovery key: who could read anything at all."""
    return _recipients(session, None)


def recipients_for_region(session: Session, region: str | None) -> tuple[list[str],
                                                                          list[Recipient]]:
    """A new report's teams and recipients: the members of the team(s) its region routes
    to, admins only if the setting says so, and the recovery key. No teams yet: everyone."""
    if not routing.any_team(session):
        return [], current_recipients(session)
    teams = routing.teams_for_region(session, region)
    readers = routing.reader_ids_for_teams(session, teams)
    return teams, _recipients(session, Staff.id.in_(readers))


def case_recipients(session: Session, case: Case) -> list[Recipient]:
    """Recipients of a new item on an existing case (follow-up, reply, note): exactly the
    readers who hold a wrap of its report now — its team, narrowed by a restriction,
    widened by grants — and the recovery key."""
    holders = (select(KeyWrap.staff_id).join(Item, Item.id == KeyWrap.item_id)
               .where(Item.case_id == case.id, Item.kind == "report",
                      KeyWrap.staff_id.is_not(None)))
    return _recipients(session, Staff.id.in_(holders))


def accepting_reports(session: Session) -> bool:
    """Reports are refused, plainly, until someone could ever read them."""
    return bool(current_recipients(session))


def add_wraps(
    session: Session, binding: ItemBinding, data_key: bytes, recipients: list[Recipient]
) -> None:
    """One HPKE wrap row per recipient; the data key itself is never stored. One executemany
    (after the pending item is flushed) instead of an ORM object per wrap."""
    if not recipients:
        return
    session.execute(insert(KeyWrap), [
        {"id": new_id(), "item_id": binding.item_id, "staff_id": recipient.staff_id,
         "recovery_key_id": recipient.recovery_key_id, "for_reporter": recipient.for_reporter,
         "wrapped": wrap_data_key(data_key, recipient.public_key, binding)}
        for recipient in recipients])


def seal_item(
    session: Session, item: Item, plaintext: bytes, recipients: list[Recipient]
) -> bytes:
    """Encrypt an item's content and wrap its fresh data key; returns the key for attachments."""
    data_key = new_data_key()
    binding = item_binding(item)
    item.format_version = FORMAT_VERSION
    item.ciphertext = encrypt_item(data_key, binding, plaintext)
    session.add(item)
    add_wraps(session, binding, data_key, recipients)
    return data_key
