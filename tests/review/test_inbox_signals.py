"""Issue 16, the inbox: new information from the reporter is marked (and filterable) until
the case is read; danger now, the number of files and why a row says "No access"."""

from __future__ import annotations

import re

from tests.attachments.samples import send_report
from tests.review.test_casework import _followup
from tests.review.test_inbox import REF_RE
from tests.support.factories import receipt_code


def _row(page: str, ref: str) -> str:
    start = page.index(f">{ref}<")  # a link, or plain text where the reader has no access
    return page[page.rindex("<tr", 0, start):page.index("</tr>", start)]


def test_new_information_is_marked_filterable_and_cleared_when_read(
        public_client, review_client, make_staff, login_as):
    reviewer = make_staff("reviewer")
    first = receipt_code(send_report(public_client, [], what="first").get_data(as_text=True))
    send_report(public_client, [], what="second")
    login_as(review_client, reviewer)
    refs = REF_RE.findall(review_client.get("/").get_data(as_text=True))
    assert len(refs) == 2
    assert "New information" not in review_client.get("/").get_data(as_text=True)
    assert _followup(public_client, first, "They came back.", []).status_code == 200
    inbox = review_client.get("/").get_data(as_text=True)
    marked = [ref for ref in refs if "New information" in _row(inbox, ref)]
    assert len(marked) == 1
    only = review_client.get("/?new_info=1").get_data(as_text=True)
    assert REF_RE.findall(only) == marked
    assert 'id="f-new-info" name="new_info" value="1" checked' in only
    review_client.get(f"/cases/{marked[0]}")  # reading the case clears the mark
    assert "New information" not in _row(review_client.get("/").get_data(as_text=True),
                                         marked[0])
    assert REF_RE.findall(review_client.get("/?new_info=1").get_data(as_text=True)) == []


def test_danger_files_and_no_row_without_access(public_client, review_client, make_staff,
                                                   login_as):
    reviewer = make_staff("reviewer")
    send_report(public_client, [("a.txt", b"a\n"), ("b.txt", b"b\n")], what="with files",
                danger_now="y")
    late = make_staff("reviewer")
    login_as(review_client, reviewer)
    [ref] = REF_RE.findall(review_client.get("/").get_data(as_text=True))
    row = _row(review_client.get("/").get_data(as_text=True), ref)
    assert "In danger now" in row
    assert re.search(r'<td class="num">2</td>', row)
    login_as(review_client, late)
    # Need to know: a reader without a wrap is not shown the case at all (no reference,
    # status, danger flag or position in the order).
    page = review_client.get("/").get_data(as_text=True)
    assert ref not in page and "In danger now" not in page
