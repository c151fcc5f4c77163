"""Rate limits on what attackers flood (reports, receipt guesses, staff logins).

Counters are keyed by an HMAC of the client address under a key that exists only in
memory and rotates every few hours, so neither the address nor anything that could be
reversed into it outside that window is ever stored (DESIGN invariant 3).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter

from intake.settings import Settings
from intake.web.registry import require_endpoints

ROTATE_HOURS = 6
EXTENSION = "intake_rate_key"
PEPPER_PREFIX = "intake:rl:pepper:"

# app name -> endpoint -> (setting that holds the limit, shared scope, methods that count).
# Every endpoint named here must exist in its app (checked when the app is built).
LIMITED: dict[str, dict[str, tuple[str, str, tuple[str, ...]]]] = {
    "intake.public": {
        "public.report_submit": ("rate_limit_submit", "submit", ("POST",)),
        "receipt.receipt_post": ("rate_limit_receipt", "receipt", ("POST",)),
        "receipt.receipt_shown": ("rate_limit_receipt", "receipt", ("POST",)),
    },
    "intake.review": {
        "review.login_post": ("rate_limit_login", "login", ("POST",)),
        "review.second_factor": ("rate_limit_login", "login", ("POST",)),
        "keys.sign_in": ("rate_limit_login", "login", ("POST",)),
    },
}

PepperSource = Callable[[int], bytes]


def _local_pepper(_period: int) -> bytes:
    """A fresh random value per process and period: nothing to share, nothing stored."""
    return secrets.token_bytes(32)


def redis_pepper(url: str, ttl_seconds: int) -> PepperSource:
    """Several processes must agree on one key: the random pepper lives in Redis memory only."""
    import redis

    client = redis.Redis.from_url(url)

    def fetch(period: int) -> bytes:
        name = f"{PEPPER_PREFIX}{period}"
        client.set(name, secrets.token_hex(32), nx=True, ex=ttl_seconds)
        value = client.get(name)
        if not value:
            return _local_pepper(period)
        return bytes.fromhex(value.decode() if isinstance(value, bytes) else str(value))

    return fetch


class RotatingKey:
    """An HMAC key derived from the configured secret and a random pepper per period."""

    def __init__(self, secret: str, hours: int = ROTATE_HOURS,
                 pepper: PepperSource = _local_pepper,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret.encode()
        self._seconds = hours * 3600
        self._pepper = pepper
        self._clock = clock
        self._lock = threading.Lock()
        self._period = -1
        self._key = b""

    def current(self) -> bytes:
        """The key of this period; a new period draws a new pepper and forgets the old one."""
        period = int(self._clock() // self._seconds)
        with self._lock:
            if period != self._period:
                pepper = self._pepper(period)
                self._key = hmac.new(self._secret, pepper + period.to_bytes(8, "big"),
                                     hashlib.sha256).digest()
                self._period = period
            return self._key

    def digest(self, address: str) -> str:
        """A counter key for one address; irreversible once the period's key is gone."""
        return hmac.new(self.current(), address.encode(), hashlib.sha256).hexdigest()[:32]


_PROCESS_KEY = RotatingKey(secrets.token_urlsafe(32))


def client_address() -> str:
    """The peer address, or the one our loopback reverse proxy put last in X-Forwarded-For."""
    peer = request.remote_addr or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    try:
        loopback = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        loopback = False
    if loopback and forwarded:
        return forwarded.split(",")[-1].strip()
    return peer


def client_key() -> str:
    """The keyed, rotating identifier of this request's client (never the address itself)."""
    rotating: RotatingKey = current_app.extensions.get(EXTENSION, _PROCESS_KEY)
    return rotating.digest(client_address())


def _rotating_key(settings: Settings) -> RotatingKey:
    """Shared pepper when counters are shared (Redis), a per-process one otherwise."""
    if settings.rate_limit_storage.startswith(("redis://", "rediss://")):
        ttl = 2 * ROTATE_HOURS * 3600
        return RotatingKey(settings.rate_limit_secret,
                           pepper=redis_pepper(settings.rate_limit_storage, ttl))
    return RotatingKey(settings.rate_limit_secret)


def install(app: Flask, settings: Settings, key_prefix: str | None = None) -> Limiter:
    """Call last in create_app: wraps the limited endpoints that this app has."""
    app.extensions[EXTENSION] = _rotating_key(settings)
    limiter = Limiter(
        key_func=client_key,
        app=app,
        storage_uri=settings.rate_limit_storage,
        key_prefix=key_prefix or f"intake:{app.name}",
        headers_enabled=False,
        # A broken Redis must not stop reports: counting pauses, the service goes on.
        swallow_errors=True,
    )
    limited_here = LIMITED.get(app.name, {})
    require_endpoints(app, "rate limits", limited_here)
    for endpoint, (setting, scope, methods) in limited_here.items():
        view = app.view_functions[endpoint]
        limit = str(getattr(settings, setting))
        limited: Any = limiter.shared_limit(limit, scope=scope, methods=list(methods))(view)
        app.view_functions[endpoint] = limited
    return limiter
