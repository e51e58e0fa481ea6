"""Derived facts: small, plain functions of a profile, a race result or a date.

Each returns ``None`` when an input it needs is unknown, so that "unknown"
travels through to the report instead of becoming a silent pass.
"""

from __future__ import annotations

import datetime as dt

GRAVITY = 9.81  # m/s²

PHASES = ("base", "build", "race_specific", "taper")
RECOGNISED_CIRCUITS = frozenset({"golden_trail_series", "skyrunner_world_series", "national_championship"})
ZEGAMA_LIKE_BACKGROUNDS = frozenset({"cross_country", "skimo", "short_mountain", "road_vertical"})


def weeks_between(as_of: dt.date, race_date: dt.date) -> float:
    """Weeks from ``as_of`` to race day, one decimal."""
    return round((race_date - as_of).days / 7, 1)


def training_phase(weeks: float) -> str:
    """base (> 16 weeks), build (16-10), race_specific (10-2), taper (< 2)."""
    if weeks > 16:
        return "base"
    if weeks > 10:
        return "build"
    if weeks >= 2:
        return "race_specific"
    return "taper"


def percentile(position: int | None, finishers: int | None) -> float | None:
    """Share of the field at or ahead of the runner: 1st of 100 is 0.01, last is 1.0."""
    if position is None or finishers is None or finishers <= 0:
        return None
    return round(position / finishers, 4)


def relative_to_winner(time_min: float | None, winner_min: float | None) -> float | None:
    """Time as a multiple of the winner's: 1.25 means 25 % slower."""
    if time_min is None or winner_min is None or winner_min <= 0:
        return None
    return round(time_min / winner_min, 4)


def km_effort(distance_km: float | None, dplus_m: float | None) -> float | None:
    """ITRA km-effort: distance in km plus D+ in metres / 100."""
    if distance_km is None:
        return None
    return round(distance_km + (dplus_m or 0) / 100, 2)


def dplus_per_km(dplus_m: float | None, distance_km: float | None) -> float | None:
    if dplus_m is None or not distance_km:
        return None
    return round(dplus_m / distance_km, 1)


def season(date: dt.date | None) -> int | None:
    """Mountain races are a summer sport in the northern hemisphere: the season is the calendar year."""
    return None if date is None else date.year


def is_recent(race_date: dt.date | None, edition_year: int, race_day: dt.date, seasons: int = 2) -> bool | None:
    """Does a race count as recent: the edition's own season before race day, or one of the ``seasons`` before it?"""
    if race_date is None:
        return None
    return edition_year - seasons <= race_date.year <= edition_year and race_date < race_day


def share_of_field(position: int | None, finishers: int | None) -> float | None:
    return percentile(position, finishers)


def lottery_odds(tickets: int, places: int | None, applicants: int | None, mean_tickets: float) -> float | None:
    """Chance (0-1) that one of ``tickets`` numbers is among ``places`` drawn from all applicants' tickets."""
    if not places or not applicants or tickets < 1:
        return None
    total = applicants * mean_tickets
    return 1 - (1 - min(1.0, tickets / total)) ** places


def vam_from_vk(vk_minutes: float | None, climb_m: float = 1000.0) -> float | None:
    """Vertical metres per hour over a vertical kilometre."""
    if vk_minutes is None or vk_minutes <= 0:
        return None
    return round(climb_m / (vk_minutes / 60), 0)


def vertical_watts_per_kg(vk_minutes: float | None, climb_m: float = 1000.0) -> float | None:
    """Power against gravity per kg of body mass (m·g·h / t / m): the lower bound of climbing power."""
    if vk_minutes is None or vk_minutes <= 0:
        return None
    return round(GRAVITY * climb_m / (vk_minutes * 60), 2)


def aet_ant_gap_pct(aet_hr: int | None, threshold_hr: int | None) -> float | None:
    """How far aerobic threshold HR sits below anaerobic threshold HR, in % of the latter."""
    if aet_hr is None or threshold_hr is None or threshold_hr <= 0:
        return None
    return round((threshold_hr - aet_hr) / threshold_hr * 100, 1)


def relative_squat(squat_1rm_kg: float | None, body_mass_kg: float | None) -> float | None:
    if squat_1rm_kg is None or not body_mass_kg:
        return None
    return round(squat_1rm_kg / body_mass_kg, 2)


def threshold_share_of_max(threshold_hr: int | None, max_hr: int | None) -> float | None:
    if threshold_hr is None or not max_hr:
        return None
    return round(threshold_hr / max_hr, 3)


def age_band(age: int | None) -> str | None:
    """Decade bands of the heel-raise norms: under 30 is 20-29, 70 and over is 70-79."""
    if age is None:
        return None
    low = min(max(age // 10 * 10, 20), 70)
    return f"{low}-{low + 9}"


def background_tags(background: list[str], finished_ultra: list[bool | None]) -> dict[str, bool]:
    """Tags a coach reads off a background: Zegama-like, road-only, ultra-only (``finished_ultra``: per
    finished race, is it an ultra, ``None`` when unknown)."""
    bg = set(background)
    known = [u for u in finished_ultra if u is not None]
    ultra_only_history = bool(known) and all(known)
    return {
        "zegama_like_background": bool(bg & ZEGAMA_LIKE_BACKGROUNDS),
        "road_only": bool(bg) and bg <= {"road", "track"},
        "ultra_only": "ultra_only" in bg or ultra_only_history,
        "ultra_only_history": ultra_only_history,
    }
