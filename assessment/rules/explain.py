"""Why a rule did or did not fire for a runner, value by value.

The rule's condition is evaluated with the same three-valued logic the engine
follows (:func:`conditions.evaluate3`) on the same facts ``assess`` builds, and
every leaf says which field it read, the value, the operator, and what it was
compared with (a literal, another field, or a target with its sources). The
real engine is run too, and its verdict is reported beside ours.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import asdict, dataclass, field
from typing import Any

from . import conditions as C
from ..model.profile import Profile, load_profile
from .rulebase import RuleBase, format_value, load_rulebase, value_unit

RESULT_WORDS = {True: "true", False: "false", None: "unknown"}
_OP_WORDS = {"eq": "=", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "in": "in", "not_in": "not in"}


class ExplainError(ValueError):
    """The rule does not exist in the pack."""


@dataclass
class Operand:
    """What a leaf compared the field with."""

    kind: str  # literal | param | field | list | exists
    name: str | None
    value: Any
    display: str
    unit: str | None = None
    derivation: str | None = None
    sources: list[dict] = field(default_factory=list)


@dataclass
class Node:
    """One node of the condition tree with its three-valued result."""

    kind: str  # all | any | not | leaf
    result: bool | None
    children: list["Node"] = field(default_factory=list)
    field: str | None = None
    value: Any = None
    display: str | None = None
    unit: str | None = None
    op: str | None = None
    operand: Operand | None = None

    @property
    def result_word(self) -> str:
        return RESULT_WORDS[self.result]


@dataclass
class FactTrace:
    """The rule's condition evaluated on one fact (the runner, or one race result)."""

    subject: str
    result: bool | None
    tree: Node

    @property
    def fires(self) -> bool:
        return self.result is True


@dataclass
class Explanation:
    rule_id: str
    title: str
    pillar: str
    kind: str
    fact_kind: str
    condition: str
    fired: bool
    engine_fired: bool | None
    traces: list[FactTrace]
    unknown_fields: list[str]
    note: str | None = None

    def to_dict(self) -> dict:
        out = asdict(self)
        for t, raw in zip(self.traces, out["traces"]):
            raw["result"] = RESULT_WORDS[t.result]
            _words(raw["tree"])
        return out


def _words(node: dict) -> None:
    node["result"] = RESULT_WORDS[node["result"]]
    for child in node["children"]:
        _words(child)


# --------------------------------------------------------------------------- building

def _sources(rb: RuleBase, keys: list[str]) -> list[dict]:
    return [{"key": k, "title": rb.sources[k].title, "url": rb.sources[k].url} for k in keys if k in rb.sources]


def _dims_text(rb: RuleBase, name: str, fact: dict) -> str:
    p = rb.parameters[name]
    if not p.by:
        return ""
    dims = {"goal": fact.get("goal"), "sex": fact.get("sex"), "age_band": fact.get("age_band")}
    return ", ".join(f"{d} {dims[d] if dims[d] is not None else 'unknown'}" for d in p.by)


def _operand(rb: RuleBase, leaf: C.Leaf, fact: dict) -> Operand:
    if leaf.op == "exists":
        return Operand("exists", None, leaf.operand, "known" if leaf.operand else "unknown")
    if isinstance(leaf.operand, tuple):
        values = [lit.value for lit in leaf.operand]
        return Operand("list", None, values, "[" + ", ".join(_literal_text(v) for v in values) + "]")
    if isinstance(leaf.operand, C.Lit):
        return Operand("literal", None, leaf.operand.value, _literal_text(leaf.operand.value))
    if isinstance(leaf.operand, C.Ref):
        name = leaf.operand.field
        value = fact.get(name)
        return Operand("field", name, value, format_value(name, value), unit=value_unit(name))
    name = leaf.operand.name
    p = rb.parameters[name]
    beyond = leaf.operand.beyond_tolerance
    value = rb.param_lookup(name, fact, True) if beyond else rb.param_lookup(name, fact)
    display = rb.format_param(name, value)
    if beyond and p.tolerance is not None:
        # the comparison is with the widened target: say so, and what it was widened from
        display = (f"{rb.format_param(name, rb.param_lookup(name, fact))} + its {p.tolerance.pct:g}% tolerance "
                   f"= {display}")
    dims = _dims_text(rb, name, fact)
    return Operand(
        "param",
        name,
        value,
        f"{display} (for {dims})" if dims else display,
        unit=p.unit,
        derivation=p.derivation if not beyond or p.tolerance is None else f"{p.derivation} Tolerance: {p.tolerance.derivation}",
        sources=_sources(rb, p.sources + ([s for s in p.tolerance.sources if s not in p.sources] if beyond and p.tolerance else [])),
    )


def _literal_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _trace(rb: RuleBase, cond: C.Cond, fact: dict) -> Node:
    result = C.evaluate3(cond, fact, rb.param_lookup)
    if isinstance(cond, C.Leaf):
        value = fact.get(cond.field)
        return Node(
            kind="leaf",
            result=result,
            field=cond.field,
            value=value,
            display=format_value(cond.field, value),
            unit=value_unit(cond.field),
            op=cond.op,
            operand=_operand(rb, cond, fact),
        )
    if isinstance(cond, C.Not):
        return Node(kind="not", result=result, children=[_trace(rb, cond.item, fact)])
    kind = "all" if isinstance(cond, C.All) else "any"
    return Node(kind=kind, result=result, children=[_trace(rb, item, fact) for item in cond.items])


def _subject(fact: dict) -> str:
    if fact.get("kind") == "runner":
        return "runner"
    if fact.get("kind") == "race":
        name = fact.get("race") or "unnamed race"
        return f"race {fact.get('idx')}: {name}" + (f" ({fact['date']})" if fact.get("date") else "")
    label = fact.get("race") or fact.get("idx") or ""
    return f"{fact.get('kind')} from {fact.get('source_rule')}" + (f": {label}" if label else "")


def _facts_of_kind(rb: RuleBase, facts: list[dict], kind: str) -> list[dict]:
    """Facts the rule sees: built ones, plus the ones other rules assert (forward chaining)."""
    from .compiler import derivations
    from .run import run_reference

    if kind in ("runner", "race"):
        return [f for f in facts if f.get("kind") == kind]
    chains = derivations(rb)
    derived: list[dict] = []
    for m in run_reference(rb, facts):
        chain = chains.get(m.rule_id)
        if chain is None or chain.kind != kind:
            continue
        new = chain.derive(m.fact)
        if new not in derived:
            derived.append(new)
    return derived


def _unknown_leaves(node: Node, out: list[str]) -> None:
    if node.kind == "leaf" and node.result is None and node.field not in out:
        if node.value is None:
            out.append(node.field)
        elif node.operand is not None and node.operand.kind in ("param", "field") and node.operand.value is None:
            out.append(node.operand.name)
    for child in node.children:
        _unknown_leaves(child, out)


def explain(
    profile: Profile | dict,
    rule_id: str,
    *,
    as_of: dt.date | str | None = None,
    rulebase: RuleBase | str | None = None,
    edition: int | None = None,
    race_date: dt.date | str | None = None,
    check_engine: bool = True,
) -> Explanation:
    """Explain one rule for one runner: each fact it could fire on, leaf by leaf.

    ``check_engine`` also runs the durable-rules engine and reports whether it
    fired the rule (``engine_fired``), which must agree with ``fired``.
    """
    from .edition import parse_date as _date, select_edition
    from .facts import build_facts
    from .rulebase import default_rulebase
    from .run import run_engine

    p = load_profile(profile)
    rb = rulebase if isinstance(rulebase, RuleBase) else (load_rulebase(rulebase) if rulebase else default_rulebase())
    if rule_id not in rb.rules:
        raise ExplainError(f"no rule {rule_id!r} in pack {rb.name} (rules: {', '.join(sorted(rb.rules))})")
    cr = rb.rules[rule_id]
    day = _date(as_of) or dt.date.today()
    ed = select_edition(rb, day, edition, _date(race_date))
    facts = build_facts(rb, p, day, ed)
    seen = _facts_of_kind(rb, facts, cr.rule.fact)
    traces = [FactTrace(_subject(f), C.evaluate3(cr.cond, f, rb.param_lookup), _trace(rb, cr.cond, f)) for f in seen]
    unknown: list[str] = []
    for t in traces:
        _unknown_leaves(t.tree, unknown)
    note = None
    if not seen:
        if cr.rule.fact == "race":
            note = "The rule looks at race results, and the profile has none."
        else:
            producers = sorted(r.id for r in rb.rules.values() if r.rule.asserts and r.rule.asserts.kind == cr.rule.fact)
            note = (
                f"The rule looks at {cr.rule.fact} facts, which only {', '.join(producers)} create, "
                "and none of them fired for this runner."
            )
    engine_fired = None
    if check_engine:
        engine_fired = any(m.rule_id == rule_id for m in run_engine(rb, facts))
    return Explanation(
        rule_id=rule_id,
        title=cr.rule.title,
        pillar=cr.rule.pillar,
        kind=cr.rule.kind,
        fact_kind=cr.rule.fact,
        condition=C.describe(cr.cond),
        fired=any(t.fires for t in traces),
        engine_fired=engine_fired,
        traces=traces,
        unknown_fields=unknown,
        note=note,
    )


# --------------------------------------------------------------------------- text

def _leaf_text(node: Node) -> str:
    left = f"{node.field} = {node.display}"
    if node.unit and node.value is not None and node.unit not in node.display and node.unit != "h:mm:ss" and "%" not in node.display:
        left += f" {node.unit}"
    op = node.operand
    if node.op == "exists":
        return f"{node.field} is {op.display}?  ({node.field} = {node.display})"
    if op.kind == "param":
        right = f"target {op.name} = {op.display}"
    elif op.kind == "field":
        right = f"{op.name} = {op.display}"
    else:
        right = op.display
    return f"{left}  {_OP_WORDS[node.op]}  {right}"


def _tree_lines(node: Node, depth: int, lines: list[str], params: dict[str, Operand]) -> None:
    pad = "    " + "  " * depth
    mark = f"[{node.result_word}]".ljust(10)
    if node.kind == "leaf":
        lines.append(f"{pad}{mark}{_leaf_text(node)}")
        if node.operand and node.operand.kind == "param":
            params.setdefault(node.operand.name, node.operand)
        return
    head = {"all": "all of", "any": "any of", "not": "not"}[node.kind]
    lines.append(f"{pad}{mark}{head}:")
    for child in node.children:
        _tree_lines(child, depth + 1, lines, params)


def to_text(e: Explanation) -> str:
    lines = [f"{e.rule_id}  {e.title}  ({e.pillar}, {e.kind})", "", "Condition (on each " + e.fact_kind + " fact):"]
    lines += ["  " + line for line in e.condition.splitlines()]
    lines.append("")
    params: dict[str, Operand] = {}
    for t in e.traces:
        verdict = "fires" if t.fires else "does not fire" + (" (unknown)" if t.result is None else "")
        lines.append(f"  {t.subject}: {verdict}")
        _tree_lines(t.tree, 0, lines, params)
        lines.append("")
    if e.note:
        lines += [f"  {e.note}", ""]
    if params:
        lines.append("Targets:")
        for name, op in params.items():
            shown_unit = op.unit and op.unit != "duration" and op.unit not in op.display
            lines.append(f"  {name} = {op.display}" + (f" [{op.unit}]" if shown_unit else ""))
            if op.derivation:
                lines += textwrap.wrap("derivation: " + " ".join(op.derivation.split()), 76,
                                       initial_indent="    ", subsequent_indent="      ")
            for s in op.sources:
                lines.append(f"    source: {s['title']} <{s['url']}>")
        lines.append("")
    if e.fired:
        lines.append(f"Result: {e.rule_id} fires.")
    else:
        why = ""
        if e.unknown_fields:
            why = (
                f" Unknown: {', '.join(e.unknown_fields)}; a comparison with an unknown value is unknown, "
                "and unknown never fires."
            )
        lines.append(f"Result: {e.rule_id} does not fire.{why}")
    if e.engine_fired is not None:
        did = "fired it" if e.engine_fired else "did not fire it"
        agree = "agrees" if e.engine_fired == e.fired else "DISAGREES with the evaluation above: please report this"
        lines.append(f"Rule engine (durable-rules): {did} ({agree}).")
    return "\n".join(lines) + "\n"
