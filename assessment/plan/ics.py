"""The plan as a calendar (RFC 5545, with the ``icalendar`` library).

One all-day event per week, Monday to Sunday, with the week's sessions in its description: a
plan says which sessions a week holds and leaves the days to the runner (a session pinned to a
Tuesday is moved the first week it does not fit, and a moved copy is what duplicates a calendar).
Each milestone is its own all-day event with a reminder. UIDs are the runner, the edition and the
week's or milestone's distance from race day: importing an updated plan replaces the events it
shares with the earlier one; SEQUENCE grows with the plan's date, so the newer plan wins.
"""

from __future__ import annotations

import datetime as dt
import re

from icalendar import Alarm, Calendar, Event

from .build import Plan, advice_title, phase_title
from .render import _load, out_of

PRODID = "-//zegama-assess//plan to race day//EN"


def _uid(p: Plan, key: str) -> str:
    rid = re.sub(r"[^A-Za-z0-9._-]+", "-", p.runner_id).strip("-") or "runner"
    return f"{rid}-{p.edition['year']}-{key}@zegama-assess"


def to_ics(p: Plan, extra: dict[str, list[str]] | None = None) -> bytes:
    """The calendar; ``extra`` adds lines to the description of the weeks it names (by key)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Zegama {p.edition['year']}: {p.name or p.runner_id}")
    stamp = dt.datetime.combine(p.as_of, dt.time(0, 0), tzinfo=dt.timezone.utc)
    sequence = (p.as_of - dt.date(2020, 1, 1)).days
    def event(key: str, first: dt.date, last: dt.date, summary: str, category: str) -> Event:
        ev = Event()
        ev.add("uid", _uid(p, key))
        ev.add("dtstamp", stamp)
        ev.add("sequence", sequence)
        ev.add("dtstart", first)
        ev.add("dtend", last + dt.timedelta(days=1))  # all-day: DTEND is the day after
        ev.add("summary", summary)
        ev.add("transp", "TRANSPARENT")  # a plan does not make the runner busy
        ev.add("categories", [category])
        return ev

    for w in p.weeks:
        ev = event(w.key, w.start, w.end, f"Zegama plan week {w.number}: {phase_title(w.phase)}"
                   + (" (easier)" if w.easy and w.phase != "taper" else ""), "Training")
        lines = [f"{out_of(w).capitalize()}; {_load(w)}."]
        if w.advice != w.phase:
            lines.append(f"The advice of {advice_title(w.advice)}.")
        lines += [f"- {s.count} x {s.title}{' (focus)' if s.focus else ''}: {s.text}" for s in w.sessions]
        lines += (extra or {}).get(w.key, [])
        lines += [f"Milestone {m.date:%a %d %b}: {m.title}" for m in w.milestones]
        ev.add("description", "\n".join(lines))
        cal.add_component(ev)
    for m in p.milestones:
        ev = event(m.key, m.date, m.date, m.title,
                   "Zegama" if m.kind in ("race_day", "draw") or m.kind.startswith("pre") else "Training")
        ev.add("description", m.description)
        days = p.reminders["preregistration_days" if m.kind.startswith("preregistration") else "milestone_days"]
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", m.title)
        alarm.add("trigger", dt.timedelta(days=-days))
        ev.add_component(alarm)
        cal.add_component(ev)
    return cal.to_ical()


def squad_ics(neutral: Plan, rb, group_sizes: dict[str, int], roster: str) -> bytes:
    """A squad's calendar: the edition's weeks, each listing the session groups (a pillar and how many
    runners have it among their two first emphases) with that week's session for it, and the shared
    milestones (tune-up windows, the entry dates, race day). UIDs as a runner's, under ``squad``."""
    from ..report.names import PILLAR_NAMES

    extra = {}
    for w in neutral.weeks:
        mix = rb.scoring["session_mix"].get(w.advice) or rb.scoring["session_mix"][w.phase]
        text = {m["pillar"]: m["session"] for m in mix}
        extra[w.key] = ["Session groups:"] + [
            f"- {PILLAR_NAMES[p]} group ({n} runner{'s' if n != 1 else ''}): {text[p]}"
            for p, n in sorted(group_sizes.items(), key=lambda kv: (-kv[1], kv[0])) if n and p in text]
    squad = neutral.model_copy(update={
        "runner_id": "squad", "name": f"squad of {roster}",
        "weeks": [w.model_copy(update={"sessions": [], "milestones": [m for m in w.milestones if m.kind != "retest"]})
                  for w in neutral.weeks],
        "milestones": [m for m in neutral.milestones if m.kind != "retest"]})
    return to_ics(squad, extra)
