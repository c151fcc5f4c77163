"""Need to know: which teams a new case goes to, and so whose keys it is encrypted to.

Routing uses the region the reporter chose, read from the answers in memory while the
report is sealed; only the resulting team is stored (docs/decisions.md says what a team
name can reveal). Until an admin defines a team, every reader receives every case, as
before teams existed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, or_, select
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


# Built once (a statement costs more to construct than to run): every team, flagged
# default and whether the region's rule names it.
_TEAMS = (select(Team.id, Team.is_default, RoutingRule.region.is_not(None))
          .outerjoin(RoutingRule, and_(RoutingRule.team_id == Team.id,
                                       RoutingRule.region == bindparam("region")))
          .order_by(Team.name, Team.id))


def teams_for_region(session: Session, region: str | None) -> list[str] | None:
    """The rule's team for this region, else the default team(s), else every team; None
    while no team exists (everyone reads). One query: it runs on every report."""
    rows = session.execute(_TEAMS, {"region": region or ""}).all()
    if not rows:
        return None
    routed = [str(team) for team, _default, by_rule in rows if by_rule]
    if routed:
        return routed[:1]
    defaults = [str(team) for team, default, _rule in rows if default]
    return defaults or [str(team) for team, _default, _rule in rows]


def readers_of_teams(team_ids: list[str] | BindParameter[Any],
                     read_all: bool | BindParameter[bool]) -> ColumnElement[bool]:
    """A condition on Staff: member of one of these teams, or any admin if admins read all
    (the caller adds "active reader with a key"); either may be a bound parameter."""
    members = Staff.id.in_(select(TeamMember.staff_id).where(TeamMember.team_id.in_(team_ids)))
    if isinstance(read_all, bool):
        return or_(members, Staff.role == "admin") if read_all else members
    return or_(members, and_(read_all, Staff.role == "admin"))


def reader_ids_for_teams(session: Session, team_ids: list[str]) -> set[str]:
    """Active readers with a key in these teams, plus every admin if admins read all."""
    return set(session.scalars(select(Staff.id).where(
        readers_of_teams(team_ids, admins_read_all(session)), Staff.active.is_(True),
        Staff.role.in_(READER_ROLES), Staff.public_key.is_not(None))))
