"""Revision 0015: members still on the old default zone ("UTC") follow the instance's zone
(""), an explicit other choice is kept; the downgrade puts "UTC" back."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from intake import migrate
from intake.db import Database
from intake.models import Staff

BEFORE = "0010_teams_and_routing"


def _zones(db: Database) -> dict[str, str]:
    with db.engine.begin() as conn:
        return dict(conn.execute(text("SELECT username, time_zone FROM staff")).all())


def test_old_default_zone_follows_the_instance_and_downgrades(settings: Any) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings)
    try:
        migrate.upgrade(settings.database_url, engine=db.engine, revision=BEFORE)
        with Session(db.engine) as s:  # data-only revision: today's model fits both sides
            s.add_all([Staff(username="old-default", role="reviewer", time_zone="UTC"),
                       Staff(username="chose-bishkek", role="admin",
                             time_zone="Asia/Bishkek")])
            s.commit()
        migrate.upgrade(settings.database_url, engine=db.engine)
        assert _zones(db) == {"old-default": "", "chose-bishkek": "Asia/Bishkek"}
        cfg = migrate.alembic_config(settings.database_url)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, BEFORE)
        assert _zones(db) == {"old-default": "UTC", "chose-bishkek": "Asia/Bishkek"}
    finally:
        db.dispose()
