"""Uploads on the report form: encrypted as they stream, limits, bad files, metadata choice."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from intake.attachments import blobs
from intake.attachments.sink import EncryptingSink
from intake.models import Item, Staff
from intake.public import create_app
from intake.services.credentials import unlock_private_key
from intake.services.reading import item_data_key, open_item
from tests.attachments.samples import gps_of, jpeg_with_gps, png_bomb, send_report
from tests.support.canary import files_under, hits, read_files
from tests.support.factories import receipt_code

CANARY = "CANARY-7f3a9-UPLOAD-TOKEN"


def _attachments(session: Any) -> list[Item]:
    return list(session.scalars(select(Item).where(Item.kind == "attachment")))


def _reader_key(session: Any, settings: Any, handle: Any) -> bytes:
    staff = session.get(Staff, handle.id)
    return unlock_private_key(settings, staff, handle.passphrase)


def _meta_and_content(session: Any, settings: Any, handle: Any, item: Item) -> tuple[dict, bytes]:
    key = _reader_key(session, settings, handle)
    meta = json.loads(open_item(session, item, key, staff_id=handle.id))
    data_key = item_data_key(session, item, key, staff_id=handle.id)
    return meta, blobs.read_blob(settings.blob_dir, item.blob_name, data_key, item.id)


def test_big_upload_leaves_nothing_readable_during_or_after(
        public_client: Any, settings: Any, session: Any, reviewer: Any,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir))
    line = (CANARY + " ").encode() * 40 + b"\n"
    payload = line * (3 * 1024 * 1024 // len(line))  # ~3 MB, far above the 500 KB spool
    scans: list[list[str]] = []
    original_write = EncryptingSink.write

    def spying_write(self: EncryptingSink, data: bytes) -> int:
        written = original_write(self, data)
        scans.append(hits([CANARY], read_files(files_under(temp_dir, settings.data_dir))))
        return written

    monkeypatch.setattr(EncryptingSink, "write", spying_write)
    response = send_report(public_client, [("notes.txt", payload)], metadata="keep")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert len(scans) > 5
    assert all(found == [] for found in scans)
    assert hits([CANARY], read_files(files_under(temp_dir, settings.data_dir))) == []
    assert list(temp_dir.iterdir()) == []
    [item] = _attachments(session)
    meta, content = _meta_and_content(session, settings, reviewer, item)
    assert content == payload
    import hashlib

    assert meta["sha256"] == hashlib.sha256(payload).hexdigest()
    assert (meta["size"], meta["mime"], meta["cleaned"]) == (len(payload),
                                                           "application/octet-stream", False)
    assert meta["filename"] == "notes.txt"


def test_photo_cleaned_by_default_and_confirmation_says_so(
        public_client: Any, settings: Any, session: Any, reviewer: Any) -> None:
    photo = jpeg_with_gps()
    response = send_report(public_client, [("IMG_0001.jpg", photo),
                                           ("clip.mp3", b"ID3\x03\x00" + b"\x00" * 300)])
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    receipt_code(html)
    assert "location and device data removed" in html
    assert "we cannot remove location or device data from this kind of file" in html
    items = {json.loads(open_item(session, i, _reader_key(session, settings, reviewer),
                                  staff_id=reviewer.id))["filename"]: i
             for i in _attachments(session)}
    meta, stored = _meta_and_content(session, settings, reviewer, items["IMG_0001.jpg"])
    assert meta["cleaned"] is True and meta["mime"] == "image/jpeg"
    import hashlib

    assert meta["sha256"] == hashlib.sha256(photo).hexdigest()
    assert gps_of(stored) == {}
    assert items["IMG_0001.jpg"].parent_id is not None
    assert len(list(settings.blob_dir.iterdir())) == 2  # the uncleaned original is gone


def test_form_lists_cleaned_types_before_upload(public_client: Any, reviewer: Any) -> None:
    html = public_client.get("/").get_data(as_text=True)
    assert 'type="file"' in html and "multiple" in html
    assert "JPEG, PNG and WebP photos and from PDF documents" in html
    [remove] = re.findall(r'<input[^>]*value="remove"[^>]*>', html)
    assert "checked" in remove


@pytest.mark.parametrize("name,data,message", [
    ("bomb.png", png_bomb(), "too large to process safely"),
    ("cut.jpg", jpeg_with_gps((400, 300))[:700], "seems damaged or incomplete"),
    ("photo.jpg", b"this is not a photo at all " * 10, "not the kind of file its name says"),
])
def test_bad_files_answer_400_and_keep_the_text(public_client: Any, settings: Any,
                                                 session: Any, reviewer: Any, name: str,
                                                 data: bytes, message: str) -> None:
    response = send_report(public_client, [(name, data)], what="They took my laptop.")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert "They took my laptop." in html
    assert _attachments(session) == []
    assert not settings.blob_dir.exists() or list(settings.blob_dir.iterdir()) == []


@pytest.fixture
def small_client(settings: Any, database: Any) -> Any:
    """The public app with 1 MB per file and 2 MB per request."""
    app = create_app(settings.replace(max_file_mb=1, max_request_mb=2), database)
    app.config["TESTING"] = True
    return app.test_client()


def test_file_over_the_limit_keeps_text(small_client: Any, settings: Any, session: Any,
                                        reviewer: Any) -> None:
    response = send_report(small_client, [("big.bin", b"\x00" * (1024 * 1024 + 10))],
                           what="Car outside the office again.")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "larger than 1 MB" in html and "Car outside the office again." in html
    assert not settings.blob_dir.exists() or list(settings.blob_dir.iterdir()) == []


def test_request_over_the_limit_keeps_text(small_client: Any, settings: Any, session: Any,
                                           reviewer: Any) -> None:
    part = b"\x01" * (900 * 1024)
    response = send_report(small_client, [("a.bin", part), ("b.bin", part), ("c.bin", part)],
                           what="Summons photos follow.")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "together are larger than 2 MB" in html and "Summons photos follow." in html
    assert list(settings.blob_dir.iterdir()) == []
    assert _attachments(session) == []
