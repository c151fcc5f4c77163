"""Forms of the receipt page: the code, and more information with files."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired

from intake.public.file_fields import FileFields
from intake.public.form_body import FormBodyOnly
from intake.public.text_limit import within_limit


class ReceiptForm(FormBodyOnly, FlaskForm):
    """The receipt code, typed or pasted; spaces and dashes are fine."""

    code = StringField(
        _l("Receipt code"),
        # No length rule: any input goes through the same derivation and the same answer.
        validators=[DataRequired(_l("Please enter your receipt code."))],
        description=_l("The 30 digits you were given when you sent your report."),
    )


class FollowupForm(FormBodyOnly, FlaskForm, FileFields):
    """More information for the case; the code travels in a hidden field, never a cookie."""

    code = HiddenField(validators=[DataRequired()])
    text = TextAreaField(
        _l("Add more information"),
        validators=[within_limit],
        description=_l("Anything new or that you did not tell us before."),
    )
