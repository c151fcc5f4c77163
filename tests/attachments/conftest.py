"""Readers must exist before anything can be submitted."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def reviewer(make_staff: Any, recovery_key: Any) -> Any:
    """A reviewer (and the recovery key), so reports are accepted."""
    return make_staff("reviewer")
