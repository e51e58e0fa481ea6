"""Reports as self-contained HTML pages: a runner's, a squad's, and progress.

One file each, with inline CSS and inline SVG charts: no scripts, no fonts or
images to fetch, so a page works offline, can be mailed, and prints cleanly
(a print stylesheet keeps sections and charts whole). Every chart sits next
to a table with the same numbers, for screen readers and for print.

Each page is a Jinja2 template in ``templates/`` that extends ``base.html``
and uses its ``_*.html`` partials, fed by one function here that builds its
context: the function looks up what the report cites, the template only
presents it. Templates escape everything they print except the SVG charts,
trusted markup (:mod:`charts` escapes the text it puts in them).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any, Iterable, Mapping

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from ..rules.edition import Edition
from ..rules.rulebase import PILLARS
from . import charts
from .model import Finding, Report, SourceRef
from .names import DRAW_NOTE, PHASE_NAMES, PILLAR_NAMES, STATUS_NAMES, WEEK_TITLES
from ..estimate.finish import short_time
from ..estimate.render import pct
from .text import estimate_rows, goal_line, rank_label
from .progress import RosterProgress, RunnerProgress
from .traits import TraitScore, trait_scores

#: The heat-map's column heads: the pillars' names are too long for it.
SHORT_PILLARS = {"uphill_power": "Uphill", "downhill_technique": "Downhill", "strength": "Strength",
                 "race_specificity": "Race-pace", "mental_tactical": "Mental"}
GROUP_SHOWN = 200     # runners named in a session group; the rest are counted


def _link(title: str, url: str) -> Markup:
    # Only web links become anchors: a custom pack's source could say anything.
    if url.startswith(("http://", "https://")):
        return Markup('<a href="{}">{}</a>').format(url, title)
    return escape(title)


def _who(name: str | None, runner_id: str) -> str:
    return f"{name} ({runner_id})" if name else runner_id


def _signed(v: float) -> str:
    # A change that rounds to nothing is "0", not "+0" or "-0".
    return f"{v:+.0f}" if round(v) != 0 else "0"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("assessment.report"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,                    # a misspelt name fails the render, never prints blank
        finalize=lambda v: "" if v is None else v,   # a value the report leaves out prints as nothing
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.globals.update(link=_link, who=_who)
    env.filters.update(pillar=lambda p: PILLAR_NAMES.get(p, p), phase=PHASE_NAMES.__getitem__,
                       week=WEEK_TITLES.__getitem__,
                       status=lambda s: STATUS_NAMES.get(s, s), signed=_signed)
    return env


#: The package's one environment: the templates ship inside it, beside this module.
ENV = _environment()


def _render(template: str, page: Any) -> str:
    """A page dataclass through its template: its fields are the template's names."""
    return ENV.get_template(template).render({f.name: getattr(page, f.name) for f in fields(page)})


# --------------------------------------------------------------------------- runner page

@dataclass(frozen=True)
class RunnerPage:
    """What ``runner.html`` shows: the report, with what it cites looked up in its catalog."""

    title: str
    report: Report
    goal_text: str
    traits: list[TraitScore]
    radar: Markup
    emphases_chart: Markup
    phases_chart: Markup
    sex: str
    unknown_traits: list[str]
    draw_note: str
    lottery_source: SourceRef
    routes: list[dict]
    emphases: list[dict]
    phases: list[dict]
    gaps: list[dict]
    missing: list[dict]
    notes: list[dict]
    sessions: list[dict]
    estimate_card: dict | None = None
    barriers_chart: Markup | None = None
    estimate_rows: list[list[str]] | None = None


def _evidence(f: Finding) -> list[str]:
    # The unit is said once: not when the value already shows it, nor for a time.
    return [f"{x.field} = {x.shown}" + (f" ({x.unit})" if x.unit and x.unit not in x.shown and x.unit != "h:mm:ss" else "")
            + (f", from {x.source}" if x.source else "") for x in f.evidence]


def _gap_view(r: Report, f: Finding) -> dict:
    """A gap finding for ``_finding.html``: its rule, targets and sources resolved."""
    rule = r.rule(f.rule_id)
    targets = []
    for t in f.targets:
        info = r.target_info(t.name)
        targets.append({"value": t, "info": info, "sources": [r.source(k) for k in info.sources]})
    return {"finding": f, "rule": rule, "evidence": _evidence(f), "targets": targets,
            "prescription": r.prescription(f), "sources": [r.source(k) for k in rule.sources]}


def _phase_rows(r: Report) -> list[dict]:
    """The training phases counted back from race day, with their dates."""
    horizon = max(20.0, float(int(r.weeks_to_race + 2.999)))
    return [{"name": name, "label": charts.PHASE_LABELS[name], "now": name == r.phase, "hi": hi, "lo": lo,
             "start": r.edition.race_date - dt.timedelta(weeks=hi) if hi != horizon else None,
             "end": r.edition.race_date - dt.timedelta(weeks=lo)}
            for name, hi, lo in charts.phase_spans(horizon)]


def _route_rows(r: Report) -> list[dict]:
    """The entry routes, each with its description and source."""
    rows = []
    for route in r.eligibility.routes:
        info = r.route_info(route.id)
        rows.append({"route": route, "info": info, "source": r.source(info.source)})
    return rows


def _estimate_card(r: Report) -> dict | None:
    est = r.estimate
    if est is None:
        return None
    f = est.finish
    ss = est.barrier("Sancti Spiritu")
    return {"mid": short_time(f.mid), "range": f"{short_time(f.low)}-{short_time(f.high)} ({round(100 * f.interval)}% range)",
            "barrier": f"{pct(ss.pass_probability)} to pass Sancti Spiritu by {short_time(ss.cutoff_min)}" if ss else None}


def runner_page(r: Report, traits: list[TraitScore]) -> RunnerPage:
    """The runner page's context: gaps worst first, every key the report cites resolved."""
    gaps = sorted((f for f in r.findings if f.kind == "gap"), key=lambda f: (-f.severity, f.rule_id))
    return RunnerPage(
        title=f"Zegama gap report: {_who(r.name, r.runner_id)}",
        report=r,
        goal_text=goal_line(r).removeprefix("Goal: "),
        traits=traits,
        radar=Markup(charts.radar(traits)),
        emphases_chart=Markup(charts.emphases_bars(r.emphases, PILLAR_NAMES)),
        phases_chart=Markup(charts.phase_timeline(r.weeks_to_race, r.edition.race_date, r.phase)),
        estimate_card=_estimate_card(r),
        barriers_chart=Markup(charts.barrier_arrivals(r.estimate.barriers)) if r.estimate and r.estimate.barriers else None,
        estimate_rows=estimate_rows(r) if r.estimate and r.estimate.barriers else None,
        sex={"F": "women", "M": "men"}.get(r.sex or "", "women's reference values"),
        unknown_traits=[t.label for t in traits if t.share is None],
        draw_note=DRAW_NOTE,
        lottery_source=r.source(r.eligibility.lottery.source),
        routes=_route_rows(r),
        emphases=[{"emphasis": em, "rank": rank_label(r, i), "parts": [(p.rule_id, em.points(p)) for p in em.breakdown]}
                  for i, em in enumerate(r.emphases)],
        phases=_phase_rows(r),
        gaps=[_gap_view(r, f) for f in gaps],
        missing=[{"test": m, "how": r.rule(m.rule_id).test} for m in r.missing],
        notes=[{"finding": f, "prescription": r.prescription(f)} for f in r.findings if f.kind == "info"],
        sessions=[{"slot": s, "session": r.session(s)} for s in r.weekly_sessions],
    )


def runner_html(report: Report, profile: Any = None, rulebase: Any = None) -> str:
    """The runner's report as one self-contained HTML page.

    With the ``profile`` (a ``Profile`` or dict) the radar uses its exact values;
    without it, what the report itself carries (see :mod:`assessment.traits`).
    """
    return _render("runner.html", runner_page(report, trait_scores(report, profile, rulebase)))


# --------------------------------------------------------------------------- squad page

@dataclass
class _Tally:
    """What the squad page keeps while reading the reports once: counts, groups and the first ``keep`` rows."""

    keep: int
    links: Mapping[str, str]
    n: int = 0
    fit_total: int = 0
    fit_runners: int = 0   # runners with at least one benchmark measured
    first_report: Report | None = None
    status: Counter = field(default_factory=Counter)
    first: Counter = field(default_factory=Counter)        # pillar -> runners with it as first emphasis
    groups: dict[str, list[tuple]] = field(default_factory=lambda: {p: [] for p in PILLARS})
    gaps: Counter = field(default_factory=Counter)
    gap_titles: dict[str, tuple[str, str]] = field(default_factory=dict)
    missing: Counter = field(default_factory=Counter)
    rows: list[dict] = field(default_factory=list)

    def add(self, r: Report) -> None:
        self.n += 1
        self.first_report = self.first_report or r
        self.status[r.eligibility.status] += 1
        if r.fit_score is not None:
            self.fit_runners += 1
            self.fit_total += r.fit_score
        if r.emphases and r.emphases[0].action == "build":
            self.first[r.emphases[0].pillar] += 1
        for e in r.emphases[:2]:
            if e.action == "build":
                self.groups[e.pillar].append((e.gap, e.score, self.n, r.runner_id, r.name))
        for f in r.findings:
            if f.kind == "gap":
                # A batch line carries no catalog: its rule ids stand for their titles.
                self.gap_titles.setdefault(f.rule_id, (r.rule(f.rule_id).title if r.catalog else f.rule_id, f.pillar))
        self.gaps.update({f.rule_id for f in r.findings if f.kind == "gap"})
        self.missing.update({m.field for m in r.missing})
        if len(self.rows) < self.keep:
            self.rows.append(_squad_row(r, self.links))


@dataclass(frozen=True)
class SquadPage:
    """What ``squad.html`` shows."""

    title: str
    n: int
    edition: Edition | None
    weeks_to_race: float | None
    phase: str | None
    as_of: dt.date | None
    counts: Mapping[str, Any] | None
    mean_fit: float | None
    entry: list[dict]
    heatmap: Markup | None
    drawn: int
    columns: list[str]
    rows: list[dict]
    unlisted: int
    groups: list[dict]
    common: list[dict]
    missing: list[tuple[str, int]]
    warnings: list[str]


def _label(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[:width - 1] + "\u2026"


def _squad_row(r: Report, links: Mapping[str, str]) -> dict:
    by = {e.pillar: e.gap for e in r.emphases}
    return {"url": links.get(r.runner_id), "who": _who(r.name, r.runner_id), "label": _label(r.name or r.runner_id),
            "status": r.eligibility.status, "fit": r.fit_score, "gaps": [by.get(p, 0.0) for p in PILLARS],
            "train_first": r.top_emphases(2), "estimate": _squad_estimate(r)}


def _squad_estimate(r: Report) -> str:
    """The estimate as the squad table shows it: the middle, and the chance at Sancti Spiritu."""
    if r.estimate is None:
        return "-"
    ss = r.estimate.barrier("Sancti Spiritu")
    return short_time(r.estimate.finish.mid) + (f" ({pct(ss.pass_probability)} at SS)" if ss else "")


def _groups(t: _Tally) -> list[dict]:
    """Session groups, largest first; in each, the largest gap first."""
    out = []
    for p in sorted(PILLARS, key=lambda p: -len(t.groups[p])):
        members = sorted(t.groups[p], key=lambda m: (-m[0], -m[1], m[2]))
        if members:
            out.append({"pillar": p, "size": len(members), "first": t.first.get(p, 0),
                        "members": [{"url": t.links.get(rid), "name": name or rid, "gap": g}
                                    for g, _, _, rid, name in members[:GROUP_SHOWN]]})
    return out


def squad_page(reports: Iterable[Report], runner_links: Mapping[str, str] | None, head: Mapping[str, Any] | None,
               title: str | None, heatmap_rows: int, table_rows: int) -> SquadPage:
    """The squad page's context, from one pass over the reports (see :func:`squad_html`)."""
    t = _Tally(keep=max(heatmap_rows, table_rows), links=runner_links or {})
    for r in reports:
        t.add(r)
    drawn = t.rows[:heatmap_rows]
    first = t.first_report
    return SquadPage(
        title=title or (f"Squad report: {head['roster']}" if head and head.get("roster") else "Squad report"),
        n=t.n,
        edition=first.edition if first else None,
        weeks_to_race=first.weeks_to_race if first else None,
        phase=first.phase if first else None,
        as_of=first.as_of if first else None,
        counts=head.get("counts") if head else None,
        mean_fit=t.fit_total / t.fit_runners if t.fit_runners else None,
        entry=[{"status": s, "runners": t.status.get(s, 0), "share": 100 * t.status.get(s, 0) / t.n if t.n else None}
               for s in ("eligible", "at_risk", "not_eligible")],
        heatmap=Markup(charts.squad_heatmap([(row["label"], row["gaps"]) for row in drawn],
                                            [SHORT_PILLARS[p] for p in PILLARS])) if drawn else None,
        drawn=len(drawn),
        columns=[SHORT_PILLARS[p] for p in PILLARS],
        rows=t.rows[:table_rows],
        unlisted=max(0, t.n - table_rows),
        groups=_groups(t),
        common=[{"rule_id": rid, "title": t.gap_titles[rid][0], "pillar": t.gap_titles[rid][1], "runners": k}
                for rid, k in sorted(t.gaps.items(), key=lambda kv: (-kv[1], kv[0]))[:10]],
        missing=sorted(t.missing.items(), key=lambda kv: (-kv[1], kv[0]))[:10],
        warnings=list(head.get("warnings") or []) if head else [],
    )


def squad_html(
    reports: Iterable[Report],
    runner_links: Mapping[str, str] | None = None,
    *,
    head: Mapping[str, Any] | None = None,
    title: str | None = None,
    heatmap_rows: int = 80,
    table_rows: int = 2000,
) -> str:
    """A squad page: entry-profile counts, a runners x pillars heat-map and the session groups.

    ``reports`` is read once, in roster order (a generator is fine; only a few
    numbers per runner are kept). ``runner_links`` maps a runner id to the
    (relative) address of that runner's page. ``head`` is the batch summary
    (``SquadSummary.head()``): when given, the page also shows the rows read and
    the rows that could not be assessed. The heat-map shows the first
    ``heatmap_rows`` runners, the table the first ``table_rows``; the counts
    and groups cover everyone.
    """
    return _render("squad.html", squad_page(reports, runner_links, head, title, heatmap_rows, table_rows))


# --------------------------------------------------------------------------- progress

@dataclass(frozen=True)
class ProgressPage:
    """What ``progress.html`` shows: a runner's comparison and its radar."""

    title: str
    progress: RunnerProgress
    radar: Markup
    traits: list[dict]


@dataclass(frozen=True)
class RosterPage:
    """What ``roster_progress.html`` shows: a roster's comparison, its counts and means worked out."""

    title: str
    progress: RosterProgress
    fit_before: float | None
    fit_now: float | None
    closed: int
    opened: int
    eligibility: dict[str, tuple[int, int]]
    changes: list[dict]
    pillars: list[dict]


def _change(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def progress_page(p: RunnerProgress) -> ProgressPage:
    """A runner's progress page context: the radar before and now, and each trait's change."""
    return ProgressPage(
        title=f"Progress: {_who(p.name, p.runner_id)}",
        progress=p,
        radar=Markup(charts.radar(p.traits_now, before=p.traits_before, now_label="Now")),
        traits=[{"label": a.label, "before": a.share, "now": b.share, "change": _change(a.share, b.share)}
                for a, b in zip(p.traits_before, p.traits_now)],
    )


def roster_page(p: RosterProgress) -> RosterPage:
    """A roster's progress page context."""
    fit_before, fit_now = p.fit_means()
    gaps = p.gap_counts()
    return RosterPage(
        title="Squad progress",
        progress=p,
        fit_before=fit_before,
        fit_now=fit_now,
        closed=gaps.get("closed", 0),
        opened=gaps.get("opened", 0),
        eligibility=p.eligibility_counts(),
        changes=[{"before": a, "now": b, "runners": k} for (a, b), k in sorted(p.transitions.items()) if a != b],
        pillars=[{"pillar": x, "before": a, "now": b, "change": _change(a, b)} for x, a, b in p.pillar_means()],
    )


def progress_html(p: RunnerProgress | RosterProgress) -> str:
    """A progress page for a runner (``RunnerProgress``) or a roster (``RosterProgress``)."""
    if isinstance(p, RunnerProgress):
        return _render("progress.html", progress_page(p))
    return _render("roster_progress.html", roster_page(p))
