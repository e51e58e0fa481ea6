"""A runner's assessments over time: the traits, benchmarks and training pillars' gaps at each re-test, as tables and SVG charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..report import charts
from ..report.model import Report
from ..report.names import PILLAR_NAMES
from ..rules.rulebase import PILLARS
from ..report.traits import trait_scores


@dataclass
class Trend:
    dates: list[dt.date]
    fit: list[float | None]
    traits: list[tuple[str, list[float | None]]]
    benchmarks: list[tuple[str, list[float | None]]]
    pillars: list[tuple[str, list[float | None]]]

    def trait_chart(self) -> str:
        return charts.trend(self.dates, [("Profile fit", self.fit), *self.traits], "trend-traits",
                            "Profile fit and traits at each assessment")

    def benchmark_chart(self) -> str:
        known = [(label, values) for label, values in self.benchmarks if any(v is not None for v in values)]
        return charts.trend(self.dates, known, "trend-benchmarks", "Benchmarks at each assessment")

    def pillar_chart(self) -> str:
        return charts.trend(self.dates, self.pillars, "trend-pillars", "The gap in each training pillar at each assessment",
                            ylabel="gap (0 = none, 100 = the largest)", reference=None)


def trend(reports: list[Report]) -> Trend:
    """The series across ``reports`` (oldest first); a value not measured at a test is None."""
    dates = [r.as_of for r in reports]
    fit = [None if r.fit_score is None else float(r.fit_score) for r in reports]
    traits: dict[str, tuple[str, list]] = {}
    benches: dict[str, tuple[str, list]] = {}
    for n, r in enumerate(reports):
        for t in trait_scores(r):
            traits.setdefault(t.key, (t.label, [None] * len(reports)))[1][n] = t.share
            for b in t.benchmarks:
                benches.setdefault(b.field, (b.label, [None] * len(reports)))[1][n] = b.share
    pillars: dict[str, list] = {p: [None] * len(reports) for p in PILLARS}
    for n, r in enumerate(reports):
        for e in r.emphases:
            pillars.setdefault(e.pillar, [None] * len(reports))[n] = round(100 * e.gap, 1)
    return Trend(dates, fit, list(traits.values()), list(benches.values()),
                 [(PILLAR_NAMES.get(p, p), values) for p, values in pillars.items()])
