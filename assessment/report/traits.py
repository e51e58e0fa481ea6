"""The runner as six traits against the Zegama target for their goal.

Each trait (uphill power, steep hiking, descending, strength, sustained
intensity, composure) is read from a few benchmarks. A benchmark scores its
share of the target, capped at 100: 100 means the target is met, 80 means the
runner is 20% short (for times and the threshold gap, where lower is better,
the share is target / value). A trait is the mean of its known benchmarks;
with none known it is unknown, never zero.

Two ways to read the benchmarks:

- from the profile (exact): the runner fact the engine saw and the pack's
  targets for the runner's goal, sex and age;
- from a saved report alone (``progress`` compares saved reports): a gap
  finding carries the value and the target, a test to take marks its
  benchmarks unknown; what the report does not mention is unknown, unless the
  caller knows it was measured (then no gap was found).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .model import Report

State = Literal["below", "met", "no_gap", "unknown"]


@dataclass(frozen=True)
class Benchmark:
    field: str           # the fact the pack's gap rule compares
    label: str
    target: str          # the pack parameter it is compared against
    better: Literal["higher", "lower"]
    inputs: tuple[str, ...] = ()   # profile fields it is computed from, when derived


@dataclass(frozen=True)
class Trait:
    key: str
    label: str
    benchmarks: tuple[Benchmark, ...]


TRAITS: tuple[Trait, ...] = (
    Trait("uphill_power", "Uphill power", (
        Benchmark("vk_time", "Vertical-km time", "vk_time", "lower"),
        Benchmark("uphill_test_vam", "Uphill test (m/h)", "uphill_test_vam", "higher"),
    )),
    Trait("steep_hiking", "Steep hiking", (
        Benchmark("longest_climb_m", "Longest climb (m)", "min_longest_climb_m", "higher"),
        Benchmark("weekly_dplus_per_km", "Climbing per km run (m/km)", "min_weekly_dplus_per_km", "higher",
                  ("weekly_dplus_m", "weekly_km")),
    )),
    Trait("descending", "Descending", (
        Benchmark("downhill_confidence", "Downhill confidence (1-5)", "min_downhill_confidence", "higher"),
    )),
    Trait("strength", "Strength", (
        Benchmark("squat_relative", "Squat 1RM (x body mass)", "min_squat_relative", "higher",
                  ("squat_1rm_kg", "body_mass_kg")),
        Benchmark("single_leg_calf_raises", "Single-leg heel raises", "min_calf_raises", "higher"),
        Benchmark("cmj_cm", "Countermovement jump (cm)", "min_cmj_cm", "higher"),
    )),
    Trait("sustained_intensity", "Sustained intensity", (
        Benchmark("aet_ant_gap_pct", "AeT-AnT HR gap (%)", "max_aet_ant_gap_pct", "lower",
                  ("aet_hr", "threshold_hr")),
        Benchmark("flat_10k_time", "Flat 10K time", "flat_10k_time", "lower"),
    )),
    Trait("composure", "Composure", (
        Benchmark("crowd_composure", "Crowd composure (1-5)", "min_mental_rating", "higher"),
        Benchmark("pacing_discipline", "Pacing discipline (1-5)", "min_mental_rating", "higher"),
        Benchmark("bad_weather_comfort", "Bad-weather comfort (1-5)", "min_mental_rating", "higher"),
    )),
)

STATE_LABELS = {
    "below": "below target",
    "met": "target met",
    "no_gap": "no gap found",
    "unknown": "unknown",
}


@dataclass
class BenchmarkScore:
    field: str
    label: str
    state: State
    share: float | None
    value: Any = None
    value_display: str = ""
    target_display: str = ""
    rule_id: str | None = None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass
class TraitScore:
    key: str
    label: str
    share: float | None
    benchmarks: list[BenchmarkScore] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return self.share is not None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for b in d["benchmarks"]:
            b.pop("value", None)
        return d


def share_of_target(value: float, target: float, better: str) -> float:
    """0-100: how much of the target the value reaches (100 when met or beaten)."""
    if better == "higher":
        if value >= target:
            return 100.0
        return round(100 * max(value, 0) / target, 1) if target else 100.0
    if value <= target:
        return 100.0
    return round(100 * target / value, 1) if value else 100.0


def _mean(shares: list[float]) -> float | None:
    return round(sum(shares) / len(shares), 1) if shares else None


def _trait(t: Trait, scores: list[BenchmarkScore]) -> TraitScore:
    return TraitScore(t.key, t.label, _mean([s.share for s in scores if s.share is not None]), scores)


# --------------------------------------------------------------------------- from a profile

def traits_from_profile(report: Report, profile: Any, rulebase: Any = None) -> list[TraitScore]:
    """Exact trait scores: the profile's values against the pack's targets for this runner."""
    from ..rules.facts import build_facts
    from ..rules.rulebase import default_rulebase
    from ..model.profile import load_profile
    from ..rules.rulebase import format_value

    p = load_profile(profile)
    rb = rulebase or default_rulebase()
    fact = build_facts(rb, p, report.as_of, report.edition)[0]  # the runner fact assess() saw
    gap_rules = _gap_rule_ids(report)
    out = []
    for t in TRAITS:
        scores = []
        for b in t.benchmarks:
            value = fact.get(b.field)
            target = fact.get(f"target_{b.target}")
            target_display = rb.format_param(b.target, target) if b.target in rb.parameters else ""
            if value is None or target is None:
                scores.append(BenchmarkScore(b.field, b.label, "unknown", None, None, "unknown", target_display))
                continue
            share = share_of_target(value, target, b.better)
            scores.append(BenchmarkScore(
                b.field, b.label, "met" if share >= 100 else "below", share, value,
                format_value(b.field, value), target_display, gap_rules.get((b.field, b.target)),
            ))
        out.append(_trait(t, scores))
    return out


def _gap_rule_ids(report: Report) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for f in report.findings:
        if f.kind == "gap" and f.evidence:
            for tgt in f.targets:
                out.setdefault((f.evidence[0].field, tgt.name), f.rule_id)
    return out


# --------------------------------------------------------------------------- from a report alone

def measured_fields(report: Report) -> set[str]:
    """Benchmarks a report shows a value for (in a gap or any other finding)."""
    out = set()
    for f in report.findings:
        if f.subject == "runner":
            out.update(ev.field for ev in f.evidence if ev.value is not None)
    return out


def traits_from_report(report: Report, measured: set[str] | frozenset[str] = frozenset()) -> list[TraitScore]:
    """Trait scores from a saved report, without the profile.

    A report carries the values that fell short (in gap findings) and the
    tests to take, not every value. So a benchmark is *below* when a gap
    finding carries it, *unknown* when a test to take reads one of its inputs,
    *met* when another finding shows its value, and *no gap found* when
    ``measured`` says it was measured (e.g. the earlier report of the same
    runner showed it) and no rule found a gap. Otherwise the report says
    nothing about it and it is unknown.
    """
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

    out = []
    for t in TRAITS:
        scores = []
        for b in t.benchmarks:
            inputs = b.inputs or (b.field,)
            if (b.field, b.target) in gaps:
                f, tgt = gaps[(b.field, b.target)]
                ev = f.evidence[0]
                share = share_of_target(float(ev.value), float(tgt.value), b.better)
                scores.append(BenchmarkScore(b.field, b.label, "below" if share < 100 else "met", share,
                                             ev.value, ev.display, tgt.display, f.rule_id))
            elif b.field in unknown or any(i in unknown for i in inputs):
                scores.append(BenchmarkScore(b.field, b.label, "unknown", None, None, "not measured"))
            elif b.field in known:
                ev = known[b.field]
                scores.append(BenchmarkScore(b.field, b.label, "met", 100.0, ev.value, ev.display))
            elif b.field in measured or (b.inputs and all(i in measured for i in b.inputs)):
                scores.append(BenchmarkScore(b.field, b.label, "no_gap", 100.0, None, "no gap found"))
            else:
                scores.append(BenchmarkScore(b.field, b.label, "unknown", None, None, "not in the report"))
        out.append(_trait(t, scores))
    return out


def trait_scores(report: Report, profile: Any = None, rulebase: Any = None) -> list[TraitScore]:
    """Exact from the profile when given, otherwise read from the report."""
    if profile is not None:
        return traits_from_profile(report, profile, rulebase)
    return traits_from_report(report)
