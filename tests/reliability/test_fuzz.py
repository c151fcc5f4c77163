"""Short fuzzing run (CI): hypothesis requests over every public route, in process.
bench/fuzz.py runs 5,000+ of the same against real gunicorn."""

from __future__ import annotations

import io

import pytest

from bench.fuzz import Tally, flask_sender, fuzz, public_rules
from tests.support.factories import csrf_token

EXAMPLES = 300


@pytest.fixture
def production_like_client(settings, database, make_staff):
    """The public app without TESTING, so errors take the production path."""
    from intake.public import create_app

    make_staff("reviewer")
    return create_app(settings, database).test_client()


def test_no_5xx_and_no_stack_trace_over_public_routes(production_like_client):
    client = production_like_client
    rules = public_rules(client.application)
    assert "/" in rules and "/healthz" in rules
    assert not any(r.startswith("/review") or r.startswith("/login") for r in rules)
    tally = Tally()
    fuzz(flask_sender(client), rules, csrf_token(client.get("/").get_data(as_text=True)),
         EXAMPLES, tally)
    assert tally.sent >= EXAMPLES and tally.failures == []
    assert len(tally.statuses) > 2  # the run reached more than one kind of answer


JSON_BODIES = [b"", b"1", b"[1, 2]", b'"x"', b"null", b'{"what": [1]}', b'{"what": {"a": 1}}',
               b"{broken"]


def test_json_bodies_are_a_400_not_a_crash(production_like_client):
    """Found by the fuzzer: Flask-WTF parsed JSON bodies; non-objects made a 500."""
    client = production_like_client
    token = csrf_token(client.get("/").get_data(as_text=True))
    for body in JSON_BODIES:
        for headers in ({}, {"X-CSRFToken": token}):
            response = client.post("/", data=body,
                                   headers={"Content-Type": "application/json", **headers})
            assert response.status_code == 400, (body, headers)
            assert "Traceback" not in response.get_data(as_text=True)


def test_file_part_named_like_a_text_field_is_not_a_crash(production_like_client):
    """Found by the fuzzer: a file part called "what" reached the Length validator."""
    client = production_like_client
    token = csrf_token(client.get("/").get_data(as_text=True))
    for fields in ({}, {"csrf_token": token}):
        response = client.post("/", data={**fields, "what": (io.BytesIO(b""), "0")},
                               content_type="multipart/form-data")
        assert response.status_code == 400
        assert "Traceback" not in response.get_data(as_text=True)
