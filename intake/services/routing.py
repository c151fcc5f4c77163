"""Need to know: which teams a new case goes to, and so whose keys it is encrypted to.

Routing uses the region the reporter chose, read from the answers in memory while the
report is sealed; only the resulting team is stored (docs/decisions.md says what a team
name can reveal). Until an admin defines a team, every reader receives every case, as
before teams existed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import READER_ROLES, RoutingRule, Staff, Team, TeamMember
from intake.services import site

ADMINS_READ_ALL = "admins_read_all"


def admins_read_all(session: Session) -> bool:
    """The admin setting, off by default: admins administer, and read as team members."""
    return site.get_value(session, ADMINS_READ_ALL) == "1"


def set_admins_read_all(session: Session, on: bool) -> None:
    """Change the setting (the caller audits and commits); affects cases routed from now."""
    site.set_value(session, ADMINS_READ_ALL, "1" if on else "0")


def any_team(session: Session) -> bool:
    """Whether need-to-know routing is in force at all."""
    return session.scalar(select(Team.id).limit(1)) is not None


def teams_for_region(session: Session, region: str | None) -> list[str]:
    """The rule's team for this region, else the default team(s), else every team."""
    if region:
        routed = session.scalar(select(RoutingRule.team_id).where(RoutingRule.region == region))
        if routed is not None:
            return [routed]
    defaults = list(session.scalars(select(Team.id).where(Team.is_default.is_(True))
                                    .order_by(Team.name)))
    return defaults or list(session.scalars(select(Team.id).order_by(Team.name)))


def reader_ids_for_teams(session: Session, team_ids: list[str]) -> set[str]:
    """Active readers with a key in these teams, plus every admin if admins read all."""
    readable = (Staff.active.is_(True), Staff.role.in_(READER_ROLES),
                Staff.public_key.is_not(None))
    members = set(session.scalars(
        select(Staff.id).join(TeamMember, TeamMember.staff_id == Staff.id)
        .where(TeamMember.team_id.in_(team_ids), *readable)))
    if admins_read_all(session):
        members |= set(session.scalars(select(Staff.id).where(Staff.role == "admin", *readable)))
    return members
