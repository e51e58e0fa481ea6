"""The plan as a terminal table, Markdown or JSON."""

from __future__ import annotations

import json
import textwrap

from ..report.names import md_text
from .build import Plan, Week, advice_title, phase_title


def out_of(w: Week) -> str:
    if w.weeks_out == 0:
        return "race week"
    return f"{w.weeks_out} week{'s' if w.weeks_out != 1 else ''} before race week"


def _days(w: Week) -> str:
    return f"{w.start:%a %d %b} - {w.end:%a %d %b %Y}"


def _load(w: Week) -> str:
    if w.phase == "taper":
        return f"taper, about {round(100 * w.load)}% of your last full week"
    return f"{'easier week, ' if w.easy else ''}volume about {round(100 * w.load)}% of the phase's first week"


def _head(p: Plan) -> list[str]:
    ed = p.edition
    who = f"{p.name} ({p.runner_id})" if p.name else p.runner_id
    lines = [f"Plan to Zegama-Aizkorri {ed['year']}: {who}",
             f"Race day {ed['race_date']}{' (estimated date)' if ed['estimated'] else ''}; "
             f"{len(p.weeks)} week{'s' if len(p.weeks) != 1 else ''} from {p.as_of}",
             "Priorities now: " + ", ".join(f"{x.rank}. {x.title} ({x.action})" for x in p.priorities)]
    return lines


def to_text(p: Plan, width: int = 80) -> str:
    out = []
    head = _head(p)
    out += [head[0], "=" * len(head[0])] + [textwrap.fill(x, width) for x in head[1:]]
    phase = None
    for w in p.weeks:
        if w.phase != phase:
            phase = w.phase
            title = f"{phase_title(phase).capitalize()} phase"
            out += ["", title, "-" * len(title)]
        out.append("")
        out.append(textwrap.fill(f"Week {w.number} ({_days(w)}), {out_of(w)}; {_load(w)}"
                                 + (f"; {advice_title(w.advice)}" if w.advice != w.phase else ""), width))
        for s in w.sessions:
            mark = "*" if s.focus else "-"
            out.append(textwrap.fill(f"{mark} {s.count} x {s.title}: {s.text}", width, subsequent_indent="    "))
        for m in w.milestones:
            out.append(textwrap.fill(f"  >> {m.date:%a %d %b}: {m.title}", width, subsequent_indent="     "))
    out += ["", "Race plan", "---------"] + [textwrap.fill(f"- {x}", width, subsequent_indent="  ") for x in p.race_plan.lines]
    out += ["", "How the plan is made", "--------------------"]
    out += [textwrap.fill(f"- {x}", width, subsequent_indent="  ") for x in p.method]
    out += ["", "* marks a focus: one of your first two priorities with a gap. Sources: "
            + "; ".join(f"{v['title']} <{v['url']}>" for v in p.sources.values())]
    return "\n".join(out[:-1] + [textwrap.fill(out[-1], width)]) + "\n"


def to_markdown(p: Plan) -> str:
    head = _head(p)
    out = [f"# {md_text(head[0])}", "", f"- {head[1]}", f"- {head[2]}"]
    phase = None
    for w in p.weeks:
        if w.phase != phase:
            phase = w.phase
            out += ["", f"## {phase_title(phase).capitalize()} phase"]
        out += ["", f"### Week {w.number}: {_days(w)}", "",
                f"{out_of(w)}; {_load(w)}"
                + (f"; {advice_title(w.advice)}" if w.advice != w.phase else "") + ".", ""]
        out += [f"- {'**' if s.focus else ''}{s.count} x {s.title}{'**' if s.focus else ''}: {s.text}" for s in w.sessions]
        out += [f"- **{m.date:%a %d %b}: {m.title}.** {m.description}" for m in w.milestones]
    out += ["", "## Race plan", ""] + [f"- {x}" for x in p.race_plan.lines]
    out += ["", "## How the plan is made", ""] + [f"- {x}" for x in p.method]
    out += ["", "Sources: " + "; ".join(f"[{v['title']}]({v['url']})" for v in p.sources.values()), ""]
    return "\n".join(out)


def to_json(p: Plan) -> str:
    return json.dumps(p.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False) + "\n"


def to_html(p: Plan) -> str:
    from ..report.html import ENV

    who = f"{p.name} ({p.runner_id})" if p.name else p.runner_id
    return ENV.get_template("plan.html").render(
        plan=p, title=f"Plan to Zegama-Aizkorri {p.edition['year']}: {who}",
        loads={w.key: f"{out_of(w)}; {_load(w)}" for w in p.weeks})


def summary_html(report, p: Plan | None) -> str:
    """One A4 page: entry in one line, the estimate, three priorities, this week, the next milestone."""
    from ..report.html import ENV
    from ..report.text import estimate_line

    week = p.weeks[0] if p is not None and p.weeks else None
    nxt = next((m for m in p.milestones), None) if p is not None else None
    el = report.eligibility
    entry = el.summary if getattr(el, "summary", None) else ""
    why = {}
    for f in report.findings:
        why.setdefault(f.pillar, f.message)
    top = sorted(report.emphases, key=lambda e: e.rank)[:3]
    priorities = [{"pillar": e.pillar, "action": e.action, "why": why.get(e.pillar, "")} for e in top]
    who = f"{report.name} ({report.runner_id})" if report.name else report.runner_id
    return ENV.get_template("summary.html").render(
        r=report, week=week, next=nxt, entry=entry, estimate=estimate_line(report), priorities=priorities,
        title=f"Zegama summary: {who}")
