"""Need to know, in one place: a staff member may read or write a case only while they hold
a key wrap of its report (DESIGN: "Access to a case, for reading *and* writing, means
holding a wrap of its report"). The review app's guard calls this before any case view."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Case, Item, KeyWrap


class CaseNotFound(LookupError):
    """No case (or attachment) by that reference or id."""


class CaseRefused(PermissionError):
    """The case exists but this staff member holds no wrap of its report."""


def holds_report_wrap(session: Session, staff_id: str, case_id: str) -> bool:
    """True while a wrap of the case's report to this staff member exists."""
    found = session.scalar(
        select(KeyWrap.id).join(Item, KeyWrap.item_id == Item.id)
        .where(Item.case_id == case_id, Item.kind == "report", KeyWrap.staff_id == staff_id)
        .limit(1))
    return found is not None


def case_by_reference(session: Session, reference: str) -> Case | None:
    """The case a staff-facing reference names (references are at most 16 characters)."""
    return session.scalar(select(Case).where(Case.reference == reference[:16]))


def case_of_item(session: Session, item_id: str) -> Case | None:
    """The case an item (an attachment being downloaded) belongs to."""
    item = session.get(Item, item_id[:36])
    return None if item is None else session.get(Case, item.case_id)


def require_case(session: Session, staff_id: str, *, reference: str | None = None,
                 item_id: str | None = None) -> Case:
    """The case, if this staff member may read and write it; CaseNotFound or CaseRefused."""
    if reference is not None:
        case = case_by_reference(session, reference)
    elif item_id is not None:
        case = case_of_item(session, item_id)
    else:
        raise CaseNotFound("no case named")
    if case is None:
        raise CaseNotFound("no such case")
    if not holds_report_wrap(session, staff_id, case.id):
        raise CaseRefused("no key wrap of this case's report")
    return case
