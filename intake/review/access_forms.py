"""Forms of the need-to-know pages: moving and restricting a case, granting one colleague,
and the admin's teams, members and routing. Choices are filled from the database per
request, so a forged id is refused by WTForms before any service runs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length


class _Checkboxes(SelectMultipleField):
    """Several choices as a list of checkboxes (usable without JavaScript or a mouse)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class MoveForm(FlaskForm):
    """The team(s) the case goes to."""

    teams = _Checkboxes(_l("Move to these teams"), validators=[DataRequired()])


class RestrictForm(FlaskForm):
    """The colleagues who keep the case besides the person restricting it."""

    readers = _Checkboxes(_l("Colleagues who keep access"))


class GrantForm(FlaskForm):
    """One colleague who gets this one case."""

    colleague = SelectField(_l("Colleague"), validators=[DataRequired()])


class TeamForm(FlaskForm):
    """A new team."""

    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=80)])


class MemberForm(FlaskForm):
    """A reader to add to a team."""

    staff = SelectField(_l("Add a member"), validators=[DataRequired()])


class RoutingForm(FlaskForm):
    """Which team a region's new cases go to; empty means the default team."""

    region = SelectField(_l("Region"), validators=[DataRequired()])
    team = SelectField(_l("Team"))


class ReadAllForm(FlaskForm):
    """Whether admins receive every new case."""

    admins_read_all = BooleanField(_l("Admins can read every new case"))
