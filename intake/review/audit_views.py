"""The audit log for admins: newest first, paginated, filtered by action, staff member,
case and date, times in the viewer's zone."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from intake.review.access import roles
from intake.services import audit, audit_filters
from intake.web.app import db_session
from intake.web.display_time import display_zone

bp = Blueprint("audit", __name__)
PER_PAGE = 50


@bp.get("/audit")
@roles("admin")
def index() -> tuple[str, int]:
    """One page of the audit log."""
    number = request.args.get("page", "1")
    page = int(number) if number.isdigit() and 0 < len(number) < 7 else 1
    filters = audit_filters.AuditFilter.from_args(request.args)
    session = db_session()
    entries, total = audit_filters.filtered_page(session, filters, display_zone(), page,
                                                 PER_PAGE)
    actions, actors = audit_filters.choices(session)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("review/audit.html", entries=entries, page=page, pages=pages,
                           total=total, filters=filters, keep=filters.query_args(),
                           actions=actions, actors=actors,
                           anchor=audit.current_anchor(db_session())), 200
