"""JSON Schemas for other languages: the profile we read, the report we write, the rule files.

They are generated from the pydantic models, so they cannot drift from the code.
The report schema carries :data:`assessment.report.SCHEMA_VERSION`; the tests keep
one snapshot per version and fail when the shape changes without a bump.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from .model.profile import DURATION_FIELDS

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_DURATION = {
    "anyOf": [
        {"type": "string", "description": "h:mm:ss, mm:ss, 45'30\" or minutes as text"},
        {"type": "number", "description": "minutes"},
    ]
}


def _durations_as_text(node: Any) -> None:
    """Durations are numbers inside the model but ``h:mm:ss`` strings in JSON: say both."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for name, spec in props.items():
                if name in DURATION_FIELDS and isinstance(spec, dict):
                    keep = {k: v for k, v in spec.items() if k in ("title", "description", "default", "unit")}
                    props[name] = {**keep, "anyOf": [*copy.deepcopy(_DURATION["anyOf"]), {"type": "null"}]}
        for value in node.values():
            _durations_as_text(value)
    elif isinstance(node, list):
        for value in node:
            _durations_as_text(value)


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _tidy(node: Any) -> None:
    """Bounds pydantic leaves as ``ge``/``le`` inside an optional number become JSON Schema
    keywords, and empty descriptions go."""
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            for short, keyword in _BOUNDS.items():
                if short in node and isinstance(node[short], (int, float)):
                    node[keyword] = node.pop(short)
        if node.get("description") == "":
            del node["description"]
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)


def profile_schema() -> dict:
    """What ``assess`` accepts: a runner's profile (all fields but ``runner_id`` optional)."""
    from .model.profile import Profile

    schema = Profile.model_json_schema(mode="validation")
    _durations_as_text(schema)
    _tidy(schema)
    return {
        "$schema": DIALECT,
        "$id": "urn:zegama-assess:profile",
        **schema,
        "description": (
            "A runner's profile. Every field but runner_id is optional; a missing value is unknown. "
            "Durations are h:mm:ss strings (or minutes); decimals may use a comma as text."
        ),
    }


def report_schema() -> dict:
    """What ``assess`` returns, as ``Report.model_dump_json()`` writes it."""
    from .report.model import SCHEMA_VERSION, Report

    schema = Report.model_json_schema(mode="serialization")
    schema["properties"]["schema_version"]["const"] = SCHEMA_VERSION
    return {
        "$schema": DIALECT,
        "$id": f"urn:zegama-assess:report:{SCHEMA_VERSION}",
        **schema,
        "description": f"A runner's gap report against the Zegama profile (report schema {SCHEMA_VERSION}).",
    }


def _condition_defs() -> dict:
    """The condition language of ``conditions.py`` as JSON Schema (recursive)."""
    from .rules.conditions import COMPARISONS

    scalar = {"type": ["string", "number", "boolean"]}
    operand = {
        "anyOf": [
            scalar,
            {"type": "object", "properties": {"param": {"type": "string"}, "beyond_tolerance": {"const": True}},
             "required": ["param"], "additionalProperties": False},
            {"type": "object", "properties": {"field": {"type": "string"}}, "required": ["field"], "additionalProperties": False},
        ]
    }
    leaves = []
    for op in COMPARISONS:
        leaves.append({"properties": {"field": {"type": "string"}, op: {"$ref": "#/$defs/Operand"}}, "required": ["field", op]})
    for op in ("in", "not_in"):
        leaves.append({"properties": {"field": {"type": "string"}, op: {"type": "array", "items": scalar, "minItems": 1}},
                       "required": ["field", op]})
    leaves.append({"properties": {"field": {"type": "string"}, "exists": {"type": "boolean"}}, "required": ["field", "exists"]})
    for leaf in leaves:
        leaf.update(type="object", additionalProperties=False)
    combinators = [
        {"type": "object", "properties": {"all": {"type": "array", "items": {"$ref": "#/$defs/Condition"}, "minItems": 1}},
         "required": ["all"], "additionalProperties": False},
        {"type": "object", "properties": {"any": {"type": "array", "items": {"$ref": "#/$defs/Condition"}, "minItems": 1}},
         "required": ["any"], "additionalProperties": False},
        {"type": "object", "properties": {"not": {"$ref": "#/$defs/Condition"}}, "required": ["not"], "additionalProperties": False},
    ]
    return {
        "Operand": {**operand, "description": "A literal, {param: NAME} (a target with sources), {param: NAME, beyond_tolerance: true} "
                               "(the target widened by its tolerance) or {field: NAME}."},
        "Condition": {
            "description": "all / any / not, or a leaf {field: F, OP: operand} with one operator.",
            "oneOf": combinators + leaves,
        },
    }


def rules_schema() -> dict:
    """A rule file, ``rules/*.yaml`` of a pack: ``{rules: [Rule, ...]}``."""
    from .rules.rulebase import Rule

    rule = Rule.model_json_schema(mode="validation", ref_template="#/$defs/{model}")
    defs = rule.pop("$defs", {})
    rule["properties"]["when"] = {"$ref": "#/$defs/Condition", "description": "When the rule fires."}
    defs["Rule"] = rule
    defs.update(_condition_defs())
    return {
        "$schema": DIALECT,
        "$id": "urn:zegama-assess:rule-file",
        "title": "RuleFile",
        "description": (
            "A rule file of a zegama-assess rule pack. `zegama rules validate` checks more than this "
            "schema can: known fields and parameters, operator types, message placeholders, sources."
        ),
        "type": "object",
        "properties": {"rules": {"type": "array", "items": {"$ref": "#/$defs/Rule"}}},
        "required": ["rules"],
        "additionalProperties": False,
        "$defs": defs,
    }


SCHEMAS: dict[str, Callable[[], dict]] = {
    "profile": profile_schema,
    "report": report_schema,
    "rules": rules_schema,
}


def schema(name: str) -> dict:
    """The JSON Schema called ``name`` (profile, report or rules)."""
    try:
        return SCHEMAS[name]()
    except KeyError:
        raise ValueError(f"unknown schema {name!r} (known: {', '.join(SCHEMAS)})") from None
