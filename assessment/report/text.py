"""Reports as text: an 80-column table for the terminal, and markdown."""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from .model import Report
from ..model.units import format_duration
from ..estimate.finish import short_time
from ..estimate.render import pct
from .names import DRAW_NOTE, GOAL_MEANINGS, PHASE_NAMES, PILLAR_NAMES, STATUS_NAMES, WEEK_TITLES, md_text

ROUTE_GROUPS = ((True, "open to you"), (False, "closed to you"), (None, "not known from your answers"))


def route_line(r: Report) -> str:
    """The entry routes grouped by verdict, the ones that apply first (one line a coach can scan)."""
    parts = []
    for applies, said in ROUTE_GROUPS:
        names = [r.route_info(x.id).short for x in r.eligibility.routes if x.applies is applies]
        if names:
            parts.append(f"{said}: {', '.join(names)}")
    return "; ".join(parts)

def _wrap(text: str, width: int, indent: str = "  ") -> str:
    # A bullet ("  - ") starts the first line only; following lines align under the text.
    rest = " " * len(indent) if indent.strip() else indent
    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=rest)


def _edition_line(r: Report) -> str:
    ed = r.edition
    flag = " (estimated date)" if ed.estimated else " (date set by you)" if ed.overridden else ""
    return (
        f"Zegama-Aizkorri {ed.year}: {ed.race_date}{flag}, {r.weeks_to_race:g} weeks away, "
        f"{PHASE_NAMES[r.phase]} phase"
    )


def goal_line(r: Report) -> str:
    """The goal as a coach reads it: the level, its time, and what the level means."""
    time = format_duration(r.goal_time) if r.goal_time is not None else "unknown"
    if r.goal_time_given:
        return f"Goal: {time} (your own goal time; level {r.goal})"
    return f"Goal: {r.goal}, {time} ({GOAL_MEANINGS.get(r.goal, r.goal)})"


def estimate_line(r: Report) -> str:
    """The estimate beside the goal: the finish range and the Sancti Spiritu barrier."""
    est = r.estimate
    if est is None:
        return f"Estimate from your results: none ({r.estimate_note})" if r.estimate_note else ""
    out = f"Estimate from your results: {est.finish.display}, {round(100 * est.finish.interval)}% range"
    ss = est.barrier("Sancti Spiritu")
    if ss is not None:
        out += (f"; Sancti Spiritu at {short_time(ss.arrival.mid)}, {pct(ss.pass_probability)} chance "
                f"to pass its {short_time(ss.cutoff_min)} barrier")
    return out


def estimate_rows(r: Report) -> list[list[str]]:
    return [[b.name, f"{b.km:.1f}", short_time(b.cutoff_min),
             f"{short_time(b.arrival.mid)} ({short_time(b.arrival.low)}-{short_time(b.arrival.high)})",
             pct(b.pass_probability)] for b in r.estimate.barriers]


ESTIMATE_HEADERS = ["Barrier", "km", "Cut-off", "Arrival (80% range)", "Pass"]


def fit_line(r: Report) -> str:
    if r.fit_score is None:
        return f"Profile fit: too few benchmarks measured ({r.fit_measured} of {r.fit_of})"
    return f"Profile fit: {r.fit_score}/100 on {r.fit_measured} of {r.fit_of} benchmarks"


def rank_label(r: Report, i: int) -> str:
    """'2' or '=2' when another pillar shares the rank."""
    e = r.emphases[i]
    shared = sum(1 for x in r.emphases if x.rank == e.rank) > 1
    return f"={e.rank}" if shared else str(e.rank)


def to_json(r: Report) -> str:
    return r.to_json(indent=2)


def to_table(r: Report, width: int = 80) -> str:
    """Plain text for an 80-column terminal."""
    out: list[str] = []
    who = f"{r.name} ({r.runner_id})" if r.name else r.runner_id
    out.append(f"Zegama gap report: {who}")
    out.append("=" * min(width, len(out[0])))
    out.append(_wrap(_edition_line(r), width, ""))
    out.append(_wrap(goal_line(r), width, ""))
    if estimate_line(r):
        out.append(_wrap(estimate_line(r), width, ""))
    out.append(f"{fit_line(r)}   As of: {r.as_of}")
    if r.targets_note:
        out.append(_wrap(r.targets_note, width, ""))
    out.append("")
    e = r.eligibility
    out.append(f"Entry profile: {STATUS_NAMES[e.status]}")
    out.append(_wrap(e.summary, width))
    for reason in e.reasons:
        out.append(_wrap(f"[{reason.rule_id}] {reason.message}", width, "  - "))
    out.append(_wrap(f"{DRAW_NOTE} {e.lottery.note}", width))
    out.append(_wrap(f"Entry routes {route_line(r)}.", width))
    for step in e.next_steps:
        out.append(_wrap(step, width, "  > "))
    out.append("")
    if r.estimate is not None and r.estimate.barriers:
        out.append("Finish-time estimate (zegama estimate for the method and inputs)")
        out.append(tabulate(estimate_rows(r), headers=ESTIMATE_HEADERS, tablefmt="simple",
                            colalign=("left", "right", "right", "left", "right")))
        used = ", ".join(f"{i.label} {round(100 * i.weight)}%" for i in r.estimate.inputs)
        out.append(_wrap(f"From: {used}.", width))
        out.append("")
    out.append(f"Training emphases ({PHASE_NAMES[r.phase]} phase, ranked)")
    rows = []
    for i, em in enumerate(r.emphases):
        rules = ", ".join(p.rule_id for p in em.breakdown) or "-"
        rows.append([rank_label(r, i), PILLAR_NAMES[em.pillar], f"{em.score:.0f}", em.action,
                     textwrap.shorten(rules, 26, placeholder="...")])
    out.append(tabulate(rows, headers=["#", "Pillar", "Score", "Action", "Findings"], tablefmt="simple",
                        colalign=("left", "left", "right", "left", "left")))
    out.append("")
    gaps = [f for f in r.findings if f.kind == "gap"]
    if gaps:
        out.append("Gaps")
        for f in sorted(gaps, key=lambda f: (-f.severity, f.rule_id)):
            out.append(_wrap(f"[{f.rule_id}] {f.severity_label}: {f.message}", width, "  - "))
            for ev in f.evidence:
                if ev.source:
                    out.append(_wrap(f"{ev.field} from {ev.source}", width, "      "))
            if r.prescription(f):
                out.append(_wrap(f"Train: {r.prescription(f)}", width, "      "))
        out.append("")
    infos = [f for f in r.findings if f.kind == "info"]
    if infos:
        out.append("Notes")
        for f in infos:
            out.append(_wrap(f"[{f.rule_id}] {f.message}", width, "  - "))
        out.append("")
    if r.missing:
        out.append("Tests to take (unknown benchmarks count as gaps until measured)")
        for m in r.missing:
            out.append(_wrap(f"[{m.rule_id}] {m.field}: {r.rule(m.rule_id).test}", width, "  - "))
        out.append("")
    out.append(f"Suggested week ({WEEK_TITLES[r.week]})")
    rows = [[("* " if s.focus else "  ") + PILLAR_NAMES[s.pillar], f"{s.per_week:g}", r.session(s)] for s in r.weekly_sessions]
    out.append(tabulate(rows, headers=["Pillar", "/wk", "Session"], tablefmt="simple", maxcolwidths=[None, None, 44]))
    out.append("")
    out.append(_wrap(f"Rule pack {r.pack.name} {r.pack.version} ({r.pack.digest}); rules fired: {', '.join(r.fired_rules)}", width, ""))
    return "\n".join(_fit(line, width) for line in "\n".join(out).splitlines()) + "\n"


def _fit(line: str, width: int) -> str:
    return line if len(line) <= width else textwrap.shorten(line, width, placeholder="...")


def to_markdown(r: Report) -> str:
    """Markdown with every finding's evidence, target and sources."""
    who = f"{md_text(r.name)} ({md_text(r.runner_id)})" if r.name else md_text(r.runner_id)
    md = [f"# Zegama gap report: {who}", ""]
    md.append(f"- {_edition_line(r)}")
    md.append(f"- {goal_line(r)}; {fit_line(r).lower()}; assessed on {r.as_of}")
    if estimate_line(r):
        md.append(f"- {estimate_line(r)}")
    if r.edition.note and r.edition.estimated:
        md.append(f"- Note: {r.edition.note}")
    if r.targets_note:
        md.append(f"- {r.targets_note}")
    e = r.eligibility
    md += ["", f"## Entry profile: {STATUS_NAMES[e.status]}", "", e.summary, ""]
    for reason in e.reasons:
        used = f" (results used: {'; '.join(reason.results_used)})" if reason.results_used else ""
        md.append(f"- `{reason.rule_id}` {reason.outcome}: {reason.message}{used}")
    src = r.source(e.lottery.source)
    md += ["", f"**Lottery.** {DRAW_NOTE} {e.lottery.note} Source: [{src.title}]({src.url}).", ""]
    md.append("**Entry routes**")
    md.append("")
    for route in e.routes:
        mark = {True: "applies", False: "does not apply", None: "unknown"}[route.applies]
        info = r.route_info(route.id)
        md.append(f"- {info.label} ({mark}): {info.detail} [source]({r.source(info.source).url})")
    md += ["", "**Next steps**", ""] + [f"1. {s}" for s in e.next_steps]
    if r.estimate is not None:
        md += ["", "## Finish-time estimate", "", f"{r.estimate.finish.display} ({round(100 * r.estimate.finish.interval)}% range).", ""]
        if r.estimate.barriers:
            md.append(tabulate(estimate_rows(r), headers=ESTIMATE_HEADERS, tablefmt="github"))
            md.append("")
        md += [f"- From {i.label}: {round(100 * i.weight)}% of the estimate" for i in r.estimate.inputs]
        md += [f"- {n}" for n in r.estimate.notes]
        if r.catalog is not None and r.catalog.estimate is not None:
            info = r.catalog.estimate
            md += ["", f"Method: {info.method}"]
            md += [f"{name}: {text}" for name, text in info.barrier_models.items() if name == "Sancti Spiritu"]
    md += ["", "## Training emphases", ""]
    rows = [
        [rank_label(r, i), PILLAR_NAMES[em.pillar], f"{em.score:.1f}", em.action, f"{em.gap:.2f}", f"{em.demand:g}",
         ", ".join(f"{p.rule_id} ({p.contribution:.2f})" for p in em.breakdown) or "-"]
        for i, em in enumerate(r.emphases)
    ]
    md.append(tabulate(rows, headers=["#", "Pillar", "Score", "Action", "Gap", "Phase demand", "Findings (share of the gap)"],
                       tablefmt="github"))
    md.append("")
    md.append("Score = 100 x phase demand x (maintenance + (1 - maintenance) x gap): with no gap a pillar keeps the "
              "phase's order (maintain); a gap raises it. Equal scores share a rank.")
    md += ["", "## Findings", ""]
    for f in r.findings:
        rule = r.rule(f.rule_id)
        md.append(f"### `{f.rule_id}` {rule.title} ({f.kind}{', ' + f.severity_label if f.kind == 'gap' else ''})")
        md.append("")
        md.append(f"{f.message}")
        md.append("")
        if f.evidence:
            md.append("- Evidence (" + (f.subject or "runner") + "): " + "; ".join(
                f"{ev.field} = {ev.shown}" + (f" {ev.unit}" if ev.unit and ev.unit not in ev.shown and ev.unit != "h:mm:ss" else "")
                + (f" (from {ev.source})" if ev.source else "") for ev in f.evidence))
        for t in f.targets:
            info = r.target_info(t.name)
            src = "; ".join(f"[{s.title}]({s.url})" for s in map(r.source, info.sources))
            md.append(f"- Target {t.name} = {t.shown}: {info.description}. {info.derivation or ''} Sources: {src}".replace("  ", " "))
        md.append(f"- Why it matters: {rule.rationale}")
        if r.prescription(f):
            md.append(f"- Train: {r.prescription(f)}")
        md.append("- Sources: " + "; ".join(f"[{s.title}]({s.url})" for s in map(r.source, rule.sources)))
        md.append("")
    if r.missing:
        md += ["## Tests to take", ""]
        for m in r.missing:
            md.append(f"- **{m.field}** (`{m.rule_id}`, {PILLAR_NAMES.get(m.pillar, m.pillar)}): {r.rule(m.rule_id).test}")
        md.append("")
    md += [f"## Suggested week ({WEEK_TITLES[r.week]})", ""]
    md.append(tabulate(
        [[PILLAR_NAMES[s.pillar] + (" (focus)" if s.focus else ""), f"{s.per_week:g}", r.session(s)] for s in r.weekly_sessions],
        headers=["Pillar", "Per week", "Session"], tablefmt="github"))
    md += ["", f"_Rule pack {r.pack.name} {r.pack.version} ({r.pack.digest}), report schema {r.schema_version}._", ""]
    return "\n".join(md)
