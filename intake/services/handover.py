"""Hand-over outside the organisation: chosen items of one case, decrypted in the reader's
session and re-encrypted as one stream to a verified recipient; audited, never on disk.

OpenPGP recipients get a binary OpenPGP message (`sq decrypt` / `gpg -d`) of a tar;
Intake-key recipients get an Intake bundle (`intake open-bundle`). Either way the tar is
made chunk by chunk in memory and only ciphertext leaves this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from intake.crypto import DecryptionError, openpgp
from intake.models import Case, ExternalRecipient, Staff, hour_floor
from intake.services import recipients
from intake.services.audit import record
from intake.services.bundle import iter_bundle, iter_tar
from intake.services.handover_items import HandOverRefused, Resolved, Selection, resolve
from intake.services.offline import CaseFile
from intake.settings import Settings

__all__ = ["HandOver", "HandOverRefused", "Selection", "prepare"]

OPENPGP_SUFFIX, INTAKE_SUFFIX = "pgp", "intake-bundle"


@dataclass(frozen=True)
class HandOver:
    """What the view sends: a generated file name and the ciphertext chunks."""

    filename: str
    chunks: Iterator[bytes]


def _recipient(session: Session, recipient_id: str) -> ExternalRecipient:
    try:
        return recipients.usable(session, recipient_id)
    except recipients.RecipientError as exc:
        raise HandOverRefused(exc.args[0]) from None


def _check_key(row: ExternalRecipient) -> None:
    """The stored key must be the one verified (DecryptionError: changed in storage), then
    still usable (HandOverRefused): in that order, so a key no longer readable at all is an
    integrity failure, not a crash."""
    if not recipients.key_matches(row):
        raise DecryptionError("the recipient's stored key is not the one verified")
    if row.key_kind == "openpgp":
        try:
            openpgp.check_usable(openpgp.load(row.public_key))
        except openpgp.CertificateError:
            raise HandOverRefused(_l(
                "This recipient's OpenPGP certificate can no longer be used (it has expired "
                "or been revoked). Ask them for a current one and add it again.")) from None


def _manifest(case: Case, recipient: ExternalRecipient, resolved: Resolved) -> CaseFile:
    data = json.dumps({"reference": case.reference,
                       "handed_over_at": hour_floor().isoformat(),
                       "recipient": {"name": recipient.name,
                                     "organisation": recipient.organisation,
                                     "fingerprint": recipient.fingerprint},
                       "items": resolved.items}, ensure_ascii=False, indent=2).encode()
    return CaseFile("manifest.json", len(data), data=data)


def prepare(session: Session, settings: Settings, staff: Staff, key: bytes, case: Case,
            recipient_id: str, selection: Selection) -> HandOver:
    """Check the recipient, its key against the verified fingerprint and every choice,
    authenticate the files, audit and commit; then the caller streams the chunks.
    HandOverRefused, or DecryptionError (audited) for anything stored that was changed."""
    recipient = _recipient(session, recipient_id)
    if selection.empty:
        raise HandOverRefused(_l("Choose at least one thing to send."))
    try:
        _check_key(recipient)
        resolved = resolve(session, settings, staff, key, case, selection)
    except DecryptionError:
        session.rollback()
        record(session, staff, "case.handover_integrity_failure", target=case.reference,
               detail={"recipient": recipient.id, "fingerprint": recipient.fingerprint})
        session.commit()
        raise
    files = [*resolved.files, _manifest(case, recipient, resolved)]
    record(session, staff, "case.handover", target=case.reference,
           detail={"recipient": recipient.id, "fingerprint": recipient.fingerprint,
                   "format": recipient.key_kind,
                   "items": [{k: v for k, v in entry.items() if k in ("item", "kind", "variant")}
                             for entry in resolved.items]})
    session.commit()
    root = f"{case.reference}-handover"
    if recipient.key_kind == "openpgp":
        return HandOver(f"{root}.tar.{OPENPGP_SUFFIX}",
                        openpgp.iter_encrypt(recipient.public_key, iter_tar(files, root)))
    return HandOver(f"{case.reference}.{INTAKE_SUFFIX}",
                    iter_bundle(files, recipient.public_key, root))
