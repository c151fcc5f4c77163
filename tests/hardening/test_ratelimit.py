"""Rate limits: per client, keyed by a rotating HMAC, never storing the address; which
client a request is (forwarded headers only from a configured proxy, never on the review
app); counters really shared in Redis; a Redis that goes away stops no report."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

from intake.models import Case, Staff
from intake.public import create_app as public_app_factory
from intake.review import create_app as review_app_factory
from intake.settings import Settings, SettingsError
from intake.web import ratelimit
from intake.web.registry import UnknownEndpoint
from tests.public.helpers import add_reply, open_receipt_page, report_code
from tests.support.factories import csrf_token, report_fields

ADDRESS_A = "198.51.100.23"
ADDRESS_B = "203.0.113.77"
REDIS_URL = os.environ.get("INTAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REPLY = "We read your report and will call you on the number you gave."


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


STORAGES = ["memory"]
if os.environ.get("INTAKE_TEST_REDIS_URL") or _redis_available():
    STORAGES.append("redis")
needs_redis = pytest.mark.skipif("redis" not in STORAGES,
                                 reason="no Redis: set INTAKE_TEST_REDIS_URL")


@pytest.fixture(params=STORAGES)
def storage(request: pytest.FixtureRequest) -> str:
    """memory:// always; Redis when CI names one or one answers locally."""
    return "memory://" if request.param == "memory" else REDIS_URL


def _behind_proxy(settings: Settings, storage: str = "memory://", **changes: Any) -> Settings:
    """Settings as production has them: nginx on loopback is the trusted proxy. A fresh
    secret per test keeps counters apart when tests share one Redis."""
    return settings.replace(rate_limit_storage=storage, trusted_proxy=("127.0.0.1", "::1"),
                            rate_limit_secret="rl-test-" + secrets.token_hex(24), **changes)


def _via_proxy(app: Any, address: str) -> Any:
    """A client whose requests arrive from our loopback nginx, which names it in
    X-Forwarded-For (the real header path; the test client's peer is 127.0.0.1)."""
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return client


def _post_report(client: Any, what: str) -> Any:
    page = client.get("/")
    data = report_fields(what=what)
    data["csrf_token"] = csrf_token(page.get_data(as_text=True))
    return client.post("/", data=data, content_type="multipart/form-data")


def _followup(client: Any, code: str, text: str) -> Any:
    token = csrf_token(open_receipt_page(client, code).get_data(as_text=True))
    return client.post("/receipt/followup", data={"code": code, "text": text,
                                                  "csrf_token": token},
                       content_type="multipart/form-data")


def _post_login(client: Any, username: str, passphrase: str) -> Any:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": username,
                                       "passphrase": passphrase})


def _cases(database: Any) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Case)) or 0)


# --- finding 1: one client's guesses must not lock other reporters out ------------------

def test_one_client_guessing_codes_does_not_lock_another_reporter_out(
        settings: Settings, database: Any, make_staff: Any, recovery_key: Any,
        storage: str) -> None:
    make_staff("reviewer")
    cfg = _behind_proxy(settings, storage, rate_limit_receipt="5/hour")
    app = public_app_factory(cfg, database)
    reporter = _via_proxy(app, ADDRESS_B)
    code = report_code(reporter)
    add_reply(database, REPLY)
    guesser = _via_proxy(app, ADDRESS_A)
    statuses = [open_receipt_page(guesser, "1234 5678 9012 3456 7890").status_code
                for _ in range(8)]
    assert statuses == [400] * 5 + [429] * 3
    opened = open_receipt_page(reporter, code)
    assert opened.status_code == 200 and REPLY in opened.get_data(as_text=True)
    sent = _followup(reporter, code, "They came back on Monday.")
    assert sent.status_code == 200, sent.get_data(as_text=True)
    assert _followup(guesser, code, "the guesser is still refused").status_code == 429


# --- every limit counts per client through the proxy header path ------------------------

def test_report_limit_keeps_text_and_is_per_client(
        settings: Settings, database: Any, make_staff: Any, storage: str) -> None:
    make_staff("reviewer")
    app = public_app_factory(_behind_proxy(settings, storage, rate_limit_submit="2/hour"),
                             database)
    client = _via_proxy(app, ADDRESS_A)
    assert _post_report(client, "first").status_code == 200
    assert _post_report(client, "second").status_code == 200
    limited = _post_report(client, "third report text, kept for the person")
    body = limited.get_data(as_text=True)
    assert limited.status_code == 429
    assert "third report text, kept for the person" in body
    assert "Too many reports" in body
    assert 'name="csrf_token"' in body
    # no header tells a flooder its budget or when it refills
    assert not [name for name, _value in limited.headers.items()
                if name.lower().startswith(("x-ratelimit", "retry-after"))]
    # Another client is not affected; the form page itself is never limited.
    assert _post_report(_via_proxy(app, ADDRESS_B), "other").status_code == 200
    assert client.get("/").status_code == 200


def test_login_and_second_factor_share_a_limit_per_client(
        settings: Settings, database: Any, make_staff: Any, login_as: Any,
        storage: str) -> None:
    cfg = settings.replace(rate_limit_login="3/hour", rate_limit_storage=storage,
                           rate_limit_secret="rl-test-" + secrets.token_hex(24))
    app = review_app_factory(cfg, database)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ADDRESS_A
    assert _post_login(client, "nobody", "wrong").status_code == 401
    assert _post_login(client, "nobody", "wrong").status_code == 401
    staff = make_staff("reviewer")
    with database.transaction() as s:
        s.get(Staff, staff.id).totp_enrolled = True
    login_as(client, staff, second_factor=False)
    token = csrf_token(client.get("/login/2fa").get_data(as_text=True))
    code = {"csrf_token": token, "code": "000000"}
    assert client.post("/login/2fa", data=code).status_code == 401
    limited = client.post("/login/2fa", data=code)
    assert limited.status_code == 429
    assert "Too many attempts" in limited.get_data(as_text=True)
    assert _post_login(client, "nobody", "wrong").status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = ADDRESS_B
    assert _post_login(other, "nobody", "wrong").status_code == 401


def test_the_key_sign_in_shares_the_login_limit_per_client(
        settings: Settings, database: Any, make_staff: Any, storage: str) -> None:
    """The security-key step is a second factor like the code: its tries spend the same
    per-client budget as the passphrase, whatever each answer was."""
    cfg = settings.replace(rate_limit_login="3/hour", rate_limit_storage=storage,
                           rate_limit_secret="rl-test-" + secrets.token_hex(24))
    app = review_app_factory(cfg, database)
    staff = make_staff("reviewer")
    with database.transaction() as s:
        s.get(Staff, staff.id).totp_enrolled = True
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ADDRESS_A
    assert _post_login(client, staff.username, staff.passphrase).status_code == 302
    token = csrf_token(client.get("/login/2fa").get_data(as_text=True))
    for _ in range(2):
        assert client.post("/login/key", data={"csrf_token": token}).status_code != 429
    limited = client.post("/login/key", data={"csrf_token": token})
    assert limited.status_code == 429
    assert "Too many attempts" in limited.get_data(as_text=True)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = ADDRESS_B
    assert _post_login(other, "nobody", "wrong").status_code == 401


# --- finding 8: whose X-Forwarded-For is believed ----------------------------------------

def test_the_review_app_ignores_forwarded_headers_even_from_loopback(
        settings: Settings, database: Any) -> None:
    # Even a configuration that trusts loopback does not reach the review app: its onion
    # service connects from loopback, so a header there is whatever the client wrote.
    cfg = settings.replace(rate_limit_login="3/hour", trusted_proxy=("127.0.0.1", "::1"),
                           rate_limit_secret="rl-test-" + secrets.token_hex(24))
    app = review_app_factory(cfg, database)
    statuses = []
    for n in range(5):
        client = _via_proxy(app, f"192.0.2.{n + 1}")  # a new "address" each time
        statuses.append(_post_login(client, "nobody", "wrong").status_code)
    assert statuses == [401, 401, 401, 429, 429]
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                  headers={"X-Forwarded-For": ADDRESS_A}):
        assert ratelimit.client_address() == "127.0.0.1"


def test_without_trusted_proxy_the_public_app_ignores_forwarded_headers(
        settings: Settings, database: Any, make_staff: Any) -> None:
    make_staff("reviewer")
    cfg = settings.replace(rate_limit_submit="2/hour",
                           rate_limit_secret="rl-test-" + secrets.token_hex(24))
    assert cfg.trusted_proxy == ()  # the default
    app = public_app_factory(cfg, database)
    statuses = [_post_report(_via_proxy(app, f"192.0.2.{n + 1}"), "x").status_code
                for n in range(3)]
    assert statuses == [200, 200, 429]


def test_with_trusted_proxy_the_last_hop_is_the_client(
        settings: Settings, database: Any) -> None:
    app = public_app_factory(_behind_proxy(settings), database)
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                  headers={"X-Forwarded-For": f"10.9.8.7, {ADDRESS_A}"}):
        spoofed_first = ratelimit.client_key()
        assert ratelimit.client_address() == ADDRESS_A
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "::1"},
                                  headers={"X-Forwarded-For": ADDRESS_A}):
        assert ratelimit.client_key() == spoofed_first
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": ADDRESS_A}):
        assert ratelimit.client_key() == spoofed_first  # as if it had come directly
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                  headers={"X-Forwarded-For": "fc00:dead:beef:4dad::0:1"}):
        # Tor's per-circuit pseudo-address, as nginx forwards it from the PROXY header
        assert ratelimit.client_address() == "fc00:dead:beef:4dad::1"


@pytest.mark.parametrize("peer", ["", "unix:/run/intake.sock", "localhost", "127.0.0.1x"])
def test_a_peer_that_is_not_an_ip_is_never_a_trusted_proxy(
        settings: Settings, database: Any, peer: str) -> None:
    everything = settings.replace(trusted_proxy=("0.0.0.0/0", "::/0"))
    app = public_app_factory(everything, database)
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": peer},
                                  headers={"X-Forwarded-For": ADDRESS_A}):
        assert ratelimit.client_address() == peer


def test_only_the_named_proxies_are_trusted_and_only_for_an_ip(
        settings: Settings, database: Any) -> None:
    # a host address with a mask, as operators write it, names its network
    app = public_app_factory(settings.replace(trusted_proxy=("10.9.9.9/8",)), database)
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                  headers={"X-Forwarded-For": ADDRESS_A}):
        assert ratelimit.client_address() == "127.0.0.1"
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.1.2.3"},
                                  headers={"X-Forwarded-For": ADDRESS_B}):
        assert ratelimit.client_address() == ADDRESS_B
    for garbage in ("", "unknown", f"{ADDRESS_B}, not-an-address"):
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.1.2.3"},
                                      headers={"X-Forwarded-For": garbage}):
            assert ratelimit.client_address() == "10.1.2.3", garbage
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        assert ratelimit.client_address() == "10.1.2.3"  # the proxy sent no header


def test_a_trusted_proxy_that_is_not_an_address_stops_the_app(
        settings: Settings, database: Any) -> None:
    with pytest.raises(SettingsError, match="trusted_proxy"):
        public_app_factory(settings.replace(trusted_proxy=("nginx.local",)), database)


# --- Redis: the counters really are shared, and hold no address -------------------------

def _keys(client: redis.Redis, pattern: str) -> list[str]:
    return [k.decode() for k in client.scan_iter(match=pattern, count=1000)]


@needs_redis
def test_the_limiters_own_counters_are_in_redis_under_the_app_prefix(
        settings: Settings, database: Any, make_staff: Any, recovery_key: Any) -> None:
    make_staff("reviewer")
    public = public_app_factory(_behind_proxy(settings, REDIS_URL), database)
    review = review_app_factory(_behind_proxy(settings, REDIS_URL), database)
    client = _via_proxy(public, ADDRESS_A)
    assert _post_report(client, "x").status_code == 200
    assert open_receipt_page(client, "not a code").status_code == 400
    staff_client = review.test_client()
    staff_client.environ_base["REMOTE_ADDR"] = ADDRESS_B
    assert _post_login(staff_client, "nobody", "wrong").status_code == 401
    store = redis.Redis.from_url(REDIS_URL)
    public_id = public.extensions[ratelimit.EXTENSION].digest(ADDRESS_A)
    review_id = review.extensions[ratelimit.EXTENSION].digest(ADDRESS_B)
    submit = _keys(store, f"*{public_id}*submit*")
    receipt = _keys(store, f"*receipt*{public_id}*")
    login = _keys(store, f"*{review_id}*login*")
    assert submit and receipt and login, "a limit did not count in Redis"
    for key in submit + receipt:
        assert key.startswith("LIMITS:LIMITER/intake:intake.public/"), key
    for key in login:
        assert key.startswith("LIMITS:LIMITER/intake:intake.review/"), key
    for key in submit + receipt + login:
        assert ADDRESS_A not in key and ADDRESS_B not in key


@needs_redis
def test_redis_holds_no_address(settings: Settings, database: Any, make_staff: Any,
                                recovery_key: Any) -> None:
    make_staff("reviewer")
    public = public_app_factory(_behind_proxy(settings, REDIS_URL), database)
    review = review_app_factory(_behind_proxy(settings, REDIS_URL), database)
    for _ in range(2):
        assert _post_report(_via_proxy(public, ADDRESS_A), "x").status_code == 200
    open_receipt_page(_via_proxy(public, ADDRESS_A), "not a code")
    staff_client = review.test_client()
    staff_client.environ_base["REMOTE_ADDR"] = ADDRESS_B
    _post_login(staff_client, "nobody", "wrong")
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(count=1000))
    assert any(k.startswith(b"LIMITS:LIMITER/intake:") for k in keys), "no counter in Redis"
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


@pytest.fixture
def pepper_prefix(monkeypatch: pytest.MonkeyPatch) -> str:
    """This test's own pepper names, so it sees the pepper it set."""
    prefix = f"intake-test:pepper:{secrets.token_hex(4)}:"
    monkeypatch.setattr(ratelimit, "PEPPER_PREFIX", prefix)
    return prefix


@needs_redis
def test_the_pepper_is_set_once_for_every_process_and_expires(pepper_prefix: str) -> None:
    store = redis.Redis.from_url(REDIS_URL)
    first_process = ratelimit.redis_pepper(REDIS_URL, 2)
    second_process = ratelimit.redis_pepper(REDIS_URL, 2)
    mine = first_process(7)
    assert mine is not None and len(mine) == 32
    assert second_process(7) == mine  # set-if-absent: the second never overwrites
    assert first_process(7) == mine
    assert 0 < store.ttl(f"{pepper_prefix}7") <= 2
    assert second_process(8) != mine  # another period, another pepper
    time.sleep(2.2)
    assert store.exists(f"{pepper_prefix}7") == 0  # gone: old counters cannot be linked


@needs_redis
def test_the_apps_pepper_lives_at_most_two_periods(
        settings: Settings, database: Any, make_staff: Any, pepper_prefix: str) -> None:
    make_staff("reviewer")
    app = public_app_factory(_behind_proxy(settings, REDIS_URL), database)
    assert _post_report(_via_proxy(app, ADDRESS_A), "x").status_code == 200
    store = redis.Redis.from_url(REDIS_URL)
    [name] = _keys(store, f"{pepper_prefix}*")
    period = int(name.rsplit(":", 1)[1])
    assert period == int(time.time() // (6 * 3600))
    assert 6 * 3600 < store.ttl(name) <= 12 * 3600


def test_the_key_is_the_documented_construction() -> None:
    """K_period = HMAC-SHA256(secret, pepper || period as 8 bytes big-endian); a counter
    key is the first 32 hex digits of HMAC-SHA256(K_period, address) (docs/decisions.md)."""
    pepper = bytes(range(32))
    for period in (0, 1, 2, 123_456):  # the first key of a process, whichever period it is
        key = ratelimit.RotatingKey("s" * 40, pepper=lambda _period: pepper,
                                    clock=lambda period=period: period * 6 * 3600 + 5.0)
        k_period = hmac.new(b"s" * 40, pepper + period.to_bytes(8, "big"),
                            hashlib.sha256).digest()
        assert key.current() == k_period, period
        assert key.digest(ADDRESS_A) == hmac.new(k_period, ADDRESS_A.encode(),
                                                 hashlib.sha256).hexdigest()[:32]


def test_a_process_pepper_is_32_fresh_random_bytes() -> None:
    peppers = {ratelimit._local_pepper(7) for _ in range(8)}
    assert len(peppers) == 8 and {len(p) for p in peppers} == {32}


def test_keys_rotate_every_six_hours() -> None:
    now = [6 * 3600 * 1000.0]
    key = ratelimit.RotatingKey("s" * 40, clock=lambda: now[0])
    first = key.digest(ADDRESS_A)
    now[0] += 6 * 3600 - 1
    assert key.digest(ADDRESS_A) == first
    now[0] += 1
    assert key.digest(ADDRESS_A) != first


def test_key_is_keyed_rotating_and_not_the_address() -> None:
    now = [0.0]
    key = ratelimit.RotatingKey("s" * 40, hours=1, clock=lambda: now[0])
    first = key.digest(ADDRESS_A)
    assert ADDRESS_A not in first and first == key.digest(ADDRESS_A) and len(first) == 32
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
    assert ratelimit.RotatingKey("t" * 40, pepper=pepper).digest(ADDRESS_A) \
        != one.digest(ADDRESS_A)


def test_a_missing_shared_pepper_is_not_kept_for_the_period() -> None:
    answers: list[bytes | None] = [None, b"p" * 32]
    key = ratelimit.RotatingKey("s" * 40, pepper=lambda _period: answers.pop(0))
    key.current()  # Redis unreachable: a one-off key
    shared = key.digest(ADDRESS_A)  # asks again and keeps what it gets
    assert answers == []
    assert key.digest(ADDRESS_A) == shared
    again = ratelimit.RotatingKey("s" * 40, pepper=lambda _period: b"p" * 32)
    assert again.digest(ADDRESS_A) == shared


# --- a Redis that goes away ---------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_redis(tmp_path: Any) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis of this test's own, on a free port, that the test may stop."""
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            if redis.Redis.from_url(url, socket_timeout=1).ping():
                break
        except redis.RedisError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    yield url, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait(timeout=10)


@pytest.mark.skipif(not any(os.access(os.path.join(d, "redis-server"), os.X_OK)
                            for d in os.environ.get("PATH", "").split(os.pathsep)),
                    reason="redis-server is not installed")
def test_a_redis_that_goes_away_mid_run_stops_no_report(
        settings: Settings, database: Any, make_staff: Any, recovery_key: Any,
        own_redis: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, proc = own_redis
    member = make_staff("reviewer")
    public = public_app_factory(_behind_proxy(settings, url), database)
    review = review_app_factory(_behind_proxy(settings, url), database)
    client = _via_proxy(public, ADDRESS_A)
    code = report_code(client)
    assert open_receipt_page(client, "not a code").status_code == 400
    assert _post_login(review.test_client(), member.username, "wrong").status_code == 401
    assert _keys(redis.Redis.from_url(url), "LIMITS:LIMITER/*"), "nothing was counted in Redis"
    _stop(proc)
    assert _post_report(client, "sent while Redis is down").status_code == 200
    assert _cases(database) == 2
    assert open_receipt_page(client, code).status_code == 200
    assert open_receipt_page(client, "not a code").status_code == 400
    assert _followup(client, code, "more while Redis is down").status_code == 200
    staff_client = review.test_client()
    assert _post_login(staff_client, member.username, "wrong").status_code == 401
    assert _post_login(staff_client, member.username, member.passphrase).status_code == 302


def test_an_unreachable_redis_at_start_stops_no_report(
        settings: Settings, database: Any, make_staff: Any, recovery_key: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    make_staff("reviewer")
    closed = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    app = public_app_factory(_behind_proxy(settings, closed), database)
    client = _via_proxy(app, ADDRESS_A)
    caplog.set_level("WARNING")
    code = report_code(client)
    assert _post_report(client, "second").status_code == 200
    assert open_receipt_page(client, "not a code").status_code == 400
    assert open_receipt_page(client, code).status_code == 200
    # the operator learns that counting paused (receipt throttle), and nothing more
    paused = [r.getMessage() for r in caplog.records if r.name == app.logger.name]
    assert paused and set(paused) == {"rate-limit storage unavailable: not counting"}
    assert ADDRESS_A not in caplog.text


class HungRedis:
    """A "Redis" that accepts connections and never answers (a stopped or stuck server);
    it counts the connections, i.e. the tries a client makes."""

    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self._server.settimeout(0.2)
        self.url = f"redis://127.0.0.1:{self._server.getsockname()[1]}/0"
        self.accepted: list[socket.socket] = []
        self.waited: list[float] = []  # seconds each client waited before giving up
        self._running = True
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while self._running:
            try:
                conn = self._server.accept()[0]
            except OSError:
                continue
            self.accepted.append(conn)
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        """Read the client's commands, never answer, and time until it hangs up."""
        started = time.monotonic()
        try:
            while conn.recv(4096):
                pass
        except OSError:
            return
        self.waited.append(time.monotonic() - started)

    def close(self) -> None:
        self._running = False
        self._thread.join(timeout=5)
        for conn in self.accepted:
            conn.close()
        self._server.close()


@pytest.fixture
def hung_redis() -> Iterator[HungRedis]:
    server = HungRedis()
    yield server
    server.close()


def test_a_redis_that_hangs_delays_but_stops_no_report(
        settings: Settings, database: Any, make_staff: Any, recovery_key: Any,
        hung_redis: HungRedis) -> None:
    make_staff("reviewer")
    app = public_app_factory(_behind_proxy(settings, hung_redis.url), database)
    client = _via_proxy(app, ADDRESS_A)
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(_post_report(client, "sent")),
                              daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert results, "the report hung on Redis"
    assert results[0].status_code == 200
    assert _cases(database) == 1
    # one try each, no retries: the pepper, then the submit counter; each gives up after
    # REDIS_TIMEOUT_SECONDS (1 s), not the Redis client's default of 5 s
    assert len(hung_redis.accepted) == 2
    deadline = time.monotonic() + 10
    while len(hung_redis.waited) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(hung_redis.waited) == 2 and max(hung_redis.waited) < 3, hung_redis.waited


# --- registries and production start-up ---------------------------------------------------

def test_a_limit_on_a_renamed_endpoint_stops_the_app(
        settings: Settings, database: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A limit whose endpoint was renamed would silently protect nothing: start-up fails
    and says which registry and which endpoint."""
    monkeypatch.setitem(ratelimit.LIMITED, "intake.public", {
        "public.report_submit_renamed": ("rate_limit_submit", "submit", ("POST",))})
    with pytest.raises(UnknownEndpoint, match=r"^intake\.public: rate limits names unknown "
                                              r"endpoints: public\.report_submit_renamed$"):
        public_app_factory(settings, database)


def test_an_app_with_no_limits_of_its_own_still_gets_counters(settings: Settings) -> None:
    app = Flask("intake.elsewhere")
    app.add_url_rule("/", "index", lambda: "ok")
    ratelimit.install(app, settings)
    assert app.view_functions["index"]() == "ok"  # nothing wrapped
    assert isinstance(ratelimit.counters(app), ratelimit.Counters)


def test_every_limited_endpoint_is_limited(settings: Settings, database: Any) -> None:
    """Each app wraps exactly the endpoints its registry names (none lost to a rename)."""
    apps = {"intake.public": public_app_factory(settings, database),
            "intake.review": review_app_factory(settings, database)}
    assert set(ratelimit.LIMITED) == set(apps)
    for name, app in apps.items():
        for endpoint in ratelimit.LIMITED[name]:
            assert endpoint in app.view_functions
    # only the public app may ever read X-Forwarded-For
    assert sorted(ratelimit.FORWARDED_APPS) == ["intake.public"]


@pytest.mark.parametrize(("env", "storage", "workers", "refused"), [
    ("production", "memory://", 2, True),
    ("production", "memory://", 1, False),
    ("production", "redis://127.0.0.1:6379/0", 4, False),
    ("production", "rediss://cache.internal:6380/0", 4, False),
    ("development", "memory://", 4, False),
])
def test_production_refuses_per_worker_counters(
        settings: Settings, env: str, storage: str, workers: int, refused: bool) -> None:
    cfg = settings.replace(env=env, rate_limit_storage=storage)
    if refused:
        with pytest.raises(SettingsError) as refusal:
            ratelimit.require_shared_counters(cfg, workers)
        # the operator is told what to change, in full
        assert str(refusal.value) == (
            "production mode refuses to start 2 workers with rate_limit_storage 'memory://': "
            "each worker would count separately. Set rate_limit_storage to a redis:// URL "
            "(docs/deploy.md, section 4), or run one worker (INTAKE_GUNICORN_WORKERS=1).")
    else:
        ratelimit.require_shared_counters(cfg, workers)
