"""Rate-limit keys that never store an address: an HMAC under a key that rotates in memory.

The key for each period is derived from the rate-limit secret and the period number, so
every worker (and Redis, when counters are shared) agrees on it, yet it exists only in
memory; counters of one period cannot be linked to the next, and nothing on disk maps a
counter back to an address without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app, request

from intake.web.app import settings_of

ROTATE_SECONDS = 6 * 3600
_cache: dict[tuple[str, int], bytes] = {}


def _period_key(secret: str, period: int) -> bytes:
    """This period's HMAC key, cached in memory only (the previous one is dropped)."""
    cached = _cache.get((secret, period))
    if cached is None:
        _cache.clear()
        cached = hmac.new(secret.encode(), f"ratelimit/{period}".encode(), hashlib.sha256).digest()
        _cache[(secret, period)] = cached
    return cached


def keyed_address(secret: str, address: str, now: float | None = None) -> str:
    """The counter key for an address in the current period."""
    period = int((time.time() if now is None else now) // ROTATE_SECONDS)
    key = _period_key(secret, period)
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def client_key() -> str:
    """Flask-Limiter key function: the keyed address of this request's client."""
    secret = settings_of(current_app).rate_limit_secret
    return keyed_address(secret, request.remote_addr or "unknown")
