"""Security headers on every response of both apps: nothing from elsewhere, nothing cached."""

from __future__ import annotations

from flask import Flask, Response, g, request

# No script at all, no inline style: only our own stylesheet, images and fonts, and
# forms that post back to us. `base-uri` stops an injected <base> from redirecting links.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Every powerful browser feature off: the pages need none of them.
PERMISSIONS = (
    "accelerometer=(), ambient-light-sensor=(), autoplay=(), bluetooth=(), camera=(), "
    "clipboard-read=(), clipboard-write=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(), geolocation=(), gyroscope=(), hid=(), idle-detection=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), picture-in-picture=(), "
    "publickey-credentials-create=(), publickey-credentials-get=(), screen-wake-lock=(), "
    "serial=(), usb=(), "
    "web-share=(), xr-spatial-tracking=(), browsing-topics=()"
)
# The public app serves one script of its own (the quick-exit history replacement).
SCRIPT_CSP = CSP.replace("default-src 'none';", "default-src 'none'; script-src 'self';")
# A review page that asks for a security key: our own script and the two WebAuthn calls,
# same origin only; every other page keeps the script-free policy above.
WEBAUTHN_PERMISSIONS = PERMISSIONS.replace(
    "publickey-credentials-create=(), publickey-credentials-get=()",
    "publickey-credentials-create=(self), publickey-credentials-get=(self)")
PAGE_SCRIPT_FLAG = "intake_webauthn_page"
# A review page with a small script of ours (the case page's in-page reply check): script-src
# 'self' only, no WebAuthn.
OWN_SCRIPT_FLAG = "intake_own_script_page"
HSTS = "max-age=63072000; includeSubDomains"
STATIC_CACHE = "public, max-age=3600"


def allow_webauthn_page() -> None:
    """Called by the one view that renders a security-key page: script-src 'self' there only."""
    setattr(g, PAGE_SCRIPT_FLAG, True)


def allow_own_script() -> None:
    """Called by a view whose page loads one of our static scripts: script-src 'self' there."""
    setattr(g, OWN_SCRIPT_FLAG, True)


def security_headers(behind_tls: bool, static_ok: bool, script: bool = False,
                     webauthn: bool = False) -> dict[str, str]:
    """The headers one response gets; only a served static file may be cached."""
    values = {
        "Content-Security-Policy": SCRIPT_CSP if script or webauthn else CSP,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cross-Origin-Embedder-Policy": "require-corp",
        "Permissions-Policy": WEBAUTHN_PERMISSIONS if webauthn else PERMISSIONS,
    }
    if not static_ok:
        values["Cache-Control"] = "no-store"
        values["Pragma"] = "no-cache"
    if behind_tls:
        values["Strict-Transport-Security"] = HSTS
    return values


def install(app: Flask, behind_tls: bool, script: bool = False) -> None:
    """Register the after-request hook (it runs for error pages too)."""

    @app.after_request
    def _headers(response: Response) -> Response:
        static_ok = request.endpoint == "static" and response.status_code in (200, 304)
        webauthn = bool(getattr(g, PAGE_SCRIPT_FLAG, False))
        own = script or bool(getattr(g, OWN_SCRIPT_FLAG, False))
        response.headers.update(security_headers(behind_tls, static_ok, own, webauthn))
        if static_ok:
            response.headers.setdefault("Cache-Control", STATIC_CACHE)
        response.headers.pop("Server", None)
        return response
