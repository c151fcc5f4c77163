"""Hybrid ML-KEM-768 + X25519 recipient keys as raw bytes, so models store them as LargeBinary."""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

MLKEM_SEED_LEN = 64
MLKEM_PUBLIC_LEN = 1184
X25519_LEN = 32
PRIVATE_KEY_LEN = MLKEM_SEED_LEN + X25519_LEN  # 96
PUBLIC_KEY_LEN = MLKEM_PUBLIC_LEN + X25519_LEN  # 1216

PRIVATE_LABEL = "INTAKE RECOVERY PRIVATE KEY"
PUBLIC_LABEL = "INTAKE PUBLIC KEY"
_FINGERPRINT_HEADER = "Fingerprint"


def _check_len(raw: bytes, expected: int, what: str) -> None:
    """Fail early and clearly instead of deep inside the KEM."""
    if len(raw) != expected:
        raise ValueError(f"{what} must be {expected} bytes, got {len(raw)}")


def load_private(raw: bytes) -> hpke.MLKEM768X25519PrivateKey:
    """Rebuild the HPKE private key from its 64-byte ML-KEM seed ‖ 32-byte X25519 scalar."""
    _check_len(raw, PRIVATE_KEY_LEN, "private key")
    return hpke.MLKEM768X25519PrivateKey(
        mlkem.MLKEM768PrivateKey.from_seed_bytes(raw[:MLKEM_SEED_LEN]),
        x25519.X25519PrivateKey.from_private_bytes(raw[MLKEM_SEED_LEN:]),
    )


def load_public(raw: bytes) -> hpke.MLKEM768X25519PublicKey:
    """Rebuild the HPKE public key from its 1184-byte ML-KEM ‖ 32-byte X25519 halves."""
    _check_len(raw, PUBLIC_KEY_LEN, "public key")
    return hpke.MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(raw[:MLKEM_PUBLIC_LEN]),
        x25519.X25519PublicKey.from_public_bytes(raw[MLKEM_PUBLIC_LEN:]),
    )


def public_from_private(private_raw: bytes) -> bytes:
    """Recompute the public half, because HPKE's hybrid public key has no serialisation."""
    _check_len(private_raw, PRIVATE_KEY_LEN, "private key")
    mlkem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(private_raw[:MLKEM_SEED_LEN])
    x_key = x25519.X25519PrivateKey.from_private_bytes(private_raw[MLKEM_SEED_LEN:])
    return mlkem_key.public_key().public_bytes_raw() + x_key.public_key().public_bytes_raw()


def keypair_from_seed(seed: bytes) -> tuple[bytes, bytes]:
    """Deterministic key pair from 96 seed bytes, so a receipt code can re-derive its reply key."""
    _check_len(seed, PRIVATE_KEY_LEN, "seed")
    return bytes(seed), public_from_private(seed)


def generate_keypair() -> tuple[bytes, bytes]:
    """A fresh random (private_raw, public_raw) pair from the library's own key generators."""
    mlkem_key = mlkem.MLKEM768PrivateKey.generate()
    x_key = x25519.X25519PrivateKey.generate()
    private_raw = mlkem_key.private_bytes_raw() + x_key.private_bytes_raw()
    return private_raw, public_from_private(private_raw)


def fingerprint(public_raw: bytes) -> str:
    """A short, read-aloud-able SHA-256 digest so people can compare keys out of band."""
    _check_len(public_raw, PUBLIC_KEY_LEN, "public key")
    digest = hashlib.sha256(public_raw).digest()[:20].hex().upper()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def _armor(label: str, raw: bytes, public_raw: bytes) -> str:
    """PEM-like text with a fingerprint header, so a paper copy can be checked on re-entry."""
    body = base64.b64encode(raw).decode("ascii")
    lines = [f"-----BEGIN {label}-----", f"{_FINGERPRINT_HEADER}: {fingerprint(public_raw)}", ""]
    lines += [body[i : i + 64] for i in range(0, len(body), 64)]
    lines += [f"-----END {label}-----", ""]
    return "\n".join(lines)


def _dearmor(text: str, label: str, other_label: str, length: int) -> tuple[bytes, str | None]:
    """Parse one armored block; any damage is a ValueError that says what is wrong."""
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    begin, end = f"-----BEGIN {label}-----", f"-----END {label}-----"
    if lines.count(begin) != 1 or lines.count(end) != 1:
        if f"-----BEGIN {other_label}-----" in lines:
            raise ValueError(f"this file holds an {other_label}, not an {label}")
        raise ValueError(f"not an Intake key file: expected one '{begin}' ... '{end}' block")
    start, stop = lines.index(begin), lines.index(end)
    if stop < start:
        raise ValueError("malformed key file: END line comes before BEGIN line")
    claimed: str | None = None
    body: list[str] = []
    for line in lines[start + 1 : stop]:
        if ":" in line:
            name, _, value = line.partition(":")
            if name.strip().lower() == _FINGERPRINT_HEADER.lower():
                claimed = value.strip().upper()
        else:
            body.append("".join(line.split()))
    try:
        raw = base64.b64decode("".join(body), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("malformed key file: the base64 body is damaged") from None
    if len(raw) != length:
        raise ValueError(f"malformed key file: key is {len(raw)} bytes, expected {length}")
    return raw, claimed


def _check_fingerprint(claimed: str | None, public_raw: bytes) -> None:
    """A typo in a re-typed key would otherwise only show up as failed decryptions later."""
    if claimed is not None and " ".join(claimed.split()) != fingerprint(public_raw):
        raise ValueError("key does not match the fingerprint in the file (typo or damage?)")


def export_private_pem(private_raw: bytes) -> str:
    """Armored text for the offline recovery key file."""
    return _armor(PRIVATE_LABEL, private_raw, public_from_private(private_raw))


def import_private_pem(text: str) -> bytes:
    """Read a recovery key file back to raw bytes; ValueError on any malformed input."""
    raw, claimed = _dearmor(text, PRIVATE_LABEL, PUBLIC_LABEL, PRIVATE_KEY_LEN)
    _check_fingerprint(claimed, public_from_private(raw))
    return raw


def export_public_pem(public_raw: bytes) -> str:
    """Armored text for a public key file (e.g. `export-case --to`)."""
    load_public(public_raw)
    return _armor(PUBLIC_LABEL, public_raw, public_raw)


def import_public_pem(text: str) -> bytes:
    """Read a public key file back to raw bytes, checking that it is a usable key."""
    raw, claimed = _dearmor(text, PUBLIC_LABEL, PRIVATE_LABEL, PUBLIC_KEY_LEN)
    _check_fingerprint(claimed, raw)
    try:
        load_public(raw)
    except ValueError:
        raise ValueError("malformed key file: not a valid ML-KEM-768 + X25519 key") from None
    return raw
