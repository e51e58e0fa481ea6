"""``estimate_finish``: the finish time and the barrier arrivals a runner's results point to.

The inputs are the runner's finished races (recent, long enough, timed) and, to complement them
or when there are none, the benchmarks read backwards through the goal levels' ratios (the VK time
a goal time implies, read as the goal time a VK time implies: one model, two directions). The
arithmetic is :mod:`assessment.estimate.model`; its coefficients are the pack's ``estimate.yaml``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..model.profile import Profile, load_profile
from ..model.units import format_duration, parse_duration
from . import model as M

RuleBase = Any  # a loaded pack (``rules.rulebase.RuleBase``): read, never imported, to keep the layers apart


class EstimateError(ValueError):
    """Nothing to estimate from, or an input that cannot be right: the message says which and what to do."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Course(_Model):
    name: str | None = None
    distance_km: float
    dplus_m: float
    km_effort: float  # ITRA's: km + D+/100


class Band(_Model):
    low: float   # minutes
    mid: float
    high: float


class Finish(Band):
    interval: float
    display: str


class Barrier(_Model):
    name: str
    km: float
    cutoff_min: float
    arrival: Band
    pass_probability: float = Field(ge=0, le=1)
    model: str  # how the arrival follows from the finish time


class InputUsed(_Model):
    kind: str                 # race, vk_time, uphill_test_vam or flat_10k_time
    label: str
    km_effort: float | None = None
    minutes: float | None = None
    date: dt.date | None = None
    weight: float             # its share of the estimate, 0-1


class Estimate(_Model):
    course: Course
    finish: Finish
    barriers: list[Barrier] = Field(default_factory=list)
    method: str
    inputs_used: list[InputUsed]
    notes: list[str] = Field(default_factory=list)

    def barrier(self, name: str) -> Barrier | None:
        return next((b for b in self.barriers if b.name == name), None)


def short_time(minutes: float) -> str:
    """h:mm, rounded to the minute: an estimate is not to the second."""
    total = int(round(minutes))
    return f"{total // 60}:{total % 60:02d}"


def _zegama_course(rb: RuleBase) -> Course:
    c = rb.race["course"]
    km, dplus = float(c["distance_km"]["value"]), float(c["dplus_m"]["value"])
    return Course(name=str(rb.race.get("name") or rb.title.split(":")[0]), distance_km=km, dplus_m=dplus,
                  km_effort=round(km + dplus / 100, 1))


def _benchmark_minutes(rb: RuleBase, name: str, value: float, sex: str | None) -> float | None:
    """The goal time whose target for ``name`` is ``value``: the scale read backwards."""
    s = rb.parameters[name].scale
    factor = s.factor.get(sex) if sex in s.factor else s.factor.get("default")
    if not factor or value <= 0:
        return None
    return (value / factor) ** (1 / s.power)


def estimate_finish(profile: Profile | dict, *, rulebase: RuleBase, as_of: dt.date | str | None = None,
                    course: dict | None = None) -> Estimate:
    """Estimate a runner's finishing time (and, on the pack's own course, the barrier arrivals).

    ``course`` is ``{"distance_km": K, "dplus_m": M}`` for any mountain course; the default is the
    pack's. Raises :class:`EstimateError` when nothing usable is given or a result is impossible,
    :class:`~assessment.model.profile.ProfileError` for an invalid profile. The public
    ``assessment.estimate_finish`` is this with the built-in pack by default.
    """
    rb = rulebase
    fm = rb.finish_model
    if fm is None:
        raise EstimateError(f"rule pack {rb.name} has no finish-time model (estimate.yaml)")
    p = load_profile(profile)
    day = derive_date(as_of)
    c = _pack_constants(rb)["coefficients"]
    own = course is None
    crs = _pack_constants(rb)["course"] if own else _course(course)
    target = M.effort(crs.distance_km, crs.dplus_m, c.climb_weight)
    inputs, used, notes = _inputs(rb, p, day, c, crs.km_effort)
    pred = M.predict(inputs, target, c)
    if pred is None:
        raise EstimateError(
            "nothing to estimate from: add a race result (finished, with its time, distance and date, "
            f"{fm.inputs.min_km_effort.value:g} km-effort or more, from the last "
            f"{fm.inputs.lookback_years.value:g} years) or a VK time")
    sigma, log_mid = pred.sigma, pred.log_mid
    if own:
        log_mid += math.log(fm.zegama.course_factor)
        sigma = math.sqrt(sigma ** 2 + fm.zegama.course_sigma ** 2)
    levels = fm.residual_quantiles
    lo_p, hi_p = (1 - fm.interval) / 2, 1 - (1 - fm.interval) / 2

    def at(prob: float) -> float:
        return math.exp(log_mid + M.level_at(levels, prob) * sigma)

    def below(minutes: float) -> float:
        return round(M.cdf(levels, (math.log(minutes) - log_mid) / sigma), 3)

    mid = math.exp(log_mid)
    low, high = at(lo_p), at(hi_p)
    record = _record(rb, p) if own else None
    if record is not None and low < record:
        # Nobody runs faster than the record by the margin a wide interval allows: hold the low end there.
        notes.append(f"The fast end of the interval is held at the course record ({format_duration(record)}).")
        low = record
        mid = max(mid, record)
    finish = Finish(low=round(low, 1), mid=round(mid, 1), high=round(high, 1), interval=fm.interval,
                    display=f"{short_time(mid)} ({short_time(low)}-{short_time(high)})")
    ws = M.weights(inputs, target, c)
    for item, w in zip(used, ws):
        item["weight"] = round(w / sum(ws), 3)
    barriers = _barriers(rb, low, mid, high, below) if own else []
    notes += _limits(rb, p, own, mid, pred)
    method = _pack_constants(rb)["method"]
    return Estimate(course=crs, finish=finish, barriers=barriers, method=method,
                    inputs_used=[InputUsed(**u) for u in used], notes=notes)


def derive_date(as_of: dt.date | str | None) -> dt.date:
    if as_of is None:
        return dt.date.today()
    if isinstance(as_of, dt.date):
        return as_of
    try:
        return dt.date.fromisoformat(str(as_of))
    except ValueError:
        raise EstimateError(f"as_of: {as_of!r} is not a date (YYYY-MM-DD)") from None


def _course(course: dict) -> Course:
    try:
        km = float(course["distance_km"])
        dplus = float(course.get("dplus_m") or 0)
    except (KeyError, TypeError, ValueError):
        raise EstimateError("course: give distance_km (and dplus_m) as numbers") from None
    if not 1 <= km <= 400 or not 0 <= dplus <= 30000:
        raise EstimateError(f"course: {km:g} km and {dplus:g} m D+ is not a mountain course "
                            "(1 to 400 km, 0 to 30,000 m D+)")
    return Course(name=course.get("name"), distance_km=km, dplus_m=dplus, km_effort=round(km + dplus / 100, 1))


def _inputs(rb: RuleBase, p: Profile, day: dt.date, c: M.Coefficients,
            target_itra: float) -> tuple[list, list[dict], list[str]]:
    fm = rb.finish_model
    min_effort = fm.inputs.min_km_effort.value
    lookback = fm.inputs.lookback_years.value
    max_speed = fm.inputs.max_speed_km_effort_h.value
    ratio = fm.inputs.max_size_ratio.value
    inputs: list[M.Input] = []
    used: list[dict] = []
    skipped: dict[str, list[str]] = {}
    for i, r in enumerate(p.races, 1):
        label = f"{r.race or f'race {i}'}" + (f" ({r.date.isoformat()})" if r.date else "")
        if r.status != "finished":
            skipped.setdefault("not finished", []).append(label)
            continue
        if r.time is None or r.distance_km is None:
            skipped.setdefault("no time or distance", []).append(label)
            continue
        itra = r.distance_km + (r.dplus_m or 0) / 100
        speed = itra / (r.time / 60)
        if speed > max_speed:
            raise EstimateError(
                f"races[{i}] {label}: {r.distance_km:g} km and {r.dplus_m or 0:g} m D+ in "
                f"{format_duration(r.time)} is {speed:.1f} km-effort/h, faster than any result on record "
                f"(at most {max_speed:g}): check the time, distance and D+")
        if r.date is None:
            skipped.setdefault("no date", []).append(label)
            continue
        age = (day - r.date).days / 365.25
        if age < 0:
            skipped.setdefault("after the assessment date", []).append(label)
            continue
        if age > lookback:
            skipped.setdefault(f"older than {lookback:g} years", []).append(label)
            continue
        if itra < min_effort:
            skipped.setdefault(f"under {min_effort:g} km-effort", []).append(label)
            continue
        if not 1 / ratio <= itra / target_itra <= ratio:
            skipped.setdefault(f"more than {ratio:g} times longer or shorter than the course", []).append(label)
            continue
        x = M.Input(M.effort(r.distance_km, r.dplus_m, c.climb_weight), r.time, age)
        inputs.append(x)
        used.append({"kind": "race", "label": label, "km_effort": round(itra, 1), "minutes": round(r.time, 2),
                     "date": r.date})
    zegama = M.effort(float(rb.race["course"]["distance_km"]["value"]),
                      float(rb.race["course"]["dplus_m"]["value"]), c.climb_weight)
    zegama_itra = float(rb.race["course"]["km_effort"]["value"])
    if p.flat_10k_time is not None:
        skipped.setdefault("a flat 10K measures speed, not climbing", []).append(
            f"flat_10k_time {format_duration(p.flat_10k_time)}")
    for name, spec in fm.benchmarks.items():
        value = getattr(p, name, None)
        if value is None:
            continue
        minutes = _benchmark_minutes(rb, name, float(value), p.sex)
        if minutes is None:
            continue
        # Benchmarks carry no date: the questionnaire asks for the last three months.
        extra = c.s2 * abs(math.log(zegama_itra / spec.km_effort))
        x = M.Input(zegama, minutes / rb.finish_model.zegama.course_factor, 0.0, extra)
        inputs.append(x)
        used.append({"kind": name, "label": f"{_BENCH_NAMES.get(name, name)} {_show(name, value)} "
                                            f"(a Zegama of {short_time(minutes)})",
                     "km_effort": spec.km_effort, "minutes": round(minutes, 2)})
    notes = [f"Not used ({why}): {', '.join(items)}." for why, items in skipped.items()]
    return inputs, used, notes


_BENCH_NAMES = {"vk_time": "VK", "uphill_test_vam": "Uphill test"}


def _show(name: str, value: Any) -> str:
    return format_duration(value) if name.endswith("_time") else f"{value:g} m/h"


def _pack_constants(rb: RuleBase) -> dict:
    """What does not depend on the runner: computed once per pack."""
    cache = rb._estimate
    if not cache:
        k = rb.constant
        front = (k("ss_share_front_time"), k("ss_share_front"))
        back = (k("ss_share_back_time"), k("ss_share_back"))
        cutoff = k("ss_cutoff_min")
        course = rb.race["course"]
        # The finish time that reaches Sancti Spiritu exactly at its cut-off (arrival grows with the time).
        lo_t, hi_t = 60.0, 1200.0
        for _ in range(60):
            m = (lo_t + hi_t) / 2
            lo_t, hi_t = (m, hi_t) if M.ss_arrival(m, front, back) < cutoff else (lo_t, m)
        limit = float(course["time_limit_min"]["value"])
        records = course.get("records") or {}
        cache.update(
            coefficients=M.Coefficients(**rb.finish_model.coefficients.model_dump()),
            front=front, back=back, cutoff=cutoff, ss_finish_limit=lo_t, limit=limit,
            ss=next(b for b in course["barriers"] if b["point"] == "Sancti Spiritu"),
            finish=next(b for b in course["barriers"] if b["cutoff_min"] == limit),
            records={sex: parse_duration(r["time"]) for sex, r in records.items()},
            course=_zegama_course(rb),
            method=_method(rb),
            ss_model=(f"The share of the finishing time spent to Sancti Spiritu falls from the leaders' "
                      f"{front[1]:.3f} (at {format_duration(front[0])}) to {back[1]:.3f} near the limit "
                      f"(at {format_duration(back[0])}): the barrier is passed by any finish under "
                      f"{short_time(lo_t)}."),
        )
    return cache


def _method(rb: RuleBase) -> str:
    fm = rb.finish_model
    c = fm.coefficients
    return (
        f"Your results scaled to the course by km-effort (km + {c.climb_weight:g} x D+/100), time growing as "
        f"km-effort^{c.exponent:g} at {M.E0:g} km-effort, weighted by how recent ({c.recency_years:g}-year scale) and "
        f"how alike in size they are; the {round(100 * fm.interval)}% interval from the spread of "
        f"{fm.fitted.predictions:,} predictions of real results cross-validated by runner ({fm.fitted.script} on "
        f"ITRA race histories, TRAP data set: median error {100 * fm.fitted.median_error:.1f}% against "
        f"{100 * fm.fitted.baseline_median_error:.1f}% for the best recent race scaled by Riegel's 1.06).")


FINISH_MODEL = ("The finish time against the time limit; the chance counts only the finishes that "
                "also passed Sancti Spiritu in time.")


def method_info(rb: RuleBase) -> dict:
    """What every report of the pack says of the method: for its catalog."""
    k = _pack_constants(rb)
    return {"method": k["method"], "barrier_models": {"Sancti Spiritu": k["ss_model"], k["finish"]["point"]:
            FINISH_MODEL}, "sources": sorted(rb.finish_model.cited())}


def _barriers(rb: RuleBase, low: float, mid: float, high: float, below) -> list[Barrier]:
    """Sancti Spiritu from the pack's share-of-time model; the finish from the time limit."""
    k = _pack_constants(rb)
    ss, finish = k["ss"], k["finish"]

    def arrive(t: float) -> float:
        return M.ss_arrival(t, k["front"], k["back"])

    return [
        Barrier(name="Sancti Spiritu", km=ss["km"], cutoff_min=k["cutoff"],
                arrival=Band(low=arrive(low), mid=arrive(mid), high=arrive(high)),
                pass_probability=below(k["ss_finish_limit"]), model=k["ss_model"]),
        Barrier(name=finish["point"], km=finish["km"], cutoff_min=k["limit"],
                arrival=Band(low=round(low, 1), mid=round(mid, 1), high=round(high, 1)),
                # A finisher has passed every barrier before: the chance to finish is never
                # above the chance at Sancti Spiritu (the arrival there follows the finish time).
                pass_probability=below(min(k["limit"], k["ss_finish_limit"])), model=FINISH_MODEL),
    ]


def _record(rb: RuleBase, p: Profile) -> float | None:
    """The course record of the runner's sex (the men's when the sex is not F), in minutes."""
    return _pack_constants(rb)["records"].get("F" if p.sex == "F" else "M")


def _limits(rb: RuleBase, p: Profile, own: bool, mid: float, pred: M.Prediction) -> list[str]:
    out = []
    record = _record(rb, p) if own else None
    if record is not None and mid <= record:
        out.append(f"The estimate reaches the course record ({format_duration(record)}): your results lie "
                   "beyond the runners the model was fitted on; read it as a podium level, not a time.")
    if pred.n_eff < 1.5:
        out.append("One result carries the estimate: a second recent race narrows the interval.")
    out.append("Conditions move times by 5-8% between a dry and a muddy year at Zegama; the interval covers "
               "a runner's usual spread from race to race, fitted mostly on men (90% of the sample) and on "
               "races of 25 km-effort and more.")
    return out
