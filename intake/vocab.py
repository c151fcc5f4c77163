"""Controlled vocabularies (HURIDOCS-style micro-thesauri), every label translatable."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l

# Codes are stable: a stored label keeps its code forever (docs/vocabularies.md maps each
# code to the nearest HURIDOCS term); only the words may change.
ACT_TYPES = {
    "threats": _l("Threats and death threats"),
    "surveillance": _l("Being followed, watched or photographed (physical surveillance)"),
    "wiretapping": _l("Wiretapping and interception of calls and messages"),
    "assault": _l("Physical assault"),
    "torture": _l("Torture or ill-treatment"),
    "death_custody": _l("Death in custody"),
    "detention": _l("Arbitrary arrest or detention"),
    "raid": _l("Raid or search of office or home"),
    "judicial": _l("Judicial harassment and fabricated charges"),
    "smear": _l("Defamation and smear campaigns"),
    "digital": _l("Digital attacks (hacking, account takeover, doxxing)"),
    "travel": _l("Restriction on travel"),
    "family": _l("Pressure on family"),
    "medical": _l("Denial of medical care in custody"),
    "other": _l("Other"),
}

PERPETRATORS = {
    "police": _l("Police"),
    "security_service": _l("State security service"),
    "prosecutor_court": _l("Prosecutor or court"),
    "official": _l("Other state official"),
    "progov_group": _l("Pro-government group or media"),
    "nationalist": _l("Nationalist group"),
    "unknown": _l("Unknown individuals"),
    "private": _l("Private person"),
    "other": _l("Other"),
}

REGIONS = {
    "bishkek": _l("Bishkek city"),
    "osh_city": _l("Osh city"),
    "batken": _l("Batken oblast"),
    "chui": _l("Chui oblast"),
    "issyk_kul": _l("Issyk-Kul oblast"),
    "jalal_abad": _l("Jalal-Abad oblast"),
    "naryn": _l("Naryn oblast"),
    "osh": _l("Osh oblast"),
    "talas": _l("Talas oblast"),
    "outside": _l("Outside the country"),
    "unknown": _l("Prefer not to say"),
}

TARGETS = {
    "defender": _l("Human-rights defender"),
    "lawyer": _l("Lawyer"),
    "journalist": _l("Journalist"),
    "activist": _l("Activist"),
    "ngo_staff": _l("NGO staff"),
    "relative": _l("Relative of a defender"),
}

STATUS_LABELS = {
    "new": _l("New"),
    "in_review": _l("In review"),
    "verified": _l("Verified"),
    "escalated": _l("Escalated"),
    "rejected": _l("Rejected as spam"),
    "closed": _l("Closed"),
}

PRIORITY_LABELS = {
    "urgent": _l("Urgent: person in danger now"),
    "high": _l("High"),
    "normal": _l("Normal"),
    "low": _l("Low"),
}

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "reviewer": _l("Reviewer"),
    "analyst": _l("Analyst"),
}


# The heading of each coded-label vocabulary, wherever labels are chosen or filtered.
LABEL_LEGENDS = {
    "act_type": _l("Acts"),
    "perpetrator": _l("Perpetrators"),
    "target": _l("Targeted person"),
    "region": _l("Region"),
    "period": _l("Period"),
}


def region_choices(codes: Sequence[str]) -> list[tuple[str, object]]:
    """The configured regions in the configured order, plus the two catch-alls."""
    names = dict(REGIONS)
    ordered = [c for c in codes if c in names] + ["outside", "unknown"]
    return [(code, names.get(code, code)) for code in dict.fromkeys(ordered)]


def quarter_codes(first_year: int, last_year: int) -> list[str]:
    """Period labels are year-quarters such as 2026-Q3: coarse bins only."""
    return [f"{y}-Q{q}" for y in range(last_year, first_year - 1, -1) for q in (4, 3, 2, 1)]


def label_vocabulary(vocabulary: str) -> dict[str, object]:
    """Codes and labels of one coded-label vocabulary (period is generated)."""
    return {
        "act_type": ACT_TYPES,
        "perpetrator": PERPETRATORS,
        "region": REGIONS,
        "target": TARGETS,
    }.get(vocabulary, {})
