"""Admins define teams, their members, the default team and routing rules by region.

Membership decides who receives NEW cases of a team. Removing a member also deletes their
wraps of the team's cases (they leave with nothing to read); adding one does not give them
the team's existing cases: someone with access grants or moves those (services/need_to_know).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.models import (
    READER_ROLES,
    CaseTeam,
    Item,
    KeyWrap,
    RoutingRule,
    Staff,
    Team,
    TeamMember,
)
from intake.services.audit import record

MAX_NAME = 80


class TeamError(ValueError):
    """A team change that cannot be done, with a message for the person."""


@dataclass(frozen=True)
class TeamSummary:
    """One team as the admin page lists it."""

    id: str
    name: str
    is_default: bool
    members: list[tuple[str, str]]
    regions: list[str]


def list_teams(session: Session) -> list[TeamSummary]:
    """Every team with its members (username, id) and routed regions."""
    out = []
    for team in session.scalars(select(Team).order_by(Team.name)):
        members = [(name, staff_id) for name, staff_id in session.execute(
            select(Staff.username, Staff.id).join(TeamMember, TeamMember.staff_id == Staff.id)
            .where(TeamMember.team_id == team.id).order_by(Staff.username))]
        regions = list(session.scalars(select(RoutingRule.region)
                                       .where(RoutingRule.team_id == team.id)
                                       .order_by(RoutingRule.region)))
        out.append(TeamSummary(team.id, team.name, team.is_default, members, regions))
    return out


def team_choices(session: Session) -> list[tuple[str, str]]:
    """(id, name) of every team, for select fields."""
    return [(t.id, t.name) for t in session.scalars(select(Team).order_by(Team.name))]


def reader_choices(session: Session) -> list[tuple[str, str]]:
    """(id, username) of active readers with a key: who can be a member or a reader."""
    return [(s.id, s.username) for s in session.scalars(
        select(Staff).where(Staff.active.is_(True), Staff.role.in_(READER_ROLES),
                            Staff.public_key.is_not(None)).order_by(Staff.username))]


def create_team(session: Session, actor: Staff, name: str) -> Team:
    """A new team; the first one becomes the default (every case must route somewhere)."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise TeamError(_l("Enter a team name of 1 to 80 characters."))
    first = session.scalar(select(Team.id).limit(1)) is None
    team = Team(name=name, is_default=first)
    session.add(team)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise TeamError(_l("A team with this name already exists.")) from None
    record(session, actor, "team.create", target=name)
    session.commit()
    return team


def _team(session: Session, team_id: str) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise TeamError(_l("No such team."))
    return team


def set_default(session: Session, actor: Staff, team_id: str) -> None:
    """Cases from regions without a rule go to this team."""
    team = _team(session, team_id)
    session.execute(update(Team).values(is_default=False))
    team.is_default = True
    record(session, actor, "team.default", target=team.name)
    session.commit()


def add_member(session: Session, actor: Staff, team_id: str, staff_id: str) -> None:
    """A reader joins a team: new cases of the team are encrypted to them from now on."""
    team = _team(session, team_id)
    if staff_id not in dict(reader_choices(session)):
        raise TeamError(_l("Choose an active reviewer or admin."))
    if session.get(TeamMember, (team_id, staff_id)) is not None:
        raise TeamError(_l("This person is already in this team."))
    session.add(TeamMember(team_id=team_id, staff_id=staff_id))
    username = session.scalar(select(Staff.username).where(Staff.id == staff_id))
    record(session, actor, "team.member_add", target=team.name, detail={"staff": username})
    session.commit()


def remove_member(session: Session, actor: Staff, team_id: str, staff_id: str) -> int:
    """A reader leaves a team and loses their wraps of its cases (unless another of their
    teams also holds the case); returns how many wraps were deleted."""
    team = _team(session, team_id)
    if session.get(TeamMember, (team_id, staff_id)) is None:
        raise TeamError(_l("This person is not in this team."))
    session.execute(delete(TeamMember).where(TeamMember.team_id == team_id,
                                             TeamMember.staff_id == staff_id))
    other = (select(CaseTeam.case_id).join(TeamMember, TeamMember.team_id == CaseTeam.team_id)
             .where(TeamMember.staff_id == staff_id))
    cases = select(CaseTeam.case_id).where(CaseTeam.team_id == team_id,
                                           CaseTeam.case_id.not_in(other))
    items = select(Item.id).where(Item.case_id.in_(cases))
    deleted = session.execute(delete(KeyWrap).where(
        KeyWrap.staff_id == staff_id, KeyWrap.item_id.in_(items)))
    removed = int(getattr(deleted, "rowcount", 0) or 0)
    username = session.scalar(select(Staff.username).where(Staff.id == staff_id))
    record(session, actor, "team.member_remove", target=team.name,
           detail={"staff": username, "wraps_deleted": removed})
    session.commit()
    return removed


def set_rule(session: Session, actor: Staff, region: str, team_id: str | None) -> None:
    """Route a region's new cases to a team (None: back to the default team)."""
    session.execute(delete(RoutingRule).where(RoutingRule.region == region))
    name = None
    if team_id:
        name = _team(session, team_id).name
        session.add(RoutingRule(region=region, team_id=team_id))
    record(session, actor, "team.route", target=region, detail={"team": name})
    session.commit()


def rules(session: Session) -> dict[str, str]:
    """region code -> team id."""
    return dict(session.execute(select(RoutingRule.region, RoutingRule.team_id)).all())


def in_any_team(session: Session, staff_id: str) -> bool:
    """Whether this reader belongs to a team."""
    return bool(session.scalar(select(exists().where(TeamMember.staff_id == staff_id))))
