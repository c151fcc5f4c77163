"""The whole conversation in a real browser (issues 3 and 4).

A report goes in through the public form; a reviewer signs in for real (passphrase and a
TOTP code), finds it in the inbox, reads it, labels it, writes a note and a reply, and
signs out. The reporter then comes back with the receipt code, reads the reply and answers
with more text and a photo carrying GPS data; the reviewer sees both and downloads the
photo, cleaned, after confirming it will be opened offline. No page asks for anything
outside the two apps.
"""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.attachments.samples import gps_of
from tests.browser.conftest import LiveServer, enrolled_staff
from tests.browser.support import (
    add_note,
    fill_report,
    jpeg_file,
    open_case_from_inbox,
    open_receipt,
    origin,
    record_requests,
    save_labels,
    screenshot,
    send_followup,
    send_reply,
    send_report,
    sign_in,
    sign_out,
)
from tests.support.factories import StaffHandle


@pytest.fixture(scope="module")
def flow_reviewer(live_settings: Any, live_database: Any, reviewer: StaffHandle) -> StaffHandle:
    """Only this test types this person's TOTP codes, so no other test spends its time step."""
    return enrolled_staff(live_settings, live_database, "flow-reviewer", "reviewer",
                          "flow reviewer correct horse battery")


def _only_own_origin(seen: list[str], live: LiveServer) -> None:
    assert seen, "nothing was recorded"
    assert [url for url in seen if origin(url) != live.url] == []


def test_report_review_reply_and_follow_up_with_a_photo(live_public, live_review, new_page,
                                                        flow_reviewer, signed_in):
    canary = f"FLOW-{secrets.token_hex(6)}: two cars outside the office all night"
    note = f"NOTE-{secrets.token_hex(4)}: check with the lawyer first"
    reply = f"REPLY-{secrets.token_hex(4)}: we have read your report and will call"
    more = f"MORE-{secrets.token_hex(4)}: the cars came back this morning"
    period = f"{datetime.now(UTC).year}-Q1"

    # The reporter sends a report through the public form.
    reporter = new_page(js=True)
    reporter_seen = record_requests(reporter)
    reporter.goto(live_public.url + "/")
    fill_report(reporter, canary)
    code = send_report(reporter)

    # Issue 3: the reviewer signs in for real and triages the case.
    staff = new_page(js=True)
    staff_seen = record_requests(staff)
    sign_in(staff, live_review.url, flow_reviewer)
    reference = open_case_from_inbox(staff, live_review.url, canary)
    assert staff.url.endswith(f"/cases/{reference}")
    assert canary in (staff.text_content("dl.report") or "")
    save_labels(staff, {"act_type": ["surveillance"], "perpetrator": ["unknown"],
                        "target": ["defender"]}, {"region": "naryn", "period": period})
    for box in ("#label-act_type-surveillance", "#label-perpetrator-unknown",
                "#label-target-defender"):
        assert staff.is_checked(box), box
    assert staff.input_value("#label-region") == "naryn"
    assert staff.input_value("#label-period") == period
    add_note(staff, note)
    assert note in (staff.text_content("section.entry.note") or "")
    assert "Internal note" in (staff.text_content("section.entry.note h2") or "")
    send_reply(staff, reply)
    assert reply in (staff.text_content("section.entry.reply") or "")
    assert note in (staff.text_content("main") or "")  # both stay on the case page
    screenshot(staff, "review-case")
    staff.goto(live_review.url + "/?lang=en")
    screenshot(staff, "review-inbox")
    sign_out(staff)
    assert staff.url.startswith(live_review.url + "/login")
    staff.goto(live_review.url + "/")
    assert staff.url.startswith(live_review.url + "/login")  # the session is gone

    # Issue 4: the reporter reads the reply and answers with more text and a photo.
    open_receipt(reporter, live_public.url, code)
    assert reply in (reporter.text_content("ol.replies") or "")
    assert reporter.is_checked("input[name=metadata][value=remove]")  # the default
    send_followup(reporter, more, [jpeg_file("IMG_0042.jpg")])
    notes = reporter.text_content(".file-notes") or ""
    assert "IMG_0042.jpg" in notes and "location and device data removed" in notes

    # The reviewer, signed in again, sees the follow-up and downloads the photo.
    again = new_page(js=True)
    again_seen = record_requests(again)
    signed_in(again, flow_reviewer)
    again.goto(f"{live_review.url}/cases/{reference}?lang=en")
    assert more in (again.text_content("section.entry.followup") or "")
    assert "More information from the reporter" in (
        again.text_content("section.entry.followup h2") or "")
    listed = again.locator("section.entry.followup ul.files li", has_text="IMG_0042.jpg")
    assert listed.count() == 1
    listed.get_by_role("link", name="Download as stored").click()
    again.get_by_label("I will open this file only on a computer that is not connected "
                       "to any network.").check()  # issue 18: the original only after this
    with again.expect_download() as info:
        again.get_by_role("button", name="Download the original").click()
    download = info.value
    assert "IMG_0042" not in download.suggested_filename  # a generated name
    data = Path(download.path()).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
    assert gps_of(data) == {}
    headers = again.context.request.post(again.url, form={
        "csrf_token": again.input_value("input[name=csrf_token]"), "offline": "y"}).headers
    assert headers["content-disposition"].startswith("attachment;")
    assert headers["x-content-type-options"] == "nosniff"

    _only_own_origin(reporter_seen, live_public)
    _only_own_origin(staff_seen + again_seen, live_review)
