"""The plan to race day: every week from the assessment date to race day, its phase, its load,
its sessions, and the milestones that fall in it (``zegama plan``).

The weeks follow the phases of the pack's ``scoring.yaml`` (base, build, race-specific, taper),
each with its session mix; the pillars are ranked for each phase as the report ranks them for
today (the runner's gaps weighted by what that phase demands). The load cycle, the taper, the
re-tests and the tune-up race windows are the pack's ``plan.yaml``, with their sources.

Weeks run Monday to Sunday; the first starts on the assessment date (mid-week, mid-phase: the
load cycle continues where the phase is). Each week and milestone is keyed by how many weeks it
lies before race day, so a plan made again later, or after the race date is announced, keeps the
keys (the calendar's UIDs) of the weeks it shares with the earlier one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..report.model import Report
from ..report.names import PHASE_NAMES, PILLAR_NAMES, WEEK_TITLES
from ..rules.derive import training_phase
from ..rules.rulebase import PILLARS, RuleBase, week_of

PLAN_VERSION = "1.0"


class PlanError(ValueError):
    """No plan can be made: the race is past, or the pack has no plan rules."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Session(_Model):
    pillar: str
    title: str
    text: str
    count: int
    focus: bool


class Milestone(_Model):
    key: str  # stable: the kind and the weeks before race day
    kind: Literal["retest", "tune_up", "preregistration_opens", "preregistration_closes", "draw", "race_day"]
    date: dt.date
    title: str
    description: str
    estimated: bool = False


class Week(_Model):
    key: str
    number: int
    start: dt.date
    end: dt.date
    weeks_out: int  # whole weeks before race week (0: race week)
    phase: str
    advice: str  # the session mix used: the phase's, or final_weeks
    load: float  # volume against the phase's first week (the taper's against the last full week)
    easy: bool
    sessions: list[Session]
    milestones: list[Milestone]


class Priority(_Model):
    rank: int
    pillar: str
    title: str
    action: str


class RacePlan(_Model):
    lines: list[str]


class Plan(_Model):
    plan_version: str = PLAN_VERSION
    runner_id: str
    name: str | None = None
    as_of: dt.date
    edition: dict[str, Any]
    priorities: list[Priority]
    weeks: list[Week]
    milestones: list[Milestone]
    race_plan: RacePlan
    method: list[str]
    sources: dict[str, dict[str, str]]
    reminders: dict[str, int]


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _ranked(report: Report, rb: RuleBase, phase: str) -> list[tuple[str, bool]]:
    """The pillars for ``phase``, ranked as the report ranks today's (score = demand x (m + (1 - m) x gap)),
    each with whether it is a focus (a gap in the first two)."""
    demand = rb.scoring["phase_demand"][phase]
    keep = float(rb.scoring["maintenance"])
    gap = {e.pillar: e.gap for e in report.emphases}
    score = {p: demand[p] * (keep + (1 - keep) * gap.get(p, 0.0)) for p in PILLARS}
    order = sorted(PILLARS, key=lambda p: (-score[p], PILLARS.index(p)))
    return [(p, i < 2 and gap.get(p, 0.0) > 0) for i, p in enumerate(order)]


def _sessions(report: Report, rb: RuleBase, phase: str, advice: str, position: int) -> list[Session]:
    mix = rb.scoring["session_mix"].get(advice) or rb.scoring["session_mix"][phase]
    text = {s["pillar"]: (s["session"], float(s["per_week"])) for s in mix}
    out = []
    for pillar, focus in _ranked(report, rb, phase):
        if pillar not in text:
            continue
        session, per_week = text[pillar]
        # Half a session a week is one every other week: on the phase's even weeks.
        count = int(per_week) + (1 if per_week % 1 and position % 2 == 0 else 0)
        if count:
            out.append(Session(pillar=pillar, title=PILLAR_NAMES[pillar], text=session, count=count, focus=focus))
    return out


def _phase_of(monday: dt.date, race_day: dt.date, taper_weeks: int) -> str:
    weeks_out = (_monday(race_day) - monday).days // 7
    return "taper" if weeks_out < taper_weeks else training_phase((race_day - monday).days / 7)


def _phase_start(race_day: dt.date, phase: str, taper_weeks: int) -> dt.date | None:
    """The first Monday of a phase, counted back from race week (base has none: it is open-ended)."""
    if phase == "base":
        return None
    monday = _monday(race_day)
    start = None
    for _ in range(60):
        if _phase_of(monday, race_day, taper_weeks) == phase:
            start = monday
        elif start is not None:
            break
        monday -= dt.timedelta(days=7)
    return start


def _tests(report: Report) -> list[str]:
    """What to re-test: the benchmarks below target and those not measured yet."""
    label = {b.field: report.benchmark_info(b.field).label for b in report.benchmarks}
    below = [label[b.field] for b in report.benchmarks if b.state == "below"]
    unknown = [label[b.field] for b in report.benchmarks if b.state == "unknown"]
    return below + unknown


def build_plan(report: Report, rb: RuleBase) -> Plan:
    """The plan from a report (its date, edition, ranked gaps, tests and estimate) and its pack."""
    if rb.plan is None:
        raise PlanError(f"the rule pack {rb.name} has no plan.yaml: no plan can be made with it")
    spec = rb.plan
    as_of, race_day = report.as_of, report.edition.race_date
    if race_day < as_of:
        raise PlanError(f"edition {report.edition.year} ran on {race_day}, before {as_of}")
    race_week = _monday(race_day)
    weeks: list[Week] = []
    start = as_of
    number = 1
    while start <= race_day:
        monday = _monday(start)
        weeks_out = (race_week - monday).days // 7
        phase = _phase_of(monday, race_day, len(spec.taper.loads))
        advice = week_of(phase, (race_day - monday).days / 7)
        # Weeks into the phase: from its start before race day (an as-of mid-phase continues its
        # cycle), or from the as-of for the open-ended base.
        first = _phase_start(race_day, phase, len(spec.taper.loads)) or _monday(as_of)
        position = max(0, (monday - first).days // 7)
        if phase == "taper":
            load = spec.taper.loads[min(len(spec.taper.loads) - 1, len(spec.taper.loads) - 1 - weeks_out)]
            easy = True
            load = round(load, 2)
        else:
            cycle = spec.load.build_weeks + 1
            step = position % cycle
            easy = step == spec.load.build_weeks
            load = round((1 + spec.load.rise) ** (spec.load.build_weeks - 1) * spec.load.easy_load if easy
                         else (1 + spec.load.rise) ** step, 2)
        end = min(monday + dt.timedelta(days=6), race_day)
        sessions = _sessions(report, rb, phase, advice, position)
        days = (end - start).days + 1
        if days < 7 and weeks_out > 0:
            # What is left of the first week holds its share of the sessions, the first ones first.
            scaled = [s.model_copy(update={"count": int(s.count * days / 7 + 0.5)}) for s in sessions]
            sessions = [s for s in scaled if s.count] or [sessions[0].model_copy(update={"count": 1})]
        weeks.append(Week(
            key=f"week-{weeks_out}", number=number, start=start, end=end, weeks_out=weeks_out, phase=phase,
            advice=advice, load=load, easy=easy, sessions=sessions, milestones=[]))
        start = monday + dt.timedelta(days=7)
        number += 1

    milestones = _milestones(report, rb, weeks, race_day)
    for m in milestones:
        for w in weeks:
            if w.start <= m.date <= w.end:
                w.milestones.append(m)
                break
    tests = _tests(report)
    method = [
        f"Load: {spec.load.derivation}",
        f"Taper: {spec.taper.derivation}",
        f"Re-tests: {spec.retest.derivation}" + (f" What to test: {', '.join(tests)}." if tests else ""),
        f"Tune-up races: {spec.tune_up.derivation}",
        "Sessions: each week's are the phase's session mix (scoring.yaml), the pillars in the order your "
        "gaps and that phase's demands give them; a focus is one of the first two with a gap.",
    ]
    cited = sorted(spec.cited())
    sources = {k: {"title": rb.sources[k].title, "url": rb.sources[k].url or ""} for k in cited if k in rb.sources}
    top = sorted(report.emphases, key=lambda e: (e.rank, PILLARS.index(e.pillar)))[:3]
    return Plan(
        runner_id=report.runner_id, name=report.name, as_of=as_of,
        edition={"year": report.edition.year, "race_date": race_day, "estimated": report.edition.estimated},
        priorities=[Priority(rank=e.rank, pillar=e.pillar, title=PILLAR_NAMES[e.pillar], action=e.action) for e in top],
        weeks=weeks, milestones=milestones, race_plan=_race_plan(report), method=method, sources=sources,
        reminders=spec.reminders.model_dump())


def _milestones(report: Report, rb: RuleBase, weeks: list[Week], race_day: dt.date) -> list[Milestone]:
    spec = rb.plan
    ed = report.edition
    est = bool(ed.estimated)
    out: list[Milestone] = []
    tests = _tests(report)
    what = ", ".join(tests) if tests else "your benchmarks (VK, uphill test, strength tests)"
    for w in weeks:
        if w.phase in spec.retest.phases and w.weeks_out >= spec.retest.last_weeks_out and \
                (w.weeks_out - spec.retest.last_weeks_out) % spec.retest.every_weeks == 0 and w.number > 1:
            day = min(w.end, w.start + dt.timedelta(days=(5 - w.start.weekday()) % 7))  # the Saturday
            out.append(Milestone(
                key=f"retest-{w.weeks_out}", kind="retest", date=day, title="Re-test your benchmarks",
                description=f"Re-test {what}, rested, and assess again (zegama assess): the plan's priorities "
                            f"follow your new results. {spec.retest.derivation}"))
        if w.phase == "race_specific" and spec.tune_up.last_weeks_out <= w.weeks_out <= spec.tune_up.first_weeks_out \
                and (spec.tune_up.first_weeks_out - w.weeks_out) % spec.tune_up.every_weeks == 0:
            out.append(Milestone(
                key=f"tune_up-{w.weeks_out}", kind="tune_up", date=w.end,
                title="Tune-up race window: a short mountain race",
                description="Race a short mountain race this weekend (20-30 km, 1,300-2,000 m D+), or run a race "
                            "simulation on Zegama-like ground: first climb at race effort, hike / run / descend "
                            f"transitions, fast descents on tired legs. {spec.tune_up.derivation}"))
    first, last = weeks[0].start, race_day
    note = " (estimated from past editions: check the organisers' announcement)" if est else ""
    for kind, day, title, text in (
        ("preregistration_opens", ed.preregistration_opens, "Pre-registration for the draw opens",
         "Pre-register for the Zegama-Aizkorri draw: each unsuccessful year adds a ticket."),
        ("preregistration_closes", ed.preregistration_closes, "Pre-registration for the draw closes",
         "Last day to pre-register for the draw."),
        ("draw", ed.draw, "The draw", "The draw for the places: the result says whether you race."),
    ):
        if day is not None and first <= day <= last:
            out.append(Milestone(key=f"{kind}-{ed.year}", kind=kind, date=day, title=title + note,
                                 description=text + note, estimated=est))
    est_line = ""
    if report.estimate is not None:
        ss = report.estimate.barrier("Sancti Spiritu")
        est_line = (f" Your estimate: {report.estimate.finish.display}"
                    + (f"; Sancti Spiritu (km {ss.km:g}) at about {_hm(ss.arrival.mid)}, cut-off {_hm(ss.cutoff_min)}"
                       if ss else "") + ".")
    out.append(Milestone(key=f"race_day-{ed.year}", kind="race_day", date=race_day,
                         title=f"Zegama-Aizkorri {ed.year}" + (" (estimated date)" if est else ""),
                         description="Race day: 42 km, 2,736 m D+, the Sancti Spiritu barrier at km 19.6 (3h15) "
                                     "and the 8 h limit." + est_line, estimated=est))
    return sorted(out, key=lambda m: (m.date, m.kind))


def _hm(minutes: float) -> str:
    total = int(round(minutes))
    return f"{total // 60}:{total % 60:02d}"


def _race_plan(report: Report) -> RacePlan:
    lines = [
        "The first climb (to Sancti Spiritu, km 19.6) at an effort you could hold for the whole race: "
        "the crowd at Sancti Spiritu pushes everyone too fast.",
        "Hike where it is steeper than about 25% and run the rest; eat and drink from the first hour.",
        "Descend within your control on wet rock and mud: the last descent decides more time than the last climb.",
    ]
    if report.estimate is not None:
        ss = report.estimate.barrier("Sancti Spiritu")
        if ss is not None:
            lines.insert(0, f"Sancti Spiritu by about {_hm(ss.arrival.mid)} ({_hm(ss.arrival.low)}-{_hm(ss.arrival.high)}), "
                            f"{round(100 * ss.pass_probability)}% chance inside its {_hm(ss.cutoff_min)} cut-off; "
                            f"the finish about {report.estimate.finish.display}.")
    return RacePlan(lines=lines)


def phase_title(phase: str) -> str:
    return PHASE_NAMES.get(phase, phase)


def advice_title(advice: str) -> str:
    return WEEK_TITLES.get(advice, advice)
