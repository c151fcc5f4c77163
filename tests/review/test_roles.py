"""The role matrix, by walking the review app's whole URL map (so it covers every blueprint).

anonymous → sign-in; passphrase but no second factor → TOTP step; wrong role → 403;
a view that declares no roles is refused even to an admin; the right role without a key
wrap of the case → 403 on every case endpoint (need to know, issue 13 finding 2).

The expectations are written here as literals, never derived from intake.review.access:
a test that reads the module's own OPEN_ENDPOINTS moves with the code it should check.
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

from intake.convert import availability
from intake.models import ROLES
from intake.review import access, create_app
from intake.review.access import PRE_2FA_ATTR, ROLES_ATTR
from tests.support.factories import csrf_token

SKIP_METHODS = {"HEAD", "OPTIONS"}

# Reachable without signing in. Adding anything here needs a reason in docs/decisions.md.
EXPECTED_OPEN = frozenset({
    "static", "review.login", "review.login_post", "review.health",
    "setup.page", "setup.passphrase", "setup.code", "setup.qr",
})
# After the passphrase, before the code.
EXPECTED_PRE_2FA = frozenset({"review.second_factor", "review.logout", "keys.sign_in"})
EVERYONE = frozenset({"admin", "reviewer", "analyst"})
READERS = frozenset({"admin", "reviewer"})
ADMIN = frozenset({"admin"})
STATS = frozenset({"admin", "analyst"})
EXPECTED_ROLES = {
    "account.account": EVERYONE, "account.account_passphrase": EVERYONE,
    "account.account_zone": EVERYONE,
    "keys.manage": EVERYONE, "keys.add": EVERYONE, "keys.remove": EVERYONE,
    "admin.deactivate": ADMIN, "admin.grant": ADMIN, "admin.grant_post": ADMIN,
    "admin.invite": ADMIN, "admin.recovery": ADMIN, "admin.recovery_wrap": ADMIN,
    "admin.settings": ADMIN, "admin.settings_post": ADMIN, "admin.staff": ADMIN,
    "admin.clear_failures": ADMIN, "admin.deactivate_confirm": ADMIN,
    "teams.index": ADMIN, "teams.create": ADMIN, "teams.add_member": ADMIN,
    "teams.remove_member": ADMIN, "teams.make_default": ADMIN, "teams.route": ADMIN,
    "teams.reading": ADMIN,
    "case_access.access": READERS, "case_access.move": READERS,
    "case_access.restrict": READERS, "case_access.grant": READERS,
    "handover.page": READERS, "handover.download": READERS,
    "recipients.index": READERS, "recipients.add": READERS, "recipients.verify": READERS,
    "recipients.remove": READERS,
    "cases.save": READERS, "cases.urgent_ack": READERS, "cases.reply_preview": READERS,
    "cases.reply_edit": READERS,
    "audit.index": ADMIN,
    "cases.inbox": READERS, "cases.case": READERS, "cases.triage": READERS,
    "cases.labels": READERS, "cases.note": READERS, "cases.reply": READERS,
    "cases.consent_withdrawn": READERS, "files.download": READERS, "files.confirm": READERS,
    "safe_view.view": READERS, "safe_view.make": READERS, "safe_view.page": READERS,
    "safe_view.download": READERS,
    "stats.index": STATS, "stats.export": STATS, "stats.create_release": STATS,
    "stats.approve_release": ADMIN,
}
# Every endpoint that names a case; each needs a key wrap of the case's report.
CASE_ENDPOINTS = {"cases.case": "reference", "cases.triage": "reference",
                  "cases.labels": "reference", "cases.note": "reference",
                  "cases.reply": "reference", "cases.consent_withdrawn": "reference",
                  "cases.save": "reference", "cases.urgent_ack": "reference",
                  "case_access.access": "reference", "case_access.move": "reference",
                  "case_access.restrict": "reference", "case_access.grant": "reference",
                  "cases.reply_preview": "reference", "cases.reply_edit": "reference",
                  "handover.page": "reference", "handover.download": "reference",
                  "files.download": "item_id", "files.confirm": "item_id",
                  "safe_view.view": "item_id", "safe_view.make": "item_id",
                  "safe_view.page": "item_id", "safe_view.download": "item_id"}


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
        if rule.endpoint in EXPECTED_OPEN:
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


def test_the_open_endpoints_are_exactly_the_expected_ones(review_app):
    assert access.OPEN_ENDPOINTS == EXPECTED_OPEN
    assert set(review_app.view_functions) == (EXPECTED_OPEN | EXPECTED_PRE_2FA
                                              | set(EXPECTED_ROLES))


def test_every_view_declares_exactly_the_expected_roles(review_app):
    for endpoint, expected in EXPECTED_ROLES.items():
        assert _marks(review_app, endpoint) == (expected, False), endpoint
    for endpoint in EXPECTED_PRE_2FA:
        assert _marks(review_app, endpoint) == (None, True), endpoint


def test_every_endpoint_that_names_a_case_is_case_scoped(review_app):
    named = {rule.endpoint for rule in review_app.url_map.iter_rules()
             if rule.arguments & {"reference", "item_id"}}
    assert named == set(CASE_ENDPOINTS)
    for endpoint, param in CASE_ENDPOINTS.items():
        view = review_app.view_functions[endpoint]
        assert getattr(view, access.CASE_ATTR, None) == param, endpoint


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


def test_every_allowed_role_gets_past_the_guard(review_app, make_staff, login_as):
    """Removing @roles from a view (or narrowing it) makes its allowed roles see 403."""
    clients = {}
    for role in ROLES:
        clients[role] = review_app.test_client()
        login_as(clients[role], make_staff(role))
    checked = set()
    for rule, method, url in _routes(review_app):
        if rule.endpoint in EXPECTED_PRE_2FA:
            continue
        for role in EXPECTED_ROLES[rule.endpoint]:
            response = _call(clients[role], method, url)
            assert response.status_code not in (401, 403, 500), (role, rule.endpoint, method,
                                                                  response.status_code)
            assert not response.headers.get("Location", "").startswith("/login"), (
                role, rule.endpoint)
            checked.add(rule.endpoint)
    assert checked == set(EXPECTED_ROLES)


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


REFUSED = ('<p class="notice">You hold no key for this case, so you can neither read nor '
           'change it. An administrator can give you access.</p>')


def _case_with_attachment(public_client: Any, session: Any) -> tuple[str, str]:
    """A real case with an attachment: (reference, attachment item id)."""
    from sqlalchemy import select

    from intake.models import Case, Item
    from tests.attachments.samples import jpeg_with_gps, send_report

    assert send_report(public_client, [("photo.jpeg", jpeg_with_gps())]).status_code == 200
    reference = session.scalars(select(Case.reference)).one()
    item_id = session.scalars(select(Item.id).where(Item.kind == "attachment")).one()
    return reference, item_id


def _case_urls(reference: str, item_id: str) -> list[tuple[str, str, str, dict[str, str]]]:
    """(endpoint, method, url, form) for every case endpoint, with a change each would make."""
    return [
        ("cases.case", "GET", f"/cases/{reference}", {}),
        ("cases.triage", "POST", f"/cases/{reference}/triage",
         {"status": "rejected", "priority": "urgent", "acknowledged": "1"}),
        ("cases.labels", "POST", f"/cases/{reference}/labels", {"act_type": "threats"}),
        ("cases.note", "POST", f"/cases/{reference}/notes", {"text": "a note"}),
        ("cases.reply", "POST", f"/cases/{reference}/replies",
         {"text": "Please send your name and phone number.", "confirm": "send-to-reporter"}),
        ("cases.consent_withdrawn", "POST", f"/cases/{reference}/consent-withdrawn", {}),
        ("cases.save", "POST", f"/cases/{reference}/save",
         {"status": "rejected", "priority": "urgent", "act_type": "threats"}),
        ("cases.urgent_ack", "POST", f"/cases/{reference}/urgent-ack", {}),
        ("case_access.access", "GET", f"/cases/{reference}/access", {}),
        ("case_access.move", "POST", f"/cases/{reference}/move", {}),
        ("case_access.restrict", "POST", f"/cases/{reference}/restrict", {}),
        ("case_access.grant", "POST", f"/cases/{reference}/grant", {}),
        ("cases.reply_preview", "POST", f"/cases/{reference}/replies/preview",
         {"text": "Please send your name and phone number."}),
        ("cases.reply_edit", "POST", f"/cases/{reference}/replies/edit",
         {"text": "Please send your name and phone number."}),
        ("handover.page", "GET", f"/cases/{reference}/handover", {}),
        ("handover.download", "POST", f"/cases/{reference}/handover",
         {"report": "y", "recipient": "x"}),
        ("files.confirm", "GET", f"/files/{item_id}", {}),
        ("files.download", "POST", f"/files/{item_id}", {"offline": "y"}),
        ("safe_view.make", "POST", f"/files/{item_id}/safe", {}),
        ("safe_view.view", "GET", f"/files/{item_id}/safe", {}),
        ("safe_view.page", "GET", f"/files/{item_id}/safe/pages/1.jpg", {}),
        ("safe_view.download", "GET", f"/files/{item_id}/safe.pdf", {}),
    ]


def test_authorised_role_without_access_to_the_case_is_refused_everywhere(
        review_app, public_client, make_staff, login_as, recovery_key, session):
    """The fourth column: right role, no key wrap of this case's report → 403, every case
    endpoint, read and write alike; the same requests pass for a reader with access."""
    insider = make_staff("reviewer")
    reference, item_id = _case_with_attachment(public_client, session)
    urls = _case_urls(reference, item_id)
    assert {endpoint for endpoint, *_rest in urls} == set(CASE_ENDPOINTS)
    for role in sorted(READERS):
        outsider = review_app.test_client()
        login_as(outsider, make_staff(role))  # created after the case: holds no wrap
        token = csrf_token(outsider.get("/login").get_data(as_text=True))
        for endpoint, method, url, form in urls:
            response = outsider.open(url, method=method, data={"csrf_token": token, **form})
            assert response.status_code == 403, (role, endpoint, response.status_code)
            assert b"Two men followed me" not in response.data
            assert response.mimetype == "text/html"
            page = response.get_data(as_text=True)
            assert REFUSED in page and "<title>Error 403" in page, endpoint
    allowed = review_app.test_client()
    login_as(allowed, insider)
    token = csrf_token(allowed.get("/login").get_data(as_text=True))
    # Where the sandbox is not installed (`make test` must pass there), and only there, no
    # safe copy can be made: 422 saying so, then 404 "not made yet" for the copy's pages.
    no_converter = {} if availability.cached().usable else {
        "safe_view.make": (422, "cannot be made on this server"),
        "safe_view.page": (404, "No safe copy of this file has been made yet."),
        "safe_view.download": (404, "No safe copy of this file has been made yet."),
    }
    for endpoint, method, url, form in urls:
        response = allowed.open(url, method=method, data={"csrf_token": token, **form})
        if endpoint in no_converter:
            status, text = no_converter[endpoint]
            assert response.status_code == status, (endpoint, response.status_code)
            assert text in response.get_data(as_text=True), endpoint
            continue
        # Past the guard: shown, done, or (an empty form) a translated 400, never refused.
        assert response.status_code in (200, 303, 400), (endpoint, response.status_code)


def _view() -> str:
    return "view"


def test_the_declarations_mark_the_view_they_are_given():
    """The decorators run at import; called here, a changed decorator shows up (mutants)."""
    marked = access.roles("admin", "reviewer")(_view)
    assert marked is _view and getattr(marked, ROLES_ATTR) == frozenset({"admin", "reviewer"})
    with pytest.raises(ValueError, match="^a view must allow at least one role$"):
        access.roles()
    for param in ("reference", "item_id"):
        def scoped() -> str:
            return "scoped"
        assert access.case_scoped(param)(scoped) is scoped
        assert getattr(scoped, access.CASE_ATTR) == param
    named = r"^a case is named by one of \('reference', 'item_id'\)$"
    with pytest.raises(ValueError, match=named):
        access.case_scoped("case_id")

    def step() -> str:
        return "step"
    assert access.before_second_factor(step) is step
    assert getattr(step, PRE_2FA_ATTR) is True
    assert not hasattr(_view, PRE_2FA_ATTR) and not hasattr(_view, access.CASE_ATTR)
    delattr(_view, ROLES_ATTR)


def test_the_case_guard_answers_404_when_no_case_is_named(review_app):
    """Unreachable through routing (converters always give a string, the guard always sets
    the case), so checked directly: a missing name or case is "not found", never a pass."""
    from werkzeug.exceptions import NotFound

    with review_app.test_request_context("/account"):
        with pytest.raises(NotFound):
            access._check_case(object(), "reference")  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            access.current_case()
