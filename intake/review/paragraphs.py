"""The `paragraphs` Jinja filter: long testimony keeps its shape on the case page — blank
lines start a paragraph, single line breaks stay — and every character is still escaped."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


def paragraphs(text: str | None) -> Markup:
    """Escaped text as <p> paragraphs with <br> for single line breaks."""
    if not text:
        return Markup("")
    unified = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    parts = [part for part in _BLANK_LINES.split(unified) if part.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(escape(line)
                                                          for line in part.split("\n")))
        for part in parts)
