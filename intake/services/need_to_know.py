"""Who holds a case: moving it between teams, restricting it, granting one colleague.

Access to a case is holding a wrap of its report. Every change here runs in the session of
someone who has that access: their private key unwraps each item's data key, which is
wrapped to the new readers, and every other staff wrap of the case is deleted
(crypto-shredding). Recovery-key and reporter wraps are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from intake.crypto import unwrap_data_keys, wrap_data_key
from intake.models import (
    READER_ROLES,
    Case,
    CaseTeam,
    Item,
    KeyWrap,
    Staff,
    Team,
    TeamMember,
    new_id,
)
from intake.services import routing
from intake.services.audit import record
from intake.services.binding import item_binding


class NeedToKnowError(ValueError):
    """A move, restriction or grant that cannot be done, with a message for the person."""


@dataclass(frozen=True)
class Reshaped:
    """What one change did: wraps added, staff wraps deleted, items only the recovery key
    (or someone else) could open and so were not passed on."""

    added: int
    removed: int
    unreachable: int


def holds_case(session: Session, staff_id: str, case_id: str) -> bool:
    """Whether this staff member holds a wrap of the case's report (= has access)."""
    return session.scalar(
        select(KeyWrap.id).join(Item, Item.id == KeyWrap.item_id)
        .where(Item.case_id == case_id, Item.kind == "report", KeyWrap.staff_id == staff_id)
        .limit(1)) is not None


def sees_restricted(session: Session, staff_id: str, case: Case) -> bool:
    """A member of the case's teams without access: sees the reference and "restricted"."""
    if not case.restricted:
        return False
    return session.scalar(
        select(CaseTeam.team_id).join(TeamMember, TeamMember.team_id == CaseTeam.team_id)
        .where(CaseTeam.case_id == case.id, TeamMember.staff_id == staff_id).limit(1)) is not None


def case_readers(session: Session, case: Case) -> list[Staff]:
    """Staff who hold the case now (for the restrict and grant forms)."""
    holders = (select(KeyWrap.staff_id).join(Item, Item.id == KeyWrap.item_id)
               .where(Item.case_id == case.id, Item.kind == "report"))
    return list(session.scalars(select(Staff).where(Staff.id.in_(holders))
                                .order_by(Staff.username)))


def case_team_names(session: Session, case: Case) -> list[str]:
    """The case's teams, by name."""
    return list(session.scalars(select(Team.name).join(CaseTeam, CaseTeam.team_id == Team.id)
                                .where(CaseTeam.case_id == case.id).order_by(Team.name)))


def _readers(session: Session, staff_ids: Iterable[str]) -> dict[str, bytes]:
    """Active readers with a key among these ids, with their public keys."""
    rows = session.execute(select(Staff.id, Staff.public_key).where(
        Staff.id.in_(list(staff_ids)), Staff.active.is_(True), Staff.role.in_(READER_ROLES),
        Staff.public_key.is_not(None))).all()
    return {staff_id: public for staff_id, public in rows if public}


def _require_access(session: Session, actor: Staff, case: Case) -> None:
    if not holds_case(session, actor.id, case.id):
        raise NeedToKnowError(_l("Only someone who can read this case can change who reads it."))


def set_readers(session: Session, actor: Staff, private_key: bytes, case: Case,
                readers: set[str]) -> Reshaped:
    """Make `readers` exactly the staff who hold wraps of this case's items (the caller
    commits): wrap what the actor can open to the ones lacking it, delete every other
    staff wrap. Items the actor cannot open are not passed on; recovery wraps stay."""
    items = {item.id: item for item in session.scalars(
        select(Item).where(Item.case_id == case.id))}
    if not items:
        return Reshaped(0, 0, 0)
    public = _readers(session, readers)
    held: dict[str, set[str]] = {}
    mine = {}
    for item_id, staff_id, wrapped in session.execute(
            select(KeyWrap.item_id, KeyWrap.staff_id, KeyWrap.wrapped).where(
                KeyWrap.item_id.in_(list(items)), KeyWrap.staff_id.is_not(None))):
        held.setdefault(item_id, set()).add(str(staff_id))
        if staff_id == actor.id:
            mine[item_binding(items[item_id])] = wrapped
    keys = unwrap_data_keys(mine, private_key) if mine else {}
    rows = []
    unreachable = 0
    for item_id, item in items.items():
        missing = [s for s in public if s not in held.get(item_id, set())]
        if not missing:
            continue
        data_key = keys.get(item_id)
        if data_key is None:
            unreachable += 1
            continue
        binding = item_binding(item)
        rows += [{"id": new_id(), "item_id": item_id, "staff_id": s, "recovery_key_id": None,
                  "for_reporter": False, "wrapped": wrap_data_key(data_key, public[s], binding)}
                 for s in missing]
    if rows:
        session.execute(insert(KeyWrap), rows)
    deleted = session.execute(delete(KeyWrap).where(
        KeyWrap.item_id.in_(list(items)), KeyWrap.staff_id.is_not(None),
        KeyWrap.staff_id.not_in(list(public) or [""])))
    return Reshaped(len(rows), int(getattr(deleted, "rowcount", 0) or 0), unreachable)


def move_case(session: Session, actor: Staff, private_key: bytes, case: Case,
              team_ids: list[str], commit: bool = True) -> Reshaped:
    """Hand the case to other team(s): re-wrap to their members, delete every other staff
    wrap, lift any restriction; audited with the old and new team names."""
    _require_access(session, actor, case)
    names = dict(session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids))).all())
    if not team_ids or len(names) != len(set(team_ids)):
        raise NeedToKnowError(_l("Choose at least one existing team."))
    readers = routing.reader_ids_for_teams(session, list(names))
    if not readers:
        raise NeedToKnowError(_l("Nobody in these teams could read the case: add members first."))
    before = case_team_names(session, case)
    done = set_readers(session, actor, private_key, case, readers)
    session.execute(delete(CaseTeam).where(CaseTeam.case_id == case.id))
    session.add_all(CaseTeam(case_id=case.id, team_id=t) for t in names)
    case.restricted = False
    record(session, actor, "case.move", target=case.reference,
           detail={"from": before, "to": sorted(names.values()), "wraps_added": done.added,
                   "wraps_deleted": done.removed})
    if commit:
        session.commit()
    return done


def move_cases(session: Session, actor: Staff, private_key: bytes, references: list[str],
               team_ids: list[str], progress: Callable[[int, int], None] | None = None,
               batch: int = 200) -> int:
    """Move many cases, committing every `batch` (a crash loses at most one batch);
    cases the actor cannot read are skipped. Returns how many moved."""
    moved = 0
    for start in range(0, len(references), batch):
        chunk = references[start:start + batch]
        for case in session.scalars(select(Case).where(Case.reference.in_(chunk))):
            try:
                move_case(session, actor, private_key, case, team_ids, commit=False)
            except NeedToKnowError:
                continue
            moved += 1
        session.commit()
        if progress is not None:
            progress(min(start + batch, len(references)), len(references))
    return moved


def restrict_case(session: Session, actor: Staff, private_key: bytes, case: Case,
                  colleague_ids: list[str]) -> Reshaped:
    """Only the actor and the named colleagues keep the case; every other staff wrap goes."""
    _require_access(session, actor, case)
    chosen = _readers(session, colleague_ids)
    if len(chosen) != len(set(colleague_ids)):
        raise NeedToKnowError(_l("Choose colleagues who are active reviewers or admins."))
    readers = set(chosen) | {actor.id}
    done = set_readers(session, actor, private_key, case, readers)
    case.restricted = True
    names = sorted(session.scalars(select(Staff.username).where(Staff.id.in_(readers))))
    record(session, actor, "case.restrict", target=case.reference,
           detail={"readers": names, "wraps_deleted": done.removed})
    session.commit()
    return done


def grant_case(session: Session, actor: Staff, private_key: bytes, case: Case,
               colleague_id: str) -> Reshaped:
    """One colleague gets this one case (all its items the actor can open); audited."""
    _require_access(session, actor, case)
    colleague = _readers(session, [colleague_id])
    if not colleague:
        raise NeedToKnowError(_l("Choose colleagues who are active reviewers or admins."))
    if holds_case(session, colleague_id, case.id):
        raise NeedToKnowError(_l("This colleague can already read this case."))
    current = {s.id for s in case_readers(session, case)}
    done = set_readers(session, actor, private_key, case, current | {colleague_id})
    username = session.scalar(select(Staff.username).where(Staff.id == colleague_id))
    record(session, actor, "case.grant", target=case.reference,
           detail={"to": username, "wraps_added": done.added})
    session.commit()
    return done
