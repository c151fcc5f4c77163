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
from sqlalchemy import delete, exists, insert, select
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
    """Whether this staff member holds a wrap of the case's report (= has access). Nested
    EXISTS: the probe goes case -> its report -> the (item_id, staff_id) index, never
    through every wrap the reader holds (services/inbox.py says why)."""
    wrap = exists().where(KeyWrap.item_id == Item.id, KeyWrap.staff_id == staff_id)
    return session.scalar(select(Item.id).where(
        Item.case_id == case_id, Item.kind == "report", wrap).limit(1)) is not None


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
    return _rewrap(session, actor, private_key, [case.id], _readers(session, readers))


def _rewrap(session: Session, actor: Staff, private_key: bytes, case_ids: list[str],
            public: dict[str, bytes]) -> Reshaped:
    """set_readers for many cases at once: one query for the items, one for the wraps, one
    key load, one insert and one delete (moving thousands of cases stays a batch job)."""
    items = {item.id: item for item in session.scalars(
        select(Item).where(Item.case_id.in_(case_ids)))}
    if not items:
        return Reshaped(0, 0, 0)
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


def _move_target(session: Session, team_ids: list[str]) -> tuple[dict[str, str], set[str]]:
    """The chosen teams (id -> name) and their readers; refused if either is empty."""
    names = dict(session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids))).all())
    if not team_ids or len(names) != len(set(team_ids)):
        raise NeedToKnowError(_l("Choose at least one existing team."))
    readers = routing.reader_ids_for_teams(session, list(names))
    if not readers:
        raise NeedToKnowError(_l("Nobody in these teams could read the case: add members first."))
    return names, readers


def _moved(session: Session, actor: Staff, cases: list[Case], names: dict[str, str],
           done: Reshaped) -> None:
    """Point the cases at their new teams and lift restrictions; one audit event names
    every case moved (one case from its page, up to a batch from move_cases)."""
    ids = [c.id for c in cases]
    before = sorted(set(session.scalars(select(Team.name).join(
        CaseTeam, CaseTeam.team_id == Team.id).where(CaseTeam.case_id.in_(ids)))))
    session.execute(delete(CaseTeam).where(CaseTeam.case_id.in_(ids)))
    session.add_all(CaseTeam(case_id=c.id, team_id=t) for c in cases for t in names)
    for case in cases:
        case.restricted = False
    record(session, actor, "case.move",
           target=cases[0].reference if len(cases) == 1 else f"{len(cases)} cases",
           detail={"cases": [c.reference for c in cases], "from": before,
                   "to": sorted(names.values()), "wraps_added": done.added,
                   "wraps_deleted": done.removed})


def move_case(session: Session, actor: Staff, private_key: bytes, case: Case,
              team_ids: list[str]) -> Reshaped:
    """Hand the case to other team(s): re-wrap to their members, delete every other staff
    wrap, lift any restriction; audited with the old and new team names."""
    _require_access(session, actor, case)
    names, readers = _move_target(session, team_ids)
    done = _rewrap(session, actor, private_key, [case.id], _readers(session, readers))
    _moved(session, actor, [case], names, done)
    session.commit()
    return done


def move_cases(session: Session, actor: Staff, private_key: bytes, references: list[str],
               team_ids: list[str], progress: Callable[[int, int], None] | None = None,
               batch: int = 200) -> int:
    """Move many cases in batches (one commit each: a crash loses at most one batch);
    cases the actor cannot read are skipped. Returns how many moved."""
    names, readers = _move_target(session, team_ids)
    public = _readers(session, readers)
    moved = 0
    for start in range(0, len(references), batch):
        chunk = references[start:start + batch]
        held = (select(Item.case_id).join(KeyWrap, KeyWrap.item_id == Item.id)
                .where(Item.kind == "report", KeyWrap.staff_id == actor.id))
        cases = list(session.scalars(select(Case).where(Case.reference.in_(chunk),
                                                        Case.id.in_(held))))
        if cases:
            done = _rewrap(session, actor, private_key, [c.id for c in cases], public)
            _moved(session, actor, cases, names, done)
        session.commit()
        moved += len(cases)
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
