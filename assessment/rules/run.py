"""Firing a pack on an assessment's facts: durable-rules (fast native path or its Host), or plain Python."""

from __future__ import annotations

import os
import threading

from .compiler import compile_rules, derivations, ruleset_name
from .conditions import evaluate
from .engine import Match, get_engine
from .rulebase import RuleBase


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
            # a target widened by its tolerance ({param: NAME, beyond_tolerance: true}) travels as gate_NAME
            kind.update(f"gate_{p}" for p in cr.params if rb.parameters[p].by and rb.parameters[p].tolerance)
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
