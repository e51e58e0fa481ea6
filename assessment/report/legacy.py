"""Reading reports of schema 1.0 (before the catalog): what ``zegama progress`` can still compare.

A 1.0 report carries only the benchmarks that fell short (in its gap findings)
and the tests still to take, not every value. So a benchmark that was short
before and has no gap now reached its target ("no gap found"), and one the
report never mentions is "not in the report". These readers say so; 2.0
reports list every benchmark and need none of this.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..rules.edition import Edition
from .traits import BenchmarkDef, BenchmarkScore, TraitScore, group, pack_definitions, share_of_target

Pillar = Literal["uphill_power", "downhill_technique", "strength", "race_specificity", "mental_tactical"]

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceRefV1(_Model):
    title: str
    url: str


class EvidenceV1(_Model):
    """A value the rule read, as the runner gave it or as we derived it."""

    field: str
    value: Any
    display: str
    unit: str | None = None


class TargetV1(_Model):
    """What the rule compared against, and where that number comes from."""

    name: str
    value: Any
    display: str
    unit: str
    description: str
    derivation: str | None = None
    confidence: str | None = None
    sources: list[SourceRefV1]


class FindingV1(_Model):
    rule_id: str
    title: str
    pillar: str
    kind: Literal["gap", "missing", "eligibility", "info"]
    severity: float = Field(ge=0, le=1)
    severity_label: Literal["none", "minor", "moderate", "major"]
    outcome: str | None = None
    subject: str
    evidence: list[EvidenceV1]
    targets: list[TargetV1]
    message: str
    rationale: str
    prescription: str | None = None
    sources: list[SourceRefV1]


class EligibilityReasonV1(_Model):
    rule_id: str
    outcome: str
    message: str
    results_used: list[str] = Field(default_factory=list)


class RouteV1(_Model):
    id: str
    label: str
    detail: str
    applies: bool | None = None
    source: SourceRefV1


class LotteryV1(_Model):
    edition: int
    places: int
    applicants: int
    odds_pct: float
    estimated: bool
    source: SourceRefV1
    note: str


class EligibilityV1(_Model):
    status: Literal["eligible", "at_risk", "not_eligible"]
    summary: str
    reasons: list[EligibilityReasonV1]
    routes: list[RouteV1]
    lottery: LotteryV1
    next_steps: list[str]


class EmphasisPartV1(_Model):
    rule_id: str
    severity: float
    weight: float
    contribution: float


class EmphasisV1(_Model):
    rank: int
    pillar: Pillar
    score: float
    gap: float = Field(ge=0, le=1)
    phase_weight: float
    breakdown: list[EmphasisPartV1]


class MissingTestV1(_Model):
    field: str
    rule_id: str
    pillar: str
    test: str


class SessionSlotV1(_Model):
    pillar: str
    session: str
    per_week: float
    focus: bool


class PackInfoV1(_Model):
    name: str
    version: str
    digest: str


class ReportV1(_Model):
    """A runner's gap report against the Zegama profile."""

    schema_version: Literal["1.0"]
    pack: PackInfoV1
    runner_id: str
    name: str | None
    as_of: dt.date
    edition: Edition
    weeks_to_race: float
    phase: Literal["base", "build", "race_specific", "taper"]
    goal: str
    sex: str | None
    targets_note: str | None = None
    fit_score: int = Field(ge=0, le=100)
    tags: list[str]
    eligibility: EligibilityV1
    findings: list[FindingV1]
    emphases: list[EmphasisV1]
    missing: list[MissingTestV1]
    weekly_sessions: list[SessionSlotV1]
    fired_rules: list[str]

    def top_emphases(self, n: int = 3) -> list[str]:
        return [e.pillar for e in self.emphases[:n]]


# --------------------------------------------------------------------------- what a 1.0 report tells

def benchmark_values(report: ReportV1, defs: list[BenchmarkDef] | None = None) -> dict[str, tuple]:
    """Each benchmark a 1.0 report speaks of, as ``(state, value, display, target, target_display, rule_id)``:
    short of target (a gap finding), shown (met), or unknown (a test to take)."""
    known = {d.field for d in (defs or pack_definitions())}
    out: dict[str, tuple] = {}
    runner = [f for f in report.findings if f.subject == "runner"]
    for f in runner:
        if f.kind == "gap" and f.evidence and f.evidence[0].value is not None and f.targets:
            ev, tgt = f.evidence[0], f.targets[0]
            out.setdefault(ev.field, ("below", ev.value, ev.display, tgt.value, tgt.display, f.rule_id))
    for f in runner:
        for ev in f.evidence:
            if ev.value is None and (f.kind == "missing" or ev.field in known):
                out.setdefault(ev.field, ("unknown", None, "not measured", None, "", f.rule_id))
    for m in report.missing:
        out.setdefault(m.field, ("unknown", None, "not measured", None, "", m.rule_id))
    for f in runner:
        for ev in f.evidence:
            if ev.field in known and ev.value is not None:
                out.setdefault(ev.field, ("met", ev.value, ev.display, None, "", None))
    return out


def traits(report: ReportV1, measured: set[str] | frozenset[str] = frozenset()) -> list[TraitScore]:
    """Trait scores from a 1.0 report: *below* when a gap finding carries the benchmark, *unknown*
    when a test to take reads one of its inputs, *met* when another finding shows its value, *no gap
    found* when ``measured`` says it was measured (e.g. the earlier report showed it) and no rule
    found a gap; otherwise the report says nothing about it and it is unknown."""
    defs = pack_definitions()
    gaps: dict[tuple[str, str], tuple[Any, Any]] = {}
    known: dict[str, Any] = {}
    unknown: set[str] = {m.field for m in report.missing}
    for f in report.findings:
        if f.subject != "runner":
            continue
        for ev in f.evidence:
            if ev.value is None:
                unknown.add(ev.field)
            else:
                known.setdefault(ev.field, ev)
        if f.kind == "gap" and f.evidence:
            for tgt in f.targets:
                gaps.setdefault((f.evidence[0].field, tgt.name), (f, tgt))
    scores: dict[str, BenchmarkScore] = {}
    for d in defs:
        inputs = d.inputs or (d.field,)
        if (d.field, d.target) in gaps:
            f, tgt = gaps[(d.field, d.target)]
            ev = f.evidence[0]
            share = share_of_target(float(ev.value), float(tgt.value), d.better)
            scores[d.field] = BenchmarkScore(d.field, d.label, "below" if share < 100 else "met", share,
                                             ev.value, ev.display, tgt.display, f.rule_id)
        elif d.field in unknown or any(i in unknown for i in inputs):
            scores[d.field] = BenchmarkScore(d.field, d.label, "unknown", None, None, "not measured")
        elif d.field in known:
            ev = known[d.field]
            scores[d.field] = BenchmarkScore(d.field, d.label, "met", 100.0, ev.value, ev.display)
        elif d.field in measured or (d.inputs and all(i in measured for i in d.inputs)):
            scores[d.field] = BenchmarkScore(d.field, d.label, "no_gap", 100.0, None, "no gap found")
        else:
            scores[d.field] = BenchmarkScore(d.field, d.label, "unknown", None, None, "not in the report")
    return group(defs, scores)


def is_v1(data: Any) -> bool:
    return isinstance(data, dict) and data.get("schema_version") == "1.0"
