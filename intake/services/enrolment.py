"""Authenticator enrolment is confirmed where the secret is shown — the terminal of
`intake staff create` or the one-time setup link — never on a page a passphrase alone
reaches, so a phished passphrase cannot take over an account's second factor."""

from __future__ import annotations

import io
import time

import pyotp
import qrcode
import qrcode.image.svg

from intake.models import Staff
from intake.services.staff import ISSUER, totp_secret
from intake.settings import Settings


def provisioning_uri(username: str, secret: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> bytes:
    """The provisioning QR as SVG, drawn on the server (no script, no third party)."""
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = io.BytesIO()
    img.save(out)
    return out.getvalue()


def qr_text(uri: str) -> str:
    """The provisioning QR for a terminal."""
    qr = qrcode.QRCode(border=1)
    qr.add_data(uri)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    return out.getvalue()


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (±1) whose code this is, or None."""
    digits = "".join(ch for ch in code if ch.isdigit())
    totp = pyotp.TOTP(secret)
    if len(digits) != totp.digits:
        return None
    current = int((time.time() if now is None else now) // totp.interval)
    for step in (current - 1, current, current + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), digits):
            return step
    return None


def confirm_enrolment(settings: Settings, staff: Staff, code: str,
                      now: float | None = None) -> bool:
    """Mark the account enrolled if the code matches its stored secret; the step counts as
    used, so the same code cannot sign in afterwards."""
    step = matching_step(totp_secret(settings, staff), code, now)
    if step is None:
        return False
    staff.totp_enrolled = True
    staff.totp_last_step = max(staff.totp_last_step, step)
    return True
