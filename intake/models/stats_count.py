"""Maintained statistics counts: the export reads these few thousand rows, not every label."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base


class StatsCount(Base):
    """Counted cases for one (table, code, region, quarter); kept in step by the services.

    `kind` is "cube" (code = act type, with region) or a one-way vocabulary ("perpetrator",
    "target"; region is ""). Only numbers are kept: no case ids, nothing per case.
    """

    __tablename__ = "stats_counts"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
