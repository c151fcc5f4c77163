"""Receipt guessing throttle: keyed counters (memory or Redis), never a stored address."""

from __future__ import annotations

from functools import cache

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from intake.web.app import settings_of
from intake.web.ratelimit_key import client_key


@cache
def _limiter(storage_url: str) -> MovingWindowRateLimiter:
    """One limiter per storage URL for the life of the process."""
    return MovingWindowRateLimiter(storage_from_string(storage_url))


@cache
def _limit(spec: str) -> RateLimitItem:
    return parse(spec)


def allow_receipt_attempt() -> bool:
    """Count one receipt attempt for this client; False once the limit is reached."""
    cfg = settings_of(current_app)
    limiter = _limiter(cfg.rate_limit_storage)
    return limiter.hit(_limit(cfg.rate_limit_receipt), "receipt", client_key())
