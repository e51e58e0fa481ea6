"""The gap report: what ``assess`` returns, JSON-serialisable and versioned.

A report holds what is particular to one runner: the values the rules read, the
targets they were compared with, the messages, the ranking, the entry verdict.
What every report of a pack shares (each rule's title, rationale and sources;
each target's description, derivation and sources; the entry routes; the
benchmarks) is described once, in its ``catalog``, and cited by key, as SARIF
cites rules from its results. ``zegama assess --format json`` writes the report
with the catalog entries it cites; a batch writes one report per line without
them and the pack's whole catalog once, in ``catalog.json``.

Values that are unknown are left out of the JSON (``null`` and absent mean the
same: unknown). ``SCHEMA_VERSION`` changes whenever the JSON shape changes; a
snapshot test of the JSON Schema fails until it is bumped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..rules.edition import Edition
from ..rules.rulebase import week_of

SCHEMA_VERSION = "2.2"

Pillar = Literal["uphill_power", "downhill_technique", "strength", "race_specificity", "mental_tactical"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- the catalog (shared by reports)

class SourceRef(_Model):
    title: str
    url: str


class RuleInfo(_Model):
    """What a rule says whoever the runner is."""

    title: str
    pillar: str
    kind: Literal["gap", "missing", "eligibility", "info"]
    weight: float = 1.0
    rationale: str
    prescription: str | None = None
    test: str | None = None
    sources: list[str]


class TargetInfo(_Model):
    """Where a target comes from: what it measures, its unit, its derivation and sources."""

    description: str
    unit: str
    derivation: str | None = None
    confidence: str | None = None
    sources: list[str]
    #: The test's measurement error, in percent: a value closer than this to the target is not a gap.
    tolerance_pct: float | None = None
    tolerance_derivation: str | None = None


class RouteInfo(_Model):
    short: str
    label: str
    detail: str
    source: str


class BenchmarkInfo(_Model):
    label: str
    unit: str | None = None
    target: str
    better: Literal["lower", "higher"]
    trait: str
    trait_label: str


class EstimateInfo(_Model):
    """How the finish-time estimate is made (the same for every runner of a pack)."""

    method: str
    barrier_models: dict[str, str] = Field(default_factory=dict)   # barrier name -> how its arrival follows
    sources: list[str] = Field(default_factory=list)


class Catalog(_Model):
    """The pack's shared descriptions, by key: only those a report cites, or all of them."""

    rules: dict[str, RuleInfo] = Field(default_factory=dict)
    targets: dict[str, TargetInfo] = Field(default_factory=dict)
    routes: dict[str, RouteInfo] = Field(default_factory=dict)
    benchmarks: dict[str, BenchmarkInfo] = Field(default_factory=dict)
    sessions: dict[str, dict[str, str]] = Field(default_factory=dict)   # phase (or final_weeks) -> pillar -> session
    sources: dict[str, SourceRef] = Field(default_factory=dict)
    estimate: EstimateInfo | None = None


# --------------------------------------------------------------------------- the runner's report

def _reads(value: Any, display: str | None) -> str:
    if display is not None:
        return display
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


class Evidence(_Model):
    """A value the rule read, as the runner gave it or as we derived it.

    ``display`` is how it reads when that is not just the number (``46:30`` for
    46.5 minutes, ``yes``, ``top 15%``); :attr:`shown` is what to print either way.
    """

    field: str
    value: Any = None
    display: str | None = None
    unit: str | None = None
    #: Where the value came from when the runner did not type it (``zegama import``: the activities and the method).
    source: str | None = None

    @property
    def shown(self) -> str:
        return _reads(self.value, self.display)


class TargetValue(_Model):
    """The target a rule compared against, for this runner (its description is in the catalog)."""

    name: str
    value: Any = None
    display: str | None = None

    @property
    def shown(self) -> str:
        return _reads(self.value, self.display)


class Finding(_Model):
    """A gap (something short of target) or a note, from one rule on one fact."""

    rule_id: str
    pillar: str
    kind: Literal["gap", "info"]
    severity: float = Field(ge=0, le=1)
    severity_label: Literal["none", "minor", "moderate", "major"]
    outcome: str | None = None
    subject: str | None = None        # the race it is about ("race 2: ..."); none: the runner
    evidence: list[Evidence] = Field(default_factory=list)
    targets: list[TargetValue] = Field(default_factory=list)
    message: str
    prescription: str | None = None   # only when it is not the catalog's (see Report.prescription)


class Benchmark(_Model):
    """One benchmark of the pack for this runner: its value against its target (unknown: not measured)."""

    field: str
    state: Literal["met", "below", "unknown"]
    value: Any = None
    display: str | None = None
    target: Any = None
    target_display: str | None = None
    share: float | None = Field(default=None, ge=0, le=100)
    rule_id: str | None = None

    @property
    def shown(self) -> str:
        return _reads(self.value, self.display) if self.state != "unknown" else "unknown"


class EligibilityReason(_Model):
    """An entry rule that fired (entry rules are reported here, not among the findings)."""

    rule_id: str
    outcome: str
    message: str
    results_used: list[str] = Field(default_factory=list)
    targets: list[TargetValue] = Field(default_factory=list)


class Route(_Model):
    id: str
    applies: bool | None = None


class Lottery(_Model):
    """The draw: its headline odds, and the runner's with their tickets (unknown when the numbers are)."""

    edition: int
    places: int | None = None
    applicants: int | None = None
    tickets: int = Field(ge=1)
    headline_pct: float | None = None   # places / applicants, one ticket each
    odds_pct: float | None = None       # this runner's chance with their tickets, at the average tickets held
    odds_low_pct: float | None = None   # ... if applicants hold one ticket more on average
    odds_high_pct: float | None = None  # ... one ticket fewer
    estimated: bool
    source: str
    note: str


class Eligibility(_Model):
    status: Literal["eligible", "at_risk", "not_eligible"]
    summary: str
    reasons: list[EligibilityReason] = Field(default_factory=list)
    routes: list[Route]
    lottery: Lottery
    next_steps: list[str]


class EmphasisPart(_Model):
    """A finding's part of its pillar's gap (its severity x its rule's weight, as an independent shortfall)."""

    rule_id: str
    contribution: float


class Emphasis(_Model):
    """A pillar's place in the phase: ``score = 100 x demand x (maintenance + (1 - maintenance) x gap)``.

    Equal scores share a rank. ``action``: ``build`` where there is a gap, ``maintain`` where there is none.
    """

    rank: int
    pillar: Pillar
    score: float
    gap: float = Field(ge=0, le=1)
    demand: float = Field(gt=0, le=1)
    base: float = Field(ge=0)            # the score with no gap: what the phase asks whatever the runner
    action: Literal["build", "maintain"]
    breakdown: list[EmphasisPart] = Field(default_factory=list)

    def points(self, part: EmphasisPart) -> float:
        """A finding's points of the score: its share of the gap, of what the gap adds to the base."""
        return (self.score - self.base) * part.contribution / self.gap if self.gap else 0.0


class MissingTest(_Model):
    """A benchmark we do not know: a test to take (how: the rule's ``test`` in the catalog).

    It counts as a gap of ``severity`` in its pillar until measured."""

    rule_id: str
    field: str
    pillar: str
    severity: float = Field(ge=0, le=1)
    message: str


class SessionSlot(_Model):
    """A session of the phase's suggested week (its description: ``Report.session``)."""

    pillar: str
    per_week: float
    focus: bool


class EstimateBand(_Model):
    low: float   # minutes
    mid: float
    high: float


class EstimateFinish(EstimateBand):
    interval: float
    display: str


class EstimateBarrier(_Model):
    name: str
    km: float
    cutoff_min: float
    arrival: EstimateBand
    pass_probability: float = Field(ge=0, le=1)


class EstimateInput(_Model):
    kind: str
    label: str
    weight: float


class ReportEstimate(_Model):
    """The finish-time estimate from the runner's own results (``zegama estimate``); method in the catalog."""

    finish: EstimateFinish
    barriers: list[EstimateBarrier] = Field(default_factory=list)
    inputs: list[EstimateInput] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def barrier(self, name: str) -> EstimateBarrier | None:
        return next((b for b in self.barriers if b.name == name), None)


class PackInfo(_Model):
    name: str
    version: str
    digest: str


class Report(_Model):
    """A runner's gap report against the Zegama profile."""

    schema_version: str = SCHEMA_VERSION
    pack: PackInfo
    runner_id: str
    name: str | None = None
    as_of: dt.date
    edition: Edition
    weeks_to_race: float
    phase: Literal["base", "build", "race_specific", "taper"]
    goal: str
    goal_time: float | None = None      # minutes: the time every goal target follows
    goal_time_given: bool = False       # the runner's own goal time, not the goal level's
    sex: str | None = None
    targets_note: str | None = None
    fit_score: int | None = Field(default=None, ge=0, le=100)   # over the benchmarks measured; none measured: unknown
    fit_measured: int = Field(default=0, ge=0)
    fit_of: int = Field(default=0, ge=0)
    tags: list[str] = Field(default_factory=list)
    eligibility: Eligibility
    findings: list[Finding] = Field(default_factory=list)
    benchmarks: list[Benchmark] = Field(default_factory=list)
    emphases: list[Emphasis]
    missing: list[MissingTest] = Field(default_factory=list)
    weekly_sessions: list[SessionSlot]
    estimate: ReportEstimate | None = None
    estimate_note: str | None = None    # why there is no estimate
    fired_rules: list[str] = Field(default_factory=list)
    catalog: Catalog | None = None

    def top_emphases(self, n: int = 3) -> list[str]:
        return [e.pillar for e in self.emphases[:n]]

    def to_json(self, *, catalog: bool = True, **kw: Any) -> str:
        """The JSON a report is written as: unknown values left out; ``catalog=False`` as a batch line."""
        return self.model_dump_json(exclude_none=True, exclude=None if catalog else {"catalog"}, **kw)

    # The catalog, looked up; renderings go through these.
    def _cat(self) -> Catalog:
        if self.catalog is None:
            raise LookupError("this report carries no catalog (a batch line): read it with its catalog.json")
        return self.catalog

    def rule(self, rule_id: str) -> RuleInfo:
        return self._cat().rules[rule_id]

    def target_info(self, name: str) -> TargetInfo:
        return self._cat().targets[name]

    def source(self, key: str) -> SourceRef:
        return self._cat().sources[key]

    def route_info(self, route_id: str) -> RouteInfo:
        return self._cat().routes[route_id]

    def benchmark_info(self, field: str) -> BenchmarkInfo:
        return self._cat().benchmarks[field]

    def session(self, slot: SessionSlot) -> str:
        sessions = self._cat().sessions
        return (sessions.get(self.week) or sessions[self.phase])[slot.pillar]

    @property
    def week(self) -> str:
        """Which week the suggested sessions are for: the phase, or ``final_weeks`` (the pack's)."""
        week = week_of(self.phase, self.weeks_to_race)
        return week if self.catalog is None or week in self.catalog.sessions else self.phase

    def prescription(self, finding: Finding) -> str | None:
        """What to train for a finding: its own, else its rule's."""
        if finding.prescription is not None:
            return finding.prescription
        return self.rule(finding.rule_id).prescription if self.catalog is not None else None
