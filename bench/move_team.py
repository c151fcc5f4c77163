"""Moving cases to another team: the re-wrap, as a ratio of a plain read of the same cases.

    .venv/bin/python bench/move_team.py [--cases 10000] [--quick] [--pg]

A throw-away instance with two teams of three reviewers and a recovery key; N cases, each
a real encrypted report wrapped to team A and the recovery key (written straight to the
database, as bench/inbox.py does). Then, with one team-A reviewer's key:
  - plain read: unwrap and decrypt every report (services/reading.open_items), in pages
    of 200 as the inbox opens them;
  - move: services/need_to_know.move_cases to team B: per case, unwrap with the mover's
    key, wrap to team B's three members, delete team A's three wraps, record the audit
    event, commit every 200 cases, printing progress.
Afterwards it checks in the database that team A holds no wrap and team B holds all.
"""

from __future__ import annotations

import argparse
import sys
import time

from lib.figures import header, ratio
from lib.instances import PASSPHRASE, instance, pg_available
from sqlalchemy import func, insert, select

from intake.crypto import (
    FORMAT_VERSION,
    ItemBinding,
    encrypt_item,
    fingerprint,
    generate_keypair,
    new_data_key,
    wrap_data_key,
)
from intake.models import Case, Item, KeyWrap, RecoveryKey, Staff, hour_floor, new_id
from intake.payloads import ReportAnswers
from intake.services import need_to_know, teams
from intake.services.credentials import unlock_private_key
from intake.services.reading import open_items
from intake.services.staff import create_staff

PAGE = 200


def _seed(inst: object, n: int) -> tuple[str, list[str], str]:
    """Teams, staff, recovery key and n cases wrapped to team A; returns mover id,
    references and team B's id."""
    db, settings = inst.database, inst.settings  # type: ignore[attr-defined]
    with db.transaction() as s:
        people = {name: create_staff(s, settings, name, "reviewer", PASSPHRASE)[0]
                  for name in ("a1", "a2", "a3", "b1", "b2", "b3")}
        admin = create_staff(s, settings, "admin", "admin", PASSPHRASE)[0]
        s.flush()
        _priv, recovery_public = generate_keypair()
        recovery = RecoveryKey(public_key=recovery_public, fingerprint=fingerprint(recovery_public))
        s.add(recovery)
        s.flush()
        team_a = teams.create_team(s, admin, "Team A").id
        team_b = teams.create_team(s, admin, "Team B").id
        for name, person in people.items():
            teams.add_member(s, admin, team_a if name.startswith("a") else team_b, person.id)
        keys_a = [people[n].public_key for n in ("a1", "a2", "a3")]
        ids_a = [people[n].id for n in ("a1", "a2", "a3")]
        refs = []
        received = hour_floor()
        for start in range(0, n, 500):
            cases, items, wraps = [], [], []
            for i in range(start, min(n, start + 500)):
                case_id, item_id = new_id(), new_id()
                ref = f"B{i:07d}"
                refs.append(ref)
                cases.append({"id": case_id, "reference": ref, "received_at": received,
                              "status": "new", "priority": "normal",
                              "lookup_id": new_id().encode()[:32],
                              "reply_public_key": recovery_public, "consent_stats": False,
                              "unread_followup": False, "restricted": False})
                binding = ItemBinding(item_id, "report", case_id, None)
                data_key = new_data_key()
                answers = ReportAnswers(what=f"Report {i}: followed from the office.")
                items.append({"id": item_id, "case_id": case_id, "kind": "report",
                              "created_at": received, "format_version": FORMAT_VERSION,
                              "ciphertext": encrypt_item(data_key, binding, answers.encode())})
                for staff_id, public in [*zip(ids_a, keys_a, strict=True),
                                         (None, recovery_public)]:
                    wraps.append({"id": new_id(), "item_id": item_id, "staff_id": staff_id,
                                  "recovery_key_id": None if staff_id else recovery.id,
                                  "for_reporter": False,
                                  "wrapped": wrap_data_key(data_key, public, binding)})
            s.execute(insert(Case), cases)
            s.execute(insert(Item), items)
            s.execute(insert(KeyWrap), wraps)
            s.commit()
            print(f"   seeded {len(refs)}/{n}", end="\r", flush=True)
        print()
        return people["a1"].id, refs, team_b


def run(backend: str, n: int) -> None:
    header(f"move {n} cases to another team ({backend})")
    with instance(backend) as inst:
        mover_id, refs, team_b = _seed(inst, n)
        with inst.database.transaction() as s:
            mover = s.get(Staff, mover_id)
            assert mover is not None
            key = unlock_private_key(inst.settings, mover, PASSPHRASE)
        with inst.database.transaction() as s:
            started = time.perf_counter()
            opened = 0
            for start in range(0, n, PAGE):
                chunk = refs[start:start + PAGE]
                items = list(s.scalars(select(Item).join(Case, Case.id == Item.case_id)
                                       .where(Case.reference.in_(chunk))))
                opened += sum(v is not None for v in open_items(s, items, key,
                                                                staff_id=mover_id).values())
            read = time.perf_counter() - started
        assert opened == n, opened
        print(f"   plain read: {n} reports unwrapped and decrypted in {read:.2f} s "
              f"({n / read:.0f} cases/s)")
        with inst.database.transaction() as s:
            mover = s.get(Staff, mover_id)
            started = time.perf_counter()

            def progress(done: int, total: int) -> None:
                rate = done / (time.perf_counter() - started)
                print(f"   moved {done}/{total} ({rate:.0f} cases/s)", end="\r", flush=True)

            moved = need_to_know.move_cases(s, mover, key, refs, [team_b], progress=progress)
            move = time.perf_counter() - started
        print()
        assert moved == n, moved
        with inst.database.transaction() as s:
            team_a_wraps = s.scalar(select(func.count()).select_from(KeyWrap).join(
                Staff, Staff.id == KeyWrap.staff_id).where(Staff.username.in_(["a1", "a2", "a3"])))
            team_b_wraps = s.scalar(select(func.count()).select_from(KeyWrap).join(
                Staff, Staff.id == KeyWrap.staff_id).where(Staff.username.in_(["b1", "b2", "b3"])))
        assert team_a_wraps == 0 and team_b_wraps == 3 * n, (team_a_wraps, team_b_wraps)
        print(f"   move: {n} cases re-wrapped to 3 readers, 3 old wraps deleted each, audited, "
              f"in {move:.2f} s ({n / move:.0f} cases/s)")
        print(f"   ratio move / plain read: {ratio(move, read)}")
        print(f"   checked: team A holds {team_a_wraps} wraps, team B {team_b_wraps}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 cases (make bench)")
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    cases = 1_000 if args.quick else args.cases
    run("sqlite", cases)
    if args.pg:
        if pg_available():
            run("postgresql", cases)
        else:
            print("PostgreSQL not reachable: skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
