"""Progress between two assessments: is the runner (or the squad) closing the gaps?

Compares two saved reports of the same runner (the JSON of ``zegama assess
--format json``) or two batch outputs of the same roster (``assessments.jsonl``):
per pillar and per benchmark the change, the gaps closed and opened, and the
entry profile before and after.

A 2.0 report lists every benchmark of the pack (met, below target or unknown),
so the comparison of two of them is exact. Reports of schema 1.0 are still
read (:mod:`assessment.report.legacy`): they carry only the values that fell
short and the tests to take, so the comparison says what it cannot tell.
Batch outputs are streamed: the earlier one is kept as small snapshots keyed by
runner id, the later one read line by line.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Union

from pydantic import ValidationError

from ..model.units import format_duration
from ..rules.rulebase import PILLARS, format_value
from . import legacy
from .model import Catalog, Report
from .traits import TraitScore, pack_definitions, share_of_target, trait_scores

ELIGIBILITY = ("eligible", "at_risk", "not_eligible")
AnyReport = Union[Report, legacy.ReportV1]
V1_WARNING = ("{which} report has schema 1.0: it lists only the benchmarks short of target and the tests to take, "
              "so a benchmark it does not show is 'not in the report' and one short before and silent now shows as 'no gap'")


def _defs():
    defs = pack_definitions()
    return ({d.field: d.label for d in defs}, {d.field: d.better for d in defs},
            {d.field: i for i, d in enumerate(defs)}, {d.field: set(d.inputs or (d.field,)) for d in defs})


class ProgressError(ValueError):
    """The two inputs cannot be compared (unreadable, not reports, not the same runner)."""


# --------------------------------------------------------------------------- snapshots

@dataclass
class Value:
    """What one report says about one benchmark."""

    state: str                     # below | met | no_gap | unknown | absent
    value: Any = None
    display: str = ""
    target: Any = None
    target_display: str = ""
    rule_id: str | None = None


@dataclass
class Gap:
    rule_id: str
    title: str
    pillar: str
    kind: str
    severity: float
    label: str
    message: str


@dataclass
class Snapshot:
    """The part of a report that progress compares (small enough to keep for a whole roster)."""

    runner_id: str
    name: str | None
    as_of: dt.date
    edition: int
    goal: str
    sex: str | None
    pack: str
    eligibility: str
    fit: int | None
    pillars: dict[str, tuple[float, float, int]]     # pillar -> (gap, score, rank)
    gaps: dict[str, Gap]
    values: dict[str, Value]
    traits: list[TraitScore]
    exact: bool = True             # a 2.0 report: every benchmark is listed
    tests: dict[str, frozenset[str]] = field(default_factory=dict)   # (1.0) test-to-take rule -> the fields it reads
    retrait: Callable[[frozenset], list[TraitScore]] | None = field(default=None, repr=False, compare=False)

    @property
    def measured(self) -> set[str]:
        return {f for f, v in self.values.items() if v.state in ("below", "met", "no_gap")}


def _title(report: Report, rule_id: str) -> str:
    if report.catalog is not None and rule_id in report.catalog.rules:
        return report.catalog.rules[rule_id].title
    from ..rules.rulebase import default_rulebase

    rules = default_rulebase().rules
    return rules[rule_id].rule.title if rule_id in rules else rule_id


def snapshot(report: AnyReport) -> Snapshot:
    if isinstance(report, legacy.ReportV1):
        return _snapshot_v1(report)
    gaps: dict[str, Gap] = {}
    for f in report.findings:
        if f.kind != "gap":
            continue
        old = gaps.get(f.rule_id)
        if old is None or f.severity > old.severity:
            gaps[f.rule_id] = Gap(f.rule_id, _title(report, f.rule_id), f.pillar, f.kind, f.severity,
                                  f.severity_label, f.message)
    for m in report.missing:
        gaps.setdefault(m.rule_id, Gap(m.rule_id, _title(report, m.rule_id), m.pillar, "missing", m.severity,
                                       "unknown", m.message))
    values = {
        b.field: Value(b.state, b.value, b.shown if b.state != "unknown" else "not measured",
                       b.target, b.target_display or "", b.rule_id)
        for b in report.benchmarks
    }
    return Snapshot(
        runner_id=report.runner_id, name=report.name, as_of=report.as_of, edition=report.edition.year,
        goal=report.goal, sex=report.sex, pack=f"{report.pack.name} {report.pack.version} ({report.pack.digest})",
        eligibility=report.eligibility.status, fit=report.fit_score,
        pillars={e.pillar: (e.gap, e.score, e.rank) for e in report.emphases},
        gaps=gaps, values=values, traits=trait_scores(report),
    )


def _snapshot_v1(report: legacy.ReportV1) -> Snapshot:
    gaps: dict[str, Gap] = {}
    for f in report.findings:
        if f.kind not in ("gap", "missing"):
            continue
        old = gaps.get(f.rule_id)
        if old is None or f.severity > old.severity:
            gaps[f.rule_id] = Gap(f.rule_id, f.title, f.pillar, f.kind, f.severity, f.severity_label, f.message)
    return Snapshot(
        runner_id=report.runner_id, name=report.name, as_of=report.as_of, edition=report.edition.year,
        goal=report.goal, sex=report.sex, pack=f"{report.pack.name} {report.pack.version} ({report.pack.digest})",
        eligibility=report.eligibility.status, fit=report.fit_score,
        pillars={e.pillar: (e.gap, e.score, e.rank) for e in report.emphases},
        gaps=gaps, values={f: Value(*v) for f, v in legacy.benchmark_values(report).items()},
        traits=legacy.traits(report), exact=False,
        tests={f.rule_id: frozenset(ev.field for ev in f.evidence) for f in report.findings if f.kind == "missing"},
        retrait=lambda measured: legacy.traits(report, measured),
    )


def tests_taken(old: Snapshot, new: Snapshot) -> set[str]:
    """(1.0) Fields measured since ``old``: a test to take that no longer fires, when it reads one benchmark only.

    (A test for a group, such as "no strength test at all", stops firing once any
    one of them is measured, so it does not say which.)
    """
    out: set[str] = set()
    for rid, fields in old.tests.items():
        if rid in new.gaps or not fields:
            continue
        for bench, inputs in _defs()[3].items():
            if fields <= inputs:
                out |= fields | {bench}
    return out


# --------------------------------------------------------------------------- comparison

@dataclass
class PillarChange:
    pillar: str
    gap_before: float | None
    gap_now: float | None
    change: float | None
    score_before: float | None
    score_now: float | None
    rank_before: int | None
    rank_now: int | None


@dataclass
class BenchmarkChange:
    field: str
    label: str
    before: str
    now: str
    state_before: str
    state_now: str
    target: str
    share_before: float | None
    share_now: float | None
    delta: float | None
    delta_display: str
    change: str       # better, worse, same, target reached, fell short, measured, short of target, target met,
                      # no longer measured, not shown now, unknown


@dataclass
class GapChange:
    rule_id: str
    title: str
    pillar: str
    kind: str
    status: str       # closed, opened, narrowed, widened, unchanged
    severity_before: float | None
    severity_now: float | None
    message: str


@dataclass
class RunnerProgress:
    runner_id: str
    name: str | None
    as_of_before: dt.date
    as_of_now: dt.date
    weeks_between: float
    eligibility_before: str
    eligibility_now: str
    fit_before: int | None   # None: no benchmark measured
    fit_now: int | None
    pillars: list[PillarChange]
    benchmarks: list[BenchmarkChange]
    gaps: list[GapChange]
    traits_before: list[TraitScore]
    traits_now: list[TraitScore]
    warnings: list[str] = field(default_factory=list)

    @property
    def eligibility_changed(self) -> bool:
        return self.eligibility_before != self.eligibility_now

    @property
    def fit_change(self) -> int | None:
        return None if self.fit_now is None or self.fit_before is None else self.fit_now - self.fit_before

    def with_status(self, *status: str) -> list[GapChange]:
        return [g for g in self.gaps if g.status in status]

    @property
    def closed(self) -> list[GapChange]:
        return self.with_status("closed")

    @property
    def opened(self) -> list[GapChange]:
        return self.with_status("opened")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["as_of_before"] = self.as_of_before.isoformat()
        d["as_of_now"] = self.as_of_now.isoformat()
        d["eligibility_changed"] = self.eligibility_changed
        d["fit_change"] = self.fit_change
        d["gaps_closed"] = [g.rule_id for g in self.closed]
        d["gaps_opened"] = [g.rule_id for g in self.opened]
        d["traits_before"] = [t.to_dict() for t in self.traits_before]
        d["traits_now"] = [t.to_dict() for t in self.traits_now]
        return d


def _direction(field_name: str, a: Value, b: Value) -> str | None:
    better = _defs()[1]
    if field_name in better:
        return better[field_name]
    for v in (a, b):
        if v.state == "below" and isinstance(v.value, (int, float)) and isinstance(v.target, (int, float)):
            return "higher" if v.value < v.target else "lower"
    return None


def _share(v: Value, better: str | None) -> float | None:
    if v.state in ("met", "no_gap"):
        return 100.0
    if v.state == "below" and better and isinstance(v.value, (int, float)) and isinstance(v.target, (int, float)):
        return share_of_target(float(v.value), float(v.target), better)
    return None


def _delta_display(field_name: str, delta: float) -> str:
    sign = "+" if delta > 0 else "-" if delta < 0 else "\u00b1"
    if field_name.endswith("_time"):
        return sign + format_duration(abs(delta))
    return sign + format_value(field_name, round(abs(delta), 2))


def _benchmark(field_name: str, a: Value, b: Value) -> BenchmarkChange:
    better = _direction(field_name, a, b)
    sa, sb = _share(a, better), _share(b, better)
    known_a = a.state in ("below", "met", "no_gap")
    known_b = b.state in ("below", "met", "no_gap")
    if known_a and known_b:
        if a.state == "below" and b.state != "below":
            change = "target reached"
        elif a.state != "below" and b.state == "below":
            change = "fell short"
        elif sa is not None and sb is not None and sb != sa:
            change = "better" if sb > sa else "worse"
        else:
            change = "same"
    elif known_b:
        # Listed as a test to take before: now measured. Not mentioned before: only its state now is known.
        change = "measured" if a.state == "unknown" else "short of target" if b.state == "below" else "target met"
    elif known_a:
        change = "now untested" if b.state == "unknown" else "not shown now"
    else:
        change = "unknown"
    delta = None
    if isinstance(a.value, (int, float)) and isinstance(b.value, (int, float)) and not isinstance(a.value, bool):
        delta = round(float(b.value) - float(a.value), 4)
    return BenchmarkChange(
        field=field_name,
        label=_defs()[0].get(field_name, field_name.replace("_", " ").capitalize()),
        before=a.display or "not in the report",
        now=b.display or "not in the report",
        state_before=a.state,
        state_now=b.state,
        target=b.target_display or a.target_display,
        share_before=sa,
        share_now=sb,
        delta=delta,
        delta_display="" if delta is None else _delta_display(field_name, delta),
        change=change,
    )


def compare(old: Snapshot, new: AnyReport | Snapshot) -> RunnerProgress:
    """The change from ``old`` to ``new`` for one runner."""
    cur = new if isinstance(new, Snapshot) else snapshot(new)
    if old.runner_id != cur.runner_id:
        raise ProgressError(f"not the same runner: {old.runner_id!r} before, {cur.runner_id!r} now")
    warnings = []
    if cur.as_of < old.as_of:
        warnings.append(f"the second assessment ({cur.as_of}) is dated before the first ({old.as_of}): are the files swapped?")
    if cur.pack != old.pack:
        warnings.append(f"different rule packs ({old.pack} before, {cur.pack} now): targets may have moved")
    if (cur.goal, cur.sex) != (old.goal, old.sex):
        warnings.append(f"goal or sex changed ({old.goal}/{old.sex or '-'} before, {cur.goal}/{cur.sex or '-'} now): so did the targets")
    if cur.edition != old.edition:
        warnings.append(f"different target editions ({old.edition} before, {cur.edition} now)")

    for which, snap in (("the earlier", old), ("the later", cur)):
        if not snap.exact:
            warnings.append(V1_WARNING.format(which=which))
    values_now = dict(cur.values)
    traits_now = cur.traits
    if not cur.exact:
        # A 1.0 report: a benchmark measured before (or whose test was taken since) and silent now has no gap.
        inputs = _defs()[3]
        measured = old.measured | tests_taken(old, cur)
        for f in measured:
            if f not in values_now and (f in old.values or f in inputs):
                values_now[f] = Value("no_gap", display="no gap found")
        if cur.retrait is not None:
            traits_now = cur.retrait(frozenset(measured))

    order = _defs()[2]
    fields = sorted(set(old.values) | set(values_now), key=lambda f: (order.get(f, 999), f))
    absent = Value("absent")
    benchmarks = [_benchmark(f, old.values.get(f, absent), values_now.get(f, absent)) for f in fields]

    pillars = []
    for p in PILLARS:
        a, b = old.pillars.get(p), cur.pillars.get(p)
        pillars.append(PillarChange(
            p, a and a[0], b and b[0], round(b[0] - a[0], 3) if a and b else None,
            a and a[1], b and b[1], a and a[2], b and b[2],
        ))

    gaps = []
    for rid in sorted(set(old.gaps) | set(cur.gaps)):
        a, b = old.gaps.get(rid), cur.gaps.get(rid)
        g = b or a
        if a and b:
            status = "narrowed" if b.severity < a.severity else "widened" if b.severity > a.severity else "unchanged"
        else:
            status = "opened" if b else "closed"
        gaps.append(GapChange(rid, g.title, g.pillar, g.kind, status, a and a.severity, b and b.severity, g.message))
    order = {"opened": 0, "widened": 1, "closed": 2, "narrowed": 3, "unchanged": 4}
    gaps.sort(key=lambda g: (order[g.status], g.rule_id))

    days = (cur.as_of - old.as_of).days
    return RunnerProgress(
        runner_id=cur.runner_id, name=cur.name or old.name,
        as_of_before=old.as_of, as_of_now=cur.as_of, weeks_between=round(days / 7, 1),
        eligibility_before=old.eligibility, eligibility_now=cur.eligibility,
        fit_before=old.fit, fit_now=cur.fit,
        pillars=pillars, benchmarks=benchmarks, gaps=gaps,
        traits_before=old.traits, traits_now=traits_now, warnings=warnings,
    )


def compare_reports(old: AnyReport, new: AnyReport) -> RunnerProgress:
    """Two reports of the same runner, the earlier first."""
    return compare(snapshot(old), new)


# --------------------------------------------------------------------------- rosters

@dataclass
class RosterProgress:
    before: str
    now: str
    runners: list[RunnerProgress]
    joined: list[str]
    left: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def transitions(self) -> Counter:
        return Counter((r.eligibility_before, r.eligibility_now) for r in self.runners)

    def eligibility_counts(self) -> dict[str, tuple[int, int]]:
        a = Counter(r.eligibility_before for r in self.runners)
        b = Counter(r.eligibility_now for r in self.runners)
        return {s: (a.get(s, 0), b.get(s, 0)) for s in ELIGIBILITY}

    def pillar_means(self) -> list[tuple[str, float | None, float | None]]:
        out = []
        for i, p in enumerate(PILLARS):
            a = [r.pillars[i].gap_before for r in self.runners if r.pillars[i].gap_before is not None]
            b = [r.pillars[i].gap_now for r in self.runners if r.pillars[i].gap_now is not None]
            out.append((p, round(sum(a) / len(a), 3) if a else None, round(sum(b) / len(b), 3) if b else None))
        return out

    def fit_means(self) -> tuple[float | None, float | None]:
        if not self.runners:
            return None, None
        a = [r.fit_before for r in self.runners if r.fit_before is not None]
        b = [r.fit_now for r in self.runners if r.fit_now is not None]
        return (round(sum(a) / len(a), 1) if a else None), (round(sum(b) / len(b), 1) if b else None)

    def gap_counts(self) -> Counter:
        return Counter(g.status for r in self.runners for g in r.gaps)

    def to_dict(self) -> dict[str, Any]:
        fb, fn = self.fit_means()
        return {
            "kind": "roster",
            "before": self.before,
            "now": self.now,
            "runners_compared": len(self.runners),
            "joined": self.joined,
            "left": self.left,
            "eligibility": {s: {"before": a, "now": b} for s, (a, b) in self.eligibility_counts().items()},
            "eligibility_changes": [
                {"before": a, "now": b, "runners": k} for (a, b), k in sorted(self.transitions.items()) if a != b
            ],
            "fit_score_mean": {"before": fb, "now": fn},
            "gaps": {s: self.gap_counts().get(s, 0) for s in ("closed", "opened", "narrowed", "widened", "unchanged")},
            "pillar_gap_mean": [{"pillar": p, "before": a, "now": b} for p, a, b in self.pillar_means()],
            "warnings": self.warnings,
            "runners": [r.to_dict() for r in self.runners],
        }


def compare_rosters(old: Iterable[AnyReport], new: Iterable[AnyReport], before: str = "before", now: str = "now") -> RosterProgress:
    """Two batch outputs of the same roster, matched by runner id (``new`` is streamed)."""
    snaps: dict[str, Snapshot] = {}
    for r in old:
        snaps[r.runner_id] = snapshot(r)
    runners, joined, seen = [], [], set()
    for r in new:
        seen.add(r.runner_id)
        s = snaps.get(r.runner_id)
        if s is None:
            joined.append(r.runner_id)
        else:
            runners.append(compare(s, r))
    left = [rid for rid in snaps if rid not in seen]
    if snaps and seen and not runners:
        raise ProgressError("no runner id appears in both files: not the same roster")
    warnings = sorted({w for r in runners for w in r.warnings if not w.startswith("goal or sex")})
    return RosterProgress(before, now, runners, joined, left, warnings)


# --------------------------------------------------------------------------- files

def _report(data: Any, where: str, catalog: Catalog | None = None) -> AnyReport:
    if isinstance(data, dict) and "error" in data and "runner_id" not in data:
        raise ProgressError(f"{where}: holds an error message, not a report")
    version = data.get("schema_version") if isinstance(data, dict) else None
    model = legacy.ReportV1 if legacy.is_v1(data) else Report
    if isinstance(version, str) and version.split(".")[0] not in ("1", "2"):
        raise ProgressError(f"{where}: report schema {version} is newer than this version of zegama reads (1.0, 2.x)")
    try:
        report = model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "report"
        raise ProgressError(f"{where}: not a zegama report ({loc}: {first['msg']}; {exc.error_count()} problem(s))") from None
    if catalog is not None and isinstance(report, Report) and report.catalog is None:
        report.catalog = catalog
    return report


def read_catalog(path: str | Path) -> Catalog | None:
    """The ``catalog.json`` a batch wrote beside its ``assessments.jsonl``, if it is there."""
    where = Path(path).with_name("catalog.json")
    try:
        return Catalog.model_validate_json(where.read_bytes())
    except (OSError, ValueError):
        return None


def iter_reports(path: str | Path) -> Iterator[AnyReport]:
    """The reports in a batch output, one JSON object a line (blank lines skipped), each with the
    batch's catalog when ``catalog.json`` sits beside the file."""
    try:
        fh = open(path, encoding="utf-8-sig")
    except FileNotFoundError:
        raise ProgressError(f"{path}: file not found") from None
    except OSError as exc:
        raise ProgressError(f"{path}: {exc.strerror}") from None
    catalog = read_catalog(path)
    with fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ProgressError(f"{path}, line {n}: not valid JSON: {exc.msg}") from None
            yield _report(data, f"{path}, line {n}", catalog)


def read_kind(path: str | Path) -> str:
    """``roster`` when the file holds several JSON objects one a line, else ``report``."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            first = ""
            for line in fh:
                if line.strip():
                    first = line
                    break
            if not first:
                raise ProgressError(f"{path}: empty file")
            if not first.lstrip().startswith("{"):
                raise ProgressError(f"{path}: not a JSON report (`zegama assess --format json`) "
                                    "nor a batch output (assessments.jsonl)")
            try:
                json.loads(first)
            except json.JSONDecodeError:
                return "report"        # an indented JSON document
            return "roster" if any(line.strip() for line in fh) else "report"
    except FileNotFoundError:
        raise ProgressError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise ProgressError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ProgressError(f"{path}: {exc.strerror}") from None


def read_report(path: str | Path) -> AnyReport:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ProgressError(f"{path}: file not found") from None
    except OSError as exc:
        raise ProgressError(f"{path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProgressError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
    return _report(data, str(path))


def compare_files(old: str | Path, new: str | Path) -> RunnerProgress | RosterProgress:
    """Two saved reports of one runner, two batch outputs of one roster, or one of each.

    With one report and one batch output, the runner is looked up in the batch output.
    """
    kinds = read_kind(old), read_kind(new)
    if kinds == ("report", "report"):
        return compare_reports(read_report(old), read_report(new))
    if kinds == ("roster", "roster"):
        return compare_rosters(iter_reports(old), iter_reports(new), str(old), str(new))
    single, many = (old, new) if kinds[0] == "report" else (new, old)
    one = read_report(single)
    match = next((r for r in iter_reports(many) if r.runner_id == one.runner_id), None)
    if match is None:
        raise ProgressError(f"{many}: runner {one.runner_id!r} (from {single}) is not in it")
    return compare_reports(one, match) if kinds[0] == "report" else compare_reports(match, one)


# --------------------------------------------------------------------------- output

def _num(x: float | None, scale: float = 1, digits: int = 0) -> str:
    return "-" if x is None else f"{x * scale:.{digits}f}"


def _fit(x: int | None) -> str:
    return "-" if x is None else str(x)


def _signed(x: float | None, scale: float = 1) -> str:
    if x is None:
        return "-"
    v = round(x * scale)
    return f"{v:+d}" if v else "0"


def _status_name(s: str) -> str:
    from .names import STATUS_NAMES

    return STATUS_NAMES.get(s, s)


def _runner_lines(p: RunnerProgress, md: bool) -> list[str]:
    from tabulate import tabulate

    from .names import PILLAR_NAMES

    fmt = "github" if md else "simple"
    who = f"{p.name} ({p.runner_id})" if p.name else p.runner_id
    h1, h2 = ("# ", "## ") if md else ("", "")
    out = [f"{h1}Progress: {who}"]
    if not md:
        out.append("=" * len(out[0]))
    else:
        out.append("")
    elig = (f"{_status_name(p.eligibility_before)} -> {_status_name(p.eligibility_now)}" if p.eligibility_changed
            else f"{_status_name(p.eligibility_now)} (unchanged)")
    out += [
        f"{p.as_of_before} -> {p.as_of_now} ({p.weeks_between:g} weeks apart)" + ("  " if md else ""),
        f"Entry profile: {elig}" + ("  " if md else ""),
        f"Profile fit: {_fit(p.fit_before)} -> {_fit(p.fit_now)} ({_signed(p.fit_change)})" + ("  " if md else ""),
        f"Gaps: {len(p.closed)} closed, {len(p.opened)} opened, {len(p.with_status('narrowed'))} narrowed, "
        f"{len(p.with_status('widened'))} widened, {len(p.with_status('unchanged'))} unchanged",
    ]
    for w in p.warnings:
        out.append(f"{'> ' if md else ''}Warning: {w}")
    if p.gaps:
        out += ["", f"{h2}Gaps closed and opened", ""]
        out.append(tabulate([[g.rule_id, g.status, _num(g.severity_before, digits=2), _num(g.severity_now, digits=2),
                              g.title if md else _short(g.title, 44)] for g in p.gaps],
                            headers=["Rule", "Change", "Before", "Now", "Gap"], tablefmt=fmt))
    out += ["", f"{h2}Pillars (gap 0-100, lower is better)", ""]
    out.append(tabulate([[PILLAR_NAMES[x.pillar], _num(x.gap_before, 100), _num(x.gap_now, 100), _signed(x.change, 100),
                          f"{x.rank_before or '-'} -> {x.rank_now or '-'}"] for x in p.pillars],
                        headers=["Pillar", "Before", "Now", "Change", "Rank"], tablefmt=fmt,
                        colalign=("left", "right", "right", "right", "left")))
    out += ["", f"{h2}Benchmarks", ""]
    if md:
        rows = [[b.label, b.before, b.now, b.delta_display or "-", b.target or "-", b.change] for b in p.benchmarks]
        out.append(tabulate(rows, headers=["Benchmark", "Before", "Now", "Diff", "Target", "Change"], tablefmt=fmt))
    else:
        rows = [[_short(b.label, 26), _cell(b.state_before, b.before), _cell(b.state_now, b.now), _short(b.target or "-", 13),
                 b.change + (f" ({b.delta_display})" if b.delta_display and b.change in ("better", "worse") else "")]
                for b in p.benchmarks]
        out.append(tabulate(rows, headers=["Benchmark", "Before", "Now", "Target", "Change"], tablefmt=fmt))
        out.append("no gap: short before, no gap found now. not shown: a saved report carries only\n"
                   "the values short of target and the tests to take.")
    out += ["", f"{h2}Traits (share of the target, 100 = met)", ""]
    out.append(tabulate([[a.label, _num(a.share), _num(b.share),
                          _signed(None if a.share is None or b.share is None else b.share - a.share)]
                         for a, b in zip(p.traits_before, p.traits_now)],
                        headers=["Trait", "Before", "Now", "Change"], tablefmt=fmt, colalign=("left", "right", "right", "right")))
    return out


_CELL = {"no_gap": "no gap", "unknown": "untested", "absent": "not shown"}


def _cell(state: str, display: str) -> str:
    return _CELL.get(state) or _short(display, 9)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _roster_lines(p: RosterProgress, md: bool) -> list[str]:
    from tabulate import tabulate

    from .names import PILLAR_NAMES

    fmt = "github" if md else "simple"
    h1, h2 = ("# ", "## ") if md else ("", "")
    fb, fn = p.fit_means()
    gc = p.gap_counts()
    out = [f"{h1}Squad progress", "" if md else "=" * 14]
    out += [
        *(_wrap(f"Before: {p.before}", md) + _wrap(f"Now:    {p.now}", md)),
        f"Runners: {len(p.runners)} in both, {len(p.joined)} joined, {len(p.left)} left" + ("  " if md else ""),
        f"Mean profile fit: {_num(fb, digits=1)} -> {_num(fn, digits=1)}" + ("  " if md else ""),
        f"Gaps: {gc.get('closed', 0)} closed, {gc.get('opened', 0)} opened, {gc.get('narrowed', 0)} narrowed, "
        f"{gc.get('widened', 0)} widened",
    ]
    for w in p.warnings:
        out.append(f"{'> ' if md else ''}Warning: {w}")
    out += ["", f"{h2}Entry profile", ""]
    out.append(tabulate([[_status_name(s), a, b] for s, (a, b) in p.eligibility_counts().items()],
                        headers=["Entry profile", "Before", "Now"], tablefmt=fmt))
    changes = [(a, b, k) for (a, b), k in sorted(p.transitions.items()) if a != b]
    for a, b, k in changes:
        out.append(f"{'- ' if md else '  '}{k} runner{'s' if k != 1 else ''}: {_status_name(a)} -> {_status_name(b)}")
    out += ["", f"{h2}Mean gap by pillar (0-100)", ""]
    out.append(tabulate([[PILLAR_NAMES[x], _num(a, 100), _num(b, 100), _signed(None if a is None or b is None else b - a, 100)]
                         for x, a, b in p.pillar_means()],
                        headers=["Pillar", "Before", "Now", "Change"], tablefmt=fmt, colalign=("left", "right", "right", "right")))
    out += ["", f"{h2}Runners", ""]
    rows = []
    for r in p.runners:
        elig = (f"{_status_name(r.eligibility_before)} ->{' ' if md else chr(10)}{_status_name(r.eligibility_now)}"
                if r.eligibility_changed else _status_name(r.eligibility_now))  # two lines fit 80 columns
        closed = ", ".join(g.rule_id for g in r.closed) or "-"
        opened = ", ".join(g.rule_id for g in r.opened) or "-"
        rows.append([r.runner_id if md else _short(r.runner_id, 16), f"{_fit(r.fit_before)} -> {_fit(r.fit_now)}",
                     closed if md else _short(closed, 20), opened if md else _short(opened, 14), elig])
    out.append(tabulate(rows, headers=["Runner", "Fit", "Closed", "Opened", "Entry profile"], tablefmt=fmt))
    if p.joined:
        out += ["", *_wrap("Joined: " + ", ".join(p.joined), md)]
    if p.left:
        out += ["", *_wrap("Left: " + ", ".join(p.left), md)]
    return out


def _wrap(text: str, md: bool) -> list[str]:
    import textwrap

    if md:
        return [text + "  "]
    return textwrap.wrap(text, 80, break_long_words=True, break_on_hyphens=False, subsequent_indent="  ")


def progress_lines(p: RunnerProgress | RosterProgress, md: bool) -> list[str]:
    """A comparison as lines of an 80-column table (or markdown with ``md``)."""
    return _runner_lines(p, md) if isinstance(p, RunnerProgress) else _roster_lines(p, md)
