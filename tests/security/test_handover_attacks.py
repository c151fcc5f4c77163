"""Hand-over, attacker side: someone who knows the code forges ids into the form (another
case's items, an unverified, removed or invented recipient), adds a key and verifies it
alone, pastes a private, expired or signing-only key, tampers with a stored file, or swaps
a verified recipient's key in the database. Each
is refused with a clear message; no bundle leaves and no hand-over is recorded."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pysequoia
import pytest
from pysequoia.packet import PacketPile, Tag
from sqlalchemy import func, select

from intake.crypto import generate_keypair
from intake.models import AuditEvent, Case, ExternalRecipient, Item, Staff
from intake.services import handover, recipients
from intake.services.credentials import unlock_private_key
from intake.services.handover_items import Selection
from tests.review.handover_support import (
    handover_form,
    intake_recipient,
    make_case,
    openpgp_recipient,
)
from tests.support.factories import csrf_token

REFUSED_CHOICE = "Choose a verified recipient and only items of this case. Nothing was sent."


@pytest.fixture
def readers(make_staff: Any, recovery_key: Any) -> dict[str, Any]:
    return {"me": make_staff("reviewer"), "colleague": make_staff("reviewer")}


@pytest.fixture
def two_cases(public_client: Any, database: Any, settings: Any, readers: Any) -> Any:
    return (make_case(public_client, database, settings, readers["me"], "First case."),
            make_case(public_client, database, settings, readers["me"], "Second case."))


def _handovers(session: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "case.handover")) or 0


def _refused(response: Any, message: str = REFUSED_CHOICE) -> None:
    assert response.status_code == 400, response.status_code
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_forged_ids_are_refused_by_the_form(review_client: Any, login_as: Any,
                                            database: Any, session: Any, readers: Any,
                                            two_cases: Any) -> None:
    mine, other = two_cases
    verified, _tsk = openpgp_recipient(database, readers["colleague"], readers["me"])
    unverified, _tsk2 = openpgp_recipient(database, readers["colleague"], None, "Unverified")
    removed, _key = intake_recipient(database, readers["colleague"], readers["me"], "Gone")
    with database.transaction() as s:
        recipients.remove(s, s.get(Staff, readers["colleague"].id), removed)
    login_as(review_client, readers["me"])
    ref = mine.reference
    for forged in ({"recipient": verified, "messages": [other.followup_sent]},
                   {"recipient": verified, "originals": [other.photo]},
                   {"recipient": verified, "safe": [other.photo]},
                   {"recipient": verified, "notes": [other.note_opted]},
                   {"recipient": verified, "messages": [mine.note_kept]},  # a note as a message
                   {"recipient": verified, "safe": [mine.secret_file]},  # has no safe copy
                   {"recipient": unverified, "report": "y"},
                   {"recipient": removed, "report": "y"},
                   {"recipient": "00000000-0000-4000-8000-000000000000", "report": "y"},
                   {"recipient": other.report, "report": "y"}):
        response = handover_form(review_client, ref, **forged)
        assert response.status_code == 400, forged
        _refused(response)
        page = response.get_data(as_text=True)
        assert other.canaries["what"] not in page and other.canaries["note"] not in page
    assert _handovers(session) == 0


def test_the_service_refuses_forged_ids_whatever_the_form_allowed(
        database: Any, settings: Any, readers: Any, two_cases: Any) -> None:
    """Defence in depth: the service checks case, kind and the reader's wraps itself."""
    mine, other = two_cases
    verified, _tsk = openpgp_recipient(database, readers["colleague"], readers["me"])
    unverified, _t = openpgp_recipient(database, readers["colleague"], None, "Unverified")
    with database.transaction() as s:
        staff = s.get(Staff, readers["me"].id)
        key = unlock_private_key(settings, staff, readers["me"].passphrase)
        case = s.scalars(select(Case).where(Case.reference == mine.reference)).one()
        for selection in (Selection(messages=(other.followup_sent,)),
                          Selection(originals=(other.photo,)),
                          Selection(safe=(other.photo,)),
                          Selection(notes=(other.note_kept,)),
                          Selection(messages=(mine.note_kept,)),
                          Selection(notes=(mine.followup_sent,)),
                          Selection(originals=(mine.report,)),
                          Selection(messages=(mine.followup_sent, mine.followup_sent)),
                          Selection(messages=("no-such-item",))):
            with pytest.raises(handover.HandOverRefused):
                handover.prepare(s, settings, staff, key, case, verified, selection)
        for recipient in (unverified, "forged", other.report):
            with pytest.raises(handover.HandOverRefused):
                handover.prepare(s, settings, staff, key, case, recipient,
                                 Selection(report=True))
        with pytest.raises(handover.HandOverRefused, match="at least one"):
            handover.prepare(s, settings, staff, key, case, verified, Selection())
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "case.handover")) == 0


def test_a_reader_without_a_wrap_of_an_item_cannot_send_it(
        database: Any, settings: Any, readers: Any, two_cases: Any, make_staff: Any) -> None:
    """A newcomer given only the report of a case cannot hand over its other items."""
    mine, _other = two_cases
    from intake.crypto import unwrap_data_key, wrap_data_key
    from intake.models import KeyWrap
    from intake.services.binding import item_binding
    newcomer = make_staff("reviewer")
    verified, _tsk = openpgp_recipient(database, readers["colleague"], readers["me"])
    with database.transaction() as s:
        me = s.get(Staff, readers["me"].id)
        key = unlock_private_key(settings, me, readers["me"].passphrase)
        report = s.get(Item, mine.report)
        wrap = s.scalars(select(KeyWrap).where(KeyWrap.item_id == report.id,
                                               KeyWrap.staff_id == me.id)).one()
        data_key = unwrap_data_key(wrap.wrapped, key, item_binding(report))
        new = s.get(Staff, newcomer.id)
        s.add(KeyWrap(item_id=report.id, staff_id=new.id,
                      wrapped=wrap_data_key(data_key, new.public_key, item_binding(report))))
    with database.transaction() as s:
        new = s.get(Staff, newcomer.id)
        key = unlock_private_key(settings, new, newcomer.passphrase)
        case = s.scalars(select(Case).where(Case.reference == mine.reference)).one()
        assert handover.prepare(s, settings, new, key, case, verified,
                                Selection(report=True)).filename.endswith(".pgp")
        for selection in (Selection(messages=(mine.followup_sent,)),
                          Selection(originals=(mine.photo,)), Selection(safe=(mine.photo,))):
            with pytest.raises(handover.HandOverRefused):
                handover.prepare(s, settings, new, key, case, verified, selection)


def test_no_verified_recipient_nothing_chosen_and_tampering_are_clear_errors(
        review_client: Any, login_as: Any, database: Any, session: Any, settings: Any,
        readers: Any, two_cases: Any) -> None:
    mine, _other = two_cases
    login_as(review_client, readers["me"])
    page = review_client.get(f"/cases/{mine.reference}/handover")
    assert page.status_code == 200
    assert "There is no verified recipient yet." in page.get_data(as_text=True)
    assert "<form" not in page.get_data(as_text=True).split("<main")[1].split(
        'action="/logout"')[0] or 'name="recipient"' not in page.get_data(as_text=True)
    token = csrf_token(review_client.get("/recipients").get_data(as_text=True))
    response = review_client.post(f"/cases/{mine.reference}/handover",
                                  data={"csrf_token": token, "report": "y"})
    _refused(response, "There is no verified recipient yet.")
    verified, _tsk = openpgp_recipient(database, readers["colleague"], readers["me"])
    _refused(handover_form(review_client, mine.reference, recipient=verified),
             "Choose at least one thing to send.")
    blob = session.scalars(select(Item.blob_name).where(Item.id == mine.photo)).one()
    path = next(Path(settings.blob_dir).rglob(blob))
    data = bytearray(path.read_bytes())
    data[-40] ^= 1
    path.write_bytes(bytes(data))
    response = handover_form(review_client, mine.reference, recipient=verified,
                             report="y", originals=[mine.photo])
    assert response.status_code == 422
    assert "failed its integrity check" in response.get_data(as_text=True)
    assert _handovers(session) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "case.handover_integrity_failure")) == 1


def test_the_person_who_added_a_recipient_cannot_verify_it(
        review_client: Any, login_as: Any, database: Any, session: Any, readers: Any) -> None:
    mine, _tsk = openpgp_recipient(database, readers["me"], None)
    login_as(review_client, readers["me"])
    page = review_client.get("/recipients").get_data(as_text=True)
    assert f"/recipients/{mine}/verify" not in page  # no button for the adder
    response = review_client.post(f"/recipients/{mine}/verify",
                                  data={"csrf_token": csrf_token(page), "compared": "y"})
    assert response.status_code == 409
    assert "A colleague other than the person who added" in response.get_data(as_text=True)
    unticked = review_client.post(f"/recipients/{mine}/verify",
                                  data={"csrf_token": csrf_token(page)})
    assert unticked.status_code == 400
    session.expire_all()
    assert session.get(ExternalRecipient, mine).verified_at is None
    assert "recipient.verify" not in session.scalars(select(AuditEvent.action)).all()


def _signing_only() -> str:
    """A real certificate with its encryption subkey (and binding) taken out."""
    cert = pysequoia.Tsk.generate("signer <s@example.org>").extract_certificate()
    packets = list(PacketPile.from_bytes(bytes(cert)))
    cut = next(i for i, p in enumerate(packets) if p.tag == Tag.PublicSubkey
               and packets[i + 1].key_flags is not None
               and packets[i + 1].key_flags.transport_encryption)
    return str(pysequoia.Cert.from_packets(packets[:cut] + packets[cut + 2:]))


@pytest.mark.parametrize(("make_key", "message"), [
    (lambda: str(pysequoia.Tsk.generate("x <x@example.org>")), "holds a private key"),
    (lambda: str(pysequoia.Tsk.generate("x <x@example.org>")).replace(
        "PRIVATE KEY BLOCK", "PUBLIC KEY BLOCK"), "holds a private key"),
    (_signing_only, "has no valid key for encryption"),
    (lambda: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----",
     "not a readable OpenPGP certificate"),
    (lambda: "\n".join(str(pysequoia.Tsk.generate(f"{n} <{n}@x.org>").extract_certificate())
                       for n in ("a", "b")), "exactly one certificate"),
    (lambda: "-----BEGIN INTAKE PUBLIC KEY-----\nAAAA\n-----END INTAKE PUBLIC KEY-----",
     "This Intake public key is damaged"),
    (lambda: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 someone", "Paste an OpenPGP public certificate"),
])
def test_bad_keys_are_refused_and_what_was_typed_is_kept(
        review_client: Any, login_as: Any, session: Any, readers: Any, make_key: Any,
        message: str) -> None:
    login_as(review_client, readers["me"])
    page = review_client.get("/recipients").get_data(as_text=True)
    key = make_key()
    response = review_client.post("/recipients", data={
        "csrf_token": csrf_token(page), "name": "Aida Lawyer", "organisation": "Clinic",
        "key": key})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and 'value="Aida Lawyer"' in body
    assert session.scalar(select(func.count()).select_from(ExternalRecipient)) == 0


def test_expired_certificates_cannot_be_added_or_used(database: Any, settings: Any,
                                                      readers: Any, two_cases: Any) -> None:
    mine, _other = two_cases
    # Sequoia backdates a new key by a minute: this one has a few seconds left.
    short = pysequoia.Tsk.generate("brief <b@example.org>", validity_seconds=64)
    expires = short.extract_certificate().expiration
    assert expires is not None
    with database.transaction() as s:
        row = recipients.add(s, s.get(Staff, readers["me"].id), "Brief", "Clinic",
                             str(short.extract_certificate()))
        recipients.verify(s, s.get(Staff, readers["colleague"].id), row.id)
        row_id = row.id
    time.sleep(max(0.0, expires.timestamp() - time.time()) + 0.5)
    with database.transaction() as s:
        staff = s.get(Staff, readers["me"].id)
        key = unlock_private_key(settings, staff, readers["me"].passphrase)
        case = s.scalars(select(Case).where(Case.reference == mine.reference)).one()
        with pytest.raises(handover.HandOverRefused) as refused:
            handover.prepare(s, settings, staff, key, case, row_id, Selection(report=True))
        assert "can no longer be used" in str(refused.value.args[0])
    with database.transaction() as s, pytest.raises(recipients.RecipientError,
                                                    match="has expired"):
        recipients.add(s, s.get(Staff, readers["me"].id), "Brief", "Clinic",
                       str(short.extract_certificate()))


def test_directory_changes_are_audited_with_the_fingerprint(database: Any, session: Any,
                                                            readers: Any) -> None:
    row_id, tsk = openpgp_recipient(database, readers["me"], readers["colleague"])
    with pytest.raises(recipients.RecipientError, match="already in the directory"), \
            database.transaction() as s:
        recipients.add(s, s.get(Staff, readers["colleague"].id), "Twin", "Elsewhere",
                       str(tsk.extract_certificate()))
    with database.transaction() as s:
        recipients.remove(s, s.get(Staff, readers["me"].id), row_id)
    fpr = tsk.extract_certificate().fingerprint.upper()
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("recipient.%")).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["recipient.add", "recipient.verify",
                                          "recipient.remove"]
    assert [e.actor for e in events] == [readers["me"].username,
                                         readers["colleague"].username,
                                         readers["me"].username]
    for event in events:
        assert fpr in event.detail.replace(" ", "")
    assert session.get(ExternalRecipient, row_id) is None
    with pytest.raises(recipients.RecipientError), database.transaction() as s:
        recipients.verify(s, s.get(Staff, readers["colleague"].id), row_id)


def test_malformed_posts_get_a_clear_4xx_never_a_500(review_client: Any, login_as: Any,
                                                     database: Any, readers: Any,
                                                     two_cases: Any) -> None:
    mine, _other = two_cases
    verified, _tsk = openpgp_recipient(database, readers["colleague"], readers["me"])
    login_as(review_client, readers["me"])
    token = csrf_token(review_client.get("/recipients").get_data(as_text=True))
    junk = "\x00\ufffd" + "я" * 5000
    for data in ({"recipient": [verified, verified]}, {"recipient": junk, "report": junk},
                 {"recipient": verified, "messages": [junk] * 500},
                 {"recipient": verified, "report": "y", "notes": ""},
                 {"recipient": verified, "safe": mine.photo, "originals": mine.photo * 3}):
        response = review_client.post(f"/cases/{mine.reference}/handover",
                                      data={"csrf_token": token, **data})
        assert response.status_code == 400, (data.keys(), response.status_code)
    for data in ({"name": junk, "organisation": "x", "key": "x"},
                 {"name": "x", "organisation": "x",
                  "key": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n" + junk},
                 {"name": "x", "organisation": "x",
                  "key": "-----BEGIN INTAKE PUBLIC KEY-----\n" + "A" * 190_000},
                 {"name": " ", "organisation": " ", "key": " "}):
        response = review_client.post("/recipients", data={"csrf_token": token, **data})
        assert response.status_code == 400, response.status_code
    for path in (f"/recipients/{junk[:40]}/verify", f"/recipients/{'x' * 300}/remove"):
        response = review_client.post(path, data={"csrf_token": token, "compared": "y"})
        assert response.status_code in (404, 409), (path, response.status_code)
    missing = review_client.post(f"/cases/{mine.reference}/handover",
                                 data={"recipient": verified, "report": "y"})
    assert missing.status_code == 400  # no CSRF token: refused like any other form


@pytest.mark.parametrize("kind", ["openpgp", "intake", "unreadable"])
def test_a_key_swapped_in_the_database_after_verification_receives_nothing(
        review_client: Any, login_as: Any, database: Any, session: Any, readers: Any,
        two_cases: Any, kind: str) -> None:
    """Someone with write access to the database replaces a verified recipient's key with
    their own (a real, valid key) and leaves the verified fingerprint in place: the bundle
    would go to them while the page and the audit log name the partner. Bytes that are no
    key at all are the same integrity failure, not a crash."""
    mine, _other = two_cases
    if kind == "unreadable":
        verified, _tsk = openpgp_recipient(database, readers["colleague"], readers["me"])
        attacker = b"\x99\x01 not a certificate"
    elif kind == "openpgp":
        verified, _tsk = openpgp_recipient(database, readers["colleague"], readers["me"])
        attacker = bytes(pysequoia.Tsk.generate("attacker <a@example.org>")
                         .extract_certificate())
    else:
        verified, _private = intake_recipient(database, readers["colleague"], readers["me"])
        attacker = generate_keypair()[1]
    with database.transaction() as s:
        row = s.get(ExternalRecipient, verified)
        row.public_key = attacker
        assert not recipients.key_matches(row)
    login_as(review_client, readers["me"])
    response = handover_form(review_client, mine.reference, recipient=verified, report="y")
    assert response.status_code == 422
    assert "failed its integrity check" in response.get_data(as_text=True)
    assert _handovers(session) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "case.handover_integrity_failure")) == 1


def test_an_unchanged_key_matches_its_fingerprint(database: Any, session: Any,
                                                  readers: Any) -> None:
    """The check above is not simply always false: untouched keys of both kinds pass it."""
    for made in (openpgp_recipient(database, readers["colleague"], readers["me"]),
                 intake_recipient(database, readers["colleague"], readers["me"], "Other NGO")):
        assert recipients.key_matches(session.get(ExternalRecipient, made[0]))
