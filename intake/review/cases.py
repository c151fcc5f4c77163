"""The inbox view: thin; parse the query string, call the inbox service, render."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from intake.review.access import current_private_key, current_staff, roles
from intake.services.cases import read_case
from intake.services.inbox import InboxFilter, inbox_page
from intake.vocab import ACT_TYPES, PERPETRATORS, PRIORITY_LABELS, REGIONS, STATUS_LABELS
from intake.webapp import db_session

bp = Blueprint("cases", __name__)


@bp.get("/")
@roles("admin", "reviewer")
def inbox() -> tuple[str, int]:
    """One page of cases, urgent first, excerpts decrypted with the viewer's key."""
    try:
        page = inbox_page(db_session(), current_staff().id, current_private_key(),
                          request.args.get("after"), filters=_filters())
    except ValueError:
        return render_template("error.html", code=400, message=_(
            "This page link is not valid. Please start again from the first page.")), 400
    return render_template("review/inbox.html", page=page, statuses=STATUS_LABELS,
                           priorities=PRIORITY_LABELS), 200


def _filters() -> InboxFilter:
    """Read the GET filter form; unknown values are ignored rather than failing."""
    status = request.args.get("status", "")
    priority = request.args.get("priority", "")
    return InboxFilter(status=status if status in STATUS_LABELS else "",
                       priority=priority if priority in PRIORITY_LABELS else "",
                       assignee=request.args.get("assignee", "")[:36])


@bp.get("/cases/<reference>")
@roles("admin", "reviewer")
def case(reference: str) -> tuple[str, int]:
    """The decrypted report and its follow-ups, replies and notes, all escaped."""
    view = read_case(db_session(), current_staff(), current_private_key(), reference[:16])
    if view is None:
        abort(404)
    return render_template("review/case.html", view=view, case=view.case,
                           statuses=STATUS_LABELS, priorities=PRIORITY_LABELS,
                           acts=ACT_TYPES, perpetrators=PERPETRATORS, regions=REGIONS), 200
