"""The assessment: profile -> facts -> rule engine -> gap report.

The only module that ties the layers together: ``model`` (the profile), ``rules``
(the pack, its facts and the engine) and ``report`` (the builder).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .estimate.finish import Estimate, EstimateError, estimate_finish as _estimate_finish  # noqa: F401
from .model.profile import Profile, load_profile
from .report.builder import build_report, build_report_data, catalog_data, report_json  # noqa: F401
from .report.model import Report
from .rules.edition import AssessmentError, Edition, parse_date, select_edition  # noqa: F401
from .rules.checks import check_profile
from .rules.facts import build_facts, finish_estimate
from .rules.rulebase import RuleBase, default_rulebase, load_rulebase  # noqa: F401
from .rules.run import run_engine, run_reference

_date = parse_date


def estimate_finish(profile: Profile | dict, *, as_of: dt.date | str | None = None, course: dict | None = None,
                    rulebase: RuleBase | str | None = None) -> Estimate:
    """A runner's finish-time estimate (on the pack's course, with its barriers, unless ``course``
    gives another as ``{"distance_km": K, "dplus_m": M}``). Raises ``EstimateError`` when nothing
    usable is given or a result is impossible, ``ProfileError`` for an invalid profile."""
    rb = rulebase if isinstance(rulebase, RuleBase) else (load_rulebase(rulebase) if rulebase else default_rulebase())
    return _estimate_finish(profile, rulebase=rb, as_of=as_of, course=course)


def _inputs(profile, as_of, rulebase, edition, race_date) -> tuple[Profile, RuleBase, dt.date, Edition, list[dict],
                                                                  Estimate | None, str | None]:
    p = load_profile(profile)
    rb = rulebase if isinstance(rulebase, RuleBase) else (load_rulebase(rulebase) if rulebase else default_rulebase())
    day = _date(as_of) or dt.date.today()
    rd = _date(race_date)
    # The same options give the same edition: resolved once, copied for each report.
    editions = rb._editions
    key = (day, edition, rd)
    ed = editions.get(key)
    if ed is None:
        if len(editions) >= 64:
            editions.clear()
        ed = editions[key] = select_edition(rb, day, edition, rd)
    ed = ed.model_copy()
    check_profile(rb, p, day)
    est, why = finish_estimate(rb, p, day)
    return p, rb, day, ed, build_facts(rb, p, day, ed, estimate=est), est, why


def assess(
    profile: Profile | dict,
    *,
    as_of: dt.date | str | None = None,
    rulebase: RuleBase | str | None = None,
    edition: int | None = None,
    race_date: dt.date | str | None = None,
    engine: str = "durable",
) -> Report:
    """Assess one runner against the Zegama profile.

    ``profile`` is a :class:`Profile` or a plain dict with the same keys;
    ``as_of`` defaults to today; ``rulebase`` is a loaded pack or a path to one.
    Raises :class:`~assessment.profile.ProfileError` for an invalid profile and
    :class:`AssessmentError` when the options do not make sense. ``engine`` is
    ``"durable"`` (the fast path), ``"durable-host"`` (the straightforward path
    through durable-rules' host: same report, slower) or ``"reference"`` (the
    rules evaluated in plain Python).
    """
    p, rb, day, ed, facts, est, why = _inputs(profile, as_of, rulebase, edition, race_date)
    if engine == "durable":
        matches = run_engine(rb, facts)
    elif engine == "durable-host":  # the straightforward path through durable-rules, for comparison
        matches = run_engine(rb, facts, via_host=True)
    elif engine == "reference":
        matches = run_reference(rb, facts)
    else:
        raise AssessmentError(f"unknown engine {engine!r}: durable, durable-host or reference")
    return build_report(rb, p, day, ed, facts, matches, estimate=est, estimate_note=why)


def assess_data(
    profile: Profile | dict,
    *,
    as_of: dt.date | str | None = None,
    rulebase: RuleBase | str | None = None,
    edition: int | None = None,
    race_date: dt.date | str | None = None,
    catalog: bool = True,
) -> dict:
    """:func:`assess` without building the report's models: the report as plain data.

    For callers that only serialise reports (a batch writing JSON lines):
    :func:`report_json` of the result is ``assess(...).to_json()``, and
    ``Report.model_validate`` of it is ``assess(...)``. ``catalog=False`` leaves
    out the catalog (write :func:`catalog_data` once instead). Parts of the data
    are shared with other results: read it, do not change it.
    """
    p, rb, day, ed, facts, est, why = _inputs(profile, as_of, rulebase, edition, race_date)
    return build_report_data(rb, p, day, ed, facts, run_engine(rb, facts), catalog=catalog, estimate=est,
                             estimate_note=why)
