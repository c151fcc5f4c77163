"""The role matrix, by walking the review app's whole URL map (so it covers every blueprint).

anonymous → sign-in; passphrase but no second factor → TOTP step; wrong role → 403;
a view that declares no roles is refused even to an admin.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule
from werkzeug.routing.converters import (
    AnyConverter,
    FloatConverter,
    IntegerConverter,
    UUIDConverter,
)

from intake.models import ROLES
from intake.review import create_app
from intake.review.access import OPEN_ENDPOINTS, PRE_2FA_ATTR, ROLES_ATTR
from tests.support.factories import csrf_token

SKIP_METHODS = {"HEAD", "OPTIONS"}


def _dummy(converter: Any) -> Any:
    """A value each converter accepts, so every rule can be built."""
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, FloatConverter):
        return 1.0
    if isinstance(converter, UUIDConverter):
        return uuid.UUID("00000000-0000-4000-8000-000000000000")
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def _routes(app: Flask) -> list[tuple[Rule, str, str]]:
    """(rule, method, url) for every guarded rule of the app."""
    out = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_ENDPOINTS:
            continue
        values = {name: _dummy(conv) for name, conv in rule._converters.items()}
        for method in sorted((rule.methods or set()) - SKIP_METHODS):
            url = adapter.build(rule.endpoint, values, method=method)
            out.append((rule, method, url))
    return out


def _marks(app: Flask, endpoint: str) -> tuple[frozenset[str] | None, bool]:
    view = app.view_functions[endpoint]
    return getattr(view, ROLES_ATTR, None), bool(getattr(view, PRE_2FA_ATTR, False))


def _call(client: Any, method: str, url: str) -> Any:
    """Send the request with a valid CSRF token, so only the access rules decide."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.open(url, method=method, data={"csrf_token": token},
                       headers={"X-CSRFToken": token})


def test_every_guarded_endpoint_declares_roles_or_is_a_second_factor_step(review_app):
    routes = _routes(review_app)
    assert len({rule.endpoint for rule, _m, _u in routes}) >= 10
    for rule, _method, _url in routes:
        allowed, pre_2fa = _marks(review_app, rule.endpoint)
        assert allowed or pre_2fa, f"{rule.endpoint} declares no roles"
        if allowed:
            assert allowed <= set(ROLES), rule.endpoint


def test_anonymous_is_sent_to_sign_in_everywhere(review_app):
    client = review_app.test_client()
    for rule, method, url in _routes(review_app):
        response = _call(client, method, url)
        assert response.status_code == 302, (rule.endpoint, method, response.status_code)
        assert response.headers["Location"].startswith("/login"), (rule.endpoint, method)


def test_without_second_factor_everything_leads_to_the_totp_step(
        review_app, make_staff, login_as):
    for role in ROLES:
        member = make_staff(role)
        client = review_app.test_client()
        login_as(client, member, second_factor=False)
        for rule, method, url in _routes(review_app):
            _allowed, pre_2fa = _marks(review_app, rule.endpoint)
            if pre_2fa:
                continue
            response = _call(client, method, url)
            assert response.status_code == 302, (role, rule.endpoint, method)
            assert response.headers["Location"] == "/login/2fa", (role, rule.endpoint)


def test_wrong_role_is_refused_everywhere(review_app, make_staff, login_as):
    clients = {}
    for role in ROLES:
        clients[role] = review_app.test_client()
        login_as(clients[role], make_staff(role))
    checked = 0
    for rule, method, url in _routes(review_app):
        allowed, _pre = _marks(review_app, rule.endpoint)
        for role in set(ROLES) - set(allowed or ROLES):
            response = _call(clients[role], method, url)
            assert response.status_code == 403, (role, rule.endpoint, method,
                                                  response.status_code)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_view_without_roles_is_refused_even_to_an_admin(
        settings, database, make_staff, login_as, method):
    app = create_app(settings, database)
    app.config["TESTING"] = True
    app.add_url_rule("/throwaway", "throwaway", lambda: "secret", methods=[method])
    client = app.test_client()
    login_as(client, make_staff("admin"))
    response = _call(client, method, "/throwaway")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


def test_an_allowed_role_gets_through(review_client, make_staff, login_as):
    login_as(review_client, make_staff("analyst"))
    assert review_client.get("/account").status_code == 200
    assert review_client.get("/admin/staff").status_code == 403


def test_admin_and_audit_pages_are_for_admins_only(review_app):
    guarded = [rule.endpoint for rule, _m, _u in _routes(review_app)
               if rule.endpoint.split(".")[0] in ("admin", "audit")]
    assert "audit.index" in guarded and "admin.staff" in guarded
    for endpoint in guarded:
        assert _marks(review_app, endpoint)[0] == {"admin"}, endpoint
