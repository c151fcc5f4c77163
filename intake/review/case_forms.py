"""The case page's forms, parsed and bounded by WTForms like every other form; the services
still decide what is allowed (transitions, vocabularies), so a forged choice gets the same
translated refusal as a stale page."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Length, Optional

from intake.services.triage import MULTI, SINGLE, TriageChange

# Codes are short identifiers; anything longer is not a code of ours.
MAX_CODE = 36


class _Codes(SelectMultipleField):
    """Several codes; membership is the service's check, so no choices are needed here."""

    def pre_validate(self, form: Any) -> None:
        """Leave choice checks to the triage service (one message for every bad code)."""


class _Code(SelectField):
    """One optional code; membership is the service's check."""

    def pre_validate(self, form: Any) -> None:
        """Leave choice checks to the triage service."""


class TriageForm(FlaskForm):
    """Status, priority, assignee and acknowledgement of one case."""

    status = _Code(validate_choice=False, validators=[Optional(), Length(max=MAX_CODE)])
    priority = _Code(validate_choice=False, validators=[Optional(), Length(max=MAX_CODE)])
    assignee = _Code(validate_choice=False, validators=[Optional(), Length(max=MAX_CODE)])
    acknowledged = BooleanField()

    def change(self) -> TriageChange:
        """What the reviewer asked for; empty fields mean "leave as it is"."""
        return TriageChange(status=self.status.data or None,
                            priority=self.priority.data or None,
                            assignee_id=self.assignee.data or None,
                            acknowledged=bool(self.acknowledged.data))


class LabelForm(FlaskForm):
    """The coded labels: several acts, perpetrators and targets; one region and period."""

    act_type = _Codes(validate_choice=False)
    perpetrator = _Codes(validate_choice=False)
    target = _Codes(validate_choice=False)
    region = _Code(validate_choice=False, validators=[Optional(), Length(max=MAX_CODE)])
    period = _Code(validate_choice=False, validators=[Optional(), Length(max=MAX_CODE)])

    def chosen(self) -> dict[str, list[str]]:
        """vocabulary -> codes, as the triage service takes them."""
        out: dict[str, list[str]] = {}
        for name in MULTI:
            out[name] = [str(code) for code in (self[name].data or [])]
        for name in SINGLE:
            value = self[name].data
            out[name] = [str(value)] if value else []
        return out


class CaseForm(TriageForm, LabelForm):
    """The case page's one save: status, priority, assignee and labels in one post."""


class TextForm(FlaskForm):
    """A note or reply: the triage service checks its length, and a refusal gives it back
    whole, so nothing typed is lost."""

    text = TextAreaField()


# The value only a send button shown next to the checked text carries (the preview page's,
# or the case page's in-page check): a reply goes out only from there.
SEND_CONFIRMED = "send-to-reporter"


class ReplyForm(TextForm):
    """A reply: first posted without `confirm` (the preview), then with it from the send
    button next to the checked text. The note form has no such field, so no click on it can
    send a reply."""

    confirm = HiddenField()

    def confirmed(self) -> bool:
        """Whether this post comes from an explicit send button."""
        return self.confirm.data == SEND_CONFIRMED

    def as_previewed(self) -> bool:
        """Whether the text is already what would be stored (the browser's CRLF aside): a
        send button only ever carries the checked text, so anything else was not seen."""
        text = (self.text.data or "").replace("\r\n", "\n")
        return text == text.strip()
