"""Security keys in a real browser: Chromium's virtual authenticator (DevTools protocol)
registers a key on the account page and signs in with it, under the review app's strict
CSP (no bypass); a second authenticator whose credential is not registered is refused, and
so is an assertion changed on its way to the server. The key sign-in page passes axe in
every language.

WebAuthn refuses IP addresses as relying-party ids, so these pages are opened as
http://localhost:PORT (a secure context, like an .onion name in Tor Browser) on a review
app whose origin setting names that port.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from intake.models import AuditEvent, LoginFailure, SecurityKey, Staff
from intake.services import security_keys as keys_service
from tests.browser.conftest import LiveServer, _serve, enrolled_staff
from tests.browser.support import (
    LANGS,
    axe_violations,
    passphrase_step,
    submit,
    with_lang,
)
from tests.support.factories import StaffHandle
from tests.support.soft_key import SoftKey

VIRTUAL_KEY = {"protocol": "ctap2", "transport": "usb", "hasResidentKey": False,
               "hasUserVerification": True, "isUserVerified": True}


class _LocalhostServer:
    """A LiveServer reached as localhost (WebAuthn needs a host name)."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.url = f"http://localhost:{live.server.server_port}"
        self.settings = live.app.extensions["intake_settings"]
        self.database = live.database


@pytest.fixture(scope="module")
def key_review(live_settings: Any, live_database: Any,
               reviewer: StaffHandle) -> Iterator[_LocalhostServer]:
    """A review app of its own whose WebAuthn origin is http://localhost:<its port>."""
    from intake.review import create_app

    live = _serve(create_app(live_settings, live_database), live_settings, live_database)
    live.app.extensions["intake_settings"] = live_settings.replace(
        webauthn_rp_id="localhost", webauthn_origin=f"http://localhost:{live.server.server_port}")
    yield _LocalhostServer(live)
    live.server.shutdown()


def _authenticator(page: Any) -> tuple[Any, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_KEY})
    return cdp, made["authenticatorId"]


def _totp_sign_in(page: Any, server: _LocalhostServer, handle: StaffHandle) -> None:
    passphrase_step(page, server.url, handle)
    assert "/login/2fa" in page.url, page.url
    page.fill("#code", pyotp.TOTP(handle.totp_secret).now())
    submit(page)
    assert "/login" not in page.url, page.text_content("main")


def _failures(server: _LocalhostServer, handle: StaffHandle) -> int:
    with server.database.transaction() as s:
        return len(list(s.scalars(select(LoginFailure).where(
            LoginFailure.staff_id == handle.id))))


def test_register_a_key_then_sign_in_with_it_and_refuse_a_stranger(key_review, new_page,
                                                                  live_settings, live_database):
    handle = enrolled_staff(live_settings, live_database, "key-user", "reviewer",
                            "key user correct horse battery")
    page = new_page()
    cdp, first = _authenticator(page)
    _totp_sign_in(page, key_review, handle)
    page.goto(key_review.url + "/account/keys")
    page.fill("#name", "blue key")
    submit(page)  # the script calls navigator.credentials.create, then posts the answer
    assert "done=added" in page.url, page.text_content("main")
    assert "blue key" in (page.text_content("main table") or "")
    [registered] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": first})["credentials"]
    with live_database.transaction() as s:
        [stored] = s.scalars(select(SecurityKey).where(SecurityKey.staff_id == handle.id))
        assert stored.name == "blue key"

    # Sign out and in again: after the passphrase the key step comes first.
    page.context.clear_cookies()
    passphrase_step(page, key_review.url, handle)
    assert page.url.endswith("/login/key"), page.url
    submit(page)
    assert "/login" not in page.url, page.text_content("main")
    assert page.text_content("h1") and "/account" not in page.url
    after = cdp.send("WebAuthn.getCredentials", {"authenticatorId": first})["credentials"]
    with live_database.transaction() as s:
        used = s.get(SecurityKey, stored.id)
        assert used is not None and used.last_used_at is not None
        assert used.sign_count == after[0]["signCount"] > registered["signCount"]

    # Another authenticator holding a credential under the registered id but with its own
    # private key (the id is not secret; the key is): it signs, the server refuses.
    stranger_page = new_page()
    stranger_cdp, second = _authenticator(stranger_page)
    stranger_cdp.send("WebAuthn.addCredential", {"authenticatorId": second, "credential": {
        "credentialId": registered["credentialId"], "isResidentCredential": False,
        "rpId": "localhost", "privateKey": _pkcs8_b64(), "signCount": 1000}})
    before = _failures(key_review, handle)
    passphrase_step(stranger_page, key_review.url, handle)
    assert stranger_page.url.endswith("/login/key")
    submit(stranger_page)
    assert stranger_page.url.endswith("/login/key")
    assert "The security key was not accepted." in (stranger_page.text_content("main") or "")
    assert _failures(key_review, handle) == before + 1
    assert "/login" in stranger_page.goto(key_review.url + "/").url  # not signed in


def _pkcs8_b64() -> str:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return base64.b64encode(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())).decode()


def test_a_tampered_assertion_from_the_browser_is_refused(key_review, new_page, live_settings,
                                                         live_database):
    """The browser signs for the registered key; the signature is changed before it is
    posted (as a proxy in the middle would): refused with the same answer, counted."""
    handle = enrolled_staff(live_settings, live_database, "key-tamper", "reviewer",
                            "key tamper correct horse battery")
    page = new_page()
    _cdp, _first = _authenticator(page)
    _totp_sign_in(page, key_review, handle)
    page.goto(key_review.url + "/account/keys")
    page.fill("#name", "grey key")
    submit(page)
    assert "done=added" in page.url
    page.context.clear_cookies()
    passphrase_step(page, key_review.url, handle)
    assert page.url.endswith("/login/key")
    before = _failures(key_review, handle)

    def tamper(route: Any) -> None:
        form = dict(pair.split("=", 1) for pair in (route.request.post_data or "").split("&"))
        from urllib.parse import quote, unquote_plus

        answer = json.loads(unquote_plus(form["credential"]))
        signature = answer["response"]["signature"]
        answer["response"]["signature"] = ("A" if signature[0] != "A" else "B") + signature[1:]
        form["credential"] = quote(json.dumps(answer))
        route.continue_(post_data="&".join(f"{k}={v}" for k, v in form.items()))

    page.route("**/login/key", lambda route: tamper(route) if route.request.method == "POST"
               else route.continue_())
    submit(page)
    assert page.url.endswith("/login/key")
    assert "The security key was not accepted." in (page.text_content("main") or "")
    assert _failures(key_review, handle) == before + 1
    with live_database.transaction() as s:
        assert s.scalars(select(AuditEvent).where(
            AuditEvent.action == "login.failed_2fa",
            AuditEvent.actor == handle.username)).first() is not None


@pytest.fixture(scope="module")
def key_holder(key_review, live_settings, live_database) -> StaffHandle:
    """A reviewer with a (software) key registered through the service: sees /login/key."""
    handle = enrolled_staff(live_settings, live_database, "key-holder", "reviewer",
                            "key holder correct horse battery")
    settings = key_review.settings
    soft = SoftKey(origin=settings.webauthn_origin, rp_id=settings.webauthn_rp_id)
    with live_database.transaction() as s:
        staff = s.get(Staff, handle.id)
        ceremony = keys_service.begin_registration(s, settings, staff)
        keys_service.finish_registration(s, settings, staff, ceremony.state,
                                         soft.create(ceremony.options), "software key")
    return handle


@pytest.mark.parametrize("lang", LANGS)
def test_key_sign_in_page_has_no_axe_violations(key_review, new_page, key_holder, lang):
    page = new_page(bypass_csp=True)
    passphrase_step(page, key_review.url, key_holder, lang)
    assert page.url.endswith("/login/key"), page.url
    assert page.get_attribute("html", "lang") == lang.replace("_", "-")
    found = axe_violations(page)
    page.goto(key_review.url + with_lang("/login/2fa", lang))  # with the "use a key" link
    found += axe_violations(page)
    assert found == []
