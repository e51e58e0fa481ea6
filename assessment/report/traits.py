"""The runner as six traits against the Zegama target for their goal.

Each trait (uphill power, steep hiking, descending, strength, sustained
intensity, composure) groups a few of the pack's benchmarks
(``benchmarks.yaml``). A benchmark scores its share of the target, capped at
100: 100 means the target is met, 80 means the runner is 20% short (for times
and the threshold gap, where lower is better, the share is target / value). A
trait is the mean of its known benchmarks; with none known it is unknown,
never zero. A 2.0 report lists every benchmark, so the traits read from a saved
report are exact.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .builder import share_of_target  # noqa: F401  (one definition, used by the builder and here)
from .model import Report

State = Literal["below", "met", "no_gap", "unknown"]

STATE_LABELS = {
    "below": "below target",
    "met": "target met",
    "no_gap": "no gap found",
    "unknown": "unknown",
}


@dataclass(frozen=True)
class BenchmarkDef:
    """What the traits need of a benchmark's definition (from a catalog or a pack)."""

    field: str
    label: str
    trait: str
    trait_label: str
    better: Literal["higher", "lower"]
    target: str
    inputs: tuple[str, ...] = ()


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


def pack_definitions(rulebase: Any = None) -> list[BenchmarkDef]:
    """The benchmarks of a pack (default: the built-in one), in its order."""
    from ..rules.rulebase import default_rulebase

    rb = rulebase or default_rulebase()
    return [BenchmarkDef(b.field, b.label, b.trait, rb.traits.get(b.trait, b.trait), b.better, b.target, tuple(b.inputs))
            for b in rb.benchmarks]


def report_definitions(report: Report) -> list[BenchmarkDef]:
    """The benchmark definitions a report cites: its catalog's, else the built-in pack's."""
    if report.catalog is not None and report.catalog.benchmarks:
        return [BenchmarkDef(f, b.label, b.trait, b.trait_label, b.better, b.target)
                for f, b in report.catalog.benchmarks.items()]
    return pack_definitions()


def _mean(shares: list[float]) -> float | None:
    return round(sum(shares) / len(shares), 1) if shares else None


def group(defs: list[BenchmarkDef], scores: dict[str, BenchmarkScore]) -> list[TraitScore]:
    """Benchmark scores grouped into the traits, in the definitions' order."""
    traits: dict[str, TraitScore] = {}
    for d in defs:
        t = traits.setdefault(d.trait, TraitScore(d.trait, d.trait_label, None))
        s = scores.get(d.field) or BenchmarkScore(d.field, d.label, "unknown", None, None, "unknown")
        t.benchmarks.append(s)
    for t in traits.values():
        t.share = _mean([b.share for b in t.benchmarks if b.share is not None])
    return list(traits.values())


def trait_scores(report: Report, profile: Any = None, rulebase: Any = None) -> list[TraitScore]:
    """The six traits from a report's benchmarks (``profile`` and ``rulebase`` are no longer needed)."""
    defs = report_definitions(report)
    labels = {d.field: d.label for d in defs}
    scores = {}
    for b in report.benchmarks:
        scores[b.field] = BenchmarkScore(
            b.field, labels.get(b.field, b.field), b.state, b.share if b.state != "unknown" else None, b.value,
            b.shown, b.target_display or "", b.rule_id,
        )
    return group(defs, scores)
