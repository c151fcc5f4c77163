"""Security headers on every response of both apps: nothing from elsewhere, nothing cached."""

from __future__ import annotations

from flask import Flask, Response

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PERMISSIONS = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)


def install(app: Flask, behind_tls: bool, script: bool = False) -> None:
    """Register the after-request hook; `script` allows the app's own JS file only."""
    csp = CSP.replace("default-src 'none';", "default-src 'none'; script-src 'self';") \
        if script else CSP

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h["Content-Security-Policy"] = csp
        h["Referrer-Policy"] = "no-referrer"
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Cross-Origin-Resource-Policy"] = "same-origin"
        h["Cross-Origin-Embedder-Policy"] = "require-corp"
        h["Permissions-Policy"] = PERMISSIONS
        if response.mimetype in ("text/css", "image/svg+xml", "image/png", "text/javascript",
                                 "image/x-icon", "font/woff2"):
            h.setdefault("Cache-Control", "public, max-age=3600")
        else:
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
        if behind_tls:
            h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        h.pop("Server", None)
        return response
