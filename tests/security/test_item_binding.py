"""Attack (review finding 11): with write access to the database, move an item of case A
under case B (or under another parent) and show case B to its reviewer.

Before format 2 the envelope was bound to the item id and kind only, so case B's page
showed case A's report, follow-up, reply, note or file as B's. Now the case and parent are
in the AEAD associated data and the HPKE info: the moved item does not open, and the case
page, the download and the offline decryption all refuse, plainly, showing nothing of A.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from intake.cli import main
from intake.crypto import (
    FORMAT_VERSION,
    UNBOUND_VERSION,
    export_private_pem,
    load_public,
    new_data_key,
)
from intake.crypto.binding import wrap_info
from intake.crypto.envelope import SUITE, _encrypt_item_with_nonce
from intake.models import AuditEvent, Case, Item, KeyWrap, Staff, hour_floor, new_id
from intake.payloads import TextPayload
from intake.review.case_forms import SEND_CONFIRMED
from intake.services import grants
from intake.services.binding import item_binding
from intake.services.credentials import unlock_private_key
from tests.attachments.samples import post_multipart, send_report
from tests.public.helpers import open_receipt_page
from tests.review.test_triage import _post
from tests.support.factories import csrf_token, receipt_code, submit_report
from tests.support.files import download_original

A = {  # what case A's reporter and staff wrote; none of it may ever show under case B
    "report": "CANARY-A-REPORT police took my laptop",
    "followup": "CANARY-A-FOLLOWUP they came back at night",
    "reply": "CANARY-A-REPLY we will call your lawyer",
    "note": "CANARY-A-NOTE reporter is the office manager",
    "attachment": "CANARY-A-FILE-summons.txt",
}
INTEGRITY = "failed its integrity check"


@pytest.fixture
def two_cases(public_client: Any, review_client: Any, make_staff: Any, login_as: Any,
              database: Any, recovery_key: Any) -> dict[str, Any]:
    """Case A with one item of every kind (through the real forms), case B with a report."""
    reviewer = make_staff("reviewer")
    response = send_report(public_client, [(A["attachment"], b"summons text\n")],
                           what=A["report"])
    code = receipt_code(response.get_data(as_text=True))
    page = open_receipt_page(public_client, code).get_data(as_text=True)
    assert post_multipart(public_client, "/receipt/followup",
                          {"code": code, "text": A["followup"], "csrf_token": csrf_token(page)},
                          []).status_code == 200
    with database.transaction() as s:
        case_a = s.scalars(select(Case)).one()
        ref_a, id_a = case_a.reference, case_a.id
    login_as(review_client, reviewer)
    assert _post(review_client, f"/cases/{ref_a}/replies", ref_a,
                 {"text": A["reply"], "confirm": SEND_CONFIRMED}).status_code == 303
    assert _post(review_client, f"/cases/{ref_a}/notes", ref_a,
                 {"text": A["note"]}).status_code == 303
    assert submit_report(public_client, what="case B: my car was followed").status_code == 200
    with database.transaction() as s:
        case_b = s.scalars(select(Case).where(Case.id != id_a)).one()
        items = {i.kind: (i.id, i.parent_id) for i in s.scalars(
            select(Item).where(Item.case_id == id_a))}
        b_report = s.scalars(select(Item.id).where(Item.case_id == case_b.id)).one()
        ref_b, id_b = case_b.reference, case_b.id
    assert set(items) == set(A)
    return {"reviewer": reviewer, "recovery": recovery_key, "a": (ref_a, id_a),
            "b": (ref_b, id_b), "items": items, "b_report": b_report}


def _move(database: Any, item_id: str, case_id: str, parent_id: str | None) -> None:
    """What the attacker does: plain SQL on the seized or compromised database."""
    with database.transaction() as s:
        s.execute(text("UPDATE items SET case_id = :c, parent_id = :p WHERE id = :i"),
                  {"c": case_id, "p": parent_id, "i": item_id})


def _refused_without_a(response: Any) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:500]
    assert INTEGRITY in html
    assert not [c for c in A.values() if c in html]
    return html


@pytest.mark.parametrize("kind", ["report", "followup", "reply", "note", "attachment"])
def test_item_moved_to_another_case_is_refused_there(two_cases: Any, review_client: Any,
                                                     database: Any, kind: str) -> None:
    ref_a, id_a = two_cases["a"]
    ref_b, id_b = two_cases["b"]
    item_id, parent = two_cases["items"][kind]
    assert A[kind] in review_client.get(f"/cases/{ref_a}").get_data(as_text=True)
    # An attachment goes with a plausible parent in B (B's report); other kinds keep none.
    _move(database, item_id, id_b, two_cases["b_report"] if parent else None)

    _refused_without_a(review_client.get(f"/cases/{ref_b}"))
    if kind == "report":  # the inbox excerpt of B must not become A's report either
        assert A["report"] not in review_client.get("/").get_data(as_text=True)
    if kind == "attachment":
        _refused_without_a(download_original(review_client, item_id))
    with database.transaction() as s:
        failures = s.scalars(select(AuditEvent.target).where(
            AuditEvent.action == "case.integrity_failure")).all()
    assert failures == [ref_b]

    _move(database, item_id, id_a, parent)  # put back: it opens again where it belongs
    assert A[kind] in review_client.get(f"/cases/{ref_a}").get_data(as_text=True)
    assert review_client.get(f"/cases/{ref_b}").status_code == 200


def test_attachment_moved_to_another_parent_in_the_same_case_is_refused(
        two_cases: Any, review_client: Any, database: Any) -> None:
    ref_a, id_a = two_cases["a"]
    item_id, _report = two_cases["items"]["attachment"]
    followup_id, _none = two_cases["items"]["followup"]
    _move(database, item_id, id_a, followup_id)
    _refused_without_a(review_client.get(f"/cases/{ref_a}"))
    _refused_without_a(download_original(review_client, item_id))


def test_followup_given_a_parent_is_refused(two_cases: Any, review_client: Any,
                                            database: Any) -> None:
    ref_a, id_a = two_cases["a"]
    followup_id, _none = two_cases["items"]["followup"]
    report_id, _none = two_cases["items"]["report"]
    _move(database, followup_id, id_a, report_id)
    _refused_without_a(review_client.get(f"/cases/{ref_a}"))


def test_offline_decryption_refuses_a_moved_item(two_cases: Any, database: Any,
                                                 settings: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("INTAKE_CONFIG", raising=False)
    key_file = tmp_path / "recovery.key"
    key_file.write_text(export_private_pem(two_cases["recovery"].private_key))
    ref_b, id_b = two_cases["b"]
    _move(database, two_cases["items"]["report"][0], id_b, None)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["decrypt", "--key", str(key_file), "--case", ref_b,
                                       "--out", str(out)])
    assert result.exit_code != 0
    written = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"CANARY-A" not in written and "CANARY-A" not in result.output


def test_format_1_items_stay_readable(two_cases: Any, review_client: Any,
                                      database: Any) -> None:
    """Existing data: an item sealed before format 2 (bound to id and kind only) still opens
    where it is, with its format-1 wraps; new items are format 2."""
    ref_a, id_a = two_cases["a"]
    with database.transaction() as s:
        reviewer = s.get(Staff, two_cases["reviewer"].id)
        note = Item(id=new_id(), case_id=id_a, kind="note", created_at=hour_floor(),
                    format_version=1)
        binding = item_binding(note)
        key = new_data_key()
        note.ciphertext = _encrypt_item_with_nonce(
            key, binding, TextPayload("CANARY-OLD-NOTE from before the upgrade").encode(),
            secrets.token_bytes(12), version=UNBOUND_VERSION)
        s.add(note)
        s.add(KeyWrap(item_id=note.id, staff_id=reviewer.id, wrapped=bytes([1]) + SUITE.encrypt(
            key, load_public(reviewer.public_key), info=wrap_info(binding, UNBOUND_VERSION))))
        versions = set(s.scalars(select(Item.format_version).where(Item.id != note.id)))
    assert versions == {FORMAT_VERSION}
    page = review_client.get(f"/cases/{ref_a}")
    assert page.status_code == 200
    assert "CANARY-OLD-NOTE from before the upgrade" in page.get_data(as_text=True)


def test_grant_does_not_rewrap_a_moved_item_to_its_new_place(two_cases: Any, database: Any,
                                                              settings: Any,
                                                              make_staff: Any) -> None:
    """An admin giving a new reviewer access must not launder a moved item: its wrap does
    not open under the new binding, so it is skipped, and the rest is granted."""
    _ref_b, id_b = two_cases["b"]
    moved, _none = two_cases["items"]["report"]
    _move(database, moved, id_b, None)
    newcomer = make_staff("reviewer")
    with database.transaction() as s:
        granter = s.get(Staff, two_cases["reviewer"].id)
        private = unlock_private_key(settings, granter, two_cases["reviewer"].passphrase)
        target = grants.staff_target(s, newcomer.id)
        grants.grant_batch(s, granter, private, target, batch=1000)
    with database.transaction() as s:
        granted = set(s.scalars(select(KeyWrap.item_id).where(
            KeyWrap.staff_id == newcomer.id)))
        readable = set(s.scalars(select(KeyWrap.item_id).where(
            KeyWrap.staff_id == two_cases["reviewer"].id)))
    assert moved not in granted
    assert granted == readable - {moved}
