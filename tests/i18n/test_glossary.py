"""Every catalogue holds the glossary: one word per key term, and no "criminal case" for reporters.

The terms, their words per language and the justified exceptions are read from
docs/glossary.md, so the document and the test cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from babel.messages.catalog import Catalog, Message

from tests.i18n.catalogs import LANGS, ROOT, TRANSLATIONS, catalog

GLOSSARY = ROOT / "docs" / "glossary.md"

# Words that read as "criminal case" to someone under prosecution; never in what a
# reporter reads (docs/glossary.md, "case").
FORBIDDEN_FOR_REPORTERS = {
    "ru": re.compile(r"\bдел(о|а|у|ом|ам|ами|ах)?\b", re.I),  # not "деле": "на самом деле"
    "ky": re.compile(r"\bиш(и|ти|ке|тин|тер|тери|тердин)?\b", re.I),
    "uz": re.compile(r"\bish(i|ni|ga|ning|lar|lari)?\b", re.I),
    "uz_Cyrl": re.compile(r"\bиш(и|ни|га|нинг|лар|лари)?\b", re.I),
}
# Catalogue locations only staff see; everything else counts as reporter-facing.
STAFF_ONLY = ("intake/review/", "templates/review/", "intake/notify.py", "intake/cli/")
SHOWN_TO_REPORTERS_TOO = ("templates/review/stats_tables.html",)  # the transparency page


@dataclass(frozen=True)
class Term:
    """One glossary row: the English pattern and each language's pattern."""

    name: str
    english: re.Pattern[str]
    words: dict[str, re.Pattern[str]]


@dataclass(frozen=True)
class Exception_:
    """One documented exception: this entry uses another word, for a stated reason."""

    term: str
    lang: str
    msgid_start: str
    instead: re.Pattern[str]


def _tables(text: str) -> list[list[list[str]]]:
    """The Markdown tables of a document, as rows of cells (separator rows dropped)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _pattern(cell: str) -> re.Pattern[str]:
    match = re.search(r"`([^`]+)`", cell)
    assert match, f"no `pattern` in glossary cell {cell!r}"
    return re.compile(match.group(1), re.I)


def glossary() -> tuple[list[str], list[Term], list[Exception_]]:
    """The languages, terms and exceptions of docs/glossary.md."""
    terms_table, exceptions_table = _tables(GLOSSARY.read_text(encoding="utf-8"))[:2]
    header, *rows = terms_table
    assert header[:2] == ["term", "en"], header
    langs = header[2:]
    terms = [Term(row[0], _pattern(row[1]),
                  {lang: _pattern(cell) for lang, cell in zip(langs, row[2:], strict=True)})
             for row in rows]
    exc_header, *exc_rows = exceptions_table
    assert exc_header[:4] == ["term", "lang", "msgid starts with", "uses instead"], exc_header
    exceptions = [Exception_(r[0], r[1], r[2], _pattern(r[3])) for r in exc_rows]
    return langs, terms, exceptions


def _texts(message: Message) -> tuple[str, str]:
    """English and translated text of an entry, every plural form joined."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return " ".join(map(str, ids)), " ".join(map(str, strings))


def _is_reporter_facing(message: Message) -> bool:
    for path, _line in message.locations:
        if path in SHOWN_TO_REPORTERS_TOO or not path.startswith(STAFF_ONLY):
            return True
    return False


def violations(cat: Catalog, lang: str, terms: list[Term],
               exceptions: list[Exception_]) -> list[str]:
    """Entries that should use a glossary word in `lang` and do not."""
    excused = {(e.term, e.msgid_start) for e in exceptions if e.lang == lang}
    found = []
    for message in cat:
        if not message.id:
            continue
        english, translated = _texts(message)
        for term in terms:
            if not term.english.search(english):
                continue
            if any(t == term.name and english.startswith(s) for t, s in excused):
                continue
            if not term.words[lang].search(translated):
                found.append(f"{term.name!r} -> /{term.words[lang].pattern}/ missing in "
                             f"{english[:70]!r}: {translated[:90]!r}")
    return found


def test_the_glossary_covers_every_shipped_language():
    langs, terms, _ = glossary()
    shipped = sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir())
    assert sorted(langs) == shipped
    assert set(LANGS) <= set(langs)
    names = {t.name for t in terms}
    for key in ("report (noun)", "case", "receipt code", "reviewer", "reporter", "encrypted",
                "surveillance", "wiretapping", "passphrase", "location and device data",
                "anonymised statistics", "consent", "I am in danger now", "quick exit",
                "security service"):
        assert key in names


@pytest.mark.parametrize("lang", LANGS)
def test_every_entry_uses_the_glossary_word(lang):
    _, terms, exceptions = glossary()
    bad = violations(catalog(lang), lang, terms, exceptions)
    assert not bad, f"{lang}: {len(bad)} entries off the glossary (docs/glossary.md):\n" + \
        "\n".join(bad)


@pytest.mark.parametrize("lang", LANGS)
def test_every_exception_is_still_needed_and_uses_its_stated_word(lang):
    _, terms, exceptions = glossary()
    by_name = {t.name: t for t in terms}
    entries = [_texts(m) for m in catalog(lang) if m.id]
    for exc in (e for e in exceptions if e.lang == lang):
        matching = [(en, tr) for en, tr in entries if en.startswith(exc.msgid_start)]
        assert len(matching) == 1, f"exception matches {len(matching)} entries: {exc}"
        english, translated = matching[0]
        term = by_name[exc.term]
        assert term.english.search(english), f"the entry no longer uses the term: {exc}"
        assert not term.words[lang].search(translated), f"no longer an exception: {exc}"
        assert exc.instead.search(translated), f"does not use {exc.instead.pattern}: {exc}"


@pytest.mark.parametrize("lang", LANGS)
def test_reporters_never_read_a_word_for_criminal_case(lang):
    bad = []
    for message in catalog(lang):
        if message.id and _is_reporter_facing(message):
            english, translated = _texts(message)
            if FORBIDDEN_FOR_REPORTERS[lang].search(translated):
                bad.append(f"{english[:60]!r}: {translated!r}")
    assert not bad, "\n".join(bad)


def test_the_checks_catch_an_entry_off_the_glossary():
    """The machinery itself: a wrong word fails, the right one passes, an excused one passes."""
    _, terms, exceptions = glossary()
    cat = Catalog(locale="ru")
    cat.add("Keep your receipt code safe", "Храните код-квитанцию надёжно",
            locations=[("templates/public/safety.html", 1)])
    assert violations(cat, "ru", terms, exceptions)
    cat = Catalog(locale="ru")
    cat.add("Keep your receipt code safe", "Надёжно храните код квитанции",
            locations=[("templates/public/safety.html", 1)])
    assert not violations(cat, "ru", terms, exceptions)
    cat = Catalog(locale="ru")
    cat.add("Cases by target profile", "Случаи по тому, против кого", locations=[])
    assert not violations(cat, "ru", terms, exceptions)
    assert FORBIDDEN_FOR_REPORTERS["ru"].search("Ваше дело закрыто")
    assert not FORBIDDEN_FOR_REPORTERS["ru"].search("Ваше обращение; сделайте это")
