"""Receipt-code guessing throttle: only wrong codes count, per client, under a site ceiling.

A right code costs nothing, so a reporter who checks their case often is never refused; a
client's wrong codes spend only that client's budget (keyed like every other limit, by
`intake.web.ratelimit.client_key`); a high site-wide ceiling on wrong codes is the last
line against guessing spread over many clients.
"""

from __future__ import annotations

from functools import cache

from flask import current_app
from limits import RateLimitItem, parse

from intake.web.app import settings_of
from intake.web.ratelimit import client_key, counters

CLIENT_SCOPE = "receipt"
SITE_SCOPE = "receipt-site"
SITE_KEY = "all-clients"


@cache
def _limit(spec: str) -> RateLimitItem:
    return parse(spec)


def _limits() -> tuple[RateLimitItem, RateLimitItem]:
    cfg = settings_of(current_app)
    return _limit(cfg.rate_limit_receipt), _limit(cfg.rate_limit_receipt_site)


def receipt_allowed() -> bool:
    """False once this client, or the whole site, has spent its wrong-code budget."""
    mine, site = _limits()
    store = counters(current_app)
    return (store.allowed(mine, CLIENT_SCOPE, client_key())
            and store.allowed(site, SITE_SCOPE, SITE_KEY))


def count_wrong_code() -> None:
    """Spend one guess of this client's budget and one of the site's."""
    mine, site = _limits()
    store = counters(current_app)
    store.spend(mine, CLIENT_SCOPE, client_key())
    store.spend(site, SITE_SCOPE, SITE_KEY)
