"""Teams, their members, the routing of new cases by region, and which teams hold a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, new_id, utcnow


class Team(Base):
    """A group of readers ("Osh office", "Legal"); a case is encrypted to its team(s) only."""

    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TeamMember(Base):
    """One reader in one team; new cases of the team are wrapped to them."""

    __tablename__ = "team_members"

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                         primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)


class RoutingRule(Base):
    """New cases from this region (the reporter's choice) go to this team."""

    __tablename__ = "routing_rules"

    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)


class CaseTeam(Base):
    """A case is held by these teams (its routing, or where it was moved)."""

    __tablename__ = "case_teams"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
