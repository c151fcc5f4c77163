"""Form bodies only: the Meta that the reporter forms (report, receipt code, follow-up) share."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf.form import _Auto
from werkzeug.datastructures import CombinedMultiDict, MultiDict


class FormBodyOnly:
    """Mixed into a FlaskForm: read only real form bodies, and file parts only for file fields.

    Flask-WTF would parse a JSON body (a non-object made a 500) and hand a file part named
    like a text field to its validators (another 500). Both were found by bench/fuzz.py.
    """

    class Meta:
        """Merged by WTForms into the form's meta."""

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            """None for JSON; the form fields plus only the file parts of file fields."""
            if formdata is not _Auto:
                return super().wrap_formdata(form, formdata)  # type: ignore[misc]
            if request.is_json:
                return None
            wrapped = super().wrap_formdata(form, formdata)  # type: ignore[misc]
            if not request.files:
                return wrapped
            file_fields = {name for name, field in form._fields.items()
                           if field.type in ("FileField", "MultipleFileField")}
            files = MultiDict([(k, v) for k, v in request.files.items(multi=True)
                               if k in file_fields])
            return CombinedMultiDict((files, request.form))
