"""Instance-wide values kept in the database so they travel with backups."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base


class SiteValue(Base):
    """Key/value: the receipt salt and the settings admins may change in the app."""

    __tablename__ = "site_values"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
