"""Inbox: urgent first, keyset pages without gaps or repeats, excerpts and no-access."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from intake.models import Case, Item, hour_floor, new_id
from intake.services.keyring import current_recipients, seal_item
from intake.services.reports import ReportAnswers

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
            seal_item(s, item, ReportAnswers(what=f"{what} {n}").to_bytes(), recipients)
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
    assert "No access" in review_client.get("/").get_data(as_text=True)


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
