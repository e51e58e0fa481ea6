"""The target edition: which Zegama an assessment is for, from the pack's race data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from .rulebase import RuleBase


class AssessmentError(ValueError):
    """The assessment cannot run with these options (e.g. no edition data for the date)."""


class Edition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int
    race_date: dt.date
    estimated: bool
    overridden: bool | None = None   # true when --race-date set the date
    preregistration_opens: dt.date | None = None
    preregistration_closes: dt.date | None = None
    draw: dt.date | None = None
    note: str | None = None


def parse_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def select_edition(
    rb: RuleBase, as_of: dt.date, year: int | None = None, race_date: dt.date | None = None
) -> Edition:
    """The target edition: ``year`` if given, else the next one on or after ``as_of``."""
    editions = rb.race.get("editions") or {}
    known = sorted(int(y) for y in editions)
    if year is None:
        for y in known:
            d = parse_date(editions[y]["race_date"]["value"])
            if d >= as_of:
                year = y
                break
        if year is None and race_date is not None:
            year = race_date.year
        if year is None:
            raise AssessmentError(
                f"no edition on or after {as_of} in the race data (known: {', '.join(map(str, known))}); "
                "pass --race-date to set one"
            )
    data = editions.get(year) or editions.get(str(year))
    if data is None and race_date is None:
        raise AssessmentError(f"no data for edition {year} (known: {', '.join(map(str, known))}); pass --race-date")
    data = data or (editions[known[-1]] if known else {})
    rd = race_date or parse_date(data["race_date"]["value"])
    if rd < as_of:
        raise AssessmentError(f"edition {year} ran on {rd}, before the assessment date {as_of}")
    pre = data.get("preregistration") or {}
    return Edition(
        year=year,
        race_date=rd,
        estimated=bool(data.get("estimated")) and race_date is None,
        overridden=True if race_date is not None else None,
        preregistration_opens=parse_date(pre.get("opens")),
        preregistration_closes=parse_date(pre.get("closes")),
        draw=parse_date((data.get("draw") or {}).get("value")),
        note=data.get("note"),
    )


