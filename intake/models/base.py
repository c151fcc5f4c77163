"""Declarative base and column helpers shared by every model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC everywhere; SQLite forgets time zones, so re-attach UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """All tables share one metadata with deterministic constraint names for Alembic."""

    metadata = MetaData(naming_convention=NAMING)


def new_id() -> str:
    """Random ids: nothing that leaves the server is sequential."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Staff-side timestamps: precise, UTC."""
    return datetime.now(UTC)


def hour_floor(moment: datetime | None = None) -> datetime:
    """Anything about a reporter is kept only to the hour."""
    moment = moment or utcnow()
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def table_of(model: type[Base]) -> Table:
    """A model's table for Core statements on hot paths (an insert through the table skips
    the ORM's bulk machinery: the same rows, column defaults and constraints)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
