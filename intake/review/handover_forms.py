"""Forms of the hand-over pages: adding and verifying an outside recipient, and choosing
what to send. Choices are filled per request from the case and the directory, so a forged
id (another case's item, an unverified or removed recipient) fails validation first."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

MAX_KEY_CHARS = 200_000


class RecipientForm(FlaskForm):
    """A new recipient: who they are and their public key, pasted as text."""

    name = StringField(_l("Recipient's name"), validators=[DataRequired(), Length(max=120)])
    organisation = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=120)])
    key = TextAreaField(
        _l("Public key"), validators=[DataRequired(), Length(max=MAX_KEY_CHARS)],
        description=_l("Their OpenPGP public certificate (%(gpg)s, or %(sq)s), or the public "
                       "key file made by %(keygen)s.", gpg="gpg --armor --export",
                       sq="sq cert export", keygen="intake keygen"))


class VerifyForm(FlaskForm):
    """The second staff member's statement that the fingerprints matched."""

    compared = BooleanField(_l("I compared this whole fingerprint with the recipient by "
                               "phone, video call or in person, and it matched."),
                            validators=[InputRequired()])


class HandOverForm(FlaskForm):
    """The recipient and the items to send; notes are never pre-ticked."""

    recipient = RadioField(_l("Recipient"), validators=[InputRequired()])
    report = BooleanField(_l("The report"), default=True)
    messages = SelectMultipleField(_l("Follow-ups and replies"))
    notes = SelectMultipleField(_l("Internal notes"))
    originals = SelectMultipleField(_l("Files as stored"))
    safe = SelectMultipleField(_l("Safe copies of files"))
