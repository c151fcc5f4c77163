"""Registries name endpoints as strings; a renamed endpoint must fail start-up, not go quiet."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask


class UnknownEndpoint(RuntimeError):
    """A registry names an endpoint the app does not have."""


def require_endpoints(app: Flask, registry: str, names: Iterable[str]) -> None:
    """Refuse to build an app whose registry (rate limits, uploads, navigation, open
    endpoints) names an endpoint that is not registered: it would silently lose its rule."""
    missing = sorted(set(names) - set(app.view_functions))
    if missing:
        raise UnknownEndpoint(f"{app.name}: {registry} names unknown endpoints: "
                              + ", ".join(missing))
