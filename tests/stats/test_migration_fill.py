"""Revision 0007 counts the labels an existing instance already holds."""

from __future__ import annotations

import secrets

from sqlalchemy import MetaData, insert
from sqlalchemy.orm import Session

from intake import migrate
from intake.db import make_engine
from intake.models import hour_floor, new_id
from intake.stats import recount

CASES = [("verified", True, ("threats", "raid")), ("closed", True, ("threats",)),
         ("new", True, ("raid",)), ("escalated", False, ("raid",))]


def test_upgrade_fills_stats_counts_from_existing_labels(settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(settings.database_url, engine=engine, revision="0005")
        # Rows written as the schema of 0005 had them (today's models have later columns).
        old = MetaData()
        old.reflect(bind=engine, only=["cases", "case_labels"])
        cases, case_labels = old.tables["cases"], old.tables["case_labels"]
        with engine.begin() as conn:
            for status, consent, acts in CASES:
                case_id = new_id()
                conn.execute(insert(cases).values(
                    id=case_id, reference=secrets.token_hex(4), received_at=hour_floor(),
                    lookup_id=secrets.token_bytes(32), reply_public_key=b"\x00",
                    status=status, priority="normal", consent_stats=consent,
                    unread_followup=False))
                labels = [("act_type", a) for a in acts] + [
                    ("region", "osh"), ("period", "2026-Q1"), ("perpetrator", "police"),
                    ("target", "lawyer")]
                conn.execute(insert(case_labels), [
                    {"case_id": case_id, "vocabulary": v, "code": c} for v, c in labels])
        migrate.upgrade(settings.database_url, engine=engine)
        with Session(engine) as s:
            assert recount.maintained(s) == recount.from_scratch(s)
            assert recount.maintained(s)[("cube", "threats", "osh", "2026-Q1")] == 2
            assert recount.maintained(s)[("target", "lawyer", "", "2026-Q1")] == 2
    finally:
        engine.dispose()
