"""Invariant 2: everything at rest, without a staff secret, decrypts nothing."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from intake.crypto import DecryptionError, decrypt_item, unwrap_data_key
from intake.models import Item, KeyWrap, Staff
from intake.payloads import ReportAnswers
from intake.services.binding import item_binding
from intake.services.credentials import unlock_private_key
from intake.services.reading import open_item
from intake.settings import SECRET_KEYS
from tests.support.factories import submit_report

TEXT = "Меня задержали у офиса. Кыргызча: ң ө ү Ң Ө Ү. Oʻzbekcha: oʻ gʻ Oʻ Gʻ. 😀"


def _everything_at_rest(settings, session) -> list[bytes]:
    """Every secret-looking value a seizure would yield: config secrets, DB bytes, blobs."""
    values = [getattr(settings, k).encode() for k in SECRET_KEYS]
    for row in session.scalars(select(Staff)):
        values += [row.password_hash.encode(), row.kek_salt or b"", row.totp_secret or b""]
    values += [p.read_bytes() for p in settings.data_dir.rglob("*") if p.is_file()
               and p.stat().st_size < 2_000_000]
    return values


def test_seized_server_decrypts_nothing_but_passphrase_does(
        public_client, settings, make_staff, session):
    reviewer = make_staff("reviewer")
    assert submit_report(public_client, what=TEXT, place="Ош").status_code == 200

    item = session.scalars(select(Item).where(Item.kind == "report")).one()
    wraps = session.scalars(select(KeyWrap).where(KeyWrap.item_id == item.id)).all()
    assert wraps, "the report must be wrapped to its recipients"
    # Try every candidate key material found at rest, truncated/padded to key sizes.
    candidates = _everything_at_rest(settings, session)
    for blob in candidates:
        for key in {blob[:32].ljust(32, b"\0"), blob[-32:].ljust(32, b"\0")}:
            with pytest.raises(DecryptionError):
                decrypt_item(key, item_binding(item), item.ciphertext)
        for wrap, raw in itertools.product(wraps, {blob[:96].ljust(96, b"\0")}):
            with pytest.raises((DecryptionError, ValueError)):
                unwrap_data_key(wrap.wrapped, raw, item_binding(item))
    # The wrapped private key does not open with any secret the server holds.
    staff = session.get(Staff, reviewer.id)
    for secret in [getattr(settings, k) for k in SECRET_KEYS] + [staff.password_hash, ""]:
        with pytest.raises(DecryptionError):
            unlock_private_key(settings, staff, secret)

    # With the staff passphrase, it decrypts byte for byte, Unicode intact.
    private = unlock_private_key(settings, staff, reviewer.passphrase)
    answers = ReportAnswers.decode(open_item(session, item, private, staff_id=staff.id))
    assert answers.what == TEXT
    assert answers.place == "Ош"
    assert answers.acts == ["surveillance", "threats"]


def test_recovery_key_decrypts_and_wrong_recipient_does_not(
        public_client, make_staff, recovery_key, session):
    make_staff("reviewer")
    other = make_staff("reviewer")
    assert submit_report(public_client, what=TEXT).status_code == 200
    item = session.scalars(select(Item).where(Item.kind == "report")).one()
    plain = open_item(session, item, recovery_key.private_key, recovery_key_id=recovery_key.id)
    assert ReportAnswers.decode(plain).what == TEXT
    # Another staff member's wrap cannot be opened with the recovery key.
    with pytest.raises(DecryptionError):
        open_item(session, item, recovery_key.private_key, staff_id=other.id)


def test_analyst_is_never_a_recipient(public_client, make_staff, session):
    make_staff("reviewer")
    analyst = make_staff("analyst")
    assert submit_report(public_client).status_code == 200
    assert session.scalars(select(KeyWrap).where(KeyWrap.staff_id == analyst.id)).all() == []
    assert session.get(Staff, analyst.id).public_key is None
