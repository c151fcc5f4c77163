"""Coded labels suggested from the reporter's own answers (acts, perpetrators, region, the
date as a year-quarter), so a reviewer confirms them instead of ticking them again."""

from __future__ import annotations

from datetime import date

from intake.payloads import ReportAnswers
from intake.vocab import label_vocabulary


def reported_month(answers: ReportAnswers) -> tuple[int, int | None] | None:
    """(year, month or None) of the incident as the reporter gave it, or None."""
    if answers.when_date:
        try:
            day = date.fromisoformat(answers.when_date)
        except ValueError:
            return None
        return day.year, day.month
    if answers.when_year and answers.when_year.isdigit():
        raw = answers.when_month or ""
        month = int(raw) if raw.isdigit() else None
        return int(answers.when_year), month if month and 1 <= month <= 12 else None
    return None


def suggested_period(answers: ReportAnswers, allowed: list[str]) -> str | None:
    """The year-quarter code of the incident, when the reporter gave at least the month."""
    when = reported_month(answers)
    if when is None or when[1] is None:
        return None
    code = f"{when[0]}-Q{(when[1] - 1) // 3 + 1}"
    return code if code in allowed else None


def suggested_labels(answers: ReportAnswers | None, periods: list[str]) -> dict[str, set[str]]:
    """vocabulary -> codes the reporter's answers imply; only codes of our vocabularies."""
    if answers is None:
        return {}
    out: dict[str, set[str]] = {}
    acts = label_vocabulary("act_type")
    perpetrators = label_vocabulary("perpetrator")
    regions = label_vocabulary("region")
    if picked := {a for a in answers.acts if a in acts}:
        out["act_type"] = picked
    if picked := {p for p in answers.perpetrators if p in perpetrators}:
        out["perpetrator"] = picked
    if answers.region and answers.region in regions:
        out["region"] = {answers.region}
    if period := suggested_period(answers, periods):
        out["period"] = {period}
    return out
