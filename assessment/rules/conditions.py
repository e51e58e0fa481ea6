"""The condition language of our rules: parse, compile to durable-rules, evaluate.

A condition is data, never code::

    all:
      - {field: vk_time, gt: {param: vk_time}}
      - {field: goal, in: [compete, podium]}
      - not: {field: uses_poles, eq: true}

Leaves name one ``field`` and one operator: ``eq ne lt lte gt gte in not_in
exists``. The operand is a literal, ``{param: NAME}`` (a target from the
parameter files), ``{param: NAME, beyond_tolerance: true}`` (that target widened
by its ``tolerance``, the test's measurement error: ``gt`` then means "slower than
the target by more than the test can tell") or ``{field: NAME}`` (another field of
the same fact).
Combinators: ``all``, ``any``, ``not``.

Missing values: a comparison that reads a missing value is *unknown*, and an
unknown condition does not fire (``not`` of unknown is still unknown). This is
Kleene's three-valued logic, evaluated by :func:`evaluate`; :func:`to_durable`
gives the same answers by pushing ``not`` down to the leaves, because
durable-rules treats any comparison on an absent field as false. A property
test checks the two against each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Union

COMPARISONS = ("eq", "ne", "lt", "lte", "gt", "gte")
OPERATORS = COMPARISONS + ("in", "not_in", "exists")
_NEGATE = {"eq": "ne", "ne": "eq", "lt": "gte", "gte": "lt", "gt": "lte", "lte": "gt", "in": "not_in", "not_in": "in"}
_DURABLE = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


class ConditionError(ValueError):
    """A condition is malformed; the message says where and why."""


@dataclass(frozen=True)
class Lit:
    value: Any


@dataclass(frozen=True)
class Param:
    name: str
    #: ``{param: NAME, beyond_tolerance: true}``: the target widened by the parameter's tolerance
    #: (the test's measurement error), so a time a second over its target is not a gap.
    beyond_tolerance: bool = False


@dataclass(frozen=True)
class Ref:
    field: str


Operand = Union[Lit, Param, Ref]


@dataclass(frozen=True)
class Leaf:
    field: str
    op: str
    operand: Any  # Operand, a tuple of Lit for in/not_in, or a bool for exists


@dataclass(frozen=True)
class All:
    items: tuple["Cond", ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple["Cond", ...]


@dataclass(frozen=True)
class Not:
    item: "Cond"


Cond = Union[Leaf, All, AnyOf, Not]


# --------------------------------------------------------------------------- parse

def _operand(raw: Any, where: str) -> Operand:
    if isinstance(raw, dict):
        if set(raw) == {"param"} and isinstance(raw["param"], str):
            return Param(raw["param"])
        if set(raw) == {"param", "beyond_tolerance"} and isinstance(raw["param"], str):
            if raw["beyond_tolerance"] is not True:
                raise ConditionError(f"{where}: beyond_tolerance takes true (leave it out otherwise), "
                                     f"got {raw['beyond_tolerance']!r}")
            return Param(raw["param"], True)
        if set(raw) == {"field"} and isinstance(raw["field"], str):
            return Ref(raw["field"])
        raise ConditionError(f"{where}: an operand mapping must be {{param: NAME}}, {{param: NAME, beyond_tolerance: true}} or {{field: NAME}}, got {raw!r}")
    if isinstance(raw, (list, tuple)):
        raise ConditionError(f"{where}: a list is only allowed with 'in' or 'not_in'")
    if raw is None:
        raise ConditionError(f"{where}: null never matches; use 'exists: false' to test for a missing value")
    return Lit(raw)


def parse(raw: Any, where: str = "when") -> Cond:
    """Parse a condition from YAML data, raising ConditionError with a path."""
    if not isinstance(raw, dict):
        raise ConditionError(f"{where}: a condition must be a mapping, got {type(raw).__name__}")
    keys = set(raw)
    for combinator in ("all", "any"):
        if combinator in keys:
            if keys != {combinator}:
                raise ConditionError(f"{where}: '{combinator}' cannot be mixed with {sorted(keys - {combinator})}")
            items = raw[combinator]
            if not isinstance(items, list) or not items:
                raise ConditionError(f"{where}.{combinator}: expected a non-empty list")
            parsed = tuple(parse(item, f"{where}.{combinator}[{i}]") for i, item in enumerate(items))
            return All(parsed) if combinator == "all" else AnyOf(parsed)
    if "not" in keys:
        if keys != {"not"}:
            raise ConditionError(f"{where}: 'not' cannot be mixed with {sorted(keys - {'not'})}")
        return Not(parse(raw["not"], f"{where}.not"))
    if "field" not in keys:
        raise ConditionError(f"{where}: expected 'all', 'any', 'not' or a leaf with 'field', got keys {sorted(keys)}")
    field = raw["field"]
    if not isinstance(field, str) or not field:
        raise ConditionError(f"{where}: 'field' must be a field name")
    ops = keys - {"field"}
    unknown = sorted(op for op in ops if op not in OPERATORS)
    if unknown:
        raise ConditionError(f"{where}: unknown operator {unknown[0]!r} (known: {', '.join(OPERATORS)})")
    if len(ops) != 1:
        raise ConditionError(f"{where}: a leaf needs exactly one operator, got {sorted(ops) or 'none'}")
    op = ops.pop()
    value = raw[op]
    if op == "exists":
        if not isinstance(value, bool):
            raise ConditionError(f"{where}: 'exists' takes true or false, got {value!r}")
        return Leaf(field, op, value)
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"{where}: '{op}' takes a non-empty list")
        if any(isinstance(v, (dict, list)) or v is None for v in value):
            raise ConditionError(f"{where}: '{op}' takes a list of plain values")
        return Leaf(field, op, tuple(Lit(v) for v in value))
    return Leaf(field, op, _operand(value, f"{where}.{op}"))


# --------------------------------------------------------------------------- inspect

def walk(cond: Cond):
    """Yield every leaf of a condition."""
    if isinstance(cond, Leaf):
        yield cond
    elif isinstance(cond, (All, AnyOf)):
        for item in cond.items:
            yield from walk(item)
    else:
        yield from walk(cond.item)


def fields_read(cond: Cond) -> list[str]:
    """Fields a condition reads, in order of first appearance."""
    seen: dict[str, None] = {}
    for leaf in walk(cond):
        seen.setdefault(leaf.field, None)
        if isinstance(leaf.operand, Ref):
            seen.setdefault(leaf.operand.field, None)
    return list(seen)


def params_used(cond: Cond) -> list[str]:
    seen: dict[str, None] = {}
    for leaf in walk(cond):
        if isinstance(leaf.operand, Param):
            seen.setdefault(leaf.operand.name, None)
    return list(seen)


def literals(cond: Cond) -> list[Any]:
    out = []
    for leaf in walk(cond):
        if isinstance(leaf.operand, Lit):
            out.append(leaf.operand.value)
        elif isinstance(leaf.operand, tuple):
            out.extend(lit.value for lit in leaf.operand)
    return out


# --------------------------------------------------------------------------- evaluate

def _resolve(operand: Operand, fact: dict, params: Callable[[str, dict], Any]) -> Any:
    if isinstance(operand, Lit):
        return operand.value
    if isinstance(operand, Ref):
        return fact.get(operand.field)
    # (name, fact) for a plain target; (name, fact, True) for one widened by its tolerance
    return params(operand.name, fact, True) if operand.beyond_tolerance else params(operand.name, fact)


def _compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if op == "eq":
        return a == b
    if op == "ne":
        return a != b
    try:
        if op == "lt":
            return a < b
        if op == "lte":
            return a <= b
        if op == "gt":
            return a > b
        return a >= b
    except TypeError:
        return None


def evaluate3(cond: Cond, fact: dict, params: Callable[[str, dict], Any]) -> bool | None:
    """Three-valued evaluation: True, False or None (unknown)."""
    if isinstance(cond, Leaf):
        value = fact.get(cond.field)
        if cond.op == "exists":
            return (value is not None) == cond.operand
        if value is None:
            return None
        if cond.op in ("in", "not_in"):
            member = any(value == lit.value for lit in cond.operand)
            return member if cond.op == "in" else not member
        return _compare(cond.op, value, _resolve(cond.operand, fact, params))
    if isinstance(cond, Not):
        inner = evaluate3(cond.item, fact, params)
        return None if inner is None else not inner
    results = [evaluate3(item, fact, params) for item in cond.items]
    if isinstance(cond, All):
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def evaluate(cond: Cond, fact: dict, params: Callable[[str, dict], Any]) -> bool:
    """Does the condition fire on this fact? Unknown does not fire."""
    return evaluate3(cond, fact, params) is True


# --------------------------------------------------------------------------- compile

def negate(cond: Cond) -> Cond:
    """Push a negation down to the leaves (De Morgan)."""
    if isinstance(cond, Not):
        return cond.item
    if isinstance(cond, All):
        return AnyOf(tuple(negate(i) for i in cond.items))
    if isinstance(cond, AnyOf):
        return All(tuple(negate(i) for i in cond.items))
    if cond.op == "exists":
        return Leaf(cond.field, "exists", not cond.operand)
    return Leaf(cond.field, _NEGATE[cond.op], cond.operand)


def to_durable(cond: Cond, operand_json: Callable[[Operand], Any]) -> dict:
    """Compile to a durable-rules expression; ``operand_json`` renders params and refs."""
    if isinstance(cond, Not):
        return to_durable(negate(cond.item), operand_json)
    if isinstance(cond, All):
        return {"$and": [to_durable(i, operand_json) for i in cond.items]}
    if isinstance(cond, AnyOf):
        return {"$or": [to_durable(i, operand_json) for i in cond.items]}
    field = cond.field
    if cond.op == "exists":
        return {"$ex" if cond.operand else "$nex": {field: 1}}
    if cond.op == "in":
        return {"$or": [{field: lit.value} for lit in cond.operand]}
    if cond.op == "not_in":
        return {"$and": [{"$neq": {field: lit.value}} for lit in cond.operand]}
    value = operand_json(cond.operand)
    test = {field: value} if cond.op == "eq" else {_DURABLE[cond.op]: {field: value}}
    if isinstance(value, dict) and "$m" in value:
        # durable-rules compares against a missing referenced field as if it
        # were present (it matched c == a with no a); unknown must not fire.
        return {"$and": [{"$ex": {value["$m"]: 1}}, test]}
    return test


def describe(cond: Cond, indent: int = 0) -> str:
    """The condition in words, for ``rules show`` and ``explain``."""
    pad = "  " * indent
    if isinstance(cond, Leaf):
        if cond.op == "exists":
            return f"{pad}{cond.field} is {'known' if cond.operand else 'unknown'}"
        words = {"eq": "is", "ne": "is not", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "in": "is one of", "not_in": "is none of"}
        if isinstance(cond.operand, tuple):
            rhs = ", ".join(str(l.value) for l in cond.operand)
        elif isinstance(cond.operand, Param):
            rhs = f"target {cond.operand.name}" + (" beyond its tolerance" if cond.operand.beyond_tolerance else "")
        elif isinstance(cond.operand, Ref):
            rhs = f"field {cond.operand.field}"
        else:
            rhs = str(cond.operand.value).lower() if isinstance(cond.operand.value, bool) else str(cond.operand.value)
        return f"{pad}{cond.field} {words[cond.op]} {rhs}"
    if isinstance(cond, Not):
        return f"{pad}not:\n{describe(cond.item, indent + 1)}"
    head = "all of:" if isinstance(cond, All) else "any of:"
    return f"{pad}{head}\n" + "\n".join(describe(i, indent + 1) for i in cond.items)
