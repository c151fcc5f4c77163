"""Revision 0009 on a database with data: counters become random ids, nothing is lost (no
cascade from a table rebuild), SQLite loses its row counters, and it downgrades cleanly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from intake import migrate
from intake.db import Database

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def _seed(conn: Any) -> None:
    """Rows as revision 0008 stored them: two cases, items with a parent, wraps, events."""
    for n in (1, 2):
        conn.execute(text(
            "INSERT INTO cases (id, reference, received_at, status, priority, lookup_id, "
            "reply_public_key, consent_stats, unread_followup) VALUES (:id, :ref, :at, 'new', "
            "'normal', :lookup, :pub, false, false)"),
            {"id": f"case-{n}", "ref": f"REF-000{n}", "at": NOW, "lookup": bytes([n]) * 32,
             "pub": b"p"})
        conn.execute(text(
            "INSERT INTO items (id, case_id, parent_id, kind, created_at, format_version, "
            "ciphertext) VALUES (:id, :case, NULL, 'report', :at, 1, :ct)"),
            {"id": f"report-{n}", "case": f"case-{n}", "at": NOW, "ct": b"c"})
        conn.execute(text(
            "INSERT INTO items (id, case_id, parent_id, kind, created_at, format_version, "
            "ciphertext) VALUES (:id, :case, :parent, 'attachment', :at, 1, :ct)"),
            {"id": f"att-{n}", "case": f"case-{n}", "parent": f"report-{n}", "at": NOW,
             "ct": b"m"})
        for item in (f"report-{n}", f"att-{n}"):
            conn.execute(text("INSERT INTO key_wraps (item_id, for_reporter, wrapped) "
                              "VALUES (:i, false, :w)"), {"i": item, "w": b"w"})
        conn.execute(text("INSERT INTO pending_notifications (kind, at) VALUES ('report', :at)"),
                     {"at": NOW})


def _counts(conn: Any) -> dict[str, int]:
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("cases", "items", "key_wraps", "pending_notifications")}


def test_upgrade_with_data_then_downgrade(settings: Any, db_backend: str) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings)
    try:
        migrate.upgrade(settings.database_url, engine=db.engine, revision="0008")
        with db.engine.begin() as conn:
            _seed(conn)
            before = _counts(conn)
        assert before == {"cases": 2, "items": 4, "key_wraps": 4, "pending_notifications": 2}

        migrate.upgrade(settings.database_url, engine=db.engine)
        with db.engine.begin() as conn:
            assert _counts(conn) == before  # no rebuild cascaded into a delete
            for table in ("key_wraps", "pending_notifications"):
                ids = conn.execute(text(f"SELECT id FROM {table}")).scalars().all()
                assert all(uuid.UUID(i).version == 4 for i in ids)
            pairs = conn.execute(text("SELECT id, parent_id FROM items")).all()
            assert ("att-1", "report-1") in pairs
            wrapped = conn.execute(text("SELECT item_id FROM key_wraps")).scalars().all()
            assert sorted(wrapped) == ["att-1", "att-2", "report-1", "report-2"]
            # Foreign keys still act: deleting a case takes its items and their wraps.
            conn.execute(text("DELETE FROM cases WHERE id = 'case-2'"))
            assert _counts(conn) == {"cases": 1, "items": 2, "key_wraps": 2,
                                     "pending_notifications": 2}
            if db_backend == "sqlite":
                with pytest.raises(OperationalError):
                    conn.execute(text("SELECT rowid FROM key_wraps"))
        if db_backend == "sqlite":
            with db.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO cases (id, reference, received_at, status, priority, "
                    "lookup_id, reply_public_key, consent_stats, unread_followup) VALUES "
                    "('case-3', 'REF-0003', :at, 'new', 'normal', :l, :p, 0, 0)"),
                    {"at": NOW, "l": b"3" * 32, "p": b"p"})
                rowids = conn.execute(text("SELECT rowid FROM cases")).scalars().all()
                assert max(abs(r) for r in rowids) > 2**40
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []

        cfg = migrate.alembic_config(settings.database_url)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008")
        with db.engine.begin() as conn:
            ids = conn.execute(text("SELECT id FROM key_wraps ORDER BY id")).scalars().all()
            assert ids == [1, 2]
            conn.execute(text("INSERT INTO key_wraps (item_id, for_reporter, wrapped) "
                              "VALUES ('report-1', true, :w)"), {"w": b"x"})
            assert conn.execute(text("SELECT max(id) FROM key_wraps")).scalar_one() == 3
        migrate.upgrade(settings.database_url, engine=db.engine)
    finally:
        db.dispose()
