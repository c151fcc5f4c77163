"""Uzbek in Cyrillic, generated from the reviewed Latin catalogue: one text to review and
keep right, two scripts for readers in Osh and Jalal-Abad who read either.

`python -m intake.uz_cyrillic SRC.po DST.po` writes the `uz_Cyrl` catalogue; `make
translations` runs it after updating the Latin one. Placeholders (`%(name)s`, `{x}`), markup,
URLs and product names stay as they are. Russian loanwords whose Latin spelling lost a
letter (ц, ь) are restored from a short list; docs/translations.md says what a native
speaker should read.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# Digraphs first (longest match wins); oʻ/gʻ use U+02BB, the tutuq belgisi ʼ is U+02BC.
_PAIRS = [
    ("oʻ", "ў"), ("gʻ", "ғ"), ("sh", "ш"), ("ch", "ч"), ("yo", "ё"), ("yu", "ю"),
    ("ya", "я"), ("ye", "е"),
]
_SINGLE = dict(zip("abdfghijklmnopqrstuvxyzc", "абдфгҳижклмнопқрстувхйзс", strict=True))
_VOWELS = set("aeiouAEIOU") | {"ʻ"}
# Russian loanwords whose Latin spelling dropped ц or ь (checked against the catalogue).
_LOANWORDS = {
    "kvitansiya": "квитанция", "administrator": "администратор", "operatsiya": "операция",
    "pozitsiya": "позиция", "organizatsiya": "организация", "militsiya": "милиция",
    "pochta": "почта", "fevral": "феврал", "oktabr": "октябр", "sentabr": "сентябр",
    "noyabr": "ноябр", "dekabr": "декабр", "yanvar": "январ", "iyun": "июн", "iyul": "июл",
    "avgust": "август", "aprel": "апрел", "mart": "март", "may": "май",
}
# Kept in Latin: product names, file formats and abbreviations readers know that way.
_KEEP = {"Tor", "Browser", "PDF", "JPEG", "PNG", "WebP", "SHA-256", "TOTP", "HTML", "URL",
         "Signal", "WhatsApp", "Telegram", "Intake", "ZIP", "CSV", "JSON", "SVG", "HPKE",
         "IP", "QR", "UTC", "OpenPGP", "Argon2id"}
# Spans never touched: placeholders, markup, URLs and e-mail addresses.
_PROTECTED = re.compile(
    r"%\(\w+\)[sd]|%[sd]|\{[^{}]*\}|<[^>]*>|&\w+;|https?://\S+|\S+@\S+|[A-Za-z]+\.[a-z]{2,4}\b")
_WORD = re.compile(r"[A-Za-zʻʼ]+(?:-\d+)?")


def _match_case(source: str, target: str) -> str:
    if source.isupper() and len(source) > 1:
        return target.upper()
    if source[:1].isupper():
        return target[:1].upper() + target[1:]
    return target


def _word(word: str) -> str:
    """One Latin word in Cyrillic."""
    if word in _KEEP or (word.isupper() and len(word) > 1 and word not in {"GKNB"}):
        return {"GKNB": "ГКНБ"}.get(word, word)
    lower = word.lower()
    for latin, cyrillic in _LOANWORDS.items():
        if lower.startswith(latin):
            rest = _word(word[len(latin):]) if len(word) > len(latin) else ""
            return _match_case(word, cyrillic) + rest.lower()
    out: list[str] = []
    i = 0
    while i < len(word):
        pair = word[i:i + 2]
        hit = next((c for lat, c in _PAIRS if pair.lower() == lat), None)
        if hit is not None:
            out.append(_match_case(pair, hit))
            i += 2
            continue
        char = word[i]
        low = char.lower()
        if low == "e":
            start = i == 0 or word[i - 1] in _VOWELS
            out.append(_match_case(char, "э" if start else "е"))
        elif low in "ʼʻ":
            out.append("ъ")  # the tutuq belgisi (and a stray ʻ not after o/g)
        elif low in _SINGLE:
            out.append(_match_case(char, _SINGLE[low]))
        else:
            out.append(char)
        i += 1
    return "".join(out)


def transliterate(text: str) -> str:
    """Uzbek Latin text in Cyrillic; protected spans are copied unchanged."""
    out: list[str] = []
    last = 0
    for span in _PROTECTED.finditer(text):
        out.append(_WORD.sub(lambda m: _word(m.group(0)), text[last:span.start()]))
        out.append(span.group(0))
        last = span.end()
    out.append(_WORD.sub(lambda m: _word(m.group(0)), text[last:]))
    return "".join(out)


def convert_catalogue(source: Path, target: Path) -> int:
    """Write the uz_Cyrl catalogue from the uz one; returns how many messages it holds."""
    from babel import Locale
    from babel.messages.pofile import read_po, write_po

    with source.open("rb") as fh:
        converted = read_po(fh, locale="uz_Cyrl")
    converted.locale = Locale.parse("uz_Cyrl")
    for message in converted:
        if not message.id:
            continue
        if isinstance(message.string, (tuple, list)):
            message.string = tuple(transliterate(str(s)) for s in message.string)
        elif message.string:
            message.string = transliterate(str(message.string))
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as fh:
        write_po(fh, converted, width=0, ignore_obsolete=True)
    return len([m for m in converted if m.id])


if __name__ == "__main__":
    count = convert_catalogue(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"uz_Cyrl: {count} messages transliterated from {sys.argv[1]}")
