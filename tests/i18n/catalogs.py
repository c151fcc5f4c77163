"""Read the catalogues and re-extract messages the way `make translations` does.

Also a small command for translators: `python -m tests.i18n.catalogs` lists every
message still untranslated or fuzzy, per language.
"""

from __future__ import annotations

import re
import shlex
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "intake" / "translations"
LANGS = ("ru", "ky", "uz", "uz_Cyrl")


def catalog(lang: str) -> Catalog:
    """One language's catalogue as committed."""
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def extract_keywords() -> list[str]:
    """The keyword options of the Makefile, so code and test cannot drift apart."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(r"^EXTRACT_KEYWORDS := (.+)$", text, re.M)
    assert match, "EXTRACT_KEYWORDS missing from the Makefile"
    return shlex.split(match.group(1))


def extract() -> Catalog:
    """A fresh template extracted from the code and templates right now."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        CommandLineInterface().run([
            "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
            *extract_keywords(), "-o", str(pot), str(ROOT),
        ])
        with pot.open("rb") as fh:
            return read_po(fh)


def msgids(cat: Catalog) -> set[object]:
    """Every message id of a catalogue, header excluded."""
    return {m.id for m in cat if m.id}


def unfinished(cat: Catalog) -> list[object]:
    """Message ids that are untranslated (any plural form empty) or marked fuzzy."""
    bad = []
    for m in cat:
        if not m.id:
            continue
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy or not all(forms):
            bad.append(m.id)
    return bad


if __name__ == "__main__":
    for lang in LANGS:
        for mid in unfinished(catalog(lang)):
            print(f"{lang}\t{mid!r}")
