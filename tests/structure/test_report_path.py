"""The report path stays lean: every statement on it is paid by every reporter, and the
receipt derivation must remain nearly all of a submission's cost (docs/performance.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from intake.models import Item, KeyWrap
from tests.support.factories import csrf_token, form_receipt_code, report_fields

# Three reads (site values, routing, recipients) and four inserts (case, report item, its
# wraps in one executemany, the content-free notification). No look-up before an insert:
# a repeat or a reference clash is settled by the unique constraints.
STATEMENTS_PER_REPORT = 7


def _statements_of_one_report(public_client: Any, database: Any) -> list[str]:
    page = public_client.get("/").get_data(as_text=True)
    data = {"receipt_code": form_receipt_code(page), "csrf_token": csrf_token(page),
            **report_fields()}
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        response = public_client.post("/", data=data, content_type="multipart/form-data")
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert response.status_code == 200 and 'class="receipt"' in response.get_data(as_text=True)
    return seen


def test_a_report_costs_three_reads_and_four_inserts(public_client, make_staff, database,
                                                     session):
    make_staff("reviewer")
    make_staff("reviewer")
    _statements_of_one_report(public_client, database)  # the first one creates the salt
    seen = _statements_of_one_report(public_client, database)
    assert seen.count("SELECT") == 3, seen
    assert seen.count("INSERT") == 4, seen
    assert len([s for s in seen if s in ("SELECT", "INSERT", "UPDATE", "DELETE")]) \
        == STATEMENTS_PER_REPORT, seen
    # The one executemany still wrote a wrap per reader: lean, not lossy.
    items = session.scalars(select(Item).where(Item.kind == "report")).all()
    assert [item.seq for item in items] == [1, 1]
    for item in items:
        wraps = session.scalars(select(KeyWrap).where(KeyWrap.item_id == item.id)).all()
        assert len(wraps) == 2 and all(w.staff_id for w in wraps)
