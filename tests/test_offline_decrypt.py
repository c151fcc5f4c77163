"""Offline decryption with the recovery key matches what the reviewer sees, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from intake.cli import main
from intake.crypto import export_private_pem, export_public_pem, generate_keypair
from intake.models import Case, Item
from tests.attachments.samples import jpeg_with_gps, post_multipart, send_report
from tests.public.helpers import add_reply, open_receipt_page
from tests.support.factories import csrf_token, receipt_code
from tests.support.files import download_original

REPLY = "We received your report and will call you on Thursday."


@pytest.fixture
def offline_env(settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The CLI sees the test instance through INTAKE_* variables, like an operator would."""
    monkeypatch.setenv("INTAKE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("INTAKE_CONFIG", raising=False)
    return tmp_path


@pytest.fixture
def case_with_everything(public_client: Any, database: Any, make_staff: Any,
                         recovery_key: Any) -> dict[str, Any]:
    reviewer = make_staff("reviewer")
    response = send_report(public_client, [("summons photo.jpg", jpeg_with_gps()),
                                           ("../../etc/notes.txt", b"line one\nline two\n")],
                           metadata="keep", what="Police searched the office.")
    code = receipt_code(response.get_data(as_text=True))
    add_reply(database, REPLY, reviewer.id)
    page = open_receipt_page(public_client, code).get_data(as_text=True)
    post_multipart(public_client, "/receipt/followup",
                   {"code": code, "text": "They also took the server.",
                    "csrf_token": csrf_token(page)}, [])
    return {"reviewer": reviewer, "recovery": recovery_key}


def _key_file(tmp: Path, private: bytes) -> Path:
    path = tmp / "recovery.key"
    path.write_text(export_private_pem(private))
    return path


def _reference(session: Any) -> str:
    return session.scalars(select(Case.reference)).one()


def test_decrypt_matches_reviewer_download(offline_env: Path, case_with_everything: Any,
                                           session: Any, review_client: Any,
                                           login_as: Any) -> None:
    ref = _reference(session)
    out = offline_env / "out"
    result = CliRunner().invoke(main, ["decrypt", "--key", str(
        _key_file(offline_env, case_with_everything["recovery"].private_key)),
        "--case", ref, "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["what"] == "Police searched the office."
    assert "Police searched the office." in (out / "report.txt").read_text()
    assert (out / "followup-01.txt").read_text() == "They also took the server.\n"
    assert (out / "reply-01.txt").read_text() == REPLY + "\n"
    files = {p.name[3:]: p for p in (out / "attachments").iterdir()}
    assert sorted(files) == ["notes.txt", "summons photo.jpg"]
    login_as(review_client, case_with_everything["reviewer"])
    items = session.scalars(select(Item).where(Item.kind == "attachment")
                            .order_by(Item.created_at, Item.id)).all()
    by_name = {}
    for item in items:
        by_name[download_original(review_client, item.id).data] = item
    assert files["summons photo.jpg"].read_bytes() in by_name
    assert files["notes.txt"].read_bytes() in by_name
    assert files["summons photo.jpg"].read_bytes() == jpeg_with_gps()
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["kind"] for e in manifest["items"]].count("attachment") == 2


def test_export_bundle_opens_only_for_the_recipient(offline_env: Path,
                                                    case_with_everything: Any,
                                                    session: Any) -> None:
    ref = _reference(session)
    lawyer_private, lawyer_public = generate_keypair()
    (offline_env / "lawyer.pub").write_text(export_public_pem(lawyer_public))
    (offline_env / "lawyer.key").write_text(export_private_pem(lawyer_private))
    bundle = offline_env / "case.bundle"
    runner = CliRunner()
    made = runner.invoke(main, ["export-case", ref, "--to", str(offline_env / "lawyer.pub"),
                                "--key", str(_key_file(offline_env,
                                                       case_with_everything["recovery"]
                                                       .private_key)),
                                "--out", str(bundle)])
    assert made.exit_code == 0, made.output
    assert b"Police searched" not in bundle.read_bytes()
    opened = runner.invoke(main, ["open-bundle", str(bundle), "--key",
                                  str(offline_env / "lawyer.key"), "--out",
                                  str(offline_env / "opened")])
    assert opened.exit_code == 0, opened.output
    root = offline_env / "opened" / ref
    photos = [p for p in (root / "attachments").iterdir() if p.name.endswith("summons photo.jpg")]
    assert [p.read_bytes() for p in photos] == [jpeg_with_gps()]
    assert (root / "reply-01.txt").read_text() == REPLY + "\n"
    stranger = offline_env / "stranger.key"
    stranger.write_text(export_private_pem(generate_keypair()[0]))
    refused = runner.invoke(main, ["open-bundle", str(bundle), "--key", str(stranger),
                                   "--out", str(offline_env / "nope")])
    assert refused.exit_code != 0
    assert "not for this key, or damaged" in refused.output
    cut = offline_env / "cut.bundle"
    cut.write_bytes(bundle.read_bytes()[:-20])
    truncated = runner.invoke(main, ["open-bundle", str(cut), "--key",
                                     str(offline_env / "lawyer.key"), "--out",
                                     str(offline_env / "cut")])
    assert truncated.exit_code != 0


def test_tampered_blob_is_reported_and_not_written(offline_env: Path, case_with_everything: Any,
                                                   session: Any, settings: Any) -> None:
    item = session.scalars(select(Item).where(Item.kind == "attachment")
                           .order_by(Item.created_at, Item.id)).first()
    path = settings.blob_dir / item.blob_name
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF
    path.write_bytes(bytes(raw))
    out = offline_env / "out"
    result = CliRunner().invoke(main, ["decrypt", "--key", str(
        _key_file(offline_env, case_with_everything["recovery"].private_key)),
        "--case", _reference(session), "--out", str(out)])
    assert result.exit_code != 0
    assert "failed their integrity check" in result.output
    written = [p.name for p in (out / "attachments").iterdir()]
    assert len(written) == 1 and not any(n.endswith(".partial") for n in written)


def test_items_older_than_the_recovery_key_are_listed_not_fatal(
        offline_env: Path, public_client: Any, session: Any, make_staff: Any,
        request: pytest.FixtureRequest) -> None:
    make_staff("reviewer")
    receipt_code(send_report(public_client, []).get_data(as_text=True))
    recovery = request.getfixturevalue("recovery_key")
    out = offline_env / "out"
    result = CliRunner().invoke(main, ["decrypt", "--key", str(
        _key_file(offline_env, recovery.private_key)), "--case", _reference(session),
        "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / "report.json").exists()
    [entry] = json.loads((out / "manifest.json").read_text())["items"]
    assert entry["kind"] == "report" and "not encrypted to this recovery key" in entry["error"]
