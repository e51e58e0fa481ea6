"""Hypothesis strategies for valid profiles (shared by the property tests)."""

import datetime as dt

from hypothesis import strategies as st

from assessment.model.profile import Background, Circuit


def _clock(min_minutes, max_minutes):
    return st.integers(int(min_minutes * 60), int(max_minutes * 60)).map(
        lambda s: f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    )


@st.composite
def races(draw):
    finishers = draw(st.integers(1, 800))
    status = draw(st.sampled_from(["finished", "finished", "finished", "dnf", "dns"]))
    race = {
        "race": draw(st.sampled_from(["Skyrace", "Trail", "Maratón", "Ultra", "Cross", "Zegama-Aizkorri"])),
        "date": draw(st.dates(dt.date(2022, 1, 1), dt.date(2027, 4, 30))),
        "distance_km": draw(st.floats(3, 180, allow_nan=False).map(lambda x: round(x, 1))),
        "dplus_m": draw(st.integers(0, 9000)),
        "circuit": draw(st.sampled_from([c.value for c in Circuit])),
        "status": status,
    }
    if status == "finished":
        if draw(st.booleans()):
            race["position"] = draw(st.integers(1, finishers))
            race["finishers"] = finishers
            if draw(st.booleans()):
                race["finishers_sex"] = draw(st.integers(1, finishers))
                race["position_sex"] = draw(st.integers(1, min(race["finishers_sex"], race["position"])))
        if draw(st.booleans()):
            winner = draw(st.integers(20 * 60, 10 * 3600))
            race["winner_time"] = winner / 60
            race["time"] = draw(st.integers(winner, winner * 3)) / 60
    return race


OPTIONAL = {
    # names as people type them: any letter, mark, symbol or space, no control character (refused)
    "name": st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
                                  blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
                    min_size=1, max_size=20),
    "sex": st.sampled_from(["F", "M", "X"]),
    "age": st.integers(14, 80),
    "body_mass_kg": st.floats(40, 110).map(lambda x: round(x, 1)),
    "goal": st.sampled_from(["finish", "compete", "podium"]),
    "background": st.lists(st.sampled_from([b.value for b in Background]), max_size=3, unique=True),
    "vk_time": _clock(26, 120),
    "uphill_test_vam": st.integers(300, 2200),
    "flat_10k_time": _clock(27, 90),
    "squat_1rm_kg": st.floats(0, 200).map(lambda x: round(x, 1)),
    "single_leg_calf_raises": st.integers(0, 80),
    "cmj_cm": st.floats(10, 60).map(lambda x: round(x, 1)),
    "downhill_confidence": st.integers(1, 5),
    "weekly_km": st.integers(0, 200),
    "weekly_dplus_m": st.integers(0, 10000),
    "strength_sessions_per_week": st.integers(0, 5),
    "uphill_sessions_per_week": st.integers(0, 5),
    "downhill_sessions_per_week": st.integers(0, 5),
    "longest_climb_m": st.integers(0, 3000),
    "uses_poles": st.booleans(),
    "crowd_composure": st.integers(1, 5),
    "pacing_discipline": st.integers(1, 5),
    "bad_weather_comfort": st.integers(1, 5),
    "national_selection": st.booleans(),
    "elite_invite": st.booleans(),
    "sponsor_entry": st.booleans(),
    "zegama_finishes": st.integers(0, 20),
    "every_edition_finisher": st.booleans(),
    "zegama_resident": st.booleans(),
    "unsuccessful_draws": st.integers(0, 12),
    "goal_time": _clock(4 * 60 + 20, 8 * 60),  # slower than both course records
    "longest_run_time": _clock(40, 6 * 60),
    "itra_index": st.integers(200, 950),
    "utmb_index": st.integers(200, 950),
    "races": st.lists(races(), max_size=4),
}


@st.composite
def heart_rates(draw):
    aet = draw(st.integers(110, 175))
    thr = draw(st.integers(aet + 1, 200))
    mx = draw(st.integers(max(thr + 1, 120), 225))
    out = {}
    for name, value in (("aet_hr", aet), ("threshold_hr", thr), ("max_hr", mx)):
        if draw(st.booleans()):
            out[name] = value
    return out


@st.composite
def profiles(draw):
    p = {"runner_id": draw(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True))}
    p.update(draw(st.fixed_dictionaries({}, optional=OPTIONAL)))
    p.update(draw(heart_rates()))
    return consistent(p)


SHORT_RACING = {"short_mountain", "road_vertical", "cross_country", "track", "road"}


def consistent(p: dict) -> dict:
    """Drop what a profile's own cross-field checks refuse (see assessment.model.profile)."""
    bg = p.get("background")
    if bg and "ultra_only" in bg and SHORT_RACING & set(bg):
        p["background"] = [b for b in bg if b != "ultra_only"]
    finished_here = sum(1 for r in p.get("races", ()) if r["race"] == "Zegama-Aizkorri" and r["status"] == "finished")
    if "age" in p:
        room = max(0, p["age"] - 17)
        if finished_here > room:
            p["races"] = [r for r in p["races"] if r["race"] != "Zegama-Aizkorri"]
            finished_here = 0
        if p.get("zegama_finishes", 0) > room:
            p["zegama_finishes"] = room
    if "zegama_finishes" in p and p["zegama_finishes"] < finished_here:
        p["zegama_finishes"] = finished_here
    if p.get("every_edition_finisher") and p.get("zegama_finishes", 1) < 22:
        p["every_edition_finisher"] = False  # finishing every edition means 22 or more finishes by now
    return p
