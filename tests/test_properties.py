"""Invariants of the assessment, on generated profiles."""

import json

from hypothesis import assume, given, settings, strategies as st

from assessment.pipeline import assess, build_facts, run_engine, run_reference, select_edition
from assessment.model.profile import load_profile
from assessment.report.model import Report
from assessment.rules.rulebase import PILLARS
from assessment.model.units import parse_duration
from tests.conftest import AS_OF
from tests.strategies import profiles

dates = st.dates(min_value=AS_OF.replace(year=2026, month=1, day=1), max_value=AS_OF.replace(year=2027, month=5, day=16))


@settings(max_examples=60)
@given(profiles(), dates)
def test_same_input_same_report(profile, day):
    a = assess(profile, as_of=day).to_json()
    b = assess(json.loads(json.dumps(profile, default=str)), as_of=day).to_json()
    assert a == b


@settings(max_examples=80)
@given(profiles(), dates)
def test_any_valid_profile_gives_a_complete_report(profile, day):
    r = assess(profile, as_of=day)
    assert sorted(e.pillar for e in r.emphases) == sorted(PILLARS)
    # Ranked by score; equal scores share a rank (never decided by the list's order).
    assert [e.rank for e in r.emphases] == [1 + sum(x.score > e.score for x in r.emphases) for e in r.emphases]
    assert all(r.emphases[i].score >= r.emphases[i + 1].score for i in range(4))
    assert all(e.action == ("build" if e.gap > 0 else "maintain") for e in r.emphases)
    assert all(e.score >= e.base > 0 for e in r.emphases)
    # The fit is over the benchmarks measured, and only with a third of them measured.
    assert r.fit_measured == sum(b.state != "unknown" for b in r.benchmarks) and r.fit_of == len(r.benchmarks)
    assert (r.fit_score is None) == (r.fit_measured * 3 < r.fit_of)
    assert r.fit_score is None or 0 <= r.fit_score <= 100
    assert r.eligibility.status in ("eligible", "at_risk", "not_eligible")
    assert r.eligibility.lottery.applicants > 0 and r.eligibility.next_steps
    assert r.weekly_sessions and r.phase in ("base", "build", "race_specific", "taper")
    assert all(r.rule(m.rule_id).test and m.message for m in r.missing)
    assert set(r.fired_rules) == {f.rule_id for f in r.findings} | {m.rule_id for m in r.missing} | {
        x.rule_id for x in r.eligibility.reasons}
    assert [b.field for b in r.benchmarks] == list(r.catalog.benchmarks)
    assert Report.model_validate_json(r.to_json()) == r
    for f in r.findings:
        assert "unknown placeholder" not in f.message and "{" not in f.message


# benchmark -> (pillar, direction that is better, how to make it better)
BETTER = {
    "vk_time": ("uphill_power", lambda v: max(25.0, v * 0.9)),
    "uphill_test_vam": ("uphill_power", lambda v: min(2300, v * 1.15)),
    "longest_climb_m": ("uphill_power", lambda v: min(5000, v + 300)),
    "uphill_sessions_per_week": ("uphill_power", lambda v: min(14, v + 1)),
    "flat_10k_time": ("race_specificity", lambda v: max(25.0, v * 0.9)),
    "weekly_dplus_m": ("race_specificity", lambda v: min(25000, v + 1000)),
    "aet_hr": ("uphill_power", None),     # the aerobic-threshold gap (UP010)
    "longest_run_time": ("race_specificity", lambda v: min(24 * 60, v + 20)),
    "squat_1rm_kg": ("strength", lambda v: min(350, v + 15)),
    "single_leg_calf_raises": ("strength", lambda v: min(250, v + 8)),
    "cmj_cm": ("strength", lambda v: min(90, v + 4)),
    "strength_sessions_per_week": ("strength", lambda v: min(14, v + 1)),
    "downhill_confidence": ("downhill_technique", lambda v: min(5, v + 1)),
    "downhill_sessions_per_week": ("downhill_technique", lambda v: min(14, v + 1)),
    "crowd_composure": ("mental_tactical", lambda v: min(5, v + 1)),
    "pacing_discipline": ("mental_tactical", lambda v: min(5, v + 1)),
    "bad_weather_comfort": ("mental_tactical", lambda v: min(5, v + 1)),
}


def _score(report, pillar):
    return next(e.score for e in report.emphases if e.pillar == pillar)


@settings(max_examples=int(__import__("os").environ.get("MONO_EXAMPLES", "150")))
@given(profiles(), st.sampled_from(sorted(BETTER)), dates)
def test_a_better_benchmark_never_makes_its_pillar_worse(profile, field, day):
    assume(profile.get(field) is not None)
    pillar, improve = BETTER[field]
    better = dict(profile)
    value = profile[field]
    if field in ("vk_time", "flat_10k_time", "longest_run_time"):
        value = parse_duration(value)
    if field == "aet_hr":
        assume(profile.get("threshold_hr") is not None and value + 3 < profile["threshold_hr"])
        better[field] = value + 3  # closer to the anaerobic threshold
    else:
        better[field] = improve(value)
    assume(better[field] != value)
    before = assess(profile, as_of=day)
    after = assess(better, as_of=day)
    assert _score(after, pillar) <= _score(before, pillar)
    if before.fit_score is not None:  # the same benchmarks are measured, one of them better
        assert after.fit_score >= before.fit_score


@settings(max_examples=80)
@given(profiles(), dates)
def test_engine_and_plain_python_fire_the_same_rules(profile, day):
    from assessment.pipeline import default_rulebase

    rb = default_rulebase()
    p = load_profile(profile)
    facts = build_facts(rb, p, day, select_edition(rb, day))

    def key(m):
        return (m.rule_id, m.fact.get("kind"), m.fact.get("idx"), json.dumps(m.fact, sort_keys=True, default=str))

    assert sorted(map(key, run_engine(rb, facts))) == sorted(map(key, run_reference(rb, facts)))
