"""The one refusal type services raise with a message for a person (CLI or page), so views
and commands catch one thing whichever service said no."""

from __future__ import annotations


class StaffError(ValueError):
    """A request about staff that cannot be honoured, with a message for the person."""
