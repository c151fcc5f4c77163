"""Statistics for analysts and admins: protected tables, exports, releases (thin views)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from intake.review.access import current_staff, roles
from intake.services import statistics as service
from intake.services import stats_releases as releases
from intake.services.stats_background import Maker, NotReady
from intake.services.stats_page import analyst_page
from intake.stats.filters import FilterError, parse_filters
from intake.stats.labels import NOTE, code_label, hidden_legend, period_label, title
from intake.web.app import db_of, db_session, settings_of

bp = Blueprint("stats", __name__, url_prefix="/stats")
MAKER = "intake_stats_maker"


def install(app: Flask) -> None:
    """One background protection of new statistics per app process (stats_background)."""
    app.extensions[MAKER] = Maker(db_of(app), settings_of(app))


def _maker() -> Maker:
    maker: Maker = current_app.extensions[MAKER]
    return maker


def _not_ready() -> tuple[str, int]:
    """The first protection is still running: say so plainly, with no number at all."""
    return _render(503, _("The statistics are being prepared. With many cases this takes a "
                          "few minutes: please reload this page later."))


def _render(status: int = 200, problem: str | None = None, **context: object
            ) -> tuple[str, int]:
    context.setdefault("payload", None)
    context.setdefault("newer_pending", False)
    context.setdefault("releases", [])
    return render_template(
        "review/stats.html", problem=problem, args=request.args, note=NOTE, label=code_label,
        title=title, legend=hidden_legend, period_label=period_label,
        formats=tuple(service.EXPORT_TYPES), **context), status


@bp.get("")
@roles("analyst", "admin")
def index() -> tuple[str, int]:
    """Counts by act type, region, quarter, perpetrator and target, protected."""
    try:
        filters = parse_filters(request.args)
        page = analyst_page(db_session(), settings_of(current_app), current_staff(), filters,
                            _maker())
    except FilterError as exc:
        return _render(400, str(exc))
    except NotReady:
        return _not_ready()
    return _render(**page)


@bp.get("/export.<fmt>")
@roles("analyst", "admin")
def export(fmt: str) -> Response | tuple[str, int]:
    """CSV, JSON, SVG or PNG of the same protected tables; charts open in the browser."""
    if fmt not in service.EXPORT_TYPES:
        abort(404)
    try:
        filters = parse_filters(request.args)
        out = service.export(db_session(), settings_of(current_app), current_staff(), filters,
                             fmt, maker=_maker())
    except FilterError as exc:
        return _render(400, str(exc))
    except NotReady:
        return _not_ready()
    disposition = "inline" if fmt in ("svg", "png") else "attachment"
    return Response(out.content, mimetype=out.mimetype, headers={
        "Content-Disposition": f'{disposition}; filename="{out.filename}"'})


@bp.post("/releases")
@roles("analyst", "admin")
def create_release() -> Response | tuple[str, int]:
    """Freeze the chosen period of the protected tables as a release awaiting approval."""
    try:
        filters = parse_filters(request.form)
        releases.create_release(db_session(), settings_of(current_app), current_staff(),
                                filters, _maker())
    except FilterError as exc:
        return _render(400, str(exc))
    except NotReady:
        return _not_ready()
    except releases.ReleaseError as exc:
        if str(exc) == "pending":
            return _render(409, _("The newest data are still being protected. Make the "
                                  "release in a few minutes, when the page no longer says so."))
        return _render(409, _("A number published in an earlier release is now below the "
                              "threshold, so this release cannot be made."))
    return redirect(url_for("stats.index"), 303)


@bp.post("/releases/<release_id>/approve")
@roles("admin")
def approve_release(release_id: str) -> Response | tuple[str, int]:
    """Only an administrator approves what may be published."""
    try:
        releases.approve_release(db_session(), current_staff(), release_id[:64])
    except releases.ReleaseError as exc:
        if str(exc) == "no such release":
            abort(404, _("This release does not exist."))
        return _render(409, _("Another release was published after this one was made. "
                              "Make a new release: it is checked together with every "
                              "published one."))
    return redirect(url_for("stats.index"), 303)
