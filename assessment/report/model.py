"""The gap report: what ``assess`` returns, JSON-serialisable and versioned.

``SCHEMA_VERSION`` changes whenever the JSON shape changes; a snapshot test of
the JSON Schema fails until it is bumped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..rules.edition import Edition

SCHEMA_VERSION = "1.0"

Pillar = Literal["uphill_power", "downhill_technique", "strength", "race_specificity", "mental_tactical"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceRef(_Model):
    title: str
    url: str


class Evidence(_Model):
    """A value the rule read, as the runner gave it or as we derived it."""

    field: str
    value: Any
    display: str
    unit: str | None = None


class Target(_Model):
    """What the rule compared against, and where that number comes from."""

    name: str
    value: Any
    display: str
    unit: str
    description: str
    derivation: str | None = None
    confidence: str | None = None
    sources: list[SourceRef]


class Finding(_Model):
    rule_id: str
    title: str
    pillar: str
    kind: Literal["gap", "missing", "eligibility", "info"]
    severity: float = Field(ge=0, le=1)
    severity_label: Literal["none", "minor", "moderate", "major"]
    outcome: str | None = None
    subject: str
    evidence: list[Evidence]
    targets: list[Target]
    message: str
    rationale: str
    prescription: str | None = None
    sources: list[SourceRef]


class EligibilityReason(_Model):
    rule_id: str
    outcome: str
    message: str
    results_used: list[str] = Field(default_factory=list)


class Route(_Model):
    id: str
    label: str
    detail: str
    applies: bool | None = None
    source: SourceRef


class Lottery(_Model):
    edition: int
    places: int
    applicants: int
    odds_pct: float
    estimated: bool
    source: SourceRef
    note: str


class Eligibility(_Model):
    status: Literal["eligible", "at_risk", "not_eligible"]
    summary: str
    reasons: list[EligibilityReason]
    routes: list[Route]
    lottery: Lottery
    next_steps: list[str]


class EmphasisPart(_Model):
    rule_id: str
    severity: float
    weight: float
    contribution: float


class Emphasis(_Model):
    rank: int
    pillar: Pillar
    score: float
    gap: float = Field(ge=0, le=1)
    phase_weight: float
    breakdown: list[EmphasisPart]


class MissingTest(_Model):
    field: str
    rule_id: str
    pillar: str
    test: str


class SessionSlot(_Model):
    pillar: str
    session: str
    per_week: float
    focus: bool


class PackInfo(_Model):
    name: str
    version: str
    digest: str


class Report(_Model):
    """A runner's gap report against the Zegama profile."""

    schema_version: str = SCHEMA_VERSION
    pack: PackInfo
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
    eligibility: Eligibility
    findings: list[Finding]
    emphases: list[Emphasis]
    missing: list[MissingTest]
    weekly_sessions: list[SessionSlot]
    fired_rules: list[str]

    def top_emphases(self, n: int = 3) -> list[str]:
        return [e.pillar for e in self.emphases[:n]]
