"""The assessment: profile -> facts -> rule engine -> gap report."""

from __future__ import annotations

import datetime as dt
import os
import threading
from typing import Any

from . import derive
from .compiler import compile_rules, derivations, ruleset_name
from .conditions import evaluate
from .engine import Match, get_engine
from .facts import race_facts, runner_fact
from .profile import Profile, load_profile
from .report import Edition, Report
from .rulebase import RuleBase, load_rulebase
from .report_builder import (  # noqa: F401  (re-exported: the pipeline is the entry point)
    _kit,
    build_report,
    build_report_data,
    build_report_plain,
    report_json,
)


class AssessmentError(ValueError):
    """The assessment cannot run with these options (e.g. no edition data for the date)."""


_default_lock = threading.Lock()
_default_rb: RuleBase | None = None


def default_rulebase() -> RuleBase:
    """The built-in pack, loaded once per process."""
    global _default_rb
    with _default_lock:
        if _default_rb is None:
            _default_rb = load_rulebase()
        return _default_rb


# --------------------------------------------------------------------------- edition

def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def select_edition(
    rb: RuleBase, as_of: dt.date, year: int | None = None, race_date: dt.date | None = None
) -> Edition:
    """The target edition: ``year`` if given, else the next one on or after ``as_of``."""
    editions = rb.race.get("editions") or {}
    known = sorted(int(y) for y in editions)
    if year is None:
        for y in known:
            d = _date(editions[y]["race_date"]["value"])
            if d >= as_of:
                year = y
                break
        if year is None and race_date is not None:
            year = race_date.year
        if year is None:
            raise AssessmentError(
                f"no edition on or after {as_of} in the race data (known: {', '.join(map(str, known))}); "
                "pass --race-date to set one"
            )
    data = editions.get(year) or editions.get(str(year))
    if data is None and race_date is None:
        raise AssessmentError(f"no data for edition {year} (known: {', '.join(map(str, known))}); pass --race-date")
    data = data or (editions[known[-1]] if known else {})
    rd = race_date or _date(data["race_date"]["value"])
    if rd < as_of:
        raise AssessmentError(f"edition {year} ran on {rd}, before the assessment date {as_of}")
    pre = data.get("preregistration") or {}
    return Edition(
        year=year,
        race_date=rd,
        estimated=bool(data.get("estimated")) and race_date is None,
        overridden=race_date is not None,
        preregistration_opens=_date(pre.get("opens")),
        preregistration_closes=_date(pre.get("closes")),
        draw=_date((data.get("draw") or {}).get("value")),
        note=data.get("note"),
    )


# --------------------------------------------------------------------------- facts

def runner_dims(profile: Profile) -> dict[str, Any]:
    return {"goal": profile.goal, "sex": profile.sex, "age_band": derive.age_band(profile.age)}


def build_facts(rb: RuleBase, profile: Profile, as_of: dt.date, edition: Edition) -> list[dict]:
    """All facts of one assessment: the runner first, then one per race."""
    races = race_facts(profile, edition.year, as_of, rb.constant)
    targets = _kit(rb).targets_for(runner_dims(profile))
    weeks = derive.weeks_between(as_of, edition.race_date)
    return [runner_fact(profile, races, weeks, targets, rb.constant("ultra_min_km_effort")), *races]


# --------------------------------------------------------------------------- engine

_registered: set[str] = set()
_reg_lock = threading.Lock()


def _forget_registrations() -> None:
    # A forked child gets a fresh engine (see engine.py) with nothing registered,
    # and a fresh lock (another thread of the parent may have held it).
    global _registered, _reg_lock
    _registered = set()
    _reg_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_registrations)


_fields_cache: dict[str, dict[str, frozenset[str]]] = {}


def engine_fields(rb: RuleBase) -> dict[str, frozenset[str]]:
    """The fields the engine needs per fact kind: what conditions read and rules copy."""
    key = rb.digest
    if key not in _fields_cache:
        needed: dict[str, set[str]] = {}
        for cr in rb.rules.values():
            kind = needed.setdefault(cr.rule.fact, {"kind"})
            kind.update(cr.fields)
            kind.update(f"target_{p}" for p in cr.params if rb.parameters[p].by)
            if cr.rule.asserts is not None:
                kind.update(cr.rule.asserts.copy_fields)
        _fields_cache[key] = {k: frozenset(v) for k, v in needed.items()}
    return _fields_cache[key]


def run_engine(rb: RuleBase, facts: list[dict], *, via_host: bool = False) -> list[Match]:
    """Fire the pack on the facts with durable-rules.

    The engine gets slim facts (only the fields some rule reads, plus an index);
    every (de)serialisation inside durable-rules scales with fact size. Matches
    come back with the full fact, for evidence and messages. ``via_host`` takes
    the straightforward path through durable-rules' ``Host`` (see engine.py),
    the reference the fast path is tested against.
    """
    name = ruleset_name(rb)
    engine = get_engine()
    if name not in _registered:
        with _reg_lock:
            if name not in _registered:
                engine.register(name, compile_rules(rb), derivations(rb))
                _registered.add(name)
    wanted = engine_fields(rb)
    slim = []
    for i, fact in enumerate(facts):
        keep = wanted.get(fact.get("kind"), frozenset(("kind",)))
        item = {k: v for k, v in fact.items() if k in keep}
        item["_i"] = i
        slim.append(item)
    out = []
    for m in (engine.run_via_host if via_host else engine.run)(name, slim):
        if "_i" in m.fact:
            out.append(Match(m.rule_id, facts[m.fact["_i"]]))
        else:
            out.append(m)
    return out


def run_reference(rb: RuleBase, facts: list[dict]) -> list[Match]:
    """The same firings computed in plain Python, with forward chaining to a fixed point.

    Used by ``explain`` and by the differential test of the compiler.
    """
    pending = list(facts)
    seen: list[dict] = []
    out: list[Match] = []
    rules = sorted(rb.rules.values(), key=lambda r: (r.rule.priority, r.id))
    chains = derivations(rb)
    while pending:
        fact = pending.pop(0)
        seen.append(fact)
        for cr in rules:
            if cr.rule.fact != fact.get("kind"):
                continue
            if evaluate(cr.cond, fact, rb.param_lookup):
                out.append(Match(cr.id, fact))
                if cr.id in chains:
                    derived = chains[cr.id].derive(fact)
                    if derived not in seen and derived not in pending:
                        pending.append(derived)
    return out


def _inputs(profile, as_of, rulebase, edition, race_date) -> tuple[Profile, RuleBase, dt.date, Edition, list[dict]]:
    p = load_profile(profile)
    rb = rulebase if isinstance(rulebase, RuleBase) else (load_rulebase(rulebase) if rulebase else default_rulebase())
    day = _date(as_of) or dt.date.today()
    rd = _date(race_date)
    # The same options give the same edition: resolved once, copied for each report.
    editions = _kit(rb).editions
    key = (day, edition, rd)
    ed = editions.get(key)
    if ed is None:
        if len(editions) >= 64:
            editions.clear()
        ed = editions[key] = select_edition(rb, day, edition, rd)
    ed = ed.model_copy()
    return p, rb, day, ed, build_facts(rb, p, day, ed)


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
    through durable-rules' host and report models built one by one: same
    report, slower) or ``"reference"`` (the rules evaluated in plain Python).
    """
    p, rb, day, ed, facts = _inputs(profile, as_of, rulebase, edition, race_date)
    if engine == "durable":
        matches = run_engine(rb, facts)
    elif engine == "durable-host":  # the straightforward path, for comparison
        return build_report_plain(rb, p, day, ed, facts, run_engine(rb, facts, via_host=True))
    else:
        matches = run_reference(rb, facts)
    return build_report(rb, p, day, ed, facts, matches)


def assess_data(
    profile: Profile | dict,
    *,
    as_of: dt.date | str | None = None,
    rulebase: RuleBase | str | None = None,
    edition: int | None = None,
    race_date: dt.date | str | None = None,
) -> dict:
    """:func:`assess` without building the report's models: the report as plain data.

    For callers that only serialise reports (a batch writing JSON lines):
    :func:`report_json` of the result is ``assess(...).model_dump_json()``,
    and ``Report.model_validate`` of it is ``assess(...)``. Parts of the data
    (the pack's sources and targets) are shared with other results: read it,
    do not change it.
    """
    p, rb, day, ed, facts = _inputs(profile, as_of, rulebase, edition, race_date)
    return build_report_data(rb, p, day, ed, facts, run_engine(rb, facts))
