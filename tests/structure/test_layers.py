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
    assert "intake.stats.publish" in found
