"""Rate limits: per client, keyed by a rotating HMAC, never storing the address."""

from __future__ import annotations

import os
import secrets
from typing import Any

import pytest
import redis

from intake.models import Staff
from intake.public import create_app as public_app_factory
from intake.review import create_app as review_app_factory
from intake.settings import Settings
from intake.web import ratelimit
from tests.support.factories import csrf_token, report_fields

ADDRESS_A = "198.51.100.23"
ADDRESS_B = "203.0.113.77"
REDIS_URL = os.environ.get("INTAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


STORAGES = ["memory"]
if os.environ.get("INTAKE_TEST_REDIS_URL") or _redis_available():
    STORAGES.append("redis")


@pytest.fixture(params=STORAGES)
def storage(request: pytest.FixtureRequest) -> str:
    """memory:// always; Redis when CI names one or one answers locally."""
    return "memory://" if request.param == "memory" else REDIS_URL


def _post_report(client: Any, address: str, what: str) -> Any:
    page = client.get("/", headers={"X-Forwarded-For": address})
    data = report_fields(what=what)
    data["csrf_token"] = csrf_token(page.get_data(as_text=True))
    return client.post("/", data=data, content_type="multipart/form-data",
                       headers={"X-Forwarded-For": address})


def test_report_limit_keeps_text_and_is_per_client(
        settings: Settings, database: Any, make_staff: Any, storage: str) -> None:
    make_staff("reviewer")
    cfg = settings.replace(rate_limit_submit="2/hour", rate_limit_storage=storage)
    app = public_app_factory(cfg, database)
    if storage != "memory://":
        _isolate(app)
    client = app.test_client()
    assert _post_report(client, ADDRESS_A, "first").status_code == 200
    assert _post_report(client, ADDRESS_A, "second").status_code == 200
    limited = _post_report(client, ADDRESS_A, "third report text, kept for the person")
    body = limited.get_data(as_text=True)
    assert limited.status_code == 429
    assert "third report text, kept for the person" in body
    assert "Too many reports" in body
    assert 'name="csrf_token"' in body
    # Another client is not affected; the form page itself is never limited.
    assert _post_report(client, ADDRESS_B, "other").status_code == 200
    assert client.get("/", headers={"X-Forwarded-For": ADDRESS_A}).status_code == 200


def _isolate(app: Any) -> None:
    """Each Redis-backed test counts under its own prefix (the suite may share one Redis)."""
    limiter = next(iter(app.extensions["limiter"]))
    limiter._key_prefix = f"intake-test-{secrets.token_hex(4)}"  # noqa: SLF001 - test isolation only


def test_redis_holds_no_address(settings: Settings, database: Any, make_staff: Any) -> None:
    if "redis" not in STORAGES:
        pytest.skip("no Redis: set INTAKE_TEST_REDIS_URL or run redis on 127.0.0.1:6379")
    make_staff("reviewer")
    cfg = settings.replace(rate_limit_submit="5/hour", rate_limit_login="5/hour",
                           rate_limit_storage=REDIS_URL)
    public = public_app_factory(cfg, database)
    review = review_app_factory(cfg, database)
    _isolate(public)
    _isolate(review)
    for _ in range(2):
        assert _post_report(public.test_client(), ADDRESS_A, "x").status_code == 200
    rc = review.test_client()
    page = rc.get("/login")
    rc.post("/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                            "username": "nobody", "passphrase": "wrong"},
            headers={"X-Forwarded-For": ADDRESS_B})
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(count=1000))
    assert any(b"intake" in k for k in keys), "the limiter stored nothing in Redis"
    for key in keys:
        blob = key + repr(_value(client, key)).encode()
        for address in (ADDRESS_A, ADDRESS_B, "127.0.0.1"):
            assert address.encode() not in blob


def _value(client: redis.Redis, key: bytes) -> Any:
    kind = client.type(key)
    if kind == b"string":
        return client.get(key)
    if kind == b"hash":
        return client.hgetall(key)
    if kind == b"zset":
        return client.zrange(key, 0, -1, withscores=True)
    if kind == b"list":
        return client.lrange(key, 0, -1)
    if kind == b"set":
        return client.smembers(key)
    return b""


def test_login_and_second_factor_share_a_limit(
        settings: Settings, database: Any, make_staff: Any, login_as: Any,
        storage: str) -> None:
    cfg = settings.replace(rate_limit_login="3/hour", rate_limit_storage=storage)
    app = review_app_factory(cfg, database)
    if storage != "memory://":
        _isolate(app)
    client = app.test_client()
    headers = {"X-Forwarded-For": ADDRESS_A}
    token = csrf_token(client.get("/login").get_data(as_text=True))
    bad = {"csrf_token": token, "username": "nobody", "passphrase": "wrong"}
    assert client.post("/login", data=bad, headers=headers).status_code == 401
    assert client.post("/login", data=bad, headers=headers).status_code == 401
    staff = make_staff("reviewer")
    with database.transaction() as s:
        s.get(Staff, staff.id).totp_enrolled = True
    login_as(client, staff, second_factor=False)
    token = csrf_token(client.get("/login/2fa", headers=headers).get_data(as_text=True))
    code = {"csrf_token": token, "code": "000000"}
    assert client.post("/login/2fa", data=code, headers=headers).status_code == 401
    limited = client.post("/login/2fa", data=code, headers=headers)
    assert limited.status_code == 429
    assert "Too many attempts" in limited.get_data(as_text=True)
    bad["csrf_token"] = token
    assert client.post("/login", data=bad, headers=headers).status_code == 429
    assert client.post("/login", data=bad,
                       headers={"X-Forwarded-For": ADDRESS_B}).status_code == 401


def test_every_limited_endpoint_is_limited(settings: Settings, database: Any) -> None:
    """Each app wraps exactly the endpoints its registry names (none lost to a rename)."""
    apps = {"intake.public": public_app_factory(settings, database),
            "intake.review": review_app_factory(settings, database)}
    assert set(ratelimit.LIMITED) == set(apps)
    for name, app in apps.items():
        for endpoint in ratelimit.LIMITED[name]:
            assert endpoint in app.view_functions


def test_key_is_keyed_rotating_and_not_the_address() -> None:
    now = [0.0]
    key = ratelimit.RotatingKey("s" * 40, hours=1, clock=lambda: now[0])
    first = key.digest(ADDRESS_A)
    assert ADDRESS_A not in first and first == key.digest(ADDRESS_A)
    assert first != key.digest(ADDRESS_B)
    assert first != ratelimit.RotatingKey("s" * 40, hours=1, clock=lambda: 0.0).digest(ADDRESS_A)
    now[0] = 3600.0
    assert key.digest(ADDRESS_A) != first


def test_shared_pepper_gives_one_key_to_all_processes() -> None:
    store: dict[int, bytes] = {}

    def pepper(period: int) -> bytes:
        return store.setdefault(period, secrets.token_bytes(32))

    one = ratelimit.RotatingKey("s" * 40, pepper=pepper)
    two = ratelimit.RotatingKey("s" * 40, pepper=pepper)
    assert one.digest(ADDRESS_A) == two.digest(ADDRESS_A)


def test_client_key_trusts_only_the_loopback_proxy(settings: Settings, database: Any) -> None:
    app = public_app_factory(settings, database)
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                  headers={"X-Forwarded-For": f"1.2.3.4, {ADDRESS_A}"}):
        via_proxy = ratelimit.client_key()
        assert ratelimit.client_address() == ADDRESS_A
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": ADDRESS_A}):
        assert ratelimit.client_key() == via_proxy
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": ADDRESS_B},
                                  headers={"X-Forwarded-For": ADDRESS_A}):
        assert ratelimit.client_address() == ADDRESS_B
