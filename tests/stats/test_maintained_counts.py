"""stats_counts stays equal to a recount from the labels whatever reviewers do, in any order."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

from intake.models import TRANSITIONS, Case, Staff, StatsCount, utcnow
from intake.services import retention, triage
from intake.stats import queries, recount
from tests.stats import oracle

POOL = 4
PERIODS = triage.period_codes()[-3:]
ACTS = ["threats", "surveillance", "raid"]
PERPS = ["police", "unknown"]
REGIONS = ["bishkek", "naryn"]
TARGETS = ["lawyer", "journalist"]

label_sets = st.fixed_dictionaries({
    "act_type": st.lists(st.sampled_from(ACTS), max_size=3, unique=True),
    "perpetrator": st.lists(st.sampled_from(PERPS), max_size=2, unique=True),
    "target": st.lists(st.sampled_from(TARGETS), max_size=2, unique=True),
    "region": st.lists(st.sampled_from(REGIONS), max_size=1),
    "period": st.lists(st.sampled_from(PERIODS), max_size=1),
})
case_index = st.integers(min_value=0, max_value=POOL - 1)
operations = st.one_of(
    st.tuples(st.just("labels"), case_index, label_sets),
    st.tuples(st.just("status"), case_index, st.integers(min_value=0, max_value=2)),
    st.tuples(st.just("withdraw"), case_index),
    st.tuples(st.just("purge")),
)


def _new_cases(session: Any, consents: list[bool]) -> list[str]:
    """Cases as a submission leaves them: status new, no labels, consent as answered."""
    ids = []
    for consent in consents:
        case = Case(reference=secrets.token_hex(4), lookup_id=secrets.token_bytes(32),
                    reply_public_key=b"\x00" * 8, consent_stats=consent)
        session.add(case)
        session.flush()
        ids.append(case.id)
    session.commit()
    return ids


def _run(session: Any, settings: Any, staff: Staff, ids: list[str], op: tuple[Any, ...]) -> None:
    """One operation through the services; refused ones roll back as a request would."""
    if op[0] == "purge":
        retention.purge(session, settings.replace(retention_days=1),
                        now=utcnow() + timedelta(days=3650))
        return
    case = session.get(Case, ids[op[1]])
    if case is None:  # purged earlier
        return
    try:
        if op[0] == "labels":
            triage.set_labels(session, staff, case, op[2])
        elif op[0] == "status":
            moves = TRANSITIONS[case.status]
            triage.triage(session, staff, case,
                          triage.TriageChange(status=moves[op[2] % len(moves)]))
        else:
            triage.withdraw_consent(session, staff, case)
    except triage.TriageError:
        session.rollback()


def _assert_consistent(session: Any, filters: oracle.Range) -> None:
    """Maintained = recount, and the export's queries = the COUNT DISTINCT oracle."""
    session.expire_all()
    assert recount.maintained(session) == recount.from_scratch(session)
    assert queries.act_region_quarter(session) == oracle.cube(session, filters)
    for vocabulary in ("perpetrator", "target"):
        assert (queries.by_vocabulary(session, vocabulary)
                == oracle.one_way(session, vocabulary, filters))


@hsettings(max_examples=40, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(consents=st.lists(st.booleans(), min_size=POOL, max_size=POOL),
       ops=st.lists(operations, max_size=14))
def test_random_triage_keeps_counts_equal_to_a_recount(consents: list[bool],
                                                       ops: list[tuple[Any, ...]],
                                                       session: Any, settings: Any,
                                                       make_staff: Any) -> None:
    session.execute(delete(Case))
    session.execute(delete(StatsCount))
    session.commit()
    staff = session.scalar(select(Staff)) or session.get(Staff, make_staff("reviewer").id)
    ids = _new_cases(session, consents)
    filters = oracle.Range()
    for op in ops:
        _run(session, settings, staff, ids, op)
        assert recount.maintained(session) == recount.from_scratch(session)
    _assert_consistent(session, filters)


def test_a_case_counts_once_per_act_and_margins_do_not_double_count(session, make_staff):
    staff = session.get(Staff, make_staff("reviewer").id)
    (case_id,) = _new_cases(session, [True])
    case = session.get(Case, case_id)
    triage.set_labels(session, staff, case, {"act_type": ["threats", "raid"],
                                             "region": ["naryn"], "period": PERIODS[:1],
                                             "target": ["lawyer"]})
    for status in ("in_review", "verified"):
        triage.triage(session, staff, case, triage.TriageChange(status=status))
    cube = queries.act_region_quarter(session)
    assert cube == {("threats", "naryn", PERIODS[0]): 1, ("raid", "naryn", PERIODS[0]): 1}
    assert queries.by_vocabulary(session, "target") == {("lawyer", PERIODS[0]): 1}
    triage.withdraw_consent(session, staff, case)
    assert recount.maintained(session) == {}


def test_concurrent_reviewers_lose_no_counts(database, session, make_staff):
    """Several sessions relabel the same few cases at once: every delta lands exactly once."""
    staff_id = make_staff("reviewer").id
    ids = _new_cases(session, [True, True, True])
    for case_id in ids:
        case = session.get(Case, case_id)
        staff = session.get(Staff, staff_id)
        for status in ("in_review", "verified"):
            triage.triage(session, staff, case, triage.TriageChange(status=status))
    choices = [{"act_type": ACTS[: 1 + n % 3], "region": [REGIONS[n % 2]],
                "period": [PERIODS[n % 3]], "perpetrator": PERPS[: 1 + n % 2]}
               for n in range(6)]
    errors: list[BaseException] = []

    def reviewer(seed: int) -> None:
        s = database.factory()
        try:
            for n in range(12):
                case = s.get(Case, ids[(seed + n) % len(ids)])
                try:
                    triage.set_labels(s, s.get(Staff, staff_id), case, choices[(seed * n) % 6])
                except OperationalError:  # SQLite: a writer with a stale snapshot is refused
                    s.rollback()
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=reviewer, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    session.expire_all()
    assert recount.maintained(session) == recount.from_scratch(session) != {}


@pytest.mark.parametrize("damage", ["drop", "inflate"])
def test_rebuild_repairs_drift(session, make_case, damage):
    make_case(6)
    make_case(2, acts=("raid", "threats"), region="bishkek")
    expected = recount.from_scratch(session)
    if damage == "drop":
        session.execute(delete(StatsCount).where(StatsCount.kind == "cube"))
    else:
        session.execute(StatsCount.__table__.update().values(n=StatsCount.n + 3))
    session.commit()
    result = recount.rebuild(session)
    session.commit()
    assert recount.maintained(session) == expected
    assert result.rows == len(expected) and result.differing > 0
