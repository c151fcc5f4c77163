"""The house's one-way floors, checked from the source: statistics only compute, and the
stored plaintext formats are encoded in one module."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "intake"


def _imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                base = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[
                    :-node.level])
                names.add(f"{base}.{node.module}")
            else:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_stats_imports_no_service_and_no_web_app() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in (PACKAGE / "stats").rglob("*.py")
        for name in _imports(path)
        if name.startswith(("intake.services", "intake.review", "intake.public", "intake.web"))
    }
    assert not offenders, sorted(offenders)


def test_the_check_sees_an_import(tmp_path: Path) -> None:
    """The import walker is not blind: it finds both import forms."""
    sample = PACKAGE / "stats" / "compute.py"
    found = _imports(sample)
    assert "intake.stats.protection" in found and "intake.stats.master.build" in found


DECRYPTS = ("open_item(", "open_items(", "decrypt_item(")
ENCRYPTS = ("seal_item(", "encrypt_item(")


def _payload_offenders(root: Path) -> list[str]:
    """Files that decrypt items and parse JSON, or encrypt items and write JSON: item
    plaintext must be encoded and decoded by intake/payloads.py alone."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "payloads.py" or "crypto" in path.parts:
            continue
        source = path.read_text()
        if any(call in source for call in DECRYPTS) and "json.loads(" in source:
            found.append(f"{path.name}: decrypts items and parses JSON itself")
        if any(call in source for call in ENCRYPTS) and "json.dumps(" in source:
            found.append(f"{path.name}: encrypts items and writes JSON itself")
    return found


def test_payload_encoding_only_in_the_payloads_module() -> None:
    assert _payload_offenders(PACKAGE) == []


def test_payload_check_finds_a_hand_rolled_format(tmp_path: Path) -> None:
    (tmp_path / "sneaky.py").write_text(
        "import json\n\ndef text(session, item, key):\n"
        "    return json.loads(open_item(session, item, key))['text']\n")
    assert _payload_offenders(tmp_path) == ["sneaky.py: decrypts items and parses JSON itself"]
