"""Running the examples stored beside each rule (like a linter's rule fixtures).

Every rule lists profiles that must fire it and profiles that must not; this
runs them through the real engine and reports each case that disagrees.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..model.profile import ProfileError, load_profile
from .rulebase import RuleBase

#: The date examples are assessed on when they do not give one (edition 2027, base phase).
EXAMPLES_AS_OF = dt.date(2026, 12, 1)


@dataclass(frozen=True)
class ExampleResult:
    rule_id: str
    expectation: str  # "fires" or "does_not_fire"
    index: int
    ok: bool
    detail: str


def run_examples(rb: RuleBase, rule_ids: list[str] | None = None, engine: str = "durable") -> list[ExampleResult]:
    from .edition import select_edition
    from .facts import build_facts
    from .run import run_engine, run_reference

    results = []
    for rid in sorted(rule_ids or rb.rules):
        rule = rb.rules[rid].rule
        for expectation, cases in (("fires", rule.examples.fires), ("does_not_fire", rule.examples.does_not_fire)):
            for i, case in enumerate(cases, start=1):
                try:
                    profile = load_profile(case.profile)
                except ProfileError as exc:
                    results.append(ExampleResult(rid, expectation, i, False, f"invalid example profile: {exc}"))
                    continue
                as_of = case.as_of or EXAMPLES_AS_OF
                edition = select_edition(rb, as_of)
                facts = build_facts(rb, profile, as_of, edition)
                matches = run_engine(rb, facts) if engine == "durable" else run_reference(rb, facts)
                fired = any(m.rule_id == rid for m in matches)
                ok = fired == (expectation == "fires")
                detail = "" if ok else (
                    f"expected {rid} to {'fire' if expectation == 'fires' else 'not fire'}"
                    + (f" ({case.note})" if case.note else "")
                )
                results.append(ExampleResult(rid, expectation, i, ok, detail))
    return results
