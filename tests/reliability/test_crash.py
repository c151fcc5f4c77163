"""Short crash run (CI): gunicorn SIGKILLed during load; every receipted report survives."""

from __future__ import annotations

import pytest

from bench.crash import run

pytestmark = pytest.mark.slow


def test_receipted_reports_survive_sigkill(settings, tmp_path):
    result = run(settings.database_url, settings.data_dir, reports=60, clients=8, kills=2,
                 interval=0.2, fast_kdf=True)
    assert result.kills == 2
    assert result.load.errors == []
    assert len(result.load.receipts) == 60
    assert result.verification.ok
    assert result.verification.checked == 60
    assert result.load.retried > 0  # the kills really cut requests off
