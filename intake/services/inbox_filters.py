"""Inbox filters and sort from the query string: unknown values are ignored, never an error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from intake.models import Case
from intake.models.label import CaseLabel
from intake.services.inbox_order import DEFAULT_SORT, SORTS
from intake.services.triage import period_codes
from intake.vocab import (
    ACT_TYPES,
    LABEL_LEGENDS,
    PERPETRATORS,
    PRIORITY_LABELS,
    REGIONS,
    STATUS_LABELS,
    TARGETS,
)

LABEL_SEP = ":"
MAX_ASSIGNEE_CHARS = 36
# Up to this many labelled cases, start from the label index and sort them; above it,
# walk the inbox order and test each case (EXISTS): each plan is bounded where it is used.
FEW_LABELLED = 2000


def label_groups() -> list[tuple[str, Any, list[tuple[str, Any]]]]:
    """Every coded-label vocabulary with its codes, in the case page's order and words."""
    codes = {"act_type": list(ACT_TYPES.items()), "perpetrator": list(PERPETRATORS.items()),
             "target": list(TARGETS.items()), "region": list(REGIONS.items()),
             "period": [(code, code) for code in period_codes()]}
    return [(name, legend, codes[name]) for name, legend in LABEL_LEGENDS.items()]


def _label(raw: str) -> tuple[str, str] | None:
    vocabulary, _sep, code = raw.partition(LABEL_SEP)
    for name, _legend, codes in label_groups():
        if name == vocabulary and code in dict(codes):
            return vocabulary, code
    return None


@dataclass(frozen=True)
class InboxFilter:
    """Plain GET filters; empty means "any"; assignee may be "me" or "unassigned"."""

    status: str = ""
    priority: str = ""
    assignee: str = ""
    label: tuple[str, str] | None = None
    sort: str = DEFAULT_SORT
    new_info: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InboxFilter:
        """Read the filter form, keeping only values the inbox knows."""
        status, priority = args.get("status", ""), args.get("priority", "")
        sort = args.get("sort", "")
        return cls(status=status if status in STATUS_LABELS else "",
                   priority=priority if priority in PRIORITY_LABELS else "",
                   assignee=args.get("assignee", "")[:MAX_ASSIGNEE_CHARS],
                   label=_label(args.get("label", "")[:64]),
                   sort=sort if sort in SORTS else DEFAULT_SORT,
                   new_info=args.get("new_info", "") == "1")

    def query_args(self) -> dict[str, str]:
        """What page links carry so filters and sort survive paging (defaults left out)."""
        values = {"status": self.status, "priority": self.priority, "assignee": self.assignee,
                  "label": LABEL_SEP.join(self.label) if self.label else "",
                  "sort": "" if self.sort == DEFAULT_SORT else self.sort,
                  "new_info": "1" if self.new_info else ""}
        return {k: v for k, v in values.items() if v}

    def clauses(self, staff_id: str, few_labelled: bool = False) -> list[ColumnElement[bool]]:
        """SQL conditions; a label is an indexed IN over case_labels when few cases carry it,
        else an EXISTS on the (case, vocabulary, code) unique index per walked case."""
        found: list[ColumnElement[bool]] = []
        if self.status:
            found.append(Case.status == self.status)
        if self.priority:
            found.append(Case.priority == self.priority)
        if self.new_info:
            found.append(Case.unread_followup.is_(True))
        if self.assignee == "unassigned":
            found.append(Case.assignee_id.is_(None))
        elif self.assignee:
            found.append(Case.assignee_id == (
                staff_id if self.assignee == "me" else self.assignee))
        if self.label:
            vocabulary, code = self.label
            if few_labelled:
                found.append(Case.id.in_(select(CaseLabel.case_id).where(
                    CaseLabel.vocabulary == vocabulary, CaseLabel.code == code)))
            else:
                found.append(exists().where(CaseLabel.case_id == Case.id,
                                            CaseLabel.vocabulary == vocabulary,
                                            CaseLabel.code == code))
        return found

    def few_labelled(self, session: Session) -> bool:
        """Whether the label filter matches few cases (a count over its index, capped)."""
        if not self.label:
            return False
        vocabulary, code = self.label
        capped = (select(CaseLabel.id).where(CaseLabel.vocabulary == vocabulary,
                                             CaseLabel.code == code)
                  .limit(FEW_LABELLED + 1).subquery())
        return (session.scalar(select(func.count()).select_from(capped)) or 0) <= FEW_LABELLED
