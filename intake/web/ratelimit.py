"""Rate limits on what attackers flood (reports, receipt guesses, staff logins).

Counters are keyed by an HMAC of the client address under a key that exists only in
memory and rotates every few hours, so neither the address nor anything that could be
reversed into it outside that window is ever stored (DESIGN invariant 3). Which address:
the peer's, unless the peer is a proxy the `trusted_proxy` setting names (public app only).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import RateLimitItem
from limits.strategies import MovingWindowRateLimiter

from intake.settings import Settings, SettingsError
from intake.web.registry import require_endpoints

ROTATE_HOURS = 6
EXTENSION = "intake_rate_key"
PROXIES = "intake_trusted_proxies"
COUNTERS = "intake_counters"
PEPPER_PREFIX = "intake:rl:pepper:"
# A Redis that hangs must not hang requests: one try, one second, then counting pauses.
REDIS_TIMEOUT_SECONDS = 1.0

# app name -> endpoint -> (setting that holds the limit, shared scope, methods that count).
# Every endpoint named here must exist in its app (checked when the app is built).
LIMITED: dict[str, dict[str, tuple[str, str, tuple[str, ...]]]] = {
    "intake.public": {
        "public.report_submit": ("rate_limit_submit", "submit", ("POST",)),
    },
    "intake.review": {
        "review.login_post": ("rate_limit_login", "login", ("POST",)),
        "review.second_factor": ("rate_limit_login", "login", ("POST",)),
        "keys.sign_in": ("rate_limit_login", "login", ("POST",)),
    },
}

# Only these apps may ever read X-Forwarded-For (when trusted_proxy names the peer). The
# review onion forwards straight to gunicorn: every peer there is loopback, whatever
# a client writes into its headers.
FORWARDED_APPS = frozenset({"intake.public"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PepperSource = Callable[[int], bytes | None]


def _local_pepper(_period: int) -> bytes:
    """A fresh random value per process and period: nothing to share, nothing stored."""
    return secrets.token_bytes(32)


def redis_pepper(url: str, ttl_seconds: int) -> PepperSource:
    """Several processes must agree on one key: the random pepper lives in Redis memory only.

    The first process of a period sets it (set-if-absent, expiring); the others read it. If
    Redis cannot be reached the answer is None: no key is fixed for the period, so the next
    request asks again (and counting, which needs Redis anyway, simply pauses).
    """
    import redis

    client = redis.Redis.from_url(url, **redis_options())

    def fetch(period: int) -> bytes | None:
        name = f"{PEPPER_PREFIX}{period}"
        try:
            client.set(name, secrets.token_hex(32), nx=True, ex=ttl_seconds)
            value = client.get(name)
        except redis.RedisError:
            return None
        if not value:
            return None
        return bytes.fromhex(cast(bytes, value).decode())  # replies are not decoded: bytes

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

    def _derive(self, pepper: bytes, period: int) -> bytes:
        return hmac.new(self._secret, pepper + period.to_bytes(8, "big"), hashlib.sha256).digest()

    def current(self) -> bytes:
        """The key of this period; a new period draws a new pepper and forgets the old one."""
        period = int(self._clock() // self._seconds)
        with self._lock:
            if period != self._period:
                pepper = self._pepper(period)
                if pepper is None:  # shared pepper unavailable: a one-off key, not kept
                    return self._derive(_local_pepper(period), period)
                self._key = self._derive(pepper, period)
                self._period = period
            return self._key

    def digest(self, address: str) -> str:
        """A counter key for one address; irreversible once the period's key is gone."""
        return hmac.new(self.current(), address.encode(), hashlib.sha256).hexdigest()[:32]


def trusted_networks(settings: Settings, app_name: str) -> tuple[Network, ...]:
    """The proxies whose X-Forwarded-For this app believes: none unless configured, and
    never on an app outside FORWARDED_APPS (the review app)."""
    if app_name not in FORWARDED_APPS:
        return ()
    networks = []
    for entry in settings.trusted_proxy:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError as exc:
            raise SettingsError(
                f"trusted_proxy: {entry!r} is not an IP address or network") from exc
    return tuple(networks)


def client_address() -> str:
    """The peer address, or the last X-Forwarded-For hop when the peer is a trusted proxy.

    A peer that is not an IP address (a unix socket, nothing) is never a trusted proxy, and
    a last hop that is not an IP address is not believed (the peer is counted instead).
    """
    peer = request.remote_addr or ""
    trusted: tuple[Network, ...] = current_app.extensions[PROXIES]
    if not trusted:
        return peer
    try:
        peer_ip = ipaddress.ip_address(peer)
    except ValueError:
        return peer
    if not any(peer_ip in network for network in trusted):
        return peer
    last = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return peer


def client_key() -> str:
    """The keyed, rotating identifier of this request's client (never the address itself)."""
    rotating: RotatingKey = current_app.extensions[EXTENSION]
    return rotating.digest(client_address())


@dataclass(frozen=True)
class Counters:
    """Counters outside the endpoint limits (e.g. wrong receipt codes): the limiter's own
    storage and key prefix, and the same rule that a broken storage never refuses anyone."""

    strategy: MovingWindowRateLimiter
    prefix: str

    def allowed(self, limit: RateLimitItem, *identifiers: str) -> bool:
        """True while the budget under these identifiers is not spent (or cannot be read)."""
        try:
            return bool(self.strategy.test(limit, self.prefix, *identifiers))
        except Exception:  # noqa: BLE001 - any storage failure: counting pauses, service goes on
            current_app.logger.warning("rate-limit storage unavailable: not counting")
            return True

    def spend(self, limit: RateLimitItem, *identifiers: str) -> None:
        """Count one unit against the budget under these identifiers."""
        try:
            self.strategy.hit(limit, self.prefix, *identifiers)
        except Exception:  # noqa: BLE001 - as above
            current_app.logger.warning("rate-limit storage unavailable: not counting")


def counters(app: Flask) -> Counters:
    """The direct counters of an app built by `install`."""
    found: Counters = app.extensions[COUNTERS]
    return found


def redis_options() -> dict[str, Any]:
    """Client options for every Redis connection of the rate limits (pepper and counters)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"socket_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            "retry": Retry(NoBackoff(), 0)}


def _rotating_key(settings: Settings) -> RotatingKey:
    """Shared pepper when counters are shared (Redis), a per-process one otherwise."""
    if shared_storage(settings):
        ttl = 2 * ROTATE_HOURS * 3600
        return RotatingKey(settings.rate_limit_secret,
                           pepper=redis_pepper(settings.rate_limit_storage, ttl))
    return RotatingKey(settings.rate_limit_secret)


def shared_storage(settings: Settings) -> bool:
    """Whether every worker process sees the same counters."""
    return settings.rate_limit_storage.startswith(("redis://", "rediss://"))


def require_shared_counters(settings: Settings, workers: int) -> None:
    """Production with several workers needs shared counters: per-worker memory would give
    every client one budget per worker, and a restart would forget them all."""
    if settings.production and workers > 1 and not shared_storage(settings):
        raise SettingsError(
            f"production mode refuses to start {workers} workers with rate_limit_storage "
            f"{settings.rate_limit_storage!r}: each worker would count separately. Set "
            "rate_limit_storage to a redis:// URL (docs/deploy.md, section 4), or run one "
            "worker (INTAKE_GUNICORN_WORKERS=1).")


def install(app: Flask, settings: Settings, key_prefix: str | None = None) -> Limiter:
    """Call last in create_app: wraps the limited endpoints that this app has."""
    app.extensions[EXTENSION] = _rotating_key(settings)
    app.extensions[PROXIES] = trusted_networks(settings, app.name)
    prefix = key_prefix or f"intake:{app.name}"
    limiter = Limiter(
        key_func=client_key,
        app=app,
        storage_uri=settings.rate_limit_storage,
        storage_options=redis_options() if shared_storage(settings) else {},
        key_prefix=prefix,
        headers_enabled=False,
        # A broken Redis must not stop reports: counting pauses, the service goes on.
        swallow_errors=True,
    )
    app.extensions[COUNTERS] = Counters(MovingWindowRateLimiter(limiter.storage), prefix)
    limited_here = LIMITED.get(app.name, {})
    require_endpoints(app, "rate limits", limited_here)
    for endpoint, (setting, scope, methods) in limited_here.items():
        view = app.view_functions[endpoint]
        limit = str(getattr(settings, setting))
        limited: Any = limiter.shared_limit(limit, scope=scope, methods=list(methods))(view)
        app.view_functions[endpoint] = limited
    return limiter
