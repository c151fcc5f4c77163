"""The attachment fields shared by the report form and the follow-up form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField, RadioField

REMOVE, KEEP = "remove", "keep"


class FileFields:
    """Several files and the metadata choice; mixed into a FlaskForm."""

    files = MultipleFileField(_l("Files"))
    metadata = RadioField(
        _l("Location and device data in your files"),
        choices=[
            (REMOVE, _l("Remove location and device data (recommended)")),
            (KEEP, _l("Keep the original file unchanged, as evidence")),
        ],
        default=REMOVE,
        description=_l(
            "Photos and documents can record where and when they were made and on which "
            "phone or computer. If someone else saw the file, that could point to you. "
            "Keep the original only if the exact file matters as evidence."),
    )

    def remove_metadata(self) -> bool:
        """Removing is the default; only an explicit 'keep' keeps the original."""
        choice: str | None = self.metadata.data
        return choice != KEEP
