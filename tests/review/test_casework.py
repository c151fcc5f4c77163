"""Issue 16, the case page: notes that cannot be sent to the reporter, a reply previewed
exactly as it goes, the thread in its true order with paragraphs and files under their
message, one save for triage and labels, labels suggested from the reporter's answers."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from intake.crypto import decrypt_item, derive_receipt_keys, unwrap_data_key
from intake.models import AuditEvent, Case, CaseLabel, Item, KeyWrap
from intake.payloads import TextPayload
from intake.review.case_forms import SEND_CONFIRMED
from intake.services import site
from intake.services.binding import item_binding
from intake.services.reports import receipt_params
from tests.attachments.samples import post_multipart
from tests.public.helpers import open_receipt_page
from tests.review.test_triage import _case, _post, _setup
from tests.support.factories import csrf_token

HIDDEN_TEXT_RE = re.compile(r'<input type="hidden" name="text" value="([^"]*)">')
PREVIEW_RE = re.compile(r'<p class="reply-text" id="reply-preview">(.*?)</p>', re.S)
FORM_RE = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
CHECK_RE = re.compile(r'<div class="reply-check" id="reply-check" hidden>(.*?)</div>\n</div>',
                      re.S)


def _reporter_texts(database: Any, settings: Any, code: str,
                    reference: str | None = None) -> list[str]:
    """Every item the receipt code opens (of one case if given), decrypted as the
    reporter's key would."""
    out = []
    with database.transaction() as s:
        keys = derive_receipt_keys(code, site.receipt_salt(s), receipt_params(settings))
        query = select(Item, KeyWrap).join(KeyWrap).where(KeyWrap.for_reporter.is_(True))
        if reference is not None:
            query = query.join(Case, Case.id == Item.case_id).where(
                Case.reference == reference, Item.kind == "reply")
        for item, wrap in s.execute(query).all():
            key = unwrap_data_key(wrap.wrapped, keys.reply_private, item_binding(item))
            out.append(TextPayload.decode(
                decrypt_item(key, item_binding(item), item.ciphertext)).text)
    return out


def _followup(client: Any, code: str, text: str, files: list[tuple[str, bytes]]) -> Any:
    page = open_receipt_page(client, code).get_data(as_text=True)
    return post_multipart(client, "/receipt/followup",
                          {"code": code, "text": text, "csrf_token": csrf_token(page)}, files)


def test_the_note_button_can_never_send_to_the_reporter(public_client, review_client,
                                                        make_staff, login_as, database,
                                                        settings):
    code, ref, _ = _setup(public_client, review_client, make_staff, login_as)
    page = review_client.get(f"/cases/{ref}").get_data(as_text=True)
    forms = {action: body for action, body in FORM_RE.findall(page)}
    note_form = forms[f"/cases/{ref}/notes"]
    # The note form is its own form: its button posts only to /notes, with no reply field.
    assert 'id="note-text"' in note_form and 'name="confirm"' not in note_form
    assert "reply-text" not in note_form
    # No form on the case page sends what is typed: the reply box only previews. The one
    # send form sits in the check panel, hidden (and shown only by the in-page preview),
    # with no box to type in: its text is empty until the preview puts the checked text in.
    assert 'id="reply-text"' in forms[f"/cases/{ref}/replies/preview"]
    send_form = forms[f"/cases/{ref}/replies"]
    [panel] = CHECK_RE.findall(page)
    assert send_form in panel and "<textarea" not in send_form
    assert '<input type="hidden" name="text" value="" id="reply-check-carried">' in send_form
    assert 'class="send-button"' in send_form and 'class="send-button"' not in note_form
    assert page.count(f'value="{SEND_CONFIRMED}"') == 1  # only in that hidden panel
    assert "Only staff see this" in page and "The reporter will read this" in page
    # Someone who knows the code forges every reply field onto the note button's post.
    canary = "CALL-BAKYT-AT-THE-LEGAL-CLINIC"
    sent = _post(review_client, f"/cases/{ref}/notes", ref,
                 {"text": canary, "confirm": SEND_CONFIRMED, "kind": "reply"})
    assert sent.status_code == 303
    with database.transaction() as s:
        kinds = [i.kind for i in s.scalars(select(Item).where(Item.kind.in_(("note", "reply"))))]
    assert kinds == ["note"]
    assert _reporter_texts(database, settings, code) == []
    receipt = open_receipt_page(public_client, code).get_data(as_text=True)
    assert canary not in receipt
    shown = review_client.get(f"/cases/{ref}").get_data(as_text=True)
    assert "Internal note saved. Only staff can read it." in shown
    note_section = shown[shown.index('class="entry note"'):]
    assert canary in note_section[:note_section.index("</section>")]


def test_the_reply_preview_shows_exactly_the_text_sent(public_client, review_client,
                                                       make_staff, login_as, database,
                                                       settings):
    code, ref, _ = _setup(public_client, review_client, make_staff, login_as)
    typed = "  Dear reporter,\r\n\r\nwe read <b>your</b> report & will call.\r\n  — the team \n"
    preview = _post(review_client, f"/cases/{ref}/replies/preview", ref, {"text": typed})
    assert preview.status_code == 200
    body = preview.get_data(as_text=True)
    with database.transaction() as s:  # a preview sends and stores nothing
        assert s.scalars(select(Item).where(Item.kind == "reply")).all() == []
    shown = html.unescape(PREVIEW_RE.search(body).group(1))
    [carried] = {html.unescape(v) for v in HIDDEN_TEXT_RE.findall(body)}
    expected = "Dear reporter,\n\nwe read <b>your</b> report & will call.\n  — the team"
    assert shown == carried == expected
    assert "<b>your</b>" not in body  # escaped, shown as typed
    # A post to the send address without the explicit send choice only previews again.
    again = _post(review_client, f"/cases/{ref}/replies", ref, {"text": carried})
    assert again.status_code == 200 and PREVIEW_RE.search(again.get_data(as_text=True))
    # With the choice but text nobody was shown (storing would trim it): the preview again.
    for unseen in (typed, " " + carried, carried + "\u3000", "\x1c" + carried):
        forged = _post(review_client, f"/cases/{ref}/replies", ref,
                       {"text": unseen, "confirm": SEND_CONFIRMED})
        assert forged.status_code == 200, repr(unseen)
        assert html.unescape(PREVIEW_RE.search(forged.get_data(as_text=True)).group(1)) == \
            expected
    assert _reporter_texts(database, settings, code) == []
    # The browser sends the hidden field back with CRLF line breaks; what is stored is
    # still exactly what the preview showed.
    token = csrf_token(body)
    sent = review_client.post(f"/cases/{ref}/replies", data={
        "csrf_token": token, "text": carried.replace("\n", "\r\n"), "confirm": SEND_CONFIRMED})
    assert sent.status_code == 303
    assert _reporter_texts(database, settings, code) == [shown]
    assert "Reply sent." in review_client.get(f"/cases/{ref}").get_data(as_text=True)
    receipt = open_receipt_page(public_client, code).get_data(as_text=True)
    assert html.escape(shown, quote=False) in receipt


def test_change_the_reply_keeps_the_draft_and_sends_nothing(public_client, review_client,
                                                             make_staff, login_as, database):
    _, ref, _ = _setup(public_client, review_client, make_staff, login_as)
    back = _post(review_client, f"/cases/{ref}/replies/edit", ref, {"text": "draft one"})
    assert back.status_code == 200
    assert re.search(r'id="reply-text"[^>]*>draft one</textarea>', back.get_data(as_text=True))
    empty = _post(review_client, f"/cases/{ref}/replies/preview", ref, {"text": "   "})
    assert empty.status_code == 400
    with database.transaction() as s:
        assert s.scalars(select(Item).where(Item.kind == "reply")).all() == []


def test_thread_in_true_order_with_paragraphs_and_files_under_their_message(
        public_client, review_client, make_staff, login_as, database, monkeypatch):
    from datetime import UTC, datetime

    from intake.models import base as model_base
    # Everything in one hour: the rounded time cannot order it, only the sequence can.
    monkeypatch.setattr(model_base, "utcnow", lambda: datetime(2026, 3, 5, 10, 42, tzinfo=UTC))
    code, ref, _ = _setup(public_client, review_client, make_staff, login_as)
    assert _post(review_client, f"/cases/{ref}/notes", ref,
                 {"text": "NOTE-FIRST"}).status_code == 303
    assert _post(review_client, f"/cases/{ref}/replies", ref,
                 {"text": "REPLY-SECOND", "confirm": SEND_CONFIRMED}).status_code == 303
    testimony = "FOLLOWUP-THIRD line one\nline two\n\nsecond <paragraph>"
    assert _followup(public_client, code, testimony,
                     [("summons.txt", b"summons\n")]).status_code == 200
    with database.transaction() as s:
        seqs = {i.kind: i.seq for i in s.scalars(select(Item))}
    assert seqs == {"report": 1, "note": 2, "reply": 3, "followup": 4, "attachment": 5}
    page = review_client.get(f"/cases/{ref}").get_data(as_text=True)
    at = [page.index(m) for m in ("NOTE-FIRST", "REPLY-SECOND", "FOLLOWUP-THIRD")]
    assert at == sorted(at)
    assert ("<p>FOLLOWUP-THIRD line one<br>\nline two</p><p>second &lt;paragraph&gt;</p>"
            in page)
    followup = page[page.index('class="entry followup"'):]
    followup = followup[:followup.index("</section>")]
    assert "summons.txt" in followup


def test_sequence_is_per_case_so_it_orders_nothing_across_cases(public_client, review_client,
                                                                make_staff, login_as,
                                                                database):
    from tests.support.factories import submit_report
    _, ref, _ = _setup(public_client, review_client, make_staff, login_as)
    _post(review_client, f"/cases/{ref}/notes", ref, {"text": "staff action"})
    submit_report(public_client, what="a second case after the note")
    with database.transaction() as s:
        reports = s.scalars(select(Item.seq).where(Item.kind == "report")).all()
    assert reports == [1, 1]  # a new case starts at 1: it places nothing after the note


def test_one_save_sets_status_priority_assignee_and_labels(public_client, review_client,
                                                           make_staff, login_as, database):
    _, ref, staff = _setup(public_client, review_client, make_staff, login_as)
    page = review_client.get(f"/cases/{ref}").get_data(as_text=True)
    # Suggested from the reporter's answers (report_fields: surveillance, threats, unknown,
    # Naryn, March 2026), ticked for the reviewer to confirm.
    for box in ("label-act_type-surveillance", "label-act_type-threats",
                "label-perpetrator-unknown"):
        assert re.search(rf'id="{box}"[^>]* checked', page), box
    assert 'value="naryn" selected' in page and 'value="2026-Q1" selected' in page
    assert "Suggested from the reporter" in page
    form = set(re.findall(r"<option value=\"(\w+)\"", page[page.index("triage-status"):][:600]))
    assert "verified" in form  # new -> verified offered directly (verify_from_new)
    saved = _post(review_client, f"/cases/{ref}/save", ref, {
        "status": "verified", "priority": "high", "assignee": staff.id, "acknowledged": "1",
        "act_type": ["surveillance", "threats"], "perpetrator": ["unknown"],
        "target": ["defender"], "region": "naryn", "period": "2026-Q1"})
    assert saved.status_code == 303
    case = _case(database, ref)
    assert (case.status, case.priority, case.assignee_id) == ("verified", "high", staff.id)
    with database.transaction() as s:
        labels = {(lab.vocabulary, lab.code) for lab in s.scalars(select(CaseLabel))}
        actions = [e.action for e in s.scalars(select(AuditEvent))]
    assert labels == {("act_type", "surveillance"), ("act_type", "threats"),
                      ("perpetrator", "unknown"), ("target", "defender"),
                      ("region", "naryn"), ("period", "2026-Q1")}
    assert "case.triage" in actions and "case.labels" in actions
    after = review_client.get(f"/cases/{ref}").get_data(as_text=True)
    assert 'role="status">Saved.' in after and "Suggested from the reporter" not in after
    again = _post(review_client, f"/cases/{ref}/save", ref, {
        "status": "verified", "priority": "high", "assignee": staff.id,
        "act_type": ["surveillance", "threats"], "perpetrator": ["unknown"],
        "target": ["defender"], "region": "naryn", "period": "2026-Q1"})
    assert again.status_code == 303
    assert "Nothing was changed." in review_client.get(f"/cases/{ref}").get_data(as_text=True)


@pytest.mark.parametrize("bad", [{"status": "closed"}, {"act_type": ["not-a-code"]}])
def test_one_save_refuses_whole(public_client, review_client, make_staff, login_as, database,
                                bad):
    _, ref, _ = _setup(public_client, review_client, make_staff, login_as)
    fields = {"status": "in_review", "priority": "urgent", "act_type": ["threats"], **bad}
    assert _post(review_client, f"/cases/{ref}/save", ref, fields).status_code == 400
    case = _case(database, ref)
    assert (case.status, case.priority) == ("new", "normal")
    with database.transaction() as s:
        assert s.scalars(select(CaseLabel)).all() == []


def test_workflow_setting_can_require_review_before_verified(public_client, review_app,
                                                             review_client, make_staff,
                                                             login_as, database):
    from intake.web.app import settings_of
    app_settings = settings_of(review_app)
    review_app.extensions["intake_settings"] = app_settings.replace(verify_from_new=False)
    try:
        _, ref, _ = _setup(public_client, review_client, make_staff, login_as)
        refused = _post(review_client, f"/cases/{ref}/save", ref, {"status": "verified"})
        assert refused.status_code == 400
        assert _case(database, ref).status == "new"
    finally:
        review_app.extensions["intake_settings"] = app_settings


def test_the_case_page_alone_may_run_its_own_reply_check(public_client, review_client,
                                                         make_staff, login_as):
    """The in-page reply check is our own static file on the case page; the policy stays
    strict (script-src 'self', nothing inline) and every other page keeps no script-src."""
    from tests.hardening.test_headers import check_headers

    _, ref, _ = _setup(public_client, review_client, make_staff, login_as)
    page = review_client.get(f"/cases/{ref}")
    check_headers(page, "cases.case GET")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    inbox = review_client.get("/")
    check_headers(inbox, "cases.inbox GET")
    assert "script-src" not in inbox.headers["Content-Security-Policy"]
    script = review_client.get("/static/reply_check.js").get_data(as_text=True)
    assert "textContent" in script and "innerHTML" not in script
