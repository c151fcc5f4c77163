"""Short load run (CI): concurrent clients against real gunicorn, every receipt decrypts."""

from __future__ import annotations

import pytest

from bench.lib.instances import app_env, prepare
from bench.lib.reports import run_reports, verify
from bench.lib.servers import Server

pytestmark = pytest.mark.slow


def test_concurrent_reports_all_stored_and_decryptable(settings, database, tmp_path):
    reader = prepare(settings)
    server = Server(app_env(settings), tmp_path / "gunicorn.log")
    server.start()
    try:
        load = run_reports(server.base, total=40, clients=8)
    finally:
        server.stop()
    assert load.errors == [] and load.unavailable == 0
    assert len(load.receipts) == 40
    result = verify(settings, reader, load.receipts)
    assert result.ok and result.checked == 40
    assert result.cases_stored == 40
