"""Inbox benchmark: first page and a deep page at N cases vs a 10-case inbox (median of 7)."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import insert

from intake import migrate
from intake.crypto import encrypt_item, new_data_key, wrap_data_key
from intake.db import Database
from intake.models import Case, Item, KeyWrap, Staff
from intake.services.staff import create_staff
from intake.settings import load_settings

PASS = "correct horse battery staple"


def instance(tmp: str, n: int):  # type: ignore[no-untyped-def]
    data = os.path.join(tmp, f"d{n}")
    os.makedirs(data, exist_ok=True)
    st = load_settings(environ={}, data_dir=data, database_url=f"sqlite:///{data}/intake.db",
                       public_secret_key="b-public-" + "p" * 40,
                       review_secret_key="b-review-" + "r" * 40,
                       rate_limit_secret="b-ratelimit-" + "l" * 40,
                       staff_kdf_time_cost=1, staff_kdf_memory_kib=1024,
                       staff_kdf_parallelism=1, rate_limit_login="10000/hour")
    db = Database(st)
    migrate.upgrade(st.database_url, engine=db.engine)
    with db.transaction() as s:
        staff, _ = create_staff(s, st, "reviewer1", "reviewer", PASS)
        sid, pub = staff.id, staff.public_key
    base = datetime(2020, 1, 1, tzinfo=UTC)
    order = []
    for start in range(0, n, 2000):
        cases, items, wraps = [], [], []
        for i in range(start, min(n, start + 2000)):
            cid, iid = str(uuid.uuid4()), str(uuid.uuid4())
            when = base + timedelta(hours=(i * 7919) % (6 * 8760))
            cases.append(dict(id=cid, reference=secrets.token_hex(8), received_at=when,
                              status="new", priority="urgent" if i % 500 == 0 else "normal",
                              lookup_id=secrets.token_bytes(32), reply_public_key=b"x" * 32,
                              consent_stats=False, unread_followup=False))
            key = new_data_key()
            body = json.dumps({"what": f"Report {i}: two men followed me home."}).encode()
            items.append(dict(id=iid, case_id=cid, kind="report", created_at=when,
                              format_version=1,
                              ciphertext=encrypt_item(key, iid, "report", body)))
            wraps.append(dict(item_id=iid, staff_id=sid, for_reporter=False,
                              wrapped=wrap_data_key(key, pub, iid)))
            order.append((when, cid, cases[-1]["priority"]))
        with db.transaction() as s:
            s.execute(insert(Case), cases)
            s.execute(insert(Item), items)
            s.execute(insert(KeyWrap), wraps)
    return st, db, sid, order


def login(app, db, st, sid, client):  # type: ignore[no-untyped-def]
    from flask import session as flask_session

    from intake.models import StaffSession
    from intake.review.access import store_cookie_half
    from intake.services.reading import unlock_private_key
    from intake.services.sessions import _id_hash, mark_second_factor, start_session

    with db.transaction() as s:
        staff = s.get(Staff, sid)
        half = start_session(s, staff, unlock_private_key(st, staff, PASS))
        s.flush()
        mark_second_factor(s, s.get(StaffSession, _id_hash(half.session_id)))
    with app.test_request_context():
        store_cookie_half(half)
        values = dict(flask_session)
    with client.session_transaction() as sess:
        sess.clear()
        sess.update(values)
        sess.permanent = True


def timed(client, url: str) -> float:  # type: ignore[no-untyped-def]
    out = []
    for k in range(9):
        t = time.perf_counter()
        r = client.get(url)
        dt = time.perf_counter() - t
        assert r.status_code == 200 and "Report" in r.get_data(as_text=True), r.status_code
        if k >= 2:
            out.append(dt * 1000)
    return statistics.median(out)


def client_for(st, db, sid):  # type: ignore[no-untyped-def]
    from intake.review import create_app

    app = create_app(st, db)
    app.config["TESTING"] = True
    c = app.test_client()
    login(app, db, st, sid, c)
    return c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100000)
    n = ap.parse_args().cases
    print(f"machine: nproc={os.cpu_count()} date={datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
          f"load={os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        big = instance(tmp, n)
        print(f"built {n} cases in {time.perf_counter() - t:.1f} s")
        small = instance(tmp, 10)
        cb, cs = client_for(*big[:3]), client_for(*small[:3])
        seg = sorted(((0 if p == "urgent" else 1, w, c) for w, c, p in big[3]),
                     key=lambda r: (r[0], -r[1].timestamp(), r[2]), reverse=False)
        # order within a segment: received_at desc, id desc
        seg.sort(key=lambda r: (r[0], r[1], r[2]))
        rows = sorted(seg, key=lambda r: r[0])
        ordered = [r for s in (0, 1) for r in sorted((x for x in rows if x[0] == s),
                                                     key=lambda x: (x[1], x[2]), reverse=True)]
        s0, w, cid = ordered[min(len(ordered) - 60, len(ordered) // 2)]
        cursor = f"{s0}~{w.isoformat()}~{cid}"
        first, deep, ten = timed(cb, "/"), timed(cb, "/?after=" + quote(cursor)), timed(cs, "/")
        print(f"median ms: first={first:.1f} deep={deep:.1f} ten={ten:.1f}")
        print(f"ratios: first/ten={first / ten:.2f} deep/ten={deep / ten:.2f} "
              f"(target <= 2); first page {'<' if first < 300 else '>='} 300 ms target")
        big[1].dispose()
        small[1].dispose()


if __name__ == "__main__":
    main()
