"""Who an item is encrypted to: the readers of its case (by team) plus the recovery key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, ColumnElement, bindparam, insert, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import CompoundSelect, Executable

from intake.crypto import FORMAT_VERSION, ItemBinding, encrypt_item, new_data_key, wrap_data_key
from intake.models import READER_ROLES, Case, Item, KeyWrap, RecoveryKey, Staff, new_id
from intake.models.base import table_of
from intake.services import routing
from intake.services.binding import item_binding

INSERT_WRAPS = insert(table_of(KeyWrap))


@dataclass(frozen=True)
class Recipient:
    """One public key and where its wrap row points."""

    public_key: bytes
    staff_id: str | None = None
    recovery_key_id: str | None = None
    for_reporter: bool = False


def _readers(staff_filter: ColumnElement[bool] | None) -> CompoundSelect:
    """Active readers with a key (narrowed by `staff_filter`) and every active recovery key."""
    staff = select(Staff.id, Staff.public_key, literal(False).label("recovery")).where(
        Staff.active.is_(True), Staff.role.in_(READER_ROLES), Staff.public_key.is_not(None))
    if staff_filter is not None:
        staff = staff.where(staff_filter)
    recovery = select(RecoveryKey.id, RecoveryKey.public_key, literal(True)).where(
        RecoveryKey.active.is_(True))
    return union_all(staff, recovery)


# The two statements every report runs, built once (constructing one costs more than
# running it): everyone, or the members of the routed teams (and admins if they read all).
_EVERY_READER = _readers(None)
_TEAM_READERS = _readers(routing.readers_of_teams(
    bindparam("teams", expanding=True), bindparam("read_all", type_=Boolean)))


def _recipients(session: Session, statement: Executable,
                params: dict[str, object] | None = None) -> list[Recipient]:
    """Run a readers statement: read fresh on every call, never cached, because a
    just-deactivated or removed reader must never get a wrap."""
    found: list[Recipient] = []
    rows: Sequence[Any] = session.execute(statement, params or {}).all()
    for row in rows:
        key_id, public_key, is_recovery = str(row[0]), row[1], bool(row[2])
        if public_key:
            found.append(Recipient(public_key=public_key, recovery_key_id=key_id) if is_recovery
                         else Recipient(public_key=public_key, staff_id=key_id))
    return found


def current_recipients(session: Session) -> list[Recipient]:
    """Every active reader and recovery key: who could read anything at all."""
    return _recipients(session, _EVERY_READER)


def recipients_for_region(session: Session, region: str | None, read_all: bool
                          ) -> tuple[list[str], list[Recipient]]:
    """A new report's teams and recipients: the members of the team(s) its region routes
    to, every admin if `read_all` (the admin setting), and the recovery key. No teams yet:
    everyone. Two queries: this runs on every report."""
    teams = routing.teams_for_region(session, region)
    if teams is None:
        return [], current_recipients(session)
    return teams, _recipients(session, _TEAM_READERS, {"teams": teams, "read_all": read_all})


def case_recipients(session: Session, case: Case) -> list[Recipient]:
    """Recipients of a new item on an existing case (follow-up, reply, note): exactly the
    readers who hold a wrap of its report now — its team, narrowed by a restriction,
    widened by grants — and the recovery key."""
    holders = (select(KeyWrap.staff_id).join(Item, Item.id == KeyWrap.item_id)
               .where(Item.case_id == case.id, Item.kind == "report",
                      KeyWrap.staff_id.is_not(None)))
    return _recipients(session, _readers(Staff.id.in_(holders)))


def accepting_reports(session: Session) -> bool:
    """Reports are refused, plainly, until someone could ever read them."""
    return bool(current_recipients(session))


def wrap_rows(binding: ItemBinding, data_key: bytes, recipients: list[Recipient]
              ) -> list[dict[str, object]]:
    """One HPKE wrap row per recipient; the data key itself is never stored."""
    return [{"id": new_id(), "item_id": binding.item_id, "staff_id": recipient.staff_id,
             "recovery_key_id": recipient.recovery_key_id,
             "for_reporter": recipient.for_reporter,
             "wrapped": wrap_data_key(data_key, recipient.public_key, binding)}
            for recipient in recipients]


def add_wraps(
    session: Session, binding: ItemBinding, data_key: bytes, recipients: list[Recipient]
) -> None:
    """The wrap rows in one executemany on the table (after the pending item is flushed),
    not an ORM object per wrap."""
    if recipients:
        session.execute(INSERT_WRAPS, wrap_rows(binding, data_key, recipients))


@dataclass(frozen=True)
class Sealed:
    """An item's ciphertext, its fresh data key (attachments reuse it) and its wrap rows."""

    ciphertext: bytes
    data_key: bytes
    wraps: list[dict[str, object]]


def seal(binding: ItemBinding, plaintext: bytes, recipients: list[Recipient]) -> Sealed:
    """Encrypt under a fresh data key and wrap that key to every recipient."""
    data_key = new_data_key()
    return Sealed(encrypt_item(data_key, binding, plaintext), data_key,
                  wrap_rows(binding, data_key, recipients))


def seal_item(
    session: Session, item: Item, plaintext: bytes, recipients: list[Recipient]
) -> bytes:
    """Encrypt an item's content and wrap its fresh data key; returns the key for attachments."""
    sealed = seal(item_binding(item), plaintext, recipients)
    item.format_version = FORMAT_VERSION
    item.ciphertext = sealed.ciphertext
    session.add(item)
    if sealed.wraps:
        session.execute(INSERT_WRAPS, sealed.wraps)
    return sealed.data_key
