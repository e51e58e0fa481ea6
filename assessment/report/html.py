"""Reports as self-contained HTML pages: a runner's, a squad's, and progress.

One file each, with inline CSS and inline SVG charts: no scripts, no fonts or
images to fetch, so a page works offline, can be mailed, and prints cleanly
(a print stylesheet keeps sections and charts whole). Every chart sits next
to a table with the same numbers, for screen readers and for print.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from html import escape
from typing import Any, Iterable, Mapping, Sequence

from .names import DRAW_NOTE, PHASE_NAMES, PILLAR_NAMES, STATUS_NAMES
from .model import Report
from ..rules.rulebase import PILLARS
from .traits import STATE_LABELS, TraitScore, trait_scores

CSS = """
:root { --ink: #1a1a1a; --muted: #555; --line: #c8c8c8; --soft: #f3f5f7; --accent: #0b4f8a; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .3rem; }
p { margin: .4rem 0 .7rem; }
a { color: var(--accent); }
.sub { color: var(--muted); margin: 0 0 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .75rem; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; background: var(--soft); }
.card .k { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.card .v { font-size: 1.35rem; font-weight: 700; }
.badge { display: inline-block; white-space: nowrap; padding: .05rem .5rem; border-radius: 3px; font-weight: 700; font-size: .85rem;
         border: 2px solid var(--ink); letter-spacing: .03em; }
.badge.eligible { background: #d9efe3; }
.badge.at_risk { background: #fff2cc; border-style: dashed; }
.badge.not_eligible { background: #fff; border-style: dotted; }
.sev { display: inline-block; min-width: 4.8rem; text-align: center; font-size: .8rem; font-weight: 700;
       border-radius: 3px; padding: 0 .35rem; border: 1px solid var(--ink); }
.sev.major { background: #1a1a1a; color: #fff; }
.sev.moderate { background: #8c8c8c; color: #fff; }
.sev.minor { background: #fff; }
figure { margin: .8rem 0 1rem; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .3rem; }
svg.chart { display: block; width: 100%; height: auto; }
svg.chart-radar { max-width: 34rem; margin: 0 auto; }
svg.chart-phases { max-width: 52rem; }
svg.chart-heatmap { max-width: 48rem; }
.chart-row { display: grid; grid-template-columns: minmax(0, 1.25fr) minmax(0, 1fr); gap: 1.5rem; align-items: start; }
@media (max-width: 52rem) { .chart-row { grid-template-columns: 1fr; } }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .92rem; }
caption { text-align: left; font-weight: 700; padding-bottom: .3rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 700; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.finding { border: 1px solid var(--line); border-left: 5px solid var(--ink); border-radius: 4px;
           padding: .6rem .9rem; margin: .7rem 0; }
.finding.minor { border-left-style: dotted; }
.finding.moderate { border-left-style: dashed; }
.finding h3 { margin-top: 0; }
.finding dl { display: grid; grid-template-columns: 8.5rem 1fr; gap: .15rem .7rem; margin: .4rem 0 0; font-size: .93rem; }
.finding dt { font-weight: 700; color: var(--muted); }
.finding dd { margin: 0; }
.rule { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
.unknown { color: var(--muted); font-style: italic; }
.note { background: var(--soft); border-left: 4px solid var(--muted); padding: .5rem .8rem; margin: .6rem 0; }
.warn { background: #fff2cc; border-left: 4px dashed var(--ink); padding: .5rem .8rem; margin: .6rem 0; }
ul.plain { padding-left: 1.2rem; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); padding-top: .6rem; }
.up { font-weight: 700; }
@media print {
  @page { margin: 14mm 12mm; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure, table, .finding, .card, .cards { break-inside: avoid; page-break-inside: avoid; }
  .chart-row { grid-template-columns: 1fr 1fr; }
  a { color: var(--ink); text-decoration: none; }
  .finding a[href^="http"]::after { content: " <" attr(href) ">"; font-size: 8pt; color: var(--muted); }
  .card, th { background: #fff !important; }
}
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _link(title: str, url: str) -> str:
    # Only web links become anchors: a custom pack's source could say anything.
    if url.startswith(("http://", "https://")):
        return f'<a href="{_e(url)}">{_e(title)}</a>'
    return _e(title)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta name=\"color-scheme\" content=\"light\">\n"
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], caption: str | None = None,
           numeric: Sequence[int] = ()) -> str:
    """A table; cells are already HTML."""
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{_e(caption)}</caption>")
    out.append("<thead><tr>" + "".join(
        f'<th scope="col"{" class=num" if i in numeric else ""}>{_e(h)}</th>' for i, h in enumerate(headers)) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            tag = "th scope=\"row\"" if i == 0 else "td"
            cls = ' class="num"' if i in numeric else ""
            cells.append(f"<{tag}{cls}>{c}</{tag.split()[0]}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _card(key: str, value: str) -> str:
    return f'<div class="card"><div class="k">{_e(key)}</div><div class="v">{value}</div></div>'


def _badge(status: str) -> str:
    return f'<span class="badge {_e(status)}">{_e(STATUS_NAMES.get(status, status))}</span>'


def _share(x: float | None) -> str:
    return '<span class="unknown">unknown</span>' if x is None else f"{x:.0f}"


def _who(name: str | None, runner_id: str) -> str:
    return f"{name} ({runner_id})" if name else runner_id


def _edition_line(r: Report) -> str:
    ed = r.edition
    flag = " (estimated date)" if ed.estimated else " (date set by you)" if ed.overridden else ""
    return f"Zegama-Aizkorri {ed.year}: {ed.race_date}{flag}"


# --------------------------------------------------------------------------- runner page

def trait_table(traits: Sequence[TraitScore], caption: str = "The chart in numbers") -> str:
    rows = []
    for t in traits:
        known = sum(1 for b in t.benchmarks if b.share is not None)
        rows.append([_e(t.label), _share(t.share), f"{known} of {len(t.benchmarks)}"])
    return _table(["Trait", "Share of target", "Benchmarks known"], rows, caption, numeric=(1,))


def benchmark_table(traits: Sequence[TraitScore], caption: str = "Each trait's benchmarks") -> str:
    rows = []
    for t in traits:
        for i, b in enumerate(t.benchmarks):
            cls = ' class="unknown"' if b.state == "unknown" else ""
            rows.append([
                _e(t.label) if i == 0 else "",
                _e(b.label),
                f"<span{cls}>{_e(b.value_display or 'unknown')}</span>",
                _e(b.target_display or "-"),
                _e(STATE_LABELS[b.state]) + (f' (<span class="rule">{_e(b.rule_id)}</span>)' if b.rule_id else ""),
                _share(b.share),
            ])
    return _table(["Trait", "Benchmark", "Yours", "Target", "State", "Share"], rows, caption, numeric=(5,))


def _radar_section(r: Report, traits: Sequence[TraitScore]) -> str:
    from .charts import radar

    unknown = [t.label for t in traits if t.share is None]
    note = (f" Unknown: {', '.join(unknown)} (shaded; take the tests below to fill them in)." if unknown else "")
    sex = {"F": "women", "M": "men"}.get(r.sex or "", "women's reference values")
    return (
        "<h2 id=\"profile\">Where you stand</h2>\n"
        '<div class="chart-row"><figure>\n' + radar(traits) +
        f"<figcaption>Your profile as a share of the Zegama target for your goal ({_e(r.goal)}, {_e(sex)}): "
        f"the dashed ring is the target (100); each axis is the mean of its benchmarks, each capped at 100.{_e(note)}"
        "</figcaption></figure>\n<div>\n"
        + trait_table(traits) + "\n</div></div>\n" + benchmark_table(traits)
    )


def _eligibility_section(r: Report) -> str:
    e = r.eligibility
    out = [f'<h2 id="entry">Entry profile: {_badge(e.status)}</h2>', f"<p>{_e(e.summary)}</p>"]
    if e.reasons:
        items = []
        for reason in e.reasons:
            used = (f"<br><small>Results used: {_e('; '.join(reason.results_used))}</small>" if reason.results_used else "")
            items.append(f'<li><span class="rule">{_e(reason.rule_id)}</span> {_e(reason.outcome)}: {_e(reason.message)}{used}</li>')
        out.append("<h3>The results it used</h3>\n<ul class=\"plain\">" + "\n".join(items) + "</ul>")
    else:
        out.append("<p class=\"unknown\">No race result in your history matches the profile yet.</p>")
    lot = e.lottery
    src = r.source(lot.source)
    out.append(f'<div class="note"><strong>Lottery.</strong> {_e(DRAW_NOTE)} {_e(lot.note)} Source: {_link(src.title, src.url)}.</div>')
    rows = []
    for route in e.routes:
        mark = {True: "applies", False: "does not apply", None: '<span class="unknown">unknown</span>'}[route.applies]
        info = r.route_info(route.id)
        rows.append([_e(info.label), mark, _e(info.detail) + " " + _link("source", r.source(info.source).url)])
    out.append(_table(["Entry route", "For you", "Detail"], rows, "Entry routes"))
    out.append("<h3>Next steps</h3>\n<ol>" + "".join(f"<li>{_e(s)}</li>" for s in e.next_steps) + "</ol>")
    return "\n".join(out)


def _emphases_section(r: Report) -> str:
    from .charts import emphases_bars

    rows = []
    for em in r.emphases:
        parts = ", ".join(f'<span class="rule">{_e(p.rule_id)}</span> {100 * p.contribution * em.phase_weight:.0f}'
                          for p in em.breakdown) or "-"
        rows.append([f"{em.rank}. {_e(PILLAR_NAMES[em.pillar])}", f"{em.score:.0f}", f"{em.gap:.2f}",
                     f"{em.phase_weight:g}", parts])
    return (
        '<h2 id="emphases">What to train first</h2>\n'
        "<p>The five pillars, ranked. A pillar's gap combines its findings' severities as independent shortfalls; "
        f"the score is 100 &times; gap &times; the weight of the {_e(PHASE_NAMES[r.phase])} phase.</p>\n"
        "<figure>" + emphases_bars(r.emphases, PILLAR_NAMES) +
        "<figcaption>Each bar is split into the findings behind it (their part of the score).</figcaption></figure>\n"
        + _table(["Pillar", "Score", "Gap", "Phase weight", "Findings (points of the score)"], rows,
                 "Emphases in numbers", numeric=(1, 2, 3))
    )


def _timeline_section(r: Report) -> str:
    from .charts import phase_spans, phase_timeline, PHASE_LABELS

    horizon = max(20.0, float(int(r.weeks_to_race + 2.999)))
    rows = []
    for name, hi, lo in phase_spans(horizon):
        start = r.edition.race_date - dt.timedelta(weeks=hi) if hi != horizon else None
        end = r.edition.race_date - dt.timedelta(weeks=lo)
        here = " (now)" if name == r.phase else ""
        rows.append([_e(PHASE_LABELS[name]) + here,
                     f"more than {lo:g}" if name == "base" else f"{hi:g} to {lo:g}",
                     _e(start.isoformat() if start else "until") + " &ndash; " + _e(end.isoformat())])
    return (
        '<h2 id="weeks">Weeks to race</h2>\n'
        f"<p><strong>{r.weeks_to_race:g} weeks</strong> to race day ({_e(r.edition.race_date)}): "
        f"the <strong>{_e(PHASE_NAMES[r.phase])}</strong> phase.</p>\n"
        "<figure>" + phase_timeline(r.weeks_to_race, r.edition.race_date, r.phase) +
        "<figcaption>Training phases counted back from race day; the marker is the assessment date.</figcaption></figure>\n"
        + _table(["Phase", "Weeks before the race", "Dates"], rows, "Phases in numbers")
    )


def _finding_html(r: Report, f) -> str:
    rule = r.rule(f.rule_id)
    ev = "; ".join(
        f"{_e(x.field)} = {_e(x.shown)}" + (f" ({_e(x.unit)})" if x.unit and x.unit not in x.shown and x.unit != "h:mm:ss" else "")
        for x in f.evidence) or "-"
    targets = "".join(
        f"<dd>{_e(t.name)} = <strong>{_e(t.shown)}</strong>: {_e(info.description)}."
        + (f" {_e(info.derivation)}" if info.derivation else "")
        + (" Sources: " + "; ".join(_link(s.title, s.url) for s in map(r.source, info.sources)) if info.sources else "") + "</dd>"
        for t, info in ((t, r.target_info(t.name)) for t in f.targets))
    sev = f' <span class="sev {_e(f.severity_label)}">{_e(f.severity_label)}</span>' if f.kind == "gap" else ""
    rows = [f"<dt>Evidence</dt><dd>{ev} <small>({_e(f.subject or 'runner')})</small></dd>"]
    if targets:
        rows.append(f"<dt>Target</dt>{targets}")
    rows.append(f"<dt>Why it matters</dt><dd>{_e(rule.rationale)}</dd>")
    if r.prescription(f):
        rows.append(f"<dt>Train</dt><dd>{_e(r.prescription(f))}</dd>")
    if rule.sources:
        rows.append("<dt>Sources</dt><dd>" + "; ".join(_link(s.title, s.url) for s in map(r.source, rule.sources)) + "</dd>")
    cls = f.severity_label if f.kind == "gap" else "info"
    return (f'<section class="finding {_e(cls)}"><h3><span class="rule">{_e(f.rule_id)}</span> {_e(rule.title)}{sev}</h3>'
            f"<p>{_e(f.message)}</p><dl>{''.join(rows)}</dl></section>")


def _findings_section(r: Report) -> str:
    out = ['<h2 id="findings">Gaps, with their evidence</h2>']
    gaps = sorted((f for f in r.findings if f.kind == "gap"), key=lambda f: (-f.severity, f.rule_id))
    out += [_finding_html(r, f) for f in gaps] or ["<p>No gap found.</p>"]
    if r.missing:
        rows = [[f"<span class=\"rule\">{_e(m.rule_id)}</span> {_e(m.field)}", _e(PILLAR_NAMES.get(m.pillar, m.pillar)), _e(r.rule(m.rule_id).test)]
                for m in r.missing]
        out.append('<h2 id="tests">Tests to take</h2>\n<p>Unknown benchmarks count as moderate gaps until measured.</p>')
        out.append(_table(["Benchmark", "Pillar", "How to test"], rows))
    infos = [f for f in r.findings if f.kind == "info"]
    if infos:
        out.append('<h2 id="notes">Notes</h2>\n<ul class="plain">' + "".join(
            f'<li><span class="rule">{_e(f.rule_id)}</span> {_e(f.message)}'
            + (f" <em>{_e(r.prescription(f))}</em>" if r.prescription(f) else "") + "</li>" for f in infos) + "</ul>")
    return "\n".join(out)


def _week_section(r: Report) -> str:
    rows = [[_e(PILLAR_NAMES[s.pillar]) + (" <strong>(focus)</strong>" if s.focus else ""), f"{s.per_week:g}", _e(r.session(s))]
            for s in r.weekly_sessions]
    return (f'<h2 id="week">Suggested week ({_e(PHASE_NAMES[r.phase])} phase)</h2>\n'
            + _table(["Pillar", "Per week", "Session"], rows, numeric=(1,)))


def runner_html(report: Report, profile: Any = None, rulebase: Any = None) -> str:
    """The runner's report as one self-contained HTML page.

    With the ``profile`` (a ``Profile`` or dict) the radar uses its exact values;
    without it, what the report itself carries (see :mod:`assessment.traits`).
    """
    r = report
    traits = trait_scores(r, profile, rulebase)
    who = _who(r.name, r.runner_id)
    head = (
        f"<header><h1>Zegama gap report: {_e(who)}</h1>\n"
        f'<p class="sub">{_e(_edition_line(r))} &middot; assessed on {_e(r.as_of)}</p>\n'
        '<div class="cards">'
        + _card("Entry profile", _badge(r.eligibility.status))
        + _card("Profile fit", f"{r.fit_score}<small>/100</small>")
        + _card("Weeks to race", f"{r.weeks_to_race:g} <small>({_e(PHASE_NAMES[r.phase])})</small>")
        + _card("Goal", _e(r.goal))
        + "</div>\n"
        + (f'<p class="note">{_e(r.targets_note)}</p>' if r.targets_note else "")
        + (f'<p class="note">{_e(r.edition.note)}</p>' if r.edition.estimated and r.edition.note else "")
        + "</header>"
    )
    body = "\n".join([
        head,
        _radar_section(r, traits),
        _emphases_section(r),
        _timeline_section(r),
        _eligibility_section(r),
        _findings_section(r),
        _week_section(r),
        f"<footer>Rule pack {_e(r.pack.name)} {_e(r.pack.version)} ({_e(r.pack.digest)}), report schema "
        f"{_e(r.schema_version)}. Rules fired: {_e(', '.join(r.fired_rules))}.</footer>",
    ])
    return _page(f"Zegama gap report: {who}", body)


# --------------------------------------------------------------------------- squad page

def _href(links: Mapping[str, str] | None, runner_id: str, text: str) -> str:
    url = (links or {}).get(runner_id)
    return f'<a href="{_e(url)}">{_e(text)}</a>' if url else _e(text)


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
    from .charts import squad_heatmap

    rows: list[tuple[str, str | None, str, int, list[float], list[str]]] = []
    status = Counter()
    first = Counter()
    groups: dict[str, list[tuple[float, float, int, str, str | None]]] = {p: [] for p in PILLARS}
    gaps = Counter()
    gap_titles: dict[str, tuple[str, str]] = {}
    missing = Counter()
    edition = None
    n = 0
    fit_total = 0
    for r in reports:
        n += 1
        if edition is None:
            edition = (r.edition, r.weeks_to_race, r.phase, r.as_of)
        status[r.eligibility.status] += 1
        fit_total += r.fit_score
        by = {e.pillar: e for e in r.emphases}
        if r.emphases and r.emphases[0].score > 0:
            first[r.emphases[0].pillar] += 1
        for e in r.emphases[:2]:
            if e.score > 0:
                groups[e.pillar].append((e.gap, e.score, n, r.runner_id, r.name))
        for f in r.findings:
            if f.kind == "gap":
                gap_titles.setdefault(f.rule_id, (r.rule(f.rule_id).title if r.catalog else f.rule_id, f.pillar))
        gaps.update({f.rule_id for f in r.findings if f.kind == "gap"})
        missing.update({m.field for m in r.missing})
        if len(rows) < max(heatmap_rows, table_rows):
            rows.append((r.runner_id, r.name, r.eligibility.status, r.fit_score,
                         [by[p].gap if p in by else 0.0 for p in PILLARS], r.top_emphases(2)))

    name = title or (f"Squad report: {head['roster']}" if head and head.get("roster") else "Squad report")
    out = [f"<header><h1>{_e(name)}</h1>"]
    if edition:
        ed, weeks, phase, as_of = edition
        flag = " (estimated date)" if ed.estimated else ""
        out.append(f'<p class="sub">Zegama-Aizkorri {ed.year}: {_e(ed.race_date)}{flag}, {weeks:g} weeks away, '
                   f"{_e(PHASE_NAMES[phase])} phase &middot; assessed on {_e(as_of)}</p>")
    cards = [_card("Runners assessed", str(n))]
    if head and head.get("counts"):
        c = head["counts"]
        cards.append(_card("Rows read", _e(c.get("read", ""))))
        cards.append(_card("Not assessed", _e(c.get("errors", ""))))
    if n:
        cards.append(_card("Mean profile fit", f"{fit_total / n:.0f}<small>/100</small>"))
    out.append('<div class="cards">' + "".join(cards) + "</div></header>")

    out.append('<h2 id="entry">Entry profile</h2>')
    out.append('<div class="cards">' + "".join(
        _card(STATUS_NAMES[s], f"{status.get(s, 0)} {_badge(s)}") for s in ("eligible", "at_risk", "not_eligible")) + "</div>")
    out.append(_table(["Entry profile", "Runners", "Share"],
                      [[_badge(s), str(status.get(s, 0)), f"{100 * status.get(s, 0) / n:.0f}%" if n else "-"]
                       for s in ("eligible", "at_risk", "not_eligible")], numeric=(1, 2)))

    out.append('<h2 id="heatmap">Gaps by runner and pillar</h2>')
    if rows:
        shown = rows[:heatmap_rows]
        label = [(r[1] or r[0]) if len(r[1] or r[0]) <= 28 else (r[1] or r[0])[:27] + "\u2026" for r in shown]
        short = {"uphill_power": "Uphill", "downhill_technique": "Downhill", "strength": "Strength",
                 "race_specificity": "Race-pace", "mental_tactical": "Mental"}
        more = f" The first {len(shown)} of {n} runners are drawn; the table below lists {min(n, table_rows)}." if n > len(shown) else ""
        out.append("<figure>" + squad_heatmap([(lbl, r[4]) for lbl, r in zip(label, shown)], [short[p] for p in PILLARS])
                   + f"<figcaption>Each cell is the runner's gap in that pillar, 0 (none) to 100 (full); darker is a "
                   f"bigger gap. Unknown benchmarks count as gaps until measured.{_e(more)}</figcaption></figure>")
        trows = [[_href(runner_links, r[0], _who(r[1], r[0])), _badge(r[2]), str(r[3]),
                  *[f"{100 * g:.0f}" for g in r[4]], _e(", ".join(PILLAR_NAMES[p] for p in r[5]))]
                 for r in rows[:table_rows]]
        out.append(_table(["Runner", "Entry profile", "Fit", *[short[p] for p in PILLARS], "Train first"], trows,
                          "The heat-map in numbers (gap, 0-100)", numeric=(2, 3, 4, 5, 6, 7)))
        if n > table_rows:
            out.append(f'<p class="note">{n - table_rows} more runners are in assessments.csv.</p>')
    else:
        out.append("<p>No runner was assessed.</p>")

    out.append('<h2 id="groups">Session groups</h2>\n<p>Runners whose first or second emphasis is the pillar, '
               "largest gap first: train them together.</p>")
    for p in sorted(PILLARS, key=lambda p: -len(groups[p])):
        members = sorted(groups[p], key=lambda m: (-m[0], -m[1], m[2]))
        if not members:
            continue
        items = ", ".join(f"{_href(runner_links, rid, nm or rid)} ({100 * g:.0f})" for g, _, _, rid, nm in members[:200])
        extra = f" and {len(members) - 200} more" if len(members) > 200 else ""
        out.append(f"<h3>{_e(PILLAR_NAMES[p])}: {len(members)} runner{'s' if len(members) != 1 else ''}"
                   f" ({first.get(p, 0)} with it first)</h3><p>{items}{_e(extra)}</p>")

    if gaps:
        out.append('<h2 id="common">Most common gaps</h2>')
        out.append(_table(["Rule", "Gap", "Pillar", "Runners"], [
            [f'<span class="rule">{_e(rid)}</span>', _e(gap_titles[rid][0]), _e(PILLAR_NAMES.get(gap_titles[rid][1], gap_titles[rid][1])),
             str(k)] for rid, k in sorted(gaps.items(), key=lambda kv: (-kv[1], kv[0]))[:10]], numeric=(3,)))
    if missing:
        out.append('<h2 id="tests">Tests to take</h2>')
        out.append(_table(["Benchmark", "Runners without it"], [
            [_e(f), str(k)] for f, k in sorted(missing.items(), key=lambda kv: (-kv[1], kv[0]))[:10]], numeric=(1,)))
    if head and head.get("warnings"):
        out.append("".join(f'<p class="warn">{_e(w)}</p>' for w in head["warnings"]))
    out.append("<footer>Made by zegama batch. Each runner's page holds their findings, evidence and sources.</footer>")
    return _page(name, "\n".join(out))


# --------------------------------------------------------------------------- progress


def _signed(x: float | int | None, scale: float = 1, digits: int = 0) -> str:
    if x is None:
        return '<span class="unknown">-</span>'
    v = x * scale
    return f"{v:+.{digits}f}" if round(v, digits) != 0 else "0"


def _gap_cell(x: float | None) -> str:
    return '<span class="unknown">-</span>' if x is None else f"{100 * x:.0f}"


def runner_progress_body(p) -> str:
    from .charts import radar

    out = [f"<header><h1>Progress: {_e(_who(p.name, p.runner_id))}</h1>",
           f'<p class="sub">{_e(p.as_of_before)} &rarr; {_e(p.as_of_now)} ({p.weeks_between:g} weeks apart)</p>',
           '<div class="cards">'
           + _card("Entry profile", f"{_badge(p.eligibility_before)} &rarr; {_badge(p.eligibility_now)}"
                   if p.eligibility_changed else f"{_badge(p.eligibility_now)} <small>(unchanged)</small>")
           + _card("Profile fit", f"{p.fit_before} &rarr; {p.fit_now} <small>({_signed(p.fit_change)})</small>")
           + _card("Gaps closed", str(len(p.closed)))
           + _card("Gaps opened", str(len(p.opened)))
           + "</div></header>"]
    out += [f'<p class="warn">{_e(w)}</p>' for w in p.warnings]
    out.append('<h2 id="radar">Before and after</h2>')
    out.append('<div class="chart-row"><figure>' + radar(p.traits_now, before=p.traits_before, now_label="Now") +
               "<figcaption>Share of the Zegama target (dashed ring = 100): dotted with squares before, solid with "
               "circles now. A saved report carries only the values that fell short, so a benchmark it never "
               "mentions is unknown (shaded).</figcaption></figure><div>")
    rows = [[_e(a.label), _share(a.share), _share(b.share),
             _signed(None if a.share is None or b.share is None else b.share - a.share)]
            for a, b in zip(p.traits_before, p.traits_now)]
    out.append(_table(["Trait", "Before", "Now", "Change"], rows, "The chart in numbers", numeric=(1, 2, 3)))
    out.append("</div></div>")

    out.append('<h2 id="gaps">Gaps closed and opened</h2>')
    grows = [[f'<span class="rule">{_e(g.rule_id)}</span>', f"<strong>{_e(g.status)}</strong>", _e(g.title),
              _e(PILLAR_NAMES.get(g.pillar, g.pillar)),
              "-" if g.severity_before is None else f"{g.severity_before:.2f}",
              "-" if g.severity_now is None else f"{g.severity_now:.2f}"] for g in p.gaps]
    out.append(_table(["Rule", "Change", "Gap", "Pillar", "Severity before", "Now"], grows, numeric=(4, 5))
               if grows else "<p>No gap before or now.</p>")

    out.append('<h2 id="pillars">Pillars</h2>')
    prow = [[_e(PILLAR_NAMES[x.pillar]), _gap_cell(x.gap_before), _gap_cell(x.gap_now), _signed(x.change, 100),
             f"{x.rank_before or '-'} &rarr; {x.rank_now or '-'}"] for x in p.pillars]
    out.append(_table(["Pillar", "Gap before", "Gap now", "Change", "Rank"], prow, "Gap, 0-100 (lower is better)",
                      numeric=(1, 2, 3)))
    out.append('<h2 id="benchmarks">Benchmarks</h2>')
    brow = [[_e(b.label), _e(b.before), _e(b.now), _e(b.delta_display or "-"), _e(b.target or "-"), f"<strong>{_e(b.change)}</strong>"]
            for b in p.benchmarks]
    out.append(_table(["Benchmark", "Before", "Now", "Difference", "Target", "Change"], brow))
    return "\n".join(out)


def progress_html(p) -> str:
    """A progress page for a runner (``RunnerProgress``) or a roster (``RosterProgress``)."""
    from .progress import RunnerProgress

    if isinstance(p, RunnerProgress):
        return _page(f"Progress: {_who(p.name, p.runner_id)}", runner_progress_body(p))
    fb, fn = p.fit_means()
    gc = p.gap_counts()
    out = [f"<header><h1>Squad progress</h1>",
           f'<p class="sub">{_e(p.before)} &rarr; {_e(p.now)}</p>',
           '<div class="cards">'
           + _card("Runners compared", str(len(p.runners)))
           + _card("Joined / left", f"{len(p.joined)} / {len(p.left)}")
           + _card("Mean profile fit", f"{_e(fb)} &rarr; {_e(fn)}")
           + _card("Gaps closed / opened", f"{gc.get('closed', 0)} / {gc.get('opened', 0)}")
           + "</div></header>"]
    out += [f'<p class="warn">{_e(w)}</p>' for w in p.warnings]
    out.append('<h2 id="entry">Entry profile</h2>')
    out.append(_table(["Entry profile", "Before", "Now"], [
        [_badge(s), str(a), str(b)] for s, (a, b) in p.eligibility_counts().items()], numeric=(1, 2)))
    changes = [(a, b, k) for (a, b), k in sorted(p.transitions.items()) if a != b]
    if changes:
        out.append("<ul class=\"plain\">" + "".join(f"<li>{k} runner{'s' if k != 1 else ''}: {_badge(a)} &rarr; {_badge(b)}</li>"
                                                  for a, b, k in changes) + "</ul>")
    out.append('<h2 id="pillars">Mean gap by pillar</h2>')
    out.append(_table(["Pillar", "Before", "Now", "Change"], [
        [_e(PILLAR_NAMES[x]), _gap_cell(a), _gap_cell(b), _signed(None if a is None or b is None else b - a, 100)]
        for x, a, b in p.pillar_means()], "Gap, 0-100 (lower is better)", numeric=(1, 2, 3)))
    out.append('<h2 id="runners">Runners</h2>')
    out.append(_table(["Runner", "Entry profile", "Fit", "Closed", "Opened"], [
        [_e(_who(r.name, r.runner_id)), f"{_badge(r.eligibility_before)} &rarr; {_badge(r.eligibility_now)}"
         if r.eligibility_changed else _badge(r.eligibility_now),
         f"{r.fit_before} &rarr; {r.fit_now}", _e(", ".join(g.rule_id for g in r.closed) or "-"),
         _e(", ".join(g.rule_id for g in r.opened) or "-")] for r in p.runners]))
    if p.joined:
        out.append(f"<p>Joined: {_e(', '.join(p.joined))}</p>")
    if p.left:
        out.append(f"<p>Left: {_e(', '.join(p.left))}</p>")
    return _page("Squad progress", "\n".join(out))
