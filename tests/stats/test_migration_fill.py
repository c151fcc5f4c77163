"""Revision 0007 counts the labels an existing instance already holds."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from intake import migrate
from intake.db import make_engine
from intake.models import Case, CaseLabel
from intake.stats import recount

CASES = [("verified", True, ("threats", "raid")), ("closed", True, ("threats",)),
         ("new", True, ("raid",)), ("escalated", False, ("raid",))]


def test_upgrade_fills_stats_counts_from_existing_labels(settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(settings.database_url, engine=engine, revision="0005")
        with Session(engine) as s:
            for status, consent, acts in CASES:
                case = Case(reference=secrets.token_hex(4), lookup_id=secrets.token_bytes(32),
                            reply_public_key=b"\x00", status=status, consent_stats=consent)
                s.add(case)
                s.flush()
                labels = [("act_type", a) for a in acts] + [
                    ("region", "osh"), ("period", "2026-Q1"), ("perpetrator", "police"),
                    ("target", "lawyer")]
                s.add_all(CaseLabel(case_id=case.id, vocabulary=v, code=c) for v, c in labels)
            s.commit()
        migrate.upgrade(settings.database_url, engine=engine)
        with Session(engine) as s:
            assert recount.maintained(s) == recount.from_scratch(s)
            assert recount.maintained(s)[("cube", "threats", "osh", "2026-Q1")] == 2
            assert recount.maintained(s)[("target", "lawyer", "", "2026-Q1")] == 2
    finally:
        engine.dispose()
