"""The safety page: how to report without leaving traces, and what happens to a report."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("safety", __name__)


@bp.get("/safety")
def safety() -> str:
    """Static advice; nothing about the visitor is read or kept."""
    return render_template("public/safety.html")
