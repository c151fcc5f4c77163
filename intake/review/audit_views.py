"""The audit log for admins: newest first, paginated, times in the viewer's zone."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from intake.review.access import roles
from intake.services import audit
from intake.web.app import db_session

bp = Blueprint("audit", __name__)
PER_PAGE = 50


@bp.get("/audit")
@roles("admin")
def index() -> tuple[str, int]:
    """One page of the audit log."""
    number = request.args.get("page", "1")
    page = int(number) if number.isdigit() and 0 < len(number) < 7 else 1
    entries, total = audit.page(db_session(), page, PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("review/audit.html", entries=entries, page=page, pages=pages,
                           total=total, anchor=audit.current_anchor(db_session())), 200
