"""The report form: WTForms validation with translated messages, nothing required but 'what'."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from intake import vocab
from intake.public.file_fields import FileFields
from intake.public.form_body import FormBodyOnly
from intake.public.text_limit import within_limit

MONTHS = [
    ("", _l("Month")), ("1", _l("January")), ("2", _l("February")), ("3", _l("March")),
    ("4", _l("April")), ("5", _l("May")), ("6", _l("June")), ("7", _l("July")),
    ("8", _l("August")), ("9", _l("September")), ("10", _l("October")),
    ("11", _l("November")), ("12", _l("December")),
]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as plain checkboxes: works without JavaScript, easy on a phone."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _not_future(_form: Any, field: Any) -> None:
    if field.data and field.data > datetime.now(UTC).date():
        raise ValidationError(_l("The date cannot be in the future."))


class ReportForm(FormBodyOnly, FlaskForm, FileFields):
    """Everything a defender may tell us; only 'what happened' is required."""

    what = TextAreaField(
        _l("What happened? (required)"),
        validators=[DataRequired(_l("Please describe what happened.")), within_limit],
        description=_l("In your own words. Include anything you think matters."),
    )
    # Drawn when the form is served and shown at its top, so the reporter can write it
    # down before anything can go wrong; the server only derives from it (never stores
    # it), and a re-post with the same code is recognised instead of stored twice.
    receipt_code = HiddenField()
    when_date = DateField(
        _l("Date, if you know it"), validators=[Optional(), _not_future],
        description=_l("Or give only the month and year below."),
    )
    when_month = SelectField(_l("Month"), choices=MONTHS, validators=[Optional()])
    when_year = IntegerField(
        _l("Year"),
        validators=[Optional(), NumberRange(min=1991, max=2100,
                                            message=_l("Please enter a year such as 2025."))],
    )
    region = SelectField(_l("Region"), validators=[Optional()])
    place = StringField(
        _l("Place"), validators=[Optional(), Length(max=300)],
        description=_l("A town or district is enough. Do not give your home address."),
    )
    acts = MultiCheckboxField(_l("What kind of incident? (choose any)"),
                              choices=list(vocab.ACT_TYPES.items()))
    perpetrators = MultiCheckboxField(_l("Who did it? (choose any)"),
                                      choices=list(vocab.PERPETRATORS.items()))
    danger_now = BooleanField(_l("I am in danger now"))
    contact = TextAreaField(
        _l("How can we reach you safely?"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Only if it is safe. You can also come back with your receipt code."),
    )
    consent_stats = RadioField(
        _l("May we count this case in anonymised statistics?"),
        choices=[("yes", _l("Yes")), ("no", _l("No"))],
        default="no",
        description=_l("Only numbers are published, never details. Small numbers are hidden."),
    )

    def __init__(self, *args: Any, regions: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region.choices = [("", _l("Choose a region"))] + vocab.region_choices(regions)

    def validate(self, extra_validators: Any = None) -> bool:
        """Field rules, then the cross-field ones: a month needs a year; no future year."""
        ok = super().validate(extra_validators)
        year = self.when_year.data
        if self.when_month.data and not year and not self.when_year.errors:
            self.when_year.errors = [*self.when_year.errors,
                                     _l("Please add the year for that month.")]
            ok = False
        if year and year > datetime.now(UTC).year:
            self.when_year.errors = [*self.when_year.errors,
                                     _l("The year cannot be in the future.")]
            ok = False
        return ok
