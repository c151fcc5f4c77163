"""Giving a reader (or the recovery key) access to existing items, in resumable batches.

The signed-in admin's private key unwraps each data key and wraps it to the new
recipient; the server never holds a data key beyond one request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from intake.crypto import DecryptionError, ItemBinding, unwrap_data_key, wrap_data_key
from intake.models import READER_ROLES, Item, KeyWrap, RecoveryKey, Staff
from intake.services.audit import record
from intake.services.errors import StaffError

DEFAULT_BATCH = 200


@dataclass(frozen=True)
class Target:
    """Who receives wraps: a staff member or a recovery key (exactly one is set)."""

    public_key: bytes
    label: str
    staff_id: str | None = None
    recovery_key_id: str | None = None


@dataclass(frozen=True)
class Progress:
    """x of y items the granter can open are now wrapped to the target."""

    done: int
    total: int
    unreachable: int

    @property
    def finished(self) -> bool:
        return self.done >= self.total


@dataclass(frozen=True)
class RecoveryStatus:
    """What the admin page shows about one recovery key."""

    id: str
    fingerprint: str
    created_at: datetime
    missing: int


def staff_target(session: Session, staff_id: str) -> Target:
    """An active reader with a key pair; analysts never receive wraps."""
    staff = session.get(Staff, staff_id)
    if (staff is None or not staff.active or staff.role not in READER_ROLES
            or staff.public_key is None):
        raise StaffError("only active admins and reviewers with a key can be given access")
    return Target(staff.public_key, staff.username, staff_id=staff.id)


def recovery_target(session: Session, key_id: str) -> Target:
    """The active organisation recovery key."""
    key = session.get(RecoveryKey, key_id)
    if key is None or not key.active:
        raise StaffError("no such active recovery key")
    return Target(key.public_key, key.fingerprint[:20], recovery_key_id=key.id)


def _has_wrap(target: Target,
              item_id: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[bool]:
    other = aliased(KeyWrap)
    column = other.staff_id if target.staff_id else other.recovery_key_id
    wanted = target.staff_id or target.recovery_key_id
    return exists().where(and_(other.item_id == item_id, column == wanted))


def progress(session: Session, granter: Staff, target: Target) -> Progress:
    """Count what the granter can pass on, and what only someone else could."""
    mine = select(KeyWrap.item_id).where(KeyWrap.staff_id == granter.id)
    total = session.scalar(select(func.count()).select_from(mine.subquery())) or 0
    done = session.scalar(select(func.count()).select_from(KeyWrap).where(
        KeyWrap.staff_id == granter.id, _has_wrap(target, KeyWrap.item_id))) or 0
    unreachable = session.scalar(select(func.count()).select_from(Item).where(
        ~_has_wrap(target, Item.id),
        ~exists().where(and_(KeyWrap.item_id == Item.id, KeyWrap.staff_id == granter.id)),
    )) or 0
    return Progress(done, total, unreachable)


def grant_batch(session: Session, granter: Staff, granter_private: bytes, target: Target,
                batch: int = DEFAULT_BATCH) -> Progress:
    """Wrap the next `batch` items to the target; call again until `finished`."""
    if target.staff_id == granter.id:
        raise StaffError("you already hold your own wraps")
    rows = session.execute(
        select(KeyWrap.item_id, KeyWrap.wrapped, Item.kind, Item.case_id, Item.parent_id)
        .join(Item, Item.id == KeyWrap.item_id)
        .where(KeyWrap.staff_id == granter.id, ~_has_wrap(target, KeyWrap.item_id))
        .order_by(KeyWrap.item_id).limit(max(1, batch))
    ).all()
    added = 0
    for item_id, wrapped, kind, case_id, parent_id in rows:
        # The binding comes from the row as it is now: a moved item no longer unwraps, so
        # it is skipped, never re-wrapped to its new place (services/binding.py).
        binding = ItemBinding(item_id, kind, case_id, parent_id)
        try:
            data_key = unwrap_data_key(wrapped, granter_private, binding)
        except DecryptionError:
            continue  # a damaged wrap: leave it for the recovery key, never abort the run
        session.add(KeyWrap(item_id=item_id, staff_id=target.staff_id,
                            recovery_key_id=target.recovery_key_id,
                            wrapped=wrap_data_key(data_key, target.public_key, binding)))
        added += 1
    if added:
        record(session, granter, "access.grant" if target.staff_id else "recovery_key.wrap",
               target=target.label, detail={"items": added})
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # another admin wrapped the same items meanwhile: just recount
    return progress(session, granter, target)


def recovery_status(session: Session) -> list[RecoveryStatus]:
    """Every active recovery key, and how many items are NOT wrapped to it."""
    keys = session.scalars(select(RecoveryKey).where(RecoveryKey.active.is_(True))
                           .order_by(RecoveryKey.created_at)).all()
    out = []
    for key in keys:
        target = Target(key.public_key, key.fingerprint, recovery_key_id=key.id)
        missing = session.scalar(select(func.count()).select_from(Item).where(
            ~_has_wrap(target, Item.id))) or 0
        out.append(RecoveryStatus(key.id, key.fingerprint, key.created_at, missing))
    return out


def staff_access(session: Session, granter: Staff, staff_id: str) -> tuple[Target, Progress]:
    """The grant page: who, and how far along."""
    target = staff_target(session, staff_id)
    return target, progress(session, granter, target)


def grant_staff_batch(session: Session, granter: Staff, granter_private: bytes, staff_id: str,
                      batch: int = DEFAULT_BATCH) -> tuple[Target, Progress]:
    """One POST of the grant run for a staff member."""
    target = staff_target(session, staff_id)
    return target, grant_batch(session, granter, granter_private, target, batch)


def recovery_access(session: Session, granter: Staff, key_id: str) -> tuple[Target, Progress]:
    """The recovery wrap page: which key, and how far along."""
    target = recovery_target(session, key_id)
    return target, progress(session, granter, target)


def wrap_recovery_batch(session: Session, granter: Staff, granter_private: bytes, key_id: str,
                        batch: int = DEFAULT_BATCH) -> tuple[Target, Progress]:
    """One POST of the run that wraps existing items to a new recovery key."""
    target = recovery_target(session, key_id)
    return target, grant_batch(session, granter, granter_private, target, batch)
