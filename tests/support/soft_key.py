"""A software security key for server-side tests, built from fido2's own WebAuthn types.

It answers the options our pages hand to navigator.credentials exactly as a browser would
(JSON with base64url fields), so tests can register, sign in, clone, tamper and phish.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

FLAGS = AuthenticatorData.FLAG


@dataclass
class SoftKey:
    """One credential on one software authenticator; `counter` grows with every use."""

    origin: str
    rp_id: str
    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    counter: int = 0

    def _rp_hash(self, rp_id: str | None) -> bytes:
        return hashlib.sha256((rp_id or self.rp_id).encode()).digest()

    def create(self, options: dict[str, Any], origin: str | None = None) -> dict[str, Any]:
        """Answer creation options ({"publicKey": ...}) like navigator.credentials.create."""
        public = options["publicKey"]
        client = CollectedClientData.create("webauthn.create", websafe_decode(
            public["challenge"]), origin or self.origin)
        credential = AttestedCredentialData.create(
            b"\0" * 16, self.credential_id, ES256.from_cryptography_key(self.private.public_key()))
        auth = AuthenticatorData.create(self._rp_hash(public["rp"]["id"]),
                                        FLAGS.UP | FLAGS.AT, self.counter, credential)
        attestation = AttestationObject.create("none", auth, {})
        return {"id": websafe_encode(self.credential_id), "rawId": websafe_encode(
            self.credential_id), "type": "public-key", "clientExtensionResults": {},
            "response": {"clientDataJSON": websafe_encode(bytes(client)),
                         "attestationObject": websafe_encode(bytes(attestation))}}

    def get(self, options: dict[str, Any], origin: str | None = None,
            counter: int | None = None) -> dict[str, Any]:
        """Answer request options like navigator.credentials.get (counter + 1 unless given)."""
        public = options["publicKey"]
        self.counter = self.counter + 1 if counter is None else counter
        client = CollectedClientData.create("webauthn.get", websafe_decode(
            public["challenge"]), origin or self.origin)
        auth = AuthenticatorData.create(self._rp_hash(public.get("rpId")), FLAGS.UP,
                                        self.counter)
        signature = self.private.sign(bytes(auth) + client.hash, ec.ECDSA(hashes.SHA256()))
        return {"id": websafe_encode(self.credential_id), "rawId": websafe_encode(
            self.credential_id), "type": "public-key", "clientExtensionResults": {},
            "response": {"clientDataJSON": websafe_encode(bytes(client)),
                         "authenticatorData": websafe_encode(bytes(auth)),
                         "signature": websafe_encode(signature)}}


def page_options(html: str) -> dict[str, Any]:
    """The options a page hands to static/webauthn.js (its data-options attribute)."""
    import html as html_module
    import re

    match = re.search(r"data-options='([^']*)'", html)
    assert match, "no WebAuthn options in the page"
    return dict(json.loads(html_module.unescape(match.group(1))))
