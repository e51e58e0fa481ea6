"""Checks of a profile against the pack's race data: what the profile alone cannot know.

A runner cannot have finished more Zegamas than editions were raced before the
assessment date, and no goal time can beat the course record of the runner's
sex. Each problem names the field and the fact it contradicts.
"""

from __future__ import annotations

import datetime as dt

from ..model.profile import Profile, ProfileError
from ..model.units import format_duration, parse_duration
from .rulebase import RuleBase


def editions_raced(rb: RuleBase, as_of: dt.date, race_day_of: dict[int, dt.date]) -> int | None:
    """Editions raced on the course before ``as_of`` (none in the years the pack lists as not raced)."""
    history = rb.race.get("history") or {}
    first = (history.get("first_edition") or {}).get("value")
    if first is None:
        return None
    skipped = set((history.get("not_raced") or {}).get("value") or ())
    last = as_of.year if race_day_of.get(as_of.year, dt.date(as_of.year, 5, 31)) < as_of else as_of.year - 1
    return sum(1 for y in range(int(first), last + 1) if y not in skipped)


def check_profile(rb: RuleBase, profile: Profile, as_of: dt.date) -> None:
    """Raise :class:`ProfileError` naming every field that contradicts the race's own history."""
    problems = profile_problems(rb, profile, as_of)
    if problems:
        raise ProfileError(problems)


def profile_problems(rb: RuleBase, profile: Profile, as_of: dt.date) -> list[tuple[str, str]]:
    """Every (field, message) where the profile contradicts the race's own history."""
    problems: list[tuple[str, str]] = []
    days = {}
    for year, ed in (rb.race.get("editions") or {}).items():
        value = (ed.get("race_date") or {}).get("value")
        if value is not None:
            days[int(year)] = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    raced = editions_raced(rb, as_of, days)
    if raced is not None and profile.zegama_finishes is not None:
        if profile.zegama_finishes > raced:
            first = rb.race["history"]["first_edition"]["value"]
            problems.append(("zegama_finishes", f"{profile.zegama_finishes} is more than the {raced} editions raced "
                                                f"before {as_of} (the first in {first}, none in 2020)"))
        elif profile.every_edition_finisher and profile.zegama_finishes < raced:
            problems.append(("every_edition_finisher", f"yes, but zegama_finishes is {profile.zegama_finishes} "
                                                       f"and {raced} editions were raced before {as_of}"))
    records = (rb.race.get("course") or {}).get("records") or {}
    if profile.goal_time is not None:
        rec = records.get(profile.sex if profile.sex in ("F", "M") else "F")
        if rec is not None and profile.goal_time < parse_duration(rec["time"]) - 1e-9:  # minutes
            who = {"M": "men's", "F": "women's"}.get(profile.sex, "women's")
            problems.append(("goal_time", f"{format_duration(profile.goal_time)} is faster than the {who} course record "
                                          f"({rec['time']}, {rec['name']}, {rec['year']})"))
    return problems


def interview_problems(rb: RuleBase, profile: Profile, as_of: dt.date) -> list[tuple[str, str]]:
    """What the interview refuses on top of :func:`profile_problems`: an age under the pack's
    minimum (a profile file or roster keeps it, and the report says the runner cannot enter)."""
    problems = profile_problems(rb, profile, as_of)
    minimum = rb.parameters.get("minimum_age")
    if minimum is not None and profile.age is not None and profile.age < minimum.value:
        problems.append(("age", f"{profile.age} is below the race's minimum age of {minimum.value:g} "
                                "(the regulation): check the age, it is your age on race day"))
    return problems
