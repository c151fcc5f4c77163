"""Inbox: urgent first, keyset pages without gaps or repeats, excerpts and no-access."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from intake.models import Case, Item, Staff, hour_floor, new_id
from intake.models.label import CaseLabel
from intake.payloads import ReportAnswers
from intake.services import inbox_filters
from intake.services.inbox_order import SORTS, ordered
from intake.services.keyring import current_recipients, seal_item

REF_RE = re.compile(r">([0-9A-Z]{4}-[0-9A-Z]{4})</a></td>")
NEXT_RE = re.compile(r'href="(/\?after=[^"]+)"')


def _cases(database, count, *, urgent=(), ack_due=None, what="x"):
    received = hour_floor()
    refs = []
    with database.transaction() as s:
        recipients = current_recipients(s)
        for n in range(count):
            case = Case(id=new_id(), reference=f"T{n:03d}-{secrets.token_hex(2).upper()}",
                        received_at=received, priority="urgent" if n in urgent else "normal",
                        lookup_id=secrets.token_bytes(32), reply_public_key=b"k",
                        ack_due=ack_due)
            s.add(case)
            item = Item(id=new_id(), case_id=case.id, kind="report", created_at=received)
            seal_item(s, item, ReportAnswers(what=f"{what} {n}").encode(), recipients)
            refs.append(case.reference)
    return refs


def test_pages_cover_every_case_once_with_urgent_first(review_client, make_staff, login_as,
                                                       database):
    reviewer = make_staff("reviewer")
    refs = _cases(database, 53, urgent={40})
    login_as(review_client, reviewer)
    seen, url = [], "/"
    while url:
        html = review_client.get(url.replace("&amp;", "&")).get_data(as_text=True)
        seen += REF_RE.findall(html)
        match = NEXT_RE.search(html)
        url = match.group(1) if match else ""
    assert sorted(seen) == sorted(refs)
    assert seen[0] == refs[40]
    first = review_client.get("/").get_data(as_text=True)
    assert len(REF_RE.findall(first)) == 50
    assert 'class="urgent' in first and "Urgent: person in danger now" in first


def test_excerpt_escaped_overdue_and_no_access(review_client, make_staff, login_as, database):
    reviewer = make_staff("reviewer")
    _cases(database, 1, ack_due=date.today() - timedelta(days=1), what="<script>x</script>")
    late = make_staff("reviewer")
    login_as(review_client, reviewer)
    html = review_client.get("/").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt; 0" in html and "<script>" not in html
    assert "Overdue" in html
    login_as(review_client, late)
    # Need to know: a case the reader holds no key for is not listed at all (not even its
    # status or overdue flag); tests/review/test_need_to_know.py has the attacks.
    later = review_client.get("/").get_data(as_text=True)
    assert "No cases." in later and "Overdue" not in later


def test_analyst_refused_and_bad_cursor_is_400(review_client, make_staff, login_as):
    reviewer = make_staff("reviewer")
    login_as(review_client, make_staff("analyst"))
    assert review_client.get("/").status_code == 403
    login_as(review_client, reviewer)
    assert review_client.get("/?after=nonsense").status_code == 400


def test_filters_by_priority_and_unassigned(review_client, make_staff, login_as, database):
    reviewer = make_staff("reviewer")
    refs = _cases(database, 3, urgent={1})
    login_as(review_client, reviewer)
    html = review_client.get("/?priority=urgent").get_data(as_text=True)
    assert REF_RE.findall(html) == [refs[1]]
    assert len(REF_RE.findall(review_client.get("/?assignee=unassigned").get_data(
        as_text=True))) == 3
    assert REF_RE.findall(review_client.get("/?assignee=me").get_data(as_text=True)) == []


PREV_RE = re.compile(r'href="(/\?before=[^"]+)"')
FIRST_LINK = ">First page</a>"


def _spread(database, specs):
    """Cases from dicts (hours_ago, urgent, ack, resp, labels); references in spec order."""
    now = hour_floor()
    refs = []
    with database.transaction() as s:
        recipients = current_recipients(s)
        for n, spec in enumerate(specs):
            when = now - timedelta(hours=spec.get("hours_ago", n))
            case = Case(id=new_id(), reference=f"S{n:03d}-{secrets.token_hex(2).upper()}",
                        received_at=when, priority="urgent" if spec.get("urgent") else "normal",
                        lookup_id=secrets.token_bytes(32), reply_public_key=b"k",
                        ack_due=spec.get("ack"), response_due=spec.get("resp"))
            s.add(case)
            for vocabulary, code in spec.get("labels", ()):
                s.add(CaseLabel(case=case, vocabulary=vocabulary, code=code))
            item = Item(id=new_id(), case_id=case.id, kind="report", created_at=when)
            seal_item(s, item, ReportAnswers(what=f"case {n}").encode(), recipients)
            refs.append(case.reference)
    return refs


def _get(client, url):
    return client.get(url.replace("&amp;", "&")).get_data(as_text=True)


def _walk_pages(client, url):
    """Follow "Next page" links to the end: the references of every page, in order."""
    pages = []
    while url:
        html = _get(client, url)
        pages.append((url, REF_RE.findall(html), html))
        match = NEXT_RE.search(html)
        url = match.group(1) if match else ""
    return pages


@pytest.mark.parametrize("few", [2000, 0], ids=["from-labels", "exists-walk"])
def test_filter_by_coded_label(review_client, make_staff, login_as, database, monkeypatch, few):
    monkeypatch.setattr(inbox_filters, "FEW_LABELLED", few)  # both query plans, same rows
    reviewer = make_staff("reviewer")
    refs = _spread(database, [{"labels": [("act_type", "surveillance"), ("region", "osh")]},
                              {"labels": [("region", "naryn")]},
                              {"labels": [("act_type", "surveillance")]},
                              {}])
    login_as(review_client, reviewer)
    html = _get(review_client, "/?label=act_type:surveillance")
    assert REF_RE.findall(html) == [refs[0], refs[2]]
    assert '<option value="act_type:surveillance" selected>' in html
    assert REF_RE.findall(_get(review_client, "/?label=region:naryn")) == [refs[1]]
    assert REF_RE.findall(_get(review_client, "/?label=region:naryn&priority=urgent")) == []
    for ignored in ("act_type:nope", "nonsense", "status:new", "act_type", ":"):
        assert REF_RE.findall(_get(review_client, "/?label=" + ignored)) == refs


def test_sort_by_due_date_urgent_first_undated_last(review_client, make_staff, login_as,
                                                    database):
    reviewer = make_staff("reviewer")
    day = date(2030, 1, 10)
    refs = _spread(database, [
        {"ack": day, "resp": day + timedelta(days=30)},
        {"ack": day - timedelta(days=3), "resp": day + timedelta(days=40)},
        {},  # no due dates: last
        {"ack": day - timedelta(days=3), "resp": day + timedelta(days=20)},
        {"urgent": True, "ack": day + timedelta(days=9), "resp": day + timedelta(days=30)},
        {"ack": day, "resp": None},  # half-dated data sorts with the undated
    ])
    login_as(review_client, reviewer)
    html = _get(review_client, "/?sort=due")
    assert REF_RE.findall(html) == [refs[4], refs[3], refs[1], refs[0], refs[2], refs[5]]
    assert '<option value="due" selected>' in html
    by_received = [refs[4]] + [refs[n] for n in (0, 1, 2, 3, 5)]
    assert REF_RE.findall(_get(review_client, "/")) == by_received
    assert REF_RE.findall(_get(review_client, "/?sort=bogus")) == by_received


def test_previous_and_next_round_trip(review_client, make_staff, login_as, database):
    reviewer = make_staff("reviewer")
    _spread(database, [{"urgent": n in (7, 77)} for n in range(130)])
    login_as(review_client, reviewer)
    pages = _walk_pages(review_client, "/")
    assert [len(refs) for _u, refs, _h in pages] == [50, 50, 30]
    first_html = pages[0][2]
    assert FIRST_LINK not in first_html and "Previous page" not in first_html
    for n in (2, 1):  # back from the last page, then from the second
        html = pages[n][2]
        assert FIRST_LINK in html
        back = _get(review_client, PREV_RE.search(html).group(1))
        assert REF_RE.findall(back) == pages[n - 1][1]
    back_to_first = _get(review_client, PREV_RE.search(pages[1][2]).group(1))
    assert FIRST_LINK not in back_to_first and "Previous page" not in back_to_first
    # Forward again from a page reached backwards lands on the same rows.
    middle = _get(review_client, PREV_RE.search(pages[2][2]).group(1))
    assert REF_RE.findall(_get(review_client, NEXT_RE.search(middle).group(1))) == pages[2][1]


def test_cursors_keep_filters_and_sort(review_client, make_staff, login_as, database):
    reviewer = make_staff("reviewer")
    day = date(2030, 1, 10)
    specs = [{"ack": day + timedelta(days=n % 9), "resp": day + timedelta(days=30 + n % 4),
              "labels": [("target", "lawyer")] if n % 2 else []} for n in range(140)]
    specs += [{"labels": [("target", "lawyer")]} for _ in range(5)]  # undated
    refs = _spread(database, specs)
    lawyers = {r for r, s in zip(refs, specs, strict=True) if s["labels"]}
    login_as(review_client, reviewer)
    pages = _walk_pages(review_client, "/?label=target:lawyer&sort=due")
    assert [len(p) for _u, p, _h in pages] == [50, 25]
    seen = [r for _u, p, _h in pages for r in p]
    assert set(seen) == lawyers and len(seen) == len(lawyers)
    assert seen[-5:] == [refs[n] for n in range(140, 145)]  # undated last, newest first
    next_url = pages[1][0]
    assert "label=target:lawyer" in next_url and "sort=due" in next_url
    prev_url = PREV_RE.search(pages[1][2]).group(1)
    assert "label=target:lawyer" in prev_url and "sort=due" in prev_url
    assert REF_RE.findall(_get(review_client, prev_url)) == pages[0][1]


def test_bad_cursors_are_friendly_400(review_client, make_staff, login_as, database):
    reviewer = make_staff("reviewer")
    _spread(database, [{} for _ in range(3)])
    login_as(review_client, reviewer)
    bad = ["?before=nonsense", "?after=1~2026-01-01T00:00:00~x",  # naive time
           "?after=1~2026-01-01T00:00:00%2B00:00~" + "x" * 37, "?after=9~2026-01-01~x",
           "?after=2~2030-01-01~2030-02-01~x",  # a due-sort cursor on the default sort
           "?sort=due&after=0~2030-01-01~x", "?after=~~", "?before=1~nope~x"]
    for query in bad:
        response = review_client.get("/" + query)
        assert response.status_code == 400, query
        assert "This page link is not valid" in response.get_data(as_text=True)


def test_received_time_in_the_staff_time_zone(review_client, make_staff, login_as, database):
    reviewer = make_staff("reviewer")
    with database.transaction() as s:
        s.get(Staff, reviewer.id).time_zone = "Asia/Bishkek"
    refs = _spread(database, [{}])
    with database.transaction() as s:
        case = s.scalar(select(Case).where(Case.reference == refs[0]))
        case.received_at = datetime(2026, 1, 5, 3, tzinfo=UTC)
    login_as(review_client, reviewer)
    html = _get(review_client, "/")
    assert "<td>Jan 5, 2026, 9:00\u202fAM +0600</td>" in html and "UTC" not in html


def test_page_costs_a_fixed_number_of_queries(review_client, make_staff, login_as, database):
    """Excerpts come from one items query and one wraps query, whatever the page size."""
    reviewer = make_staff("reviewer")
    login_as(review_client, reviewer)
    _get(review_client, "/")  # the once-a-minute session sweep happens on this request
    statements = []

    def count(*_args, **_kw):
        statements.append(1)

    counts = []
    for add, total in ((5, 5), (45, 50)):
        _spread(database, [{} for _ in range(add)])
        statements.clear()
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            assert len(REF_RE.findall(_get(review_client, "/"))) == total
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_sqlite_plans_walk_an_index_without_sorting(database, db_backend):
    """Each dated segment of each sort, from a cursor, is an index range: no temp sort."""
    if db_backend != "sqlite":
        return
    values = {"received_at": "2026-01-01 00:00:00.000000", "ack_due": "2026-01-01",
              "response_due": "2026-02-01", "id": "x"}
    checked = 0
    with database.engine.connect() as conn:
        for name, segments in SORTS.items():
            for seg in segments:
                for backward in (False, True):
                    start = tuple(values[k.key] for k in seg.keys)
                    compiled = ordered(select(Case), seg, start, backward).limit(51).compile(
                        dialect=conn.dialect)
                    params = tuple(compiled.params[k] for k in compiled.positiontup)
                    plan = " ".join(str(r) for r in conn.exec_driver_sql(
                        "EXPLAIN QUERY PLAN " + compiled.string, params).all())
                    assert "SCAN" not in plan and "INDEX ix_cases_" in plan, (name, plan)
                    if "IS NULL" not in compiled.string:  # undated: few rows, sorted
                        assert "TEMP B-TREE" not in plan, (name, backward, plan)
                    checked += 1
    assert checked == 12


def test_same_hour_order_is_stable_and_says_nothing_of_arrival(review_client, make_staff,
                                                               login_as, database):
    """Cases of one stored hour list by their random id: the same order on every load and
    page, whatever order they arrived (were inserted) in, so the list reveals no more of
    the arrival time than the stored hour does."""
    reviewer = make_staff("reviewer")
    ids = sorted(new_id() for _ in range(6))
    received = hour_floor()
    arrival = [ids[3], ids[0], ids[5], ids[1], ids[4], ids[2]]  # not the id order
    by_id = {}
    with database.transaction() as s:
        recipients = current_recipients(s)
        for n, case_id in enumerate(arrival):
            case = Case(id=case_id, reference=f"H{n:03d}-{secrets.token_hex(2).upper()}",
                        received_at=received, priority="normal",
                        lookup_id=secrets.token_bytes(32), reply_public_key=b"k")
            s.add(case)
            s.flush()
            item = Item(id=new_id(), case_id=case.id, kind="report", created_at=received)
            seal_item(s, item, ReportAnswers(what=f"same hour {n}").encode(), recipients)
            by_id[case_id] = case.reference
    login_as(review_client, reviewer)
    expected = [by_id[case_id] for case_id in sorted(ids, reverse=True)]
    assert REF_RE.findall(_get(review_client, "/")) == expected
    assert REF_RE.findall(_get(review_client, "/")) == expected  # stable across loads
    assert expected != [by_id[case_id] for case_id in reversed(arrival)]  # not arrival
    with database.transaction() as s:
        assert {c.received_at for c in s.scalars(select(Case))} == {received}
