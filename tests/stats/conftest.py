"""Labelled cases inserted directly, with their counts added as the triage service would."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import pytest

from intake.models import Case, CaseLabel
from intake.stats import counts


def add_case(session: Any, *, status: str = "verified", consent: bool = True,
             acts: Sequence[str] = ("surveillance",), region: str | None = "naryn",
             period: str | None = "2026-Q2", perpetrators: Sequence[str] = ("unknown",),
             target: str | None = "lawyer") -> Case:
    """One case with coded labels (the caller commits)."""
    case = Case(reference=secrets.token_hex(4), lookup_id=secrets.token_bytes(32),
                reply_public_key=b"\x00" * 8, status=status, consent_stats=consent)
    session.add(case)
    session.flush()
    labels = [("act_type", a) for a in acts] + [("perpetrator", p) for p in perpetrators]
    labels += [(v, c) for v, c in (("region", region), ("period", period), ("target", target))
               if c]
    session.add_all(CaseLabel(case_id=case.id, vocabulary=v, code=c) for v, c in labels)
    counts.apply(session, counts.contribution(status, consent, labels))
    return case


@pytest.fixture
def make_case(session: Any) -> Any:
    """make_case(n=1, **labels): insert n labelled cases and commit."""

    def _make(n: int = 1, **kwargs: Any) -> None:
        for _ in range(n):
            add_case(session, **kwargs)
        session.commit()

    return _make
