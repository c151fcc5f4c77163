"""Split custody of the recovery key: k-of-n Shamir shares, so no single trustee holds it.

The sharing itself is pycryptodomex's `Cryptodome.Protocol.SecretSharing.Shamir` (GF(2^128),
16-byte secrets). The 96-byte private key is cut into six 16-byte blocks, each shared with
its own random polynomial at the same x-coordinates; a trustee's share is the x-coordinate
and their six y-values. Fewer than k shares reveal nothing about any block. Each share
carries the key's public fingerprint, so a combined key is checked before it is used and a
mistyped or mixed-up share is named, not silently turned into a wrong key.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from Cryptodome.Protocol.SecretSharing import Shamir

from intake.crypto.keys import PRIVATE_KEY_LEN, fingerprint, public_from_private

BLOCK = 16
SHARE_LABEL = "INTAKE RECOVERY KEY SHARE"
MAX_SHARES = 255


@dataclass(frozen=True)
class Share:
    """One trustee's part: its index, the threshold, the key's fingerprint, the y-values."""

    index: int
    threshold: int
    fingerprint: str
    values: bytes

    def armored(self) -> str:
        """Text a trustee can keep on paper or a USB stick and type back in."""
        body = base64.b64encode(self.values).decode("ascii")
        return "\n".join([
            f"-----BEGIN {SHARE_LABEL}-----",
            f"Share: {self.index}",
            f"Threshold: {self.threshold}",
            f"Key-Fingerprint: {self.fingerprint}",
            "",
            *[body[i:i + 64] for i in range(0, len(body), 64)],
            f"-----END {SHARE_LABEL}-----",
            "",
        ])


def split_key(private_raw: bytes, shares: int, threshold: int) -> list[Share]:
    """Cut the private key into `shares` parts of which any `threshold` rebuild it."""
    if len(private_raw) != PRIVATE_KEY_LEN:
        raise ValueError(f"a recovery private key is {PRIVATE_KEY_LEN} bytes")
    if not 2 <= threshold <= shares <= MAX_SHARES:
        raise ValueError(f"need 2 <= threshold <= shares <= {MAX_SHARES}")
    print_ = fingerprint(public_from_private(private_raw))
    per_block = [Shamir.split(threshold, shares, private_raw[i:i + BLOCK], ssss=False)
                 for i in range(0, len(private_raw), BLOCK)]
    out = []
    for n in range(shares):
        index = per_block[0][n][0]
        if any(block[n][0] != index for block in per_block):
            raise RuntimeError("share indices differ between blocks")  # never with pycryptodome
        out.append(Share(index, threshold, print_, b"".join(block[n][1] for block in per_block)))
    return out


def combine_shares(shares: list[Share]) -> bytes:
    """Rebuild the private key from at least `threshold` distinct shares of the same key;
    ValueError (saying why) for too few, mixed or damaged shares."""
    if not shares:
        raise ValueError("no shares given")
    prints = {s.fingerprint for s in shares}
    if len(prints) != 1:
        raise ValueError("these shares belong to different keys")
    threshold = shares[0].threshold
    distinct = {s.index: s for s in shares}
    if len(distinct) < threshold:
        raise ValueError(f"{len(distinct)} distinct share(s) given, {threshold} needed")
    chosen = list(distinct.values())
    blocks = PRIVATE_KEY_LEN // BLOCK
    if any(len(s.values) != blocks * BLOCK for s in chosen):
        raise ValueError("a share is damaged (wrong length)")
    private_raw = b"".join(
        Shamir.combine([(s.index, s.values[b * BLOCK:(b + 1) * BLOCK]) for s in chosen],
                       ssss=False)
        for b in range(blocks))
    # Any 96 bytes are a valid key (an ML-KEM seed and an X25519 scalar): a wrong share
    # gives a wrong key, never an error, so the fingerprint is what catches it.
    if fingerprint(public_from_private(private_raw)) != shares[0].fingerprint:
        raise ValueError("the shares do not rebuild the key they claim (a share is mistyped, "
                         "damaged or from another split)")
    return private_raw


def parse_share(text: str) -> Share:
    """Read one armored share; ValueError naming what is wrong."""
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    begin, end = f"-----BEGIN {SHARE_LABEL}-----", f"-----END {SHARE_LABEL}-----"
    if begin not in lines or end not in lines or lines.index(end) < lines.index(begin):
        raise ValueError("not an Intake recovery key share")
    headers: dict[str, str] = {}
    body: list[str] = []
    for line in lines[lines.index(begin) + 1:lines.index(end)]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        else:
            body.append("".join(line.split()))
    try:
        index, threshold = int(headers["share"]), int(headers["threshold"])
        print_ = " ".join(headers["key-fingerprint"].upper().split())
        values = base64.b64decode("".join(body), validate=True)
    except (KeyError, ValueError, binascii.Error):
        raise ValueError("a share is damaged (missing header or bad base64)") from None
    if not 1 <= index <= MAX_SHARES or not 2 <= threshold <= MAX_SHARES:
        raise ValueError("a share is damaged (index or threshold out of range)")
    return Share(index, threshold, print_, values)
