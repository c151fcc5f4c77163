"""Issue 17 item 3, hand-over outside the organisation, per format: the OpenPGP bundle
opens with Sequoia (standing in for sq/gpg) and the Intake bundle with `intake open-bundle`,
each to exactly the chosen items; notes only by explicit opt-in; nothing readable is
written anywhere while the bundle is made; the audit names the key and the items."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pysequoia
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from intake.cli import main
from intake.crypto import export_private_pem
from intake.models import AuditEvent
from tests.review.handover_support import (
    SAFE_PDF,
    HandOverCase,
    handover_form,
    intake_recipient,
    make_case,
    openpgp_recipient,
    tar_members,
)
from tests.support.canary import files_under, hits, pg_dump, read_files


@pytest.fixture
def readers(make_staff: Any, recovery_key: Any) -> dict[str, Any]:
    """The reviewer who hands over, and the colleague who verifies recipients."""
    return {"me": make_staff("reviewer"), "colleague": make_staff("reviewer")}


@pytest.fixture
def case(public_client: Any, database: Any, settings: Any, readers: Any) -> HandOverCase:
    return make_case(public_client, database, settings, readers["me"])


def _choice(c: HandOverCase, recipient: str, **extra: Any) -> dict[str, Any]:
    """The report, one follow-up, the reply, the photo as stored and as its safe copy."""
    return {"recipient": recipient, "report": "y",
            "messages": [c.followup_sent, c.reply_sent],
            "originals": [c.photo], "safe": [c.photo], **extra}


def _expected(c: HandOverCase, root: str, notes: bool = False) -> set[str]:
    names = {"report.txt", "report.json", "thread/01-followup.txt", "thread/02-reply.txt",
             f"files/{c.reference}-{c.photo_number}.jpg",
             f"safe-copies/{c.reference}-{c.photo_number}-safe.pdf",
             "manifest.json"}
    if notes:
        names.add("notes/01-note.txt")
    return {f"{root}/{name}" for name in names}


def _check_contents(c: HandOverCase, members: dict[str, bytes], root: str) -> None:
    text = b"".join(members.values()).decode("utf-8", "replace")
    for name in ("file", "followup", "note"):
        assert c.canaries[name] not in text, name
    assert members[f"{root}/thread/01-followup.txt"].startswith(b"FOLLOWUP-SENT")
    assert members[f"{root}/thread/02-reply.txt"].startswith(b"REPLY-SENT")
    assert members[f"{root}/files/{c.reference}-{c.photo_number}.jpg"].startswith(b"\xff\xd8")
    assert members[f"{root}/safe-copies/{c.reference}-{c.photo_number}-safe.pdf"] == SAFE_PDF
    assert c.canaries["what"] in members[f"{root}/report.txt"].decode()
    manifest = json.loads(members[f"{root}/manifest.json"])
    assert manifest["reference"] == c.reference
    assert {e["item"] for e in manifest["items"]} <= {
        c.report, c.followup_sent, c.reply_sent, c.photo, c.note_opted}


def test_openpgp_bundle_decrypts_with_sequoia_to_exactly_the_chosen_items(
        review_client: Any, login_as: Any, database: Any, session: Any, readers: Any,
        case: HandOverCase) -> None:
    recipient, tsk = openpgp_recipient(database, readers["colleague"], readers["me"])
    login_as(review_client, readers["me"])
    response = handover_form(review_client, case.reference, **_choice(case, recipient))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{case.reference}-handover.tar.pgp"')
    bundle = response.get_data()
    assert case.canaries["what"].encode() not in bundle and b"FOLLOWUP-SENT" not in bundle
    plain = pysequoia.decrypt(bundle, tsk.decryptor()).bytes
    assert plain is not None
    root = f"{case.reference}-handover"
    members = tar_members(plain)
    assert set(members) == _expected(case, root)
    _check_contents(case, members, root)
    # A stranger's key does not open it.
    other = pysequoia.Tsk.generate("someone else <x@example.org>")
    with pytest.raises(Exception):  # noqa: B017, PT011 - pysequoia raises a plain error
        pysequoia.decrypt(bundle, other.decryptor())
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.handover")
                            ).one()
    detail = json.loads(event.detail)
    row_fpr = detail["fingerprint"]
    assert row_fpr.replace(" ", "").lower() == tsk.extract_certificate().fingerprint
    assert event.target == case.reference and detail["format"] == "openpgp"
    assert {i["item"] for i in detail["items"]} == {
        case.report, case.followup_sent, case.reply_sent, case.photo}
    assert case.canaries["what"] not in event.detail


def test_intake_bundle_opens_with_intake_open_bundle_to_exactly_the_chosen_items(
        review_client: Any, login_as: Any, database: Any, readers: Any, case: HandOverCase,
        tmp_path: Path) -> None:
    recipient, private = intake_recipient(database, readers["colleague"], readers["me"])
    login_as(review_client, readers["me"])
    response = handover_form(review_client, case.reference,
                             **_choice(case, recipient, notes=[case.note_opted]))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Disposition"].endswith(
        f'filename="{case.reference}.intake-bundle"')
    bundle = tmp_path / "partner" / "case.intake-bundle"
    bundle.parent.mkdir()
    bundle.write_bytes(response.get_data())
    key = tmp_path / "partner" / "private.key"
    key.write_text(export_private_pem(private))
    out = tmp_path / "partner" / "opened"
    result = CliRunner().invoke(main, ["open-bundle", str(bundle), "--key", str(key),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    root = f"{case.reference}-handover"
    members = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert set(members) == _expected(case, root, notes=True)
    _check_contents(case, members, root)
    assert members[f"{root}/notes/01-note.txt"].startswith(b"NOTE-OPTED")
    # Someone else's Intake key cannot open it: a clean error, nothing extracted.
    _other, stranger = intake_recipient(database, readers["colleague"], None, "Stranger")
    key.write_text(export_private_pem(stranger))
    refused = CliRunner().invoke(main, ["open-bundle", str(bundle), "--key", str(key),
                                        "--out", str(tmp_path / "nothing")])
    assert refused.exit_code != 0 and "not for this key" in refused.output
    assert not (tmp_path / "nothing").exists() or not any((tmp_path / "nothing").rglob("*"))


@pytest.mark.parametrize("kind", ["openpgp", "intake"])
def test_nothing_readable_is_written_while_the_bundle_is_made(
        review_client: Any, login_as: Any, database: Any, settings: Any, readers: Any,
        case: HandOverCase, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        db_backend: str) -> None:
    """The canary scan of the data dir and temp dirs, mid-stream and after."""
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_dir))
    monkeypatch.setenv("TMPDIR", str(tmp_dir))
    started = time.time()
    make = openpgp_recipient if kind == "openpgp" else intake_recipient
    recipient, _secret = make(database, readers["colleague"], readers["me"])
    login_as(review_client, readers["me"])
    page = review_client.get(f"/cases/{case.reference}/handover").get_data(as_text=True)
    from tests.support.factories import csrf_token
    response = review_client.post(
        f"/cases/{case.reference}/handover", buffered=False,
        data={"csrf_token": csrf_token(page),
              **_choice(case, recipient, notes=[case.note_kept],
                        messages=[case.followup_sent, case.followup_kept],
                        originals=[case.photo, case.secret_file])})
    assert response.status_code == 200
    tokens = [case.canaries[k] for k in ("file", "followup", "note", "what")]
    chunks = iter(response.response)
    first = next(chunks)
    scans = [_written(settings, tmp_dir, started)]  # while the bundle is being made
    rest = b"".join(chunks)
    response.close()
    scans.append(_written(settings, tmp_dir, started))
    if db_backend == "postgresql":
        scans[-1].append(("pg_dump", pg_dump(settings.database_url)))
    for blobs in scans:
        assert hits(tokens, blobs) == []
    assert hits(tokens, [("bundle", first + rest)]) == []
    planted = tmp_dir / "planted"
    planted.write_text(tokens[0])
    assert hits(tokens, read_files([planted]))  # the scan can find what it looks for


def _written(settings: Any, tmp_dir: Path, since: float) -> list[tuple[str, bytes]]:
    written = files_under(settings.data_dir, tmp_dir)
    recent = [p for p in files_under(Path("/tmp")) if _newer(p, since)
              and "pytest-of" not in str(p)]
    return read_files(written + recent)


def _newer(path: Path, since: float) -> bool:
    try:
        return path.stat().st_mtime >= since
    except OSError:
        return False
