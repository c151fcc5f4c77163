"""Finding 4, from the attacker's side: recover every blob the server deleted (as forensic
recovery from a seized disk would) and try every data key that any wrap opens on it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from intake.attachments import blobs
from intake.crypto import DecryptionError, StreamEncryptor, iter_decrypt, unwrap_data_key
from intake.models import Item, KeyWrap, Staff
from intake.services.binding import item_binding
from intake.services.credentials import unlock_private_key
from tests.attachments.samples import CAMERA, gps_of, jpeg_with_gps, send_report


def _opened_keys(session: Any, settings: Any, reviewer: Any, recovery_key: Any) -> list[bytes]:
    """Every data key any wrap in the database opens, for every private key the test has."""
    staff = session.get(Staff, reviewer.id)
    privates = [unlock_private_key(settings, staff, reviewer.passphrase),
                recovery_key.private_key]
    keys = set()
    for wrap in session.scalars(select(KeyWrap)):
        binding = item_binding(session.get(Item, wrap.item_id))
        for private in privates:
            try:
                keys.add(unwrap_data_key(wrap.wrapped, private, binding))
            except DecryptionError:
                continue
    return list(keys)


def _decrypts(ciphertext: bytes, keys: list[bytes], aads: set[bytes]) -> bytes | None:
    """What an attacker who knows the code does: every key with every associated data."""
    for key in keys:
        for aad in aads:
            try:
                return b"".join(iter_decrypt(key, aad, io.BytesIO(ciphertext)))
            except DecryptionError:
                continue
    return None


@pytest.mark.parametrize("choice", ["remove", "keep"])
def test_deleted_upload_blobs_decrypt_with_no_wrapped_key(
        public_client: Any, settings: Any, session: Any, reviewer: Any, recovery_key: Any,
        monkeypatch: pytest.MonkeyPatch, choice: str) -> None:
    deleted: dict[str, bytes] = {}
    aads: set[bytes] = set()
    real_remove, real_init = blobs.remove_blob, StreamEncryptor.__init__

    def capture_then_remove(blob_dir: Path, name: str) -> None:
        path = blobs.blob_path(blob_dir, name)
        if path.exists():
            deleted[name] = path.read_bytes()  # what undelete tools would give back
        real_remove(blob_dir, name)

    def record_aad(self: StreamEncryptor, key: bytes, associated_data: bytes) -> None:
        aads.add(associated_data)  # the attacker knows every formula the code uses
        real_init(self, key, associated_data)

    monkeypatch.setattr(blobs, "remove_blob", capture_then_remove)
    monkeypatch.setattr(StreamEncryptor, "__init__", record_aad)
    photo = jpeg_with_gps((96, 64))
    notes = b"meeting notes " * 5000
    response = send_report(public_client, [("IMG_0002.jpg", photo), ("notes.txt", notes)],
                           metadata=choice)
    assert response.status_code == 200, response.get_data(as_text=True)[:400]

    keys = _opened_keys(session, settings, reviewer, recovery_key)
    stored = {p.name: p.read_bytes() for p in settings.blob_dir.iterdir()}
    # The attack: every deleted blob, every key a wrap opens, every associated data.
    for name, data in deleted.items():
        assert _decrypts(data, keys, aads) is None, f"deleted blob {name} decrypts"
    assert len(stored) == 2 and len(deleted) == 2  # one stream blob per file, both gone
    assert not set(stored) & set(deleted)
    # The same attack works on what is meant to be readable: both stored copies open.
    readable = [_decrypts(data, keys, aads) for data in stored.values()]
    assert all(plain is not None for plain in readable)
    assert notes in readable
    if choice == "remove":
        [image] = [p for p in readable if p is not None and p != notes]
        assert gps_of(image) == {} and CAMERA.encode() not in image
