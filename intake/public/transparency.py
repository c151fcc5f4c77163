"""The public transparency page: the latest approved release, registered only when enabled."""

from __future__ import annotations

from flask import Blueprint, render_template
from werkzeug.wrappers import Response

from intake.services.stats_releases import latest_approved
from intake.stats import charts
from intake.stats.labels import NOTE, code_label, hidden_legend, period_label, title
from intake.web.app import db_session

bp = Blueprint("transparency", __name__)


@bp.get("/transparency")
def page() -> str:
    """A light page: the tables of the latest approved release and its chart."""
    payload = latest_approved(db_session())
    return render_template("public/transparency.html", payload=payload, note=NOTE,
                           label=code_label, title=title, legend=hidden_legend,
                           period_label=period_label)


@bp.get("/transparency/chart.svg")
def chart() -> Response:
    """The release's chart, drawn from its frozen protected tables only."""
    payload = latest_approved(db_session())
    if payload is None:
        return Response(status=404)
    return Response(charts.render(payload, "svg"), mimetype="image/svg+xml")
