"""A case with everything a hand-over can choose from, and recipients in the directory.

Each item that must NOT be sent carries its own canary, so a test can show that exactly
the chosen items, and nothing else, reached the bundle."""

from __future__ import annotations

import io
import secrets
import tarfile
from dataclasses import dataclass, field
from typing import Any

import pysequoia
from sqlalchemy import select

from intake.crypto import export_public_pem, generate_keypair
from intake.models import Case, Item, Staff
from intake.services import recipients, safe_copies, triage
from intake.services.credentials import unlock_private_key
from intake.services.downloads import unlock
from tests.attachments.samples import jpeg_with_gps, post_multipart, send_report
from tests.operations.helpers import case_for_code
from tests.public.helpers import open_receipt_page
from tests.support.factories import StaffHandle, csrf_token, receipt_code

SAFE_PDF = b"%PDF-1.4\n% a safe copy stands in here: pixels only\n%%EOF\n"


@dataclass
class HandOverCase:
    """Ids of the case's items by role in the tests, and the canaries of those not sent."""

    reference: str
    report: str
    photo: str
    secret_file: str
    followup_sent: str
    followup_kept: str
    reply_sent: str
    note_kept: str
    note_opted: str
    photo_number: int
    canaries: dict[str, str] = field(default_factory=dict)


def _canary(name: str) -> str:
    return f"CANARY{name.upper()}{secrets.token_hex(6)}"


def _followup(client: Any, code: str, text: str) -> None:
    page = open_receipt_page(client, code).get_data(as_text=True)
    response = post_multipart(client, "/receipt/followup",
                              {"code": code, "text": text, "csrf_token": csrf_token(page)}, [])
    assert response.status_code in (200, 303), response.status_code


def make_case(public_client: Any, database: Any, settings: Any, reader: StaffHandle,
              what: str = "Two men followed me from the office.") -> HandOverCase:
    """Report (with a photo and a secret file), two follow-ups, a reply, two notes and a
    safe copy of the photo; returns the ids and the canaries of what a test leaves out."""
    canaries = {k: _canary(k) for k in ("file", "followup", "note", "what")}
    response = send_report(public_client, [("photo.jpg", jpeg_with_gps()),
                                           ("secret.txt", canaries["file"].encode())],
                           metadata="keep", what=f"{what} {canaries['what']}")
    code = receipt_code(response.get_data(as_text=True))
    with database.transaction() as s:
        case = case_for_code(s, settings, code)
        before = set(s.scalars(select(Item.id).where(Item.case_id == case.id)))
        case_id = case.id
    _followup(public_client, code, "FOLLOWUP-SENT: they came back on Monday.")
    _followup(public_client, code, f"Please keep this to yourselves: {canaries['followup']}")
    with database.transaction() as s:
        staff = s.get(Staff, reader.id)
        case = s.get(Case, case_id)
        reply = triage.add_reply(s, staff, case, "REPLY-SENT: we will call you.").id
        kept = triage.add_note(s, staff, case, f"Internal only: {canaries['note']}").id
        opted = triage.add_note(s, staff, case, "NOTE-OPTED: the lawyer may see this.").id
        items = {i.id: i for i in s.scalars(select(Item).where(Item.case_id == case_id))}
        followups = sorted((i for i in items.values() if i.kind == "followup"),
                           key=lambda i: i.seq or 0)
        files = [i for i in items.values() if i.kind == "attachment" and i.id in before]
        key = unlock_private_key(settings, staff, reader.passphrase)
        by_name = {unlock(s, f.id, key, staff_id=staff.id).meta.filename: f.id for f in files}
        att = unlock(s, by_name["photo.jpg"], key, staff_id=staff.id)
        safe_copies._store(s, settings, staff, att, SAFE_PDF, 1)
        report = next(i.id for i in items.values() if i.kind == "report")
        reference = case.reference
    return HandOverCase(reference, report, by_name["photo.jpg"], by_name["secret.txt"],
                        followups[0].id, followups[1].id, reply, kept, opted, att.number,
                        canaries)


def openpgp_recipient(database: Any, adder: StaffHandle, verifier: StaffHandle | None,
                      name: str = "Aida Lawyer") -> tuple[str, pysequoia.Tsk]:
    """A partner's OpenPGP key (its secret half stays with the test, as with the partner)."""
    tsk = pysequoia.Tsk.generate(f"{name} <lawyer@example.org>")
    return _add(database, adder, verifier, name, str(tsk.extract_certificate())), tsk


def intake_recipient(database: Any, adder: StaffHandle, verifier: StaffHandle | None,
                     name: str = "Partner NGO") -> tuple[str, bytes]:
    """A partner's Intake key pair, as `intake keygen` makes it."""
    private, public = generate_keypair()
    return _add(database, adder, verifier, name, export_public_pem(public)), private


def _add(database: Any, adder: StaffHandle, verifier: StaffHandle | None, name: str,
         key_text: str) -> str:
    with database.transaction() as s:
        row = recipients.add(s, s.get(Staff, adder.id), name, "Bishkek Legal Clinic", key_text)
        row_id = row.id
        if verifier is not None:
            recipients.verify(s, s.get(Staff, verifier.id), row_id)
    return row_id


def handover_form(client: Any, reference: str, **fields: Any) -> Any:
    """GET the hand-over page, POST the choice with its CSRF token (as a browser does)."""
    page = client.get(f"/cases/{reference}/handover")
    assert page.status_code == 200, page.status_code
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), **fields}
    return client.post(f"/cases/{reference}/handover", data=data)


def tar_members(data: bytes) -> dict[str, bytes]:
    """name -> content of every member of a tar held in memory."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for member in tar:
            extracted = tar.extractfile(member)
            out[member.name] = extracted.read() if extracted else b""
    return out
