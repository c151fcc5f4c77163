"""Stored labels keep their meaning: codes are never renamed or removed, and the acts that
defenders here report most (interception, torture, death in custody) have their own code."""

from __future__ import annotations

from pathlib import Path

from intake import vocab

# Every code that has ever been stored. Removing or renaming one would orphan stored labels
# and maintained counts; extend this list when a code is added, never shrink it.
EVER_STORED = {
    "act_type": {"threats", "surveillance", "wiretapping", "assault", "torture",
                 "death_custody", "detention", "raid", "judicial", "smear", "digital",
                 "travel", "family", "medical", "other"},
    "perpetrator": {"police", "security_service", "prosecutor_court", "official",
                    "progov_group", "nationalist", "unknown", "private", "other"},
    "target": {"defender", "lawyer", "journalist", "activist", "ngo_staff", "relative"},
}


def test_no_stored_code_disappears() -> None:
    for vocabulary, codes in EVER_STORED.items():
        assert codes <= set(vocab.label_vocabulary(vocabulary)), vocabulary


def test_interception_is_separate_from_physical_surveillance() -> None:
    acts = {code: str(label) for code, label in vocab.ACT_TYPES.items()}
    assert "wiretapping" in acts and "surveillance" in acts
    assert "interception" in acts["wiretapping"].lower()
    assert "physical" in acts["surveillance"].lower()
    assert {"torture", "death_custody"} <= set(acts)


def test_every_code_is_documented() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "vocabularies.md").read_text()
    for vocabulary in ("act_type", "perpetrator", "target"):
        for code in vocab.label_vocabulary(vocabulary):
            assert f"`{code}`" in text, (vocabulary, code)
