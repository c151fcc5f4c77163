"""Triage of one case: status, priority, assignee, coded labels, notes and replies."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from intake.models import Case, Item, Staff
from intake.models.base import hour_floor, new_id, utcnow
from intake.models.case import PRIORITIES, TRANSITIONS
from intake.models.label import CaseLabel
from intake.payloads import TextPayload
from intake.services.audit import record
from intake.services.keyring import Recipient, case_recipients, seal_item
from intake.stats import counts
from intake.vocab import label_vocabulary, quarter_codes

MAX_TEXT = 20000
MULTI = ("act_type", "perpetrator", "target")
SINGLE = ("region", "period")


class TriageError(ValueError):
    """A refused change; the message is user-facing and nothing was changed."""


@dataclass
class TriageChange:
    status: str | None = None
    priority: str | None = None
    assignee_id: str | None = None
    acknowledged: bool = False


def find_case(session: Session, reference: str) -> Case | None:
    return session.scalar(select(Case).where(Case.reference == reference[:16]))


def assignable_staff(session: Session) -> list[Staff]:
    """Active admins and reviewers, by username."""
    return list(session.scalars(select(Staff).where(
        Staff.active.is_(True), Staff.role.in_(("admin", "reviewer"))).order_by(Staff.username)))


def period_codes() -> list[str]:
    year = utcnow().year
    return quarter_codes(year - 5, year)


def transitions(status: str, *, verify_from_new: bool = False) -> tuple[str, ...]:
    """The statuses a case may move to; the workflow setting adds new -> verified."""
    allowed = TRANSITIONS.get(status, ())
    if status == "new" and verify_from_new:
        allowed = (*allowed[:1], "verified", *allowed[1:])
    return allowed


def triage(session: Session, staff: Staff, case: Case, change: TriageChange, *,
           verify_from_new: bool = False) -> list[str]:
    """Apply the change after validating all of it; audits the changed field names."""
    counts.lock(session, case)
    changed = _apply_triage(session, staff, case, change, verify_from_new)
    session.commit()
    return changed


def _apply_triage(session: Session, staff: Staff, case: Case, change: TriageChange,
                  verify_from_new: bool) -> list[str]:
    """Validate all of the change, then apply and audit it; the caller has locked the case
    (counts.lock) and commits."""
    changed: list[str] = []
    if (change.status and change.status != case.status
            and change.status not in transitions(case.status,
                                                 verify_from_new=verify_from_new)):
        raise TriageError(_l("This status change is not allowed."))
    if change.priority and change.priority not in PRIORITIES:
        raise TriageError(_l("Unknown priority."))
    if change.assignee_id and change.assignee_id not in {s.id for s in assignable_staff(session)}:
        raise TriageError(_l("The assignee must be an active administrator or reviewer."))
    if change.status and change.status != case.status:
        _recount_status(session, case, change.status)
        case.status = change.status
        changed.append("status")
        if case.status == "closed":
            case.closed_at = utcnow()
            changed.append("closed_at")
    if change.priority and change.priority != case.priority:
        case.priority = change.priority
        changed.append("priority")
    if (change.assignee_id or None) != case.assignee_id:
        case.assignee_id = change.assignee_id or None
        changed.append("assignee")
    if change.acknowledged and case.acknowledged_at is None:
        case.acknowledged_at = utcnow()
        changed.append("acknowledged")
    if changed:
        record(session, staff, "case.triage", target=case.reference, detail={"fields": changed})
    return changed


def _recount_status(session: Session, case: Case, status: str) -> None:
    """A move into or out of the counted statuses adds or removes the case's counts."""
    if counts.counted(case.status, case.consent_stats) == counts.counted(status,
                                                                          case.consent_stats):
        return
    labels = counts.labels_of(session, case.id)
    counts.change(session, counts.contribution(case.status, case.consent_stats, labels),
                  counts.contribution(status, case.consent_stats, labels))


def withdraw_consent(session: Session, staff: Staff, case: Case) -> bool:
    """The reporter asked not to be counted (e.g. in a follow-up); their counts go at once."""
    counts.lock(session, case)
    if not case.consent_stats:
        return False
    labels = counts.labels_of(session, case.id)
    counts.change(session, counts.contribution(case.status, True, labels),
                  counts.contribution(case.status, False, labels))
    case.consent_stats = False
    record(session, staff, "case.consent_withdrawn", target=case.reference)
    session.commit()
    return True


def acknowledge_urgent(session: Session, staff: Staff, case: Case) -> bool:
    """Someone on call has seen a danger-now report: it stops the escalation (audited)."""
    if not case.awaiting_ack:
        return False
    case.awaiting_ack = False
    record(session, staff, "case.urgent_acknowledged", target=case.reference)
    session.commit()
    return True


def allowed_codes(vocabulary: str) -> set[str]:
    if vocabulary == "period":
        return set(period_codes())
    return set(label_vocabulary(vocabulary))


def set_labels(session: Session, staff: Staff, case: Case,
               chosen: dict[str, list[str]]) -> None:
    """Replace the case's labels; unknown codes or several single-valued ones are refused."""
    pairs = _label_pairs(chosen)
    counts.lock(session, case)
    _apply_labels(session, staff, case, pairs, always=True)
    session.commit()


def save_case(session: Session, staff: Staff, case: Case, change: TriageChange,
              chosen: dict[str, list[str]], *, verify_from_new: bool = False) -> list[str]:
    """The case page's one save: status, priority, assignee and labels together, all
    validated before anything changes, in one transaction. Returns what changed."""
    pairs = _label_pairs(chosen)
    counts.lock(session, case)
    changed = _apply_triage(session, staff, case, change, verify_from_new)
    if _apply_labels(session, staff, case, pairs, always=False):
        changed.append("labels")
    session.commit()
    return changed


def _label_pairs(chosen: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(vocabulary, code) pairs after checking every code; raises TriageError."""
    pairs: list[tuple[str, str]] = []
    for vocabulary in MULTI + SINGLE:
        codes = [c for c in dict.fromkeys(chosen.get(vocabulary, [])) if c]
        if vocabulary in SINGLE and len(codes) > 1:
            raise TriageError(_l("Choose at most one value for each single-choice label."))
        if any(c not in allowed_codes(vocabulary) for c in codes):
            raise TriageError(_l("Unknown label code."))
        pairs += [(vocabulary, c) for c in codes]
    return pairs


def _apply_labels(session: Session, staff: Staff, case: Case, pairs: list[tuple[str, str]],
                  *, always: bool) -> bool:
    """Replace the labels (counts follow) and audit; unchanged labels are left alone unless
    `always`. Returns whether anything changed; the caller has locked the case and commits."""
    current = {(v, c) for v, codes in case_labels(session, case).items() for c in codes}
    if not always and current == set(pairs):
        return False
    old = [(v, c) for v, c in session.execute(delete(CaseLabel).where(
        CaseLabel.case_id == case.id).returning(CaseLabel.vocabulary, CaseLabel.code))]
    session.add_all(CaseLabel(case_id=case.id, vocabulary=v, code=c) for v, c in pairs)
    counts.change(session, counts.contribution(case.status, case.consent_stats, old),
                  counts.contribution(case.status, case.consent_stats, pairs))
    record(session, staff, "case.labels", target=case.reference)
    return current != set(pairs)


def case_labels(session: Session, case: Case) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for label in session.scalars(select(CaseLabel).where(CaseLabel.case_id == case.id)):
        out.setdefault(label.vocabulary, set()).add(label.code)
    return out


def check_text(text: str) -> str:
    """The text as it will be stored (line endings unified, outer blanks trimmed), or a
    refusal; the reply preview shows exactly this."""
    text = text.replace("\r\n", "\n").strip()
    if not text or len(text) > MAX_TEXT:
        raise TriageError(_l("Enter between 1 and 20000 characters."))
    return text


def add_note(session: Session, staff: Staff, case: Case, text: str) -> Item:
    """An internal note, sealed to staff only."""
    text = check_text(text)
    item = Item(id=new_id(), case_id=case.id, kind="note", created_at=hour_floor(),
                author_id=staff.id)
    seal_item(session, item, TextPayload(text).encode(), case_recipients(session, case))
    record(session, staff, "case.note", target=case.reference)
    session.commit()
    return item


def add_reply(session: Session, staff: Staff, case: Case, text: str) -> Item:
    """A reply the reporter can read with the receipt code."""
    text = check_text(text)
    item = Item(id=new_id(), case_id=case.id, kind="reply", created_at=hour_floor(),
                author_id=staff.id)
    recipients = case_recipients(session, case) + [
        Recipient(public_key=case.reply_public_key, for_reporter=True)]
    seal_item(session, item, TextPayload(text).encode(), recipients)
    if case.first_response_at is None:
        case.first_response_at = utcnow()
    record(session, staff, "case.reply", target=case.reference)
    session.commit()
    return item
