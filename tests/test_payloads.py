"""The stored plaintext formats: round trips, and strict refusal of anything else (a newer
version, a wrong type, a non-object) so nothing half-understood reaches a page or an export."""

from __future__ import annotations

import json

import pytest

from intake.payloads import AttachmentMeta, PayloadError, ReportAnswers, TextPayload


def test_report_round_trip_keeps_every_field_and_script() -> None:
    answers = ReportAnswers(what="Бишкек: тинтүү, өкмөт, oʻgʻil", when_year="2025",
                            region="KG-O", acts=["raid"], perpetrators=["police"],
                            danger_now=True, contact="Signal", consent_stats=True,
                            language="ky")
    assert ReportAnswers.decode(answers.encode()) == answers
    assert json.loads(answers.encode())["v"] == 1


def test_text_and_attachment_round_trip() -> None:
    assert TextPayload.decode(TextPayload("line 1\nline 2").encode()).text == "line 1\nline 2"
    meta = AttachmentMeta("IMG.jpeg", "image/jpeg", 10, "a" * 64, True, 8, "b" * 64)
    assert AttachmentMeta.decode(meta.encode()) == meta


def test_attachment_without_stored_fields_reads_as_uncleaned_copy() -> None:
    """Version 1 items written before the stored copy's digest was kept."""
    raw = json.dumps({"v": 1, "filename": "a.pdf", "mime": "application/pdf", "size": 3,
                      "sha256": "c" * 64, "cleaned": False}).encode()
    meta = AttachmentMeta.decode(raw)
    assert (meta.stored_size, meta.stored_sha256) == (3, "c" * 64)


@pytest.mark.parametrize("data", [
    b"", b"\xff\xfe", b"[]", b"null", b'"text"',
    b'{"text": "no version"}', b'{"v": 2, "text": "from the future"}',
    b'{"v": "1", "text": "string version"}', b'{"v": true, "text": "bool version"}',
    b'{"v": 0, "text": "zero"}', b'{"v": 1, "text": 5}', b'{"v": 1}',
])
def test_text_refuses_what_it_does_not_understand(data: bytes) -> None:
    with pytest.raises(PayloadError):
        TextPayload.decode(data)


@pytest.mark.parametrize("change", [
    {"v": 2}, {"what": None}, {"acts": "raid"}, {"acts": [1]}, {"danger_now": "yes"},
    {"unexpected": 1}, {"region": 3},
])
def test_report_refuses_a_changed_shape(change: dict[str, object]) -> None:
    raw = json.loads(ReportAnswers(what="x").encode())
    raw.update(change)
    with pytest.raises(PayloadError):
        ReportAnswers.decode(json.dumps(raw).encode())


@pytest.mark.parametrize("change", [{"size": -1}, {"size": True}, {"mime": None},
                                    {"sha256": 1}, {"cleaned": 1}, {"complete": "no"}])
def test_attachment_refuses_a_changed_shape(change: dict[str, object]) -> None:
    raw = json.loads(AttachmentMeta("a", "b", 1, "c", False, 1, "c").encode())
    raw.update(change)
    with pytest.raises(PayloadError):
        AttachmentMeta.decode(json.dumps(raw).encode())
