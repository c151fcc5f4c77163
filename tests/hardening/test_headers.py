"""Security headers, route by route: every endpoint of both apps, GET and POST,
anonymous and signed in, and the error responses (404, 405, 413, CSRF 400, 500)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from intake.public import create_app as public_factory
from intake.review import create_app as review_factory
from intake.settings import Settings
from tests.support.factories import CSRF_RE

DUMMIES = {"IntegerConverter": 1, "FloatConverter": 1.0, "UUIDConverter": uuid.uuid4(),
           "PathConverter": "a/b", "UnicodeConverter": "x"}
REQUIRED_PERMISSIONS = ("camera=()", "microphone=()", "geolocation=()", "usb=()",
                        "payment=()")


def _dummy_values(rule: Rule) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, converter in rule._converters.items():  # noqa: SLF001 - werkzeug has no API
        kind = type(converter).__name__
        if kind == "AnyConverter":
            values[name] = next(iter(converter.items))  # type: ignore[attr-defined]
        else:
            values[name] = DUMMIES.get(kind, "x")
    if rule.endpoint == "static":
        values["filename"] = "style.css"
    return values


def _requests(app: Flask) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule of the app."""
    for rule in app.url_map.iter_rules():
        url = app.url_map.bind("localhost").build(rule.endpoint, _dummy_values(rule))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


COUNTER_SCRIPT = '<script src="/static/counter.js" defer></script>'
EXIT_SCRIPT = '<script src="/static/exit.js" defer></script>'
WEBAUTHN_SCRIPT = '<script src="/static/webauthn.js" defer></script>'
REPLY_SCRIPT = '<script src="/static/reply_check.js" defer></script>'
# The only review pages that may run a script (our own static/webauthn.js) and call WebAuthn.
WEBAUTHN_ENDPOINTS = ("keys.manage ", "keys.add ", "keys.remove ", "keys.sign_in ")


def check_headers(response: Any, where: str, behind_tls: bool = False,
                  public: bool = False) -> None:
    """The invariants every response must carry.

    The public app may load its own scripts (quick exit, character count), the security-key
    pages webauthn.js and the case page reply_check.js: `script-src 'self'` and those tags,
    nothing inline; every other review page has no script-src at all.
    """
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == "default-src 'none'", where
    for name in ("style-src", "img-src", "font-src", "form-action"):
        assert directives.get(name) == f"{name} 'self'", where
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", where
    webauthn = not public and where.startswith(WEBAUTHN_ENDPOINTS)
    body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    # The case page (wherever a view renders it) loads its reply check, our own file.
    case_page = not public and REPLY_SCRIPT in body
    if public or case_page:
        assert directives.get("script-src") == "script-src 'self'", where
    elif webauthn:
        assert directives.get("script-src", "script-src 'self'") == "script-src 'self'", where
    else:
        assert "script-src" not in directives, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert h.get("Referrer-Policy") == "no-referrer", where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Cross-Origin-Opener-Policy") == "same-origin", where
    assert h.get("Cross-Origin-Resource-Policy") == "same-origin", where
    permissions = h.get("Permissions-Policy", "")
    assert all(p in permissions for p in REQUIRED_PERMISSIONS), where
    if not webauthn:
        assert "publickey-credentials-get=()" in permissions, where
        assert "publickey-credentials-create=()" in permissions, where
    static_file = where.startswith("static ") and response.status_code == 200
    if static_file:
        assert "no-store" not in h.get("Cache-Control", ""), where
    else:
        assert "no-store" in h.get("Cache-Control", ""), where
    assert ("Strict-Transport-Security" in h) == behind_tls, where
    if response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        if public:  # our own two files, external and deferred: the only scripts allowed
            body = body.replace(EXIT_SCRIPT, "", 1).replace(COUNTER_SCRIPT, "", 1)
        if webauthn:  # our own file, external and deferred; still nothing inline
            body = body.replace(WEBAUTHN_SCRIPT, "", 1)
        if case_page:
            body = body.replace(REPLY_SCRIPT, "", 1)
        assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=", body, re.I), where


def _token(client: Any, app_kind: str) -> str:
    page = client.get("/" if app_kind == "public" else "/login").get_data(as_text=True)
    match = CSRF_RE.search(page)
    return match.group(1) if match else ""


def _sweep(client: Any, app: Flask, app_kind: str, relogin: Any = None,
           behind_tls: bool = False) -> int:
    seen = 0
    for endpoint, method, url in _requests(app):
        if relogin is not None:
            relogin()
        where = f"{endpoint} {method} {url}"
        if method == "GET":
            check_headers(client.get(url), where, behind_tls, app_kind == "public")
        else:
            check_headers(client.open(url, method=method), where + " (no CSRF)", behind_tls,
                          app_kind == "public")
            data = {"csrf_token": _token(client, app_kind)}
            if relogin is not None:
                relogin()
                data["csrf_token"] = _token(client, app_kind)
            response = client.open(url, method=method, data=data)
            assert response.status_code < 500, where
            check_headers(response, where, behind_tls, app_kind == "public")
        seen += 1
    return seen


def _errors(client: Any, app: Flask, app_kind: str, behind_tls: bool = False) -> None:
    missing = client.get("/no-such-page-" + uuid.uuid4().hex)
    assert missing.status_code == 404
    check_headers(missing, "404", behind_tls, app_kind == "public")
    wrong = client.open("/healthz", method="DELETE")
    assert wrong.status_code == 405
    check_headers(wrong, "405", behind_tls, app_kind == "public")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    big = client.post("/" if app_kind == "public" else "/login",
                      data={"csrf_token": _token(client, app_kind), "what": "x" * 5000})
    assert big.status_code == 413
    check_headers(big, "413", behind_tls, app_kind == "public")
    no_csrf = client.post("/" if app_kind == "public" else "/login", data={"what": "x"})
    assert no_csrf.status_code == 400
    check_headers(no_csrf, "CSRF 400", behind_tls, app_kind == "public")


@pytest.mark.parametrize("behind_tls", [False, True])
def test_public_app_every_route(settings: Settings, database: Any, make_staff: Any,
                                behind_tls: bool) -> None:
    make_staff("reviewer")
    app = public_factory(settings.replace(behind_tls=behind_tls), database)

    @app.get("/_test_boom")
    def boom() -> str:
        raise RuntimeError("unexpected")

    client = app.test_client()
    assert _sweep(client, app, "public", behind_tls=behind_tls) >= 3
    crashed = client.get("/_test_boom")
    assert crashed.status_code == 500
    check_headers(crashed, "500", behind_tls, public=True)
    _errors(client, app, "public", behind_tls)


@pytest.mark.parametrize("behind_tls", [False, True])
def test_review_app_every_route_anonymous(settings: Settings, database: Any,
                                          behind_tls: bool) -> None:
    app = review_factory(settings.replace(behind_tls=behind_tls), database)
    client = app.test_client()
    assert _sweep(client, app, "review", behind_tls=behind_tls) >= 5
    _errors(client, app, "review", behind_tls)


@pytest.mark.parametrize("role", ["admin", "reviewer", "analyst"])
def test_review_app_every_route_signed_in(settings: Settings, database: Any, make_staff: Any,
                                          login_as: Any, role: str) -> None:
    app = review_factory(settings, database)
    client = app.test_client()
    staff = make_staff(role)
    assert _sweep(client, app, "review", relogin=lambda: login_as(client, staff)) >= 5
    login_as(client, staff)
    _errors(client, app, "review")


def test_review_app_between_factors(settings: Settings, database: Any, make_staff: Any,
                                    login_as: Any) -> None:
    app = review_factory(settings, database)
    client = app.test_client()
    staff = make_staff("reviewer")
    _sweep(client, app, "review",
           relogin=lambda: login_as(client, staff, second_factor=False))


def test_static_file_is_cacheable_but_guarded(settings: Settings, database: Any) -> None:
    client = public_factory(settings, database).test_client()
    css = client.get("/static/style.css")
    assert css.status_code == 200
    assert "max-age" in css.headers["Cache-Control"]
    check_headers(css, "static GET /static/style.css", public=True)
    missing = client.get("/static/nope.css")
    assert missing.status_code == 404
    assert "no-store" in missing.headers["Cache-Control"]


def test_no_referrer_policy_does_not_break_forms_over_https(
        settings: Settings, database: Any, make_staff: Any) -> None:
    """Browsers send no Referer (we ask them not to): CSRF must not demand one over TLS."""
    make_staff("reviewer")
    app = public_factory(settings.replace(behind_tls=True), database)
    client = app.test_client()
    page = client.get("/", base_url="https://report.example.org")
    data = {"csrf_token": CSRF_RE.search(page.get_data(as_text=True)).group(1),  # type: ignore[union-attr]
            "what": "over https", "consent_stats": "no"}
    sent = client.post("/", data=data, base_url="https://report.example.org")
    assert sent.status_code == 200, sent.get_data(as_text=True)[:500]
