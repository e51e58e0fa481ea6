"""Turning a profile into the facts the rule engine sees.

One ``runner`` fact carries the profile's scalar fields (durations in minutes),
the derived facts and the runner's targets (``target_<param>``); one ``race``
fact per race result carries that result's derived facts. ``None`` values are
dropped, because durable-rules never matches them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from typing import TYPE_CHECKING

from . import derive
from ..estimate.model import ss_arrival
from ..model.profile import PROFILE_FIELDS, Background, Profile, is_zegama

if TYPE_CHECKING:  # pragma: no cover
    from .edition import Edition
    from .rulebase import RuleBase

BACKGROUNDS = tuple(b.value for b in Background)

#: Fields of the runner fact that the pack may test, beyond the profile fields.
RUNNER_DERIVED = {
    "vk_vam": ("m/h", "climbing speed over the vertical km"),
    "vertical_w_per_kg": ("W/kg", "power against gravity over the vertical km"),
    "aet_ant_gap_pct": ("%", "gap between aerobic and anaerobic threshold heart rates"),
    "squat_relative": ("x body mass", "squat 1RM divided by body mass"),
    "weekly_dplus_per_km": ("m/km", "weekly climbing per kilometre run"),
    "weeks_to_race": ("weeks", "weeks from the assessment date to race day"),
    "phase": (None, "training phase: base, build, race_specific or taper"),
    "age_band": (None, "decade band of the age norms"),
    "races_count": ("races", "race results in the history"),
    "recent_races": ("races", "finished races in the edition's season before race day and the two before it"),
    "recent_short_mountain_races": ("races", "recent finished short/medium mountain races"),
    "recent_steep_short_races": ("races", "recent finished short/medium mountain races that climb like a skyrace"),
    "recent_dnfs": ("races", "recent races not finished"),
    "zegama_dnfs": ("races", "starts at Zegama not finished"),
    "threshold_share_of_max": ("share", "anaerobic-threshold heart rate / maximal heart rate"),
    "tickets": ("tickets", "numbers in the draw: one, plus one for each earlier unsuccessful pre-registration"),
    "goal_time_given": (None, "the runner gave their own goal time"),
    "ss_arrival_min": ("h:mm:ss", "time at Sancti Spiritu (km 19.6) that the goal time implies"),
    "ss_spare_min": ("min", "minutes to spare at the Sancti Spiritu barrier at the goal time"),
    "estimate_min": ("h:mm:ss", "the finishing time the runner's results point to (zegama estimate, mid)"),
    "estimate_ss_arrival_min": ("h:mm:ss", "the arrival at Sancti Spiritu the estimate points to"),
    "estimate_ss_pass": ("%", "chance of passing Sancti Spiritu by its 3h15 barrier, from the estimate"),
    "zegama_like_background": (None, "cross-country, skimo, short mountain races or road + vertical"),
    "road_only": (None, "only road or track running"),
    "ultra_only": (None, "ultra-only background or race history"),
    "ultra_only_history": (None, "every finished race is an ultra"),
    **{f"bg_{b}": (None, f"background includes {b}") for b in BACKGROUNDS},
}

RACE_FIELDS = {
    "idx": (None, "position of the race in the runner's history, from 1"),
    "race": (None, "race name"),
    "date": (None, "race date"),
    "distance_km": ("km", "distance"),
    "dplus_m": ("m", "climbing"),
    "circuit": (None, "circuit"),
    "position": (None, "finishing position"),
    "finishers": (None, "number of finishers"),
    "time": ("h:mm:ss", "finishing time"),
    "winner_time": ("h:mm:ss", "winner's time"),
    "status": (None, "finished, dnf or dns"),
    "percentile": ("share of field", "position / finishers"),
    "relative_to_winner": ("x winner", "time / winner time"),
    "km_effort": ("km-effort", "km + D+/100 (ITRA)"),
    "dplus_per_km": ("m/km", "climbing per kilometre"),
    "season": (None, "season (year) of the race"),
    "recent": (None, "the edition's season before race day, or one of the two before it"),
    "zegama": (None, "a result at the Zegama-Aizkorri marathon itself"),
    "previous_edition": (None, "from the season before the target edition"),
    "dnf": (None, "status is dnf"),
    "percentile_basis": (None, "what the percentile is a share of: the field or the runner's sex"),
    "recognised_circuit": (None, "Golden Trail, Skyrunner World Series or a national championship"),
    "mountain": (None, "climbs at least as much per km as the flattest skyrace"),
    "short_medium": (None, "a short or medium mountain race: km-effort band and mountain climbing"),
    "steep": (None, "climbs at least as steeply as a skyrace"),
    "ultra": (None, "an ultra (50 km or more, or the km-effort of ITRA L and beyond)"),
    "finished": (None, "status is finished"),
    "after_as_of": (None, "dated after the assessment date: not yet run"),
}


def runner_fields() -> set[str]:
    return set(PROFILE_FIELDS) | set(RUNNER_DERIVED)


def race_facts(profile: Profile, edition_year: int, as_of: dt.date, constant: Callable[[str], Any],
               race_day: dt.date | None = None) -> list[dict]:
    """One fact per race result, with its derived facts."""
    out = []
    short_max = constant("short_medium_max_km_effort")
    short_min = constant("short_medium_min_km_effort")
    short_max_km = constant("short_medium_max_km")
    ultra_min = constant("ultra_min_km_effort")
    steep_min = constant("steep_min_dplus_per_km")
    mountain_min = constant("mountain_min_dplus_per_km")
    race_day = race_day or dt.date(edition_year, 12, 31)
    for i, r in enumerate(profile.races, start=1):
        effort = derive.km_effort(r.distance_km, r.dplus_m)
        slope = derive.dplus_per_km(r.dplus_m, r.distance_km)
        season = derive.season(r.date)
        by_sex = r.position_sex is not None and r.finishers_sex is not None
        fact = {
            "kind": "race",
            "idx": i,
            "race": r.race,
            "date": r.date.isoformat() if r.date else None,
            "distance_km": r.distance_km,
            "dplus_m": r.dplus_m,
            "circuit": r.circuit,
            "position": r.position,
            "finishers": r.finishers,
            "time": r.time,
            "winner_time": r.winner_time,
            "status": r.status,
            # Among the runner's own sex when the result says so: a woman's place among women.
            "percentile": derive.percentile(r.position_sex, r.finishers_sex) if by_sex
            else derive.percentile(r.position, r.finishers),
            "percentile_basis": "runners of your sex" if by_sex else "the field" if r.position is not None else None,
            "relative_to_winner": derive.relative_to_winner(r.time, r.winner_time),
            "km_effort": effort,
            "dplus_per_km": slope,
            "season": season,
            "recent": derive.is_recent(r.date, edition_year, race_day),
            "recognised_circuit": None if r.circuit is None else r.circuit in derive.RECOGNISED_CIRCUITS,
            "mountain": None if slope is None else slope >= mountain_min,
            "short_medium": None if effort is None or slope is None else (
                short_min <= effort < short_max and r.distance_km < short_max_km and slope >= mountain_min),
            "steep": None if slope is None else slope >= steep_min,
            "ultra": None if effort is None else effort >= ultra_min or r.distance_km >= short_max_km,
            "zegama": is_zegama(r.race, r.distance_km),
            "previous_edition": None if season is None else season == edition_year - 1,
            "finished": r.status == "finished",
            "dnf": r.status == "dnf",
            "after_as_of": None if r.date is None else r.date > as_of,
        }
        if fact["after_as_of"]:
            # A race that has not happened yet cannot count for anything.
            fact["recent"] = False
            fact["finished"] = False
            fact["dnf"] = False
        out.append({k: v for k, v in fact.items() if v is not None})
    return out


def runner_fact(
    profile: Profile,
    races: list[dict],
    weeks_to_race: float,
    targets: dict[str, Any],
    constant: Callable[[str], Any],
    rb_params: dict | None = None,
) -> dict:
    """The runner fact: profile scalars, derived facts and targets (``target_<param>``; for a
    parameter with a tolerance also ``gate_<param>``, the target widened by it)."""
    rb_params = rb_params or {}
    data = profile.model_dump(exclude={"races", "from_activities"})
    fact: dict[str, Any] = {"kind": "runner"}
    fact.update({k: v for k, v in data.items() if k != "background"})
    bg = list(profile.background)
    for b in BACKGROUNDS:
        fact[f"bg_{b}"] = b in bg
    finished = [r for r in races if r.get("finished")]
    tags = derive.background_tags(bg, [r.get("ultra") for r in finished])
    fact.update(tags)
    fact.update(
        vk_vam=derive.vam_from_vk(profile.vk_time),
        vertical_w_per_kg=derive.vertical_watts_per_kg(profile.vk_time),
        aet_ant_gap_pct=derive.aet_ant_gap_pct(profile.aet_hr, profile.threshold_hr),
        squat_relative=derive.relative_squat(profile.squat_1rm_kg, profile.body_mass_kg),
        weekly_dplus_per_km=derive.dplus_per_km(profile.weekly_dplus_m, profile.weekly_km),
        weeks_to_race=weeks_to_race,
        phase=derive.training_phase(weeks_to_race),
        age_band=derive.age_band(profile.age),
        races_count=len(profile.races),
        recent_races=sum(1 for r in finished if r.get("recent")),
        recent_short_mountain_races=sum(1 for r in finished if r.get("recent") and r.get("short_medium")),
        recent_steep_short_races=sum(1 for r in finished if r.get("recent") and r.get("short_medium") and r.get("steep")),
        recent_dnfs=sum(1 for r in races if r.get("dnf") and r.get("recent")),
        zegama_dnfs=sum(1 for r in races if r.get("dnf") and r.get("zegama")),
        threshold_share_of_max=derive.threshold_share_of_max(profile.threshold_hr, profile.max_hr),
        tickets=1 + (profile.unsuccessful_draws or 0),
        goal_time_given=profile.goal_time is not None,
    )
    goal = targets.get("goal_time")
    arrival = ss_arrival(
        goal, (constant("ss_share_front_time"), constant("ss_share_front")),
        (constant("ss_share_back_time"), constant("ss_share_back")))
    if arrival is not None:
        fact["ss_arrival_min"] = float(round(arrival))  # to the minute: a plan, not a prediction
        fact["ss_spare_min"] = round(constant("ss_cutoff_min") - arrival)
    for name, value in targets.items():
        fact[f"target_{name}"] = value
        p = rb_params.get(name)
        if p is not None and p.tolerance is not None:
            fact[f"gate_{name}"] = p.widened(value)  # what {param: NAME, beyond_tolerance: true} compares with
    return {k: v for k, v in fact.items() if v is not None}


#: The profile fields each derived runner fact is computed from (a report says where they came from).
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "vk_vam": ("vk_time",),
    "vertical_w_per_kg": ("vk_time",),
    "aet_ant_gap_pct": ("aet_hr", "threshold_hr"),
    "squat_relative": ("squat_1rm_kg", "body_mass_kg"),
    "weekly_dplus_per_km": ("weekly_dplus_m", "weekly_km"),
    "threshold_share_of_max": ("threshold_hr", "max_hr"),
}


def runner_dims(profile: Profile) -> dict[str, Any]:
    """What a runner's targets depend on: goal, sex, age band, and their own goal time if they gave one."""
    return {"goal": profile.goal, "sex": profile.sex, "age_band": derive.age_band(profile.age),
            "goal_time": profile.goal_time}


_AUTO = object()


def finish_estimate(rb: "RuleBase", profile: Profile, as_of: dt.date):
    """The runner's estimate on the pack's course (``estimate.finish.Estimate``), or the reason there is none."""
    from ..estimate.finish import EstimateError, estimate_finish

    if rb.finish_model is None:
        return None, "this rule pack has no finish-time model"
    try:
        return estimate_finish(profile, rulebase=rb, as_of=as_of), None
    except EstimateError as exc:
        return None, str(exc)


def estimate_fields(est) -> dict:
    """What rules read of an estimate: the mid time, and the Sancti Spiritu arrival and chance."""
    if est is None:
        return {}
    out = {"estimate_min": float(round(est.finish.mid))}
    ss = est.barrier("Sancti Spiritu")
    if ss is not None:
        out.update(estimate_ss_arrival_min=round(ss.arrival.mid),  # to the minute, as the report shows it
                   estimate_ss_pass=round(100 * ss.pass_probability))
    return out


def build_facts(rb: "RuleBase", profile: Profile, as_of: dt.date, edition: "Edition", estimate=_AUTO) -> list[dict]:
    """All facts of one assessment: the runner first, then one per race.

    ``estimate``: the runner's finish-time estimate (or None), when the caller has it already;
    by default it is computed here.
    """
    if estimate is _AUTO:
        estimate = finish_estimate(rb, profile, as_of)[0]
    races = race_facts(profile, edition.year, as_of, rb.constant, edition.race_date)
    targets = rb.targets_for(runner_dims(profile))
    weeks = derive.weeks_between(as_of, edition.race_date)
    runner = runner_fact(profile, races, weeks, targets, rb.constant, rb.parameters)
    runner.update(estimate_fields(estimate))
    return [runner, *races]
