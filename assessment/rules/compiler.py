"""Compile a checked rule pack into a durable-rules ruleset (pure JSON data).

Rule metadata (titles, messages, sources, examples) stays out of the compiled
rules, because durable-rules rejects unknown keys; the action name (``run``) is
the rule id, so another durable-rules host can attach its own actions.
"""

from __future__ import annotations

from .conditions import to_durable
from .engine import Derivation
from .rulebase import RuleBase


def ruleset_name(rb: RuleBase) -> str:
    """Versioned and content-addressed: two different packs never share a name."""
    return f"{rb.name}-{rb.version}-{rb.digest}"


def compile_rules(rb: RuleBase) -> dict[str, dict]:
    """``{rule_id: {"all": [...], "pri": n}}`` for every rule of the pack."""
    out: dict[str, dict] = {}
    for rule_id in sorted(rb.rules):
        cr = rb.rules[rule_id]
        expr = to_durable(cr.cond, rb.operand_json(cr.rule.fact))
        out[rule_id] = {
            "all": [{"m": {"$and": [{"kind": cr.rule.fact}, expr]}}],
            "pri": cr.rule.priority,
        }
    return out


def derivations(rb: RuleBase) -> dict[str, Derivation]:
    return {
        r.id: Derivation(r.rule.asserts.kind, tuple(r.rule.asserts.copy_fields), r.id)
        for r in rb.rules.values()
        if r.rule.asserts is not None
    }


def export_durable(rb: RuleBase) -> dict[str, dict]:
    """The ruleset as another durable-rules host would register it: ``run`` names the rule id."""
    rules = compile_rules(rb)
    return {ruleset_name(rb): {rid: {**body, "run": rid} for rid, body in rules.items()}}
