"""Triage on the case page: transitions, labels, encrypted notes and replies, roles."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from intake.crypto import decrypt_item, derive_receipt_keys, unwrap_data_key
from intake.models import AuditEvent, Case, CaseLabel, Item, KeyWrap
from intake.review.case_forms import SEND_CONFIRMED
from intake.services import site
from intake.services.binding import item_binding
from intake.services.reports import receipt_params
from tests.support.canary import files_under, hits, read_files
from tests.support.factories import csrf_token, receipt_code, submit_report


def _setup(public_client: Any, review_client: Any, make_staff: Any, login_as: Any,
           role: str = "reviewer") -> tuple[str, str, Any]:
    staff = make_staff(role)
    code = receipt_code(submit_report(public_client).get_data(as_text=True))
    login_as(review_client, staff)
    return code, _only_ref(review_client, make_staff, login_as, staff), staff


def _only_ref(review_client: Any, make_staff: Any, login_as: Any, staff: Any) -> str:
    from tests.review.test_inbox import REF_RE
    if staff.role == "analyst":
        helper = make_staff("reviewer")
        login_as(review_client, helper)
        ref = REF_RE.findall(review_client.get("/").get_data(as_text=True))[0]
        login_as(review_client, staff)
        return ref
    return REF_RE.findall(review_client.get("/").get_data(as_text=True))[0]


def _post(client: Any, url: str, ref: str, data: dict[str, Any]) -> Any:
    token = csrf_token(client.get(f"/cases/{ref}").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _case(database: Any, ref: str) -> Case:
    with database.transaction() as s:
        case = s.scalar(select(Case).where(Case.reference == ref))
        assert case is not None
        s.expunge(case)
        return case


def test_valid_and_invalid_transitions(public_client, review_client, make_staff, login_as,
                                       database):
    _, ref, staff = _setup(public_client, review_client, make_staff, login_as)
    bad = _post(review_client, f"/cases/{ref}/triage", ref,
                {"status": "closed", "priority": "urgent"})
    assert bad.status_code == 400
    assert "This status change is not allowed." in bad.get_data(as_text=True)
    case = _case(database, ref)
    assert (case.status, case.priority) == ("new", "normal")
    ok = _post(review_client, f"/cases/{ref}/triage", ref,
               {"status": "in_review", "priority": "high", "assignee": staff.id,
                "acknowledged": "1"})
    assert ok.status_code == 303
    case = _case(database, ref)
    assert (case.status, case.priority, case.assignee_id) == ("in_review", "high", staff.id)
    assert case.acknowledged_at is not None and case.closed_at is None
    for status in ("verified", "closed"):
        assert _post(review_client, f"/cases/{ref}/triage", ref,
                     {"status": status, "priority": "high",
                      "assignee": staff.id}).status_code == 303
    assert _case(database, ref).closed_at is not None
    with database.transaction() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "case.triage")
                           .order_by(AuditEvent.id)).all()
        assert events[0].target == ref
        first = events[0].detail if isinstance(events[0].detail, dict) else json.loads(
            events[0].detail)
        assert set(first["fields"]) == {"status", "priority", "assignee", "acknowledged"}


def test_labels_saved_and_unknown_refused(public_client, review_client, make_staff, login_as,
                                          database):
    _, ref, _ = _setup(public_client, review_client, make_staff, login_as)
    data = {"act_type": ["threats", "raid"], "perpetrator": ["police"], "region": "naryn",
            "period": "", "target": ["journalist"]}
    assert _post(review_client, f"/cases/{ref}/labels", ref, data).status_code == 303
    case = _case(database, ref)
    with database.transaction() as s:
        got = {(lbl.vocabulary, lbl.code) for lbl in
               s.scalars(select(CaseLabel).where(CaseLabel.case_id == case.id))}
    assert got == {("act_type", "threats"), ("act_type", "raid"), ("perpetrator", "police"),
                   ("region", "naryn"), ("target", "journalist")}
    bad = _post(review_client, f"/cases/{ref}/labels", ref, {"act_type": ["bogus"]})
    assert bad.status_code == 400 and "Unknown label code." in bad.get_data(as_text=True)
    with database.transaction() as s:
        assert len(s.scalars(select(CaseLabel).where(CaseLabel.case_id == case.id)).all()) == 5


def test_note_and_reply_encrypted_and_reporter_reads_reply(
        public_client, review_client, make_staff, login_as, database, settings):
    code, ref, _ = _setup(public_client, review_client, make_staff, login_as)
    note_canary, reply_canary = "NOTECANARY7731", "REPLYCANARY5517"
    assert _post(review_client, f"/cases/{ref}/notes", ref,
                 {"text": f"note {note_canary}"}).status_code == 303
    assert _post(review_client, f"/cases/{ref}/replies", ref,
                 {"text": f"reply {reply_canary}", "confirm": SEND_CONFIRMED}).status_code == 303
    page = review_client.get(f"/cases/{ref}").get_data(as_text=True)
    assert note_canary in page and reply_canary in page
    assert hits([note_canary, reply_canary],
                read_files(files_under(settings.data_dir))) == []
    with database.transaction() as s:
        keys = derive_receipt_keys(code, site.receipt_salt(s), receipt_params(settings))
        reply = s.scalar(select(Item).where(Item.kind == "reply"))
        assert reply is not None and reply.ciphertext is not None
        wrap = s.scalar(select(KeyWrap).where(KeyWrap.item_id == reply.id,
                                              KeyWrap.for_reporter.is_(True)))
        assert wrap is not None
        key = unwrap_data_key(wrap.wrapped, keys.reply_private, item_binding(reply))
        text = json.loads(decrypt_item(key, item_binding(reply), reply.ciphertext))["text"]
        assert text == f"reply {reply_canary}"
        note = s.scalar(select(Item).where(Item.kind == "note"))
        assert note is not None
        assert s.scalar(select(KeyWrap).where(KeyWrap.item_id == note.id,
                                              KeyWrap.for_reporter.is_(True))) is None
        case = s.scalar(select(Case).where(Case.reference == ref))
        assert case is not None and case.first_response_at is not None
        actions = [e.action for e in s.scalars(select(AuditEvent))]
        assert "case.note" in actions and "case.reply" in actions
        assert all(reply_canary not in str(e.detail) for e in s.scalars(select(AuditEvent)))
    token = csrf_token(public_client.get("/receipt").get_data(as_text=True))
    receipt = public_client.post("/receipt", data={"code": code, "csrf_token": token})
    body = receipt.get_data(as_text=True)
    assert reply_canary in body and note_canary not in body


def test_empty_note_keeps_page_and_analyst_refused(public_client, review_client, make_staff,
                                                   login_as, database):
    _, ref, _ = _setup(public_client, review_client, make_staff, login_as)
    long_text = "x" * 20001
    bad = _post(review_client, f"/cases/{ref}/replies", ref, {"text": long_text})
    assert bad.status_code == 400 and long_text in bad.get_data(as_text=True)
    login_as(review_client, make_staff("analyst"))
    token = csrf_token(review_client.get("/account").get_data(as_text=True))
    for path in ("triage", "labels", "notes", "replies"):
        assert review_client.post(f"/cases/{ref}/{path}",
                                  data={"text": "x", "csrf_token": token}).status_code == 403
    with database.transaction() as s:
        assert s.scalars(select(Item).where(Item.kind.in_(("note", "reply")))).all() == []


def test_forged_triage_and_label_bodies_are_refused_whole(public_client, review_client,
                                                          make_staff, login_as, database):
    """Someone who edits the page's HTML sends what they like: overlong codes, thousands of
    values, repeated single-choice fields. Each is a translated 400, nothing changes."""
    _, ref, _staff = _setup(public_client, review_client, make_staff, login_as)
    forged = [
        (f"/cases/{ref}/triage", {"status": "in_review" + "x" * 5000}),
        (f"/cases/{ref}/triage", {"assignee": "a" * 10_000}),
        (f"/cases/{ref}/labels", {"act_type": ["raid"] * 3 + ["x" * 40]}),
        (f"/cases/{ref}/labels", {"act_type": [f"code{n}" for n in range(5000)]}),
        (f"/cases/{ref}/labels", {"region": "n" * 100}),
    ]
    for url, data in forged:
        response = _post(review_client, url, ref, data)
        assert response.status_code == 400, (url, response.status_code)
    case = _case(database, ref)
    assert (case.status, case.assignee_id) == ("new", None)
    with database.transaction() as s:
        assert s.scalars(select(CaseLabel).where(CaseLabel.case_id == case.id)).all() == []


def test_labels_form_takes_every_vocabulary(public_client, review_client, make_staff,
                                            login_as, database):
    _, ref, _staff = _setup(public_client, review_client, make_staff, login_as)
    response = _post(review_client, f"/cases/{ref}/labels", ref,
                     {"act_type": ["raid", "threats"], "perpetrator": "police",
                      "target": "lawyer", "region": "naryn", "period": ""})
    assert response.status_code == 303
    case = _case(database, ref)
    with database.transaction() as s:
        found = {(label.vocabulary, label.code) for label in s.scalars(
            select(CaseLabel).where(CaseLabel.case_id == case.id))}
    assert found == {("act_type", "raid"), ("act_type", "threats"),
                     ("perpetrator", "police"), ("target", "lawyer"), ("region", "naryn")}


def test_reviewer_records_a_withdrawal_of_consent(public_client, review_client, make_staff,
                                                  login_as, database):
    """The reporter asked not to be counted: one audited click takes the case out of every
    count, and the page says so."""
    from intake.models import StatsCount

    _, ref, _staff = _setup(public_client, review_client, make_staff, login_as)
    assert _post(review_client, f"/cases/{ref}/labels", ref,
                 {"act_type": "raid", "region": "naryn", "period": "2025-Q1"}).status_code == 303
    assert _post(review_client, f"/cases/{ref}/triage", ref,
                 {"status": "in_review"}).status_code == 303
    assert _post(review_client, f"/cases/{ref}/triage", ref,
                 {"status": "verified"}).status_code == 303
    with database.transaction() as s:
        assert sum(row.n for row in s.scalars(select(StatsCount))) > 0
    page = review_client.get(f"/cases/{ref}").get_data(as_text=True)
    assert "Record that the reporter withdrew consent" in page
    assert _post(review_client, f"/cases/{ref}/consent-withdrawn", ref, {}).status_code == 303
    assert _case(database, ref).consent_stats is False
    with database.transaction() as s:
        assert sum(row.n for row in s.scalars(select(StatsCount))) == 0
        actions = list(s.scalars(select(AuditEvent.action)))
    assert "case.consent_withdrawn" in actions
    page = review_client.get(f"/cases/{ref}").get_data(as_text=True)
    assert "Record that the reporter withdrew consent" not in page
    assert "Not counted in statistics" in page
