"""Attack (review finding 6): someone with the data directory and the database wants the
exact time of a submission, which the design keeps only to the hour.

Two routes did work: the blob files' modification times (to the microsecond; the database
maps blob names to cases), and counters — key wraps and pending notifications were
numbered in one sequence with staff actions (replies, grants) that the audit log times to
the second, and SQLite numbers every row (rowid) even where the id is random.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from intake.attachments import blobs
from intake.models import Case, Item, KeyWrap, PendingNotification
from intake.models import base as model_base
from intake.review.case_forms import SEND_CONFIRMED
from tests.attachments.samples import jpeg_with_gps, post_multipart, send_report
from tests.public.helpers import open_receipt_page
from tests.review.test_triage import _post
from tests.support.factories import csrf_token, receipt_code

HOUR = 3600 * 10**9
MOMENTS = [datetime(2026, 3, 4, 10, 17, 23, 456789, tzinfo=UTC),
           datetime(2026, 3, 4, 10, 48, 5, 1, tzinfo=UTC),
           datetime(2026, 3, 4, 11, 2, 59, 999999, tzinfo=UTC)]
STAFF_KINDS = ("reply", "note")


def _at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """The clock the app stores reporter times from (hour_floor reads it) says `moment`."""
    monkeypatch.setattr(model_base, "utcnow", lambda: moment)


def _hour_ns(moment: datetime) -> int:
    return int(moment.replace(minute=0, second=0, microsecond=0).timestamp()) * 10**9


def _blob_names(database: Any) -> dict[str, str]:
    """What the attacker joins: blob file name → case id."""
    with database.transaction() as s:
        return {name: case for name, case in s.execute(
            select(Item.blob_name, Item.case_id).where(Item.blob_name.is_not(None)))}


def test_blob_files_carry_only_the_hour(public_client: Any, database: Any, settings: Any,
                                        make_staff: Any,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    make_staff("reviewer")
    blob_dir: Path = settings.blob_dir
    files = [("photo.jpg", jpeg_with_gps()), ("notes.txt", b"what I saw\n")]
    seen: set[str] = set()
    expected: dict[str, int] = {}
    started = time.time()
    # 10:17 keeps the original (the cleaner reads it back: atime), 10:48 gets a cleaned copy
    # (the original is deleted: a folder change), 11:02 is a follow-up with a file.
    _at(monkeypatch, MOMENTS[0])
    response = send_report(public_client, files, metadata="keep")
    code = receipt_code(response.get_data(as_text=True))
    _at(monkeypatch, MOMENTS[1])
    assert send_report(public_client, files).status_code == 200
    _at(monkeypatch, MOMENTS[2])
    page = open_receipt_page(public_client, code).get_data(as_text=True)
    assert post_multipart(public_client, "/receipt/followup",
                          {"code": code, "text": "more", "csrf_token": csrf_token(page)},
                          [("later.txt", b"later\n")]).status_code == 200
    finished = time.time()

    with database.transaction() as s:
        rows = s.execute(select(Item.blob_name, Item.created_at)
                         .where(Item.blob_name.is_not(None))).all()
    for name, created in rows:
        expected[name] = _hour_ns(created)
        seen.add(name)
    assert len(seen) == 5 and set(expected.values()) == {_hour_ns(MOMENTS[0]),
                                                          _hour_ns(MOMENTS[2])}
    for name in seen:
        st = (blob_dir / name).stat()
        # The attacker reads the hour the case's row already shows, nothing finer.
        assert st.st_mtime_ns == st.st_atime_ns == expected[name], name
    folder = blob_dir.stat()
    assert folder.st_mtime_ns % HOUR == 0 and folder.st_atime_ns % HOUR == 0
    assert sorted(p.name for p in blob_dir.iterdir()) == sorted(seen)  # nothing left over
    # The data directory changed once, when the first file ever made the blob folder: that
    # time is set to the hour too. The database's own files stay open while the app runs.
    data_dir_mtime = settings.data_dir.stat().st_mtime
    assert not started <= data_dir_mtime <= finished or data_dir_mtime % 3600 == 0

    # What no process can set is the inode change time: it shows the last change. The
    # hourly `intake blob-times` run makes that the run, not the arrival of the file.
    time.sleep(0.05)
    run = time.time()
    assert blobs.coarsen_all(blob_dir) == 5
    for name in seen:
        st = (blob_dir / name).stat()
        assert st.st_ctime >= run - 0.01
        assert st.st_mtime_ns == expected[name]


def test_rejected_upload_leaves_no_exact_folder_time(public_client: Any, settings: Any,
                                                     make_staff: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    make_staff("reviewer")
    _at(monkeypatch, MOMENTS[0])
    # A JPEG name over text: refused after the blob was written, so the blob is deleted.
    response = send_report(public_client, [("photo.jpg", b"not a jpeg at all" * 100)])
    assert response.status_code == 400
    assert list(settings.blob_dir.iterdir()) == []
    assert settings.blob_dir.stat().st_mtime_ns == _hour_ns(MOMENTS[0])


def _new_items(database: Any, known: set[str]) -> list[str]:
    with database.transaction() as s:
        fresh = [i for i in s.scalars(select(Item.id)) if i not in known]
    known.update(fresh)
    return fresh


def test_reporter_rows_cannot_be_ordered_between_staff_actions(
        public_client: Any, review_client: Any, database: Any, make_staff: Any,
        login_as: Any, db_backend: str) -> None:
    reviewer = make_staff("reviewer")
    make_staff("admin")
    assert send_report(public_client, [], what="first case").status_code == 200
    with database.transaction() as s:
        ref = s.scalars(select(Case.reference)).one()
    login_as(review_client, reviewer)
    known: set[str] = set()
    truth = _new_items(database, known)  # true insertion order of every item
    for n in range(5):
        # An audited staff action (timed to the second in the audit log) ...
        assert _post(review_client, f"/cases/{ref}/replies", ref,
                     {"text": f"reply {n}", "confirm": SEND_CONFIRMED}).status_code == 303
        truth += _new_items(database, known)
        # ... then a report, which the attacker wants to place between two of them.
        assert send_report(public_client, [("f.txt", b"x")], what=f"report {n}").status_code \
            == 200
        truth += _new_items(database, known)
    with database.transaction() as s:
        kinds = dict(s.execute(select(Item.id, Item.kind)).all())
        wraps = s.execute(select(KeyWrap.id, KeyWrap.item_id)).all()
        pending = list(s.scalars(select(PendingNotification.id)))
    assert {kinds[i] for i in truth} == {"report", "attachment", "reply"}

    # Every id a reporter's action creates is random, never a counter.
    for row_id in [w for w, _ in wraps] + pending:
        assert uuid.UUID(row_id).version == 4
    assert len(pending) == 6

    def order_seen(item_ids: list[str]) -> list[str]:
        out: list[str] = []
        for item_id in item_ids:
            if item_id not in out:
                out.append(item_id)
        return out

    # Sorting the wraps by id used to give the insertion order of the items exactly.
    by_wrap_id = order_seen([item for _, item in sorted(wraps)])
    assert by_wrap_id != truth
    assert [kinds[i] in STAFF_KINDS for i in by_wrap_id] != [kinds[i] in STAFF_KINDS
                                                             for i in truth]
    if db_backend != "sqlite":
        return
    # SQLite's hidden row numbers: gone from wraps and notifications, random elsewhere.
    with database.transaction() as s:
        for table in ("key_wraps", "pending_notifications"):
            with pytest.raises(OperationalError):
                s.connection().execute(text(f"SELECT rowid FROM {table}")).all()
            s.rollback()
        by_rowid = list(s.scalars(text("SELECT id FROM items ORDER BY rowid")))
        case_rowids = list(s.scalars(text("SELECT rowid FROM cases")))
    assert sorted(by_rowid) == sorted(truth) and by_rowid != truth
    assert max(abs(r) for r in case_rowids) > 2**40  # random 64-bit, not 1, 2, 3 …
    assert os.path.exists(database.engine.url.database)
