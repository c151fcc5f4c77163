"""Fuzzing: hypothesis-generated requests over every public endpoint and form (random
methods, paths, headers, bodies, multipart parts, form fields with random unicode, huge and
binary values, good and bad CSRF tokens): never a 5xx, never a stack trace.

    .venv/bin/python bench/fuzz.py --examples 5000            # against real gunicorn
    .venv/bin/python bench/fuzz.py --examples 5000 --in-process
"""

from __future__ import annotations

import argparse
import collections
import http.client
import re
import secrets
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FORM_FIELDS = ("what", "when_date", "when_month", "when_year", "region", "place", "acts",
               "perpetrators", "danger_now", "contact", "consent_stats", "csrf_token",
               "code", "text", "attachment", "attachments", "lang", "next")
METHODS = ("GET", "POST", "POST", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS",
           "TRACE", "PROPFIND", "FOO")
CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data",
                 "multipart/form-data; boundary=", "text/plain", "application/json",
                 "application/octet-stream", "multipart/mixed; boundary=x", "", "*/*;;;=")
LEAK = re.compile(r"Traceback \(most recent call last\)|File \"/|werkzeug\.debug|"
                  r"sqlalchemy\.exc|psycopg\.|jinja2\.exceptions", re.I)
CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")

Send = Callable[[str, str, dict[str, str], bytes], tuple[int, bytes]]


@dataclass
class FuzzRequest:
    """One generated request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Tally:
    """Figures of a fuzzing run."""

    sent: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)


def public_rules(app: Any) -> list[str]:
    """Every route the public app has, from its url_map."""
    return sorted({rule.rule for rule in app.url_map.iter_rules()})


header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255,
                                    blacklist_characters="\x7f"), max_size=200)
field_values = st.one_of(
    st.text(max_size=300),
    st.text(max_size=20).map(lambda s: s * 5000),  # huge
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.sampled_from(["", "2026", "13", "-1", "yes", "y", "on", "naryn", "threats",
                     "1" * 30, "2026-02-30", "\x00", "<script>alert(1)</script>",
                     "' OR 1=1 --", "%00", "../../etc/passwd", "\ud7ff\ufffd"]),
)


def _path(rule: str, segment: str, query: list[tuple[str, str]], raw: bool) -> str:
    """Fill converters with random text; sometimes a mangled path."""
    quoted = urllib.parse.quote(segment, safe="")
    path = CONVERTER.sub(lambda _m: quoted or "x", rule)
    if raw:
        path = "/" + quoted
    if query:
        path += "?" + urllib.parse.urlencode(query)
    return path


def _multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]],
               broken: bool) -> tuple[bytes, str]:
    """A multipart body; `broken` cuts off the closing boundary."""
    boundary = "----intakefuzz" + secrets.token_hex(8)
    out = bytearray()
    for name, value in fields:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                .encode("utf-8", "surrogatepass") + value.encode("utf-8", "surrogatepass")
                + b"\r\n")
    for name, filename, mime, content in files:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                f"filename=\"{filename}\"\r\nContent-Type: {mime}\r\n\r\n"
                .encode("utf-8", "surrogatepass") + content + b"\r\n")
    if not broken:
        out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def requests_strategy(rules: list[str], csrf_token: str) -> st.SearchStrategy[FuzzRequest]:
    """Requests over the public routes: mostly plausible, often wrong in one place."""
    names = st.one_of(st.sampled_from(FORM_FIELDS), st.text(max_size=20))
    pairs = st.lists(st.tuples(names, field_values), max_size=12)
    files = st.lists(st.tuples(st.sampled_from(["attachment", "attachments", "what", "x"]),
                               st.text(max_size=40).map(lambda s: s.replace('"', "")),
                               st.sampled_from(["image/jpeg", "application/pdf", "text/html",
                                                "", "x/y"]),
                               st.binary(max_size=2000)), max_size=3)
    token = st.sampled_from([csrf_token, "", "bad", csrf_token[:-2] + "xx", "a" * 5000])

    @st.composite
    def build(draw: st.DrawFn) -> FuzzRequest:
        method = draw(st.sampled_from(METHODS)) if draw(st.integers(0, 9)) else draw(
            st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=1, max_size=10))
        if draw(st.booleans()):
            method = "POST"
        path = _path(draw(st.sampled_from(rules)), draw(st.text(max_size=40)),
                     draw(st.lists(st.tuples(names, st.text(max_size=40)), max_size=3)),
                     draw(st.booleans()) and draw(st.booleans()))
        headers = {k: v for k, v in draw(st.dictionaries(
            st.sampled_from(["Accept-Language", "Cookie", "Referer", "Origin",
                             "X-Forwarded-For", "User-Agent", "Accept", "X-CSRFToken",
                             "Content-Encoding", "Transfer-Encoding-Fuzz"]),
            header_text, max_size=4)).items()}
        form = draw(pairs)
        if draw(st.booleans()):
            form.append(("csrf_token", draw(token)))
        kind = draw(st.sampled_from(["none", "binary", "urlencoded", "multipart",
                                     "multipart", "json"]))
        body = b""
        if kind == "binary":
            body = draw(st.binary(max_size=5000))
            headers["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES))
        elif kind == "urlencoded":
            body = urllib.parse.urlencode(
                [(k, v.encode("utf-8", "surrogatepass")) for k, v in form]).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif kind == "multipart":
            body, ctype = _multipart(form, draw(files), draw(st.booleans()))
            headers["Content-Type"] = draw(st.sampled_from([ctype, ctype, CONTENT_TYPES[2]]))
        elif kind == "json":
            body = repr(dict(form)).encode("utf-8", "surrogatepass")
            headers["Content-Type"] = "application/json"
        return FuzzRequest(method, path, headers, body)

    return build()


def check(req: FuzzRequest, status: int, body: bytes, tally: Tally) -> None:
    """Never a 5xx, never a stack trace or internal error text in a response."""
    tally.sent += 1
    tally.statuses[status] += 1
    if status >= 500 or LEAK.search(body.decode("utf-8", "replace")):
        message = f"{req.method} {req.path[:80]!r} -> {status}"
        tally.failures.append(message)
        raise AssertionError(message)


def fuzz(send: Send, rules: list[str], csrf_token: str, examples: int, tally: Tally,
         seed: int | None = None) -> None:
    """Run `examples` hypothesis examples through `send`; raises on the first failure."""

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), derandomize=seed is not None)
    @given(requests_strategy(rules, csrf_token))
    def _one(req: FuzzRequest) -> None:
        status, body = send(req.method, req.path, req.headers, req.body)
        check(req, status, body, tally)

    _one()


def flask_sender(client: Any) -> Send:
    """In-process: the Flask test client."""

    def _send(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        resp = client.open(path, method=method, headers=headers, data=body)
        return resp.status_code, resp.get_data()

    return _send


def http_sender(port: int) -> Send:
    """Over the wire to gunicorn, one connection per request."""

    def _send(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for key, value in headers.items():
                conn.putheader(key, value.encode("latin-1"))
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    return _send


def main() -> int:
    """Fuzz a throw-away SQLite instance and print the figures."""
    from bench.lib.instances import app_env, bench_settings, prepare
    from bench.lib.servers import Server
    from intake.public import create_app

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="intake-fuzz-") as tmp:
        data = Path(tmp) / "data"
        cfg = bench_settings(data, f"sqlite:///{data / 'intake.db'}", fast_kdf=True)
        prepare(cfg)
        app = create_app(cfg)
        client = app.test_client()
        page = client.get("/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        rules = public_rules(app)
        started = time.perf_counter()
        server = None
        try:
            if args.in_process:
                send = flask_sender(client)
            else:
                server = Server(app_env(cfg), data / "gunicorn.log")
                server.start()
                send = http_sender(server.port)
            fuzz(send, rules, token.group(1) if token else "", args.examples, tally)
            ok = True
        except AssertionError as exc:
            print("FAILURE:", exc)
            for note in getattr(exc, "__notes__", []):
                print(note[:3000])
            if server is not None:
                print(server.log.read_text(errors="replace")[-2000:])
            ok = False
        finally:
            if server is not None:
                server.stop()
        seconds = time.perf_counter() - started
    print(f"target={'in-process' if args.in_process else 'gunicorn'} rules={rules}")
    statuses = dict(sorted(tally.statuses.items()))
    print(f"requests={tally.sent} seconds={seconds:.1f} statuses={statuses}")
    print(f"failures={len(tally.failures)} {'OK' if ok and not tally.failures else 'FAILED'}")
    return 0 if ok and not tally.failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
