"""The directory of recipients outside the organisation: add, verify, remove; all audited.

A key is only public material (an OpenPGP certificate or an Intake public key). It is
usable for a hand-over once a second staff member, not the one who added it, has compared
its fingerprint with the recipient out of band: one phished account alone cannot add an
attacker's key and send a case to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from intake.crypto import fingerprint, import_public_pem, openpgp
from intake.models import ExternalRecipient, Staff, utcnow
from intake.services.audit import record

MAX_NAME = 120
OPENPGP_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
INTAKE_BEGIN = "-----BEGIN INTAKE PUBLIC KEY-----"
PRIVATE_MARKERS = ("PRIVATE KEY", "-----BEGIN PGP SECRET")
CERT_PROBLEMS = {
    "unreadable": _l("This is not a readable OpenPGP certificate."),
    "several": _l("Paste exactly one certificate: this text holds several."),
    "secret": _l("This block holds a private key. Never paste a private key here: ask the "
                 "recipient for their public certificate only."),
    "revoked": _l("This OpenPGP certificate has been revoked."),
    "expired": _l("This OpenPGP certificate has expired. Ask the recipient for a current one."),
    "no_encryption_key": _l("This OpenPGP certificate has no valid key for encryption (it "
                            "may be for signing only, or its encryption key has expired)."),
}


class RecipientError(ValueError):
    """A change to the directory that cannot be made, with a message for the person."""


@dataclass(frozen=True)
class RecipientRow:
    """One recipient as the directory page lists it."""

    id: str
    name: str
    organisation: str
    key_kind: str
    fingerprint: str
    added_by: str | None
    added_at: datetime
    verified_by: str | None
    verified_at: datetime | None

    @property
    def verified(self) -> bool:
        """Usable for a hand-over."""
        return self.verified_at is not None


def parse_key(text: str) -> tuple[str, bytes, str]:
    """(kind, stored key, fingerprint) of a pasted public key; RecipientError otherwise."""
    text = text.strip()
    if any(marker in text for marker in PRIVATE_MARKERS):
        raise RecipientError(CERT_PROBLEMS["secret"])
    if OPENPGP_BEGIN in text:
        try:
            key, fpr = openpgp.check_certificate(text.encode("utf-8"))
        except openpgp.CertificateError as exc:
            raise RecipientError(CERT_PROBLEMS[exc.code]) from None
        return "openpgp", key, fpr
    if INTAKE_BEGIN in text:
        try:
            raw = import_public_pem(text)
        except ValueError:
            raise RecipientError(_l("This Intake public key is damaged: ask the recipient "
                                    "to send the file made by %(keygen)s again.",
                                    keygen="intake keygen")) from None
        return "intake", raw, fingerprint(raw)
    raise RecipientError(_l("Paste an OpenPGP public certificate (it begins with %(pgp)s) or "
                            "an Intake public key (it begins with %(intake)s).",
                            pgp=OPENPGP_BEGIN, intake=INTAKE_BEGIN))


def _clean(value: str, problem: object) -> str:
    value = " ".join(value.split())
    if not value or len(value) > MAX_NAME:
        raise RecipientError(problem)
    return value


def add(session: Session, actor: Staff, name: str, organisation: str,
        key_text: str) -> ExternalRecipient:
    """A new, unverified recipient."""
    name = _clean(name, _l("Enter the recipient's name (1 to 120 characters)."))
    organisation = _clean(organisation, _l("Enter the organisation (1 to 120 characters)."))
    kind, key, fpr = parse_key(key_text)
    if session.scalar(select(ExternalRecipient.id).where(
            ExternalRecipient.fingerprint == fpr)) is not None:
        raise RecipientError(_l("A recipient with this key is already in the directory."))
    row = ExternalRecipient(name=name, organisation=organisation, key_kind=kind,
                            public_key=key, fingerprint=fpr, added_by_id=actor.id)
    session.add(row)
    session.flush()
    record(session, actor, "recipient.add", target=name,
           detail={"recipient": row.id, "organisation": organisation, "kind": kind,
                   "fingerprint": fpr})
    session.commit()
    return row


def _get(session: Session, recipient_id: str) -> ExternalRecipient:
    row = session.get(ExternalRecipient, recipient_id[:36])
    if row is None:
        raise RecipientError(_l("No such recipient: it may have been removed."))
    return row


def verify(session: Session, actor: Staff, recipient_id: str) -> None:
    """Mark the fingerprint as compared out of band, by someone other than who added it."""
    row = _get(session, recipient_id)
    if row.verified_at is not None:
        raise RecipientError(_l("This recipient is already verified."))
    if row.added_by_id == actor.id:
        raise RecipientError(_l("A colleague other than the person who added this recipient "
                                "must compare the fingerprint and verify it."))
    row.verified_by_id, row.verified_at = actor.id, utcnow()
    record(session, actor, "recipient.verify", target=row.name,
           detail={"recipient": row.id, "fingerprint": row.fingerprint})
    session.commit()


def remove(session: Session, actor: Staff, recipient_id: str) -> None:
    """Take a recipient out of the directory: no further hand-over can use the key."""
    row = _get(session, recipient_id)
    record(session, actor, "recipient.remove", target=row.name,
           detail={"recipient": row.id, "fingerprint": row.fingerprint})
    session.delete(row)
    session.commit()


def listing(session: Session) -> list[RecipientRow]:
    """Every recipient, verified ones first, then by name."""
    adder, verifier = aliased(Staff), aliased(Staff)
    rows = session.execute(
        select(ExternalRecipient, adder.username, verifier.username)
        .outerjoin(adder, adder.id == ExternalRecipient.added_by_id)
        .outerjoin(verifier, verifier.id == ExternalRecipient.verified_by_id)
        .order_by(ExternalRecipient.verified_at.is_(None), ExternalRecipient.name,
                  ExternalRecipient.id)).all()
    return [RecipientRow(r.id, r.name, r.organisation, r.key_kind, r.fingerprint, added,
                         r.added_at, verified, r.verified_at)
            for r, added, verified in rows]


def key_matches(row: ExternalRecipient) -> bool:
    """Whether the stored key still has the fingerprint a colleague verified (and the audit
    log recorded): a key swapped in the database afterwards must not receive a case."""
    if row.key_kind == "openpgp":
        try:
            found = openpgp.group(openpgp.load(row.public_key).fingerprint)
        except Exception:  # noqa: BLE001 - pysequoia raises its own untyped errors
            return False
    else:
        try:
            found = fingerprint(row.public_key)
        except ValueError:  # not a public key's length
            return False
    return found == row.fingerprint


def usable(session: Session, recipient_id: str) -> ExternalRecipient:
    """A verified recipient still in the directory; RecipientError for anything else."""
    row = session.get(ExternalRecipient, recipient_id[:36])
    if row is None or row.verified_at is None:
        raise RecipientError(_l("Choose a verified recipient from the directory."))
    return row
