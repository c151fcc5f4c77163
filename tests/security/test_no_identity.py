"""Invariant 3: no address, user agent or precise time of a reporter is kept."""

from __future__ import annotations

import logging

from sqlalchemy import select

from intake.models import Case, Item
from tests.support.canary import files_under, hits, pg_dump, read_files
from tests.support.factories import csrf_token, report_fields

ADDRESS = "203.0.113.77"
AGENT = "DistinctiveAgent/9.9 (canary-ua-5f3e)"


def test_address_and_agent_not_stored_or_logged(public_client, settings, make_staff, session,
                                                db_backend, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    make_staff("reviewer")
    env = {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": AGENT,
           "HTTP_X_FORWARDED_FOR": ADDRESS}
    page = public_client.get("/", environ_base=env)
    data = report_fields()
    data["csrf_token"] = csrf_token(page.get_data(as_text=True))
    response = public_client.post("/", data=data, environ_base=env,
                                  content_type="multipart/form-data")
    assert response.status_code == 200
    captured = capfd.readouterr()
    blobs = read_files(files_under(settings.data_dir))
    blobs.append(("logs", "\n".join(r.getMessage() for r in caplog.records).encode()))
    blobs.append(("std streams", (captured.out + captured.err).encode()))
    if db_backend == "postgresql":
        blobs.append(("pg_dump", pg_dump(settings.database_url)))
    assert hits([ADDRESS, AGENT, "canary-ua"], blobs) == []


def test_stored_times_are_truncated_to_the_hour(public_client, make_staff, session):
    make_staff("reviewer")
    from tests.support.factories import submit_report

    assert submit_report(public_client).status_code == 200
    case = session.scalars(select(Case)).one()
    item = session.scalars(select(Item)).one()
    for moment in (case.received_at, item.created_at):
        assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)
