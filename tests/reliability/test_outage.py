"""Short outage checks (CI): the database goes away mid-run; the form answers 503 with the
typed text kept, and the same app recovers once the database is back."""

from __future__ import annotations

import html
import sqlite3

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench.tcp_proxy import TcpProxy
from intake.db import Database
from tests.support.factories import csrf_token, receipt_code, report_fields

TYPED = "They took my laptop at the border — Ош, 3 March"


def _post(client, what: str):
    data = report_fields(what=what)
    data["csrf_token"] = csrf_token(client.get("/").get_data(as_text=True))
    return client.post("/", data=data, content_type="multipart/form-data")


def _kept(response) -> bool:
    body = response.get_data(as_text=True)
    return html.escape(TYPED, quote=False) in body or html.escape(TYPED) in body


def test_postgresql_unreachable_then_back(settings, database, make_staff, db_backend):
    if db_backend != "postgresql":
        pytest.skip("PostgreSQL proxy outage")
    from intake.public import create_app

    make_staff("reviewer")
    url = make_url(settings.database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    via_proxy = settings.replace(database_url=proxied)
    db = Database(via_proxy)
    try:
        app = create_app(via_proxy, db)
        client = app.test_client()
        assert _post(client, "before the outage").status_code == 200
        token = csrf_token(client.get("/").get_data(as_text=True))
        proxy.cut()
        data = report_fields(what=TYPED)
        data["csrf_token"] = token
        down = client.post("/", data=data, content_type="multipart/form-data")
        assert down.status_code == 503
        assert _kept(down)
        assert "Traceback" not in down.get_data(as_text=True)
        assert client.get("/").status_code == 503
        proxy.restore()
        back = _post(client, TYPED)
        assert back.status_code == 200
        assert receipt_code(back.get_data(as_text=True))
    finally:
        proxy.cut()
        db.dispose()


def test_sqlite_locked_then_released(settings, database, public_client, make_staff,
                                     db_backend):
    if db_backend != "sqlite":
        pytest.skip("SQLite file lock")
    make_staff("reviewer")
    database.dispose()

    @event.listens_for(database.engine, "connect")
    def _short_wait(dbapi_connection, _record):  # the shipped 10 s wait, shortened for CI
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    token = csrf_token(public_client.get("/").get_data(as_text=True))
    locker = sqlite3.connect(database.engine.url.database, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        data = report_fields(what=TYPED)
        data["csrf_token"] = token
        down = public_client.post("/", data=data, content_type="multipart/form-data")
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert down.status_code == 503
    assert _kept(down)
    back = _post(public_client, TYPED)
    assert back.status_code == 200 and receipt_code(back.get_data(as_text=True))


def test_sqlite_refusing_writes_answers_503_with_text_kept(settings, database, public_client,
                                                          make_staff, db_backend):
    if db_backend != "sqlite":
        pytest.skip("SQLite file")
    make_staff("reviewer")
    database.dispose()

    @event.listens_for(database.engine, "connect")
    def _read_only(dbapi_connection, _record):  # root ignores chmod: refuse writes instead
        dbapi_connection.execute("PRAGMA query_only=ON")

    down = _post(public_client, TYPED)
    assert down.status_code == 503 and _kept(down)
    event.remove(database.engine, "connect", _read_only)
    database.dispose()
    assert _post(public_client, TYPED).status_code == 200
