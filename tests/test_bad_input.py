"""Invariant 8 and the form's promises: clear 4xx, typed text kept, never a 500."""

from __future__ import annotations

import pytest

from tests.support.factories import csrf_token, report_fields, submit_report


@pytest.fixture(autouse=True)
def _reader(make_staff):
    make_staff("reviewer")


def test_oversized_body_gets_friendly_413(public_client, settings):
    limit = settings.max_request_mb * 1024 * 1024
    response = public_client.post("/", data=b"x" * (limit + 10),
                                  content_type="application/octet-stream")
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "larger than this site accepts" in body
    assert "Traceback" not in body


def test_missing_csrf_token_keeps_typed_text(public_client):
    public_client.get("/")
    data = report_fields(what="My unsaved words about the raid", place="Talas")
    response = public_client.post("/", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "My unsaved words about the raid" in body
    assert 'value="Talas"' in body
    assert "send it again" in body
    # The re-rendered page carries a fresh, working token.
    data["csrf_token"] = csrf_token(body)
    again = public_client.post("/", data=data, content_type="multipart/form-data")
    assert again.status_code == 200


def test_stale_csrf_token_from_another_session_keeps_text(public_app, public_client):
    other = public_app.test_client()
    stale = csrf_token(other.get("/").get_data(as_text=True))
    public_client.get("/")
    data = report_fields(what="Text typed before the token went stale", csrf_token=stale)
    response = public_client.post("/", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Text typed before the token went stale" in response.get_data(as_text=True)


@pytest.mark.parametrize("overrides", [
    {"region": "atlantis"},
    {"acts": ["not-an-act"]},
    {"perpetrators": ["aliens"]},
    {"consent_stats": "maybe"},
    {"when_month": "13"},
    {"when_year": "20x6"},
    {"when_year": "3000"},
    {"when_date": "2026-02-31"},
    {"when_date": "2999-01-01"},
    {"when_month": "4", "when_year": ""},
    {"what": ""},
    {"what": "x" * 100_001},
])
def test_invalid_choices_rerender_with_errors_and_text(public_client, overrides):
    response = submit_report(public_client, place="Kept place text", **overrides)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'value="Kept place text"' in body
    assert 'class="error-summary"' in body
    assert "Traceback" not in body


@pytest.mark.parametrize("body,ctype", [
    (b"\xff\xfe\x00garbage", "multipart/form-data; boundary=zzz"),
    (b"what=%ZZ%", "application/x-www-form-urlencoded"),
    (b"{}", "application/json"),
    (b"", "text/plain"),
])
def test_malformed_bodies_never_500(public_client, body, ctype):
    response = public_client.post("/", data=body, content_type=ctype)
    assert 400 <= response.status_code < 500


def test_unknown_paths_and_methods_are_4xx(public_client):
    assert public_client.get("/nope").status_code == 404
    assert public_client.put("/").status_code == 405
    assert public_client.get("/healthz").status_code == 200


def test_database_failure_keeps_text_and_says_nothing_stored(public_client, public_app,
                                                            monkeypatch):
    from sqlalchemy.exc import OperationalError

    from intake.public import views

    def broken(*_a, **_k):
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(views, "submit_report", broken)
    response = submit_report(public_client, what="Words that must survive an outage")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "Words that must survive an outage" in body
    assert "Nothing was stored" in body
