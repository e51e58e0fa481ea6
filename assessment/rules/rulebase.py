"""Loading and checking a rule pack: rules, parameters (targets), race data, scoring.

A pack is a folder::

    pack.yaml          name, version, what it extends
    sources.yaml       every reference the pack cites, by key
    parameters.yaml    targets by goal/sex/age band, each with unit, derivation, sources
    race.yaml          course and per-edition entry facts
    scoring.yaml       pillar order, phase weights, weekly session mix
    benchmarks.yaml    the benchmarks every report lists, each against a parameter
    rules/*.yaml       the rules, each with examples that must and must not fire it

Files are parsed with ``yaml.safe_load`` and validated; nothing in them is ever
executed. Every problem is reported with its file and rule id, all at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import string
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import conditions as C
from .facts import RACE_FIELDS, RUNNER_DERIVED, runner_fields
from ..model.profile import DURATION_FIELDS, PROFILE_FIELDS, field_unit
from ..model.units import format_duration, parse_duration

PROFILE_FIELDS_SET = frozenset(PROFILE_FIELDS)
#: Weeks to go under which the race-specific phase's advice turns to its final weeks (a tune-up race
#: three to six weeks out is the last that leaves time to recover; the taper starts two weeks out).
FINAL_WEEKS = 5


def week_of(phase: str, weeks: float | None) -> str:
    """Which advice applies: the phase's, or ``final_weeks`` in the last weeks of the race-specific phase."""
    if phase == "race_specific" and weeks is not None and weeks < FINAL_WEEKS:
        return "final_weeks"
    return phase
PILLARS = ("uphill_power", "downhill_technique", "strength", "race_specificity", "mental_tactical")
RULE_PILLARS = PILLARS + ("eligibility", "profile")
DIMENSIONS = ("goal", "sex", "age_band")
BUILTIN_PACKS = {"zegama"}


class RuleFileError(ValueError):
    """One or more problems in a rule pack; ``problems`` lists (file, rule_id, message)."""

    def __init__(self, problems: list[tuple[str, str | None, str]]):
        self.problems = problems
        lines = [f"{f}: {rid + ': ' if rid else ''}{msg}" for f, rid, msg in problems]
        super().__init__("invalid rule pack:\n  " + "\n  ".join(lines))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    title: str
    url: str
    accessed: str | None = None


class Scale(_Strict):
    """A target that follows another one: ``factor[sex] x base ** power``, kept within ``min``/``max``.

    E.g. the VK time a goal time implies: the goal time (minutes) x the ratio of a
    real athlete's VK time to their marathon time. No expression language: a
    factor, a power and two bounds are all a pack can say.
    """

    of: str
    factor: dict[str, float]
    power: float = 1.0
    min: Any = None
    max: Any = None


class Tolerance(_Strict):
    """How far a measured benchmark can sit from its target and still be the same, as the test's
    measurement error: ``{param: NAME, beyond_tolerance: true}`` compares against the widened target."""

    pct: float = Field(gt=0, le=10)
    derivation: str
    sources: list[str] = Field(min_length=1)


class Parameter(_Strict):
    description: str
    unit: str
    by: list[Literal["goal", "sex", "age_band"]] = Field(default_factory=list)
    value: Any = None
    values: dict[str, Any] | None = None
    scale: Scale | None = None
    # A profile field that, when the runner gives it, replaces the value (e.g. goal_time).
    override: str | None = None
    better: Literal["lower", "higher"] | None = None
    derivation: str | None = None
    confidence: str | None = None
    sources: list[str] = Field(min_length=1)
    tolerance: Tolerance | None = None

    def widened(self, value: Any) -> Any:
        """The target moved by its tolerance, away from the runner's side (slower for a time)."""
        if value is None or self.tolerance is None or isinstance(value, bool):
            return value
        k = self.tolerance.pct / 100
        return value * (1 + k) if self.better == "lower" else value * (1 - k)


class BenchmarkDef(_Strict):
    """A benchmark every report lists: a runner fact against one of the pack's parameters."""

    field: str
    label: str
    target: str
    better: Literal["lower", "higher"]
    trait: str
    inputs: list[str] = Field(default_factory=list)

    @property
    def reads(self) -> tuple[str, ...]:
        """The profile fields it is measured from."""
        return tuple(self.inputs) or (self.field,)


class GapSpec(_Strict):
    """Severity from the distance to a target: 0 at the target, 1 at ``full_at`` relative gap."""

    field: str
    target: str
    better: Literal["lower", "higher"]
    full_at: float = Field(gt=0, le=10)


class Asserts(_Strict):
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    copy_fields: list[str] = Field(default_factory=list, alias="copy")


class Example(_Strict):
    profile: dict[str, Any]
    as_of: dt.date | None = None
    note: str | None = None


class Examples(_Strict):
    fires: list[Example] = Field(min_length=1)
    does_not_fire: list[Example] = Field(min_length=1)


class Rule(_Strict):
    id: str = Field(pattern=r"^[A-Z]{2,4}[0-9]{3}$")
    title: str
    pillar: Literal[RULE_PILLARS]  # type: ignore[valid-type]
    kind: Literal["gap", "missing", "eligibility", "info"]
    fact: str = "runner"
    priority: int = Field(default=5, ge=0, le=100)
    when: Any
    outcome: Literal["qualifies", "at_risk", "blocks", "route", "misaligned"] | None = None
    gap: GapSpec | None = None
    severity: float | None = Field(default=None, ge=0, le=1)
    weight: float = Field(default=1.0, ge=0, le=5)
    asserts: Asserts | None = None
    message: str
    rationale: str
    # One text, or one per training phase: {default: ..., race_specific: ..., taper: ...};
    # final_weeks: the last weeks of the race-specific phase (under FINAL_WEEKS to go).
    prescription: str | dict[Literal["default", "base", "build", "race_specific", "final_weeks", "taper"], str] | None = None
    test: str | None = None
    sources: list[str] = Field(min_length=1)
    examples: Examples
    since: str | None = None

    @field_validator("title", "message", "rationale")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v.strip()

    @field_validator("prescription")
    @classmethod
    def _default_prescription(cls, v: Any) -> Any:
        if isinstance(v, dict) and "default" not in v:
            raise ValueError("prescriptions by phase need a 'default'")
        return v

    def prescription_for(self, phase: str, weeks: float | None = None) -> str | None:
        """What to train now: the final weeks' text, the phase's own, else the default."""
        p = self.prescription
        if isinstance(p, dict):
            return p.get(week_of(phase, weeks)) or p.get(phase) or p["default"]
        return p

    @property
    def default_prescription(self) -> str | None:
        return self.prescription["default"] if isinstance(self.prescription, dict) else self.prescription


@dataclass
class CompiledRule:
    rule: Rule
    cond: C.Cond
    file: str
    fields: list[str]
    params: list[str]

    @property
    def id(self) -> str:
        return self.rule.id


@dataclass
class RuleBase:
    """A loaded, checked pack: what ``assess`` needs."""

    name: str
    version: str
    title: str
    root: Path
    sources: dict[str, Source]
    parameters: dict[str, Parameter]
    race: dict[str, Any]
    scoring: dict[str, Any]
    rules: dict[str, CompiledRule]
    benchmarks: list[BenchmarkDef] = field(default_factory=list)
    traits: dict[str, str] = field(default_factory=dict)
    layers: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)  # a renamed rule's old id -> its id now
    finish_model: Any = None  # estimate.spec.FinishModel from estimate.yaml, or None (no estimate)
    plan: Any = None  # plan_spec.PlanSpec from plan.yaml, or None (no plan)
    _targets: dict = field(default_factory=dict, repr=False, compare=False)
    _editions: dict = field(default_factory=dict, repr=False, compare=False)  # (as_of, year, race_date) -> Edition
    _estimate: dict = field(default_factory=dict, repr=False, compare=False)  # the estimate's per-pack constants

    # ------------------------------------------------------------------ params
    def resolve(self, rule_id: str) -> str:
        """A rule id as given, or what it was renamed to (ids are never reused)."""
        rid = rule_id.strip().upper()
        return self.redirects.get(rid, rid)

    def constant(self, name: str) -> Any:
        p = self.parameters[name]
        if p.by:
            raise KeyError(f"parameter {name} depends on {p.by}; it is not a constant")
        return _param_value(p, p.value)

    def target(self, name: str, dims: dict[str, Any]) -> Any:
        """Resolve a parameter for a runner: goal, sex (F/M, else default), age band, and the
        runner's own values for parameters they override (``goal_time``)."""
        p = self.parameters[name]
        if p.override and dims.get(p.override) is not None:
            return dims[p.override]
        if not p.by:
            return _param_value(p, p.value)
        if p.scale is not None:
            return self._scaled(p, dims)
        node: Any = p.values
        for dim in p.by:
            key = dims.get(dim)
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, dict) and "default" in node:
                node = node["default"]
            else:
                return None
        return _param_value(p, node)

    def _scaled(self, p: Parameter, dims: dict[str, Any]) -> Any:
        s = p.scale
        base = self.target(s.of, dims)
        if base is None:
            return None
        sex = dims.get("sex")
        factor = s.factor.get(sex) if sex in s.factor else s.factor.get("default")
        value = factor * base ** s.power
        if s.min is not None:
            value = max(value, _param_value(p, s.min))
        if s.max is not None:
            value = min(value, _param_value(p, s.max))
        return round(value * 60) / 60 if p.unit == "duration" else round(value) if abs(value) >= 100 else round(value, 2)

    def level_table(self, name: str) -> dict[tuple, Any]:
        """A parameter's value for every combination of its dimensions (for ``zegama rules``)."""
        p = self.parameters[name]
        keys = {"goal": ("finish", "compete", "podium"), "sex": ("M", "F"),
                "age_band": ("20-29", "30-39", "40-49", "50-59", "60-69", "70-79")}
        combos: list[dict] = [{}]
        for dim in p.by:
            combos = [{**c, dim: k} for c in combos for k in keys[dim]]
        return {tuple(c[d] for d in p.by): self.target(name, c) for c in combos}

    def targets_for(self, dims: dict[str, Any]) -> dict[str, Any]:
        """Every parameter resolved for a runner; a handful of (goal, sex, age band) combinations,
        each computed once. The dict is shared between runners: read it, never change it."""
        key = tuple(sorted(dims.items()))
        t = self._targets.get(key)
        if t is None:
            if len(self._targets) >= 4096:
                self._targets.clear()
            t = self._targets[key] = {n: self.target(n, dims) for n in self.parameters}
        return t

    def format_param(self, name: str, value: Any) -> str:
        p = self.parameters[name]
        if value is None:
            return "unknown"
        if p.unit == "duration":
            return format_duration(value)
        if p.unit == "1-5":
            return _fmt_number(value)
        if p.unit in ("%", "/week"):
            return f"{_fmt_number(value)}{p.unit}"
        return f"{_fmt_number(value)} {p.unit}".strip()

    def param_sources(self, name: str) -> list[Source]:
        return [self.sources[s] for s in self.parameters[name].sources]

    # ------------------------------------------------------------------ identity
    @functools.cached_property
    def digest(self) -> str:
        """A hash of everything that changes results: rules, parameters, race data, scoring and the estimate.

        Computed once: a loaded pack is not modified afterwards.
        """
        blob = json.dumps(
            {
                "rules": {k: v.rule.model_dump(mode="json") for k, v in sorted(self.rules.items())},
                "parameters": {k: v.model_dump(mode="json") for k, v in sorted(self.parameters.items())},
                "race": self.race,
                "scoring": self.scoring,
                "benchmarks": [b.model_dump() for b in self.benchmarks],
                "estimate": self.finish_model.model_dump(mode="json") if self.finish_model else None,
                "plan": self.plan.model_dump(mode="json") if self.plan else None,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def operand_json(self, fact_kind: str):
        """Render operands for durable-rules: constants inline, per-runner targets as field refs."""

        def render(operand: Any) -> Any:
            if isinstance(operand, C.Lit):
                return operand.value
            if isinstance(operand, C.Ref):
                return {"$m": operand.field}
            p = self.parameters[operand.name]
            if p.by:
                return {"$m": f"{'gate' if operand.beyond_tolerance else 'target'}_{operand.name}"}
            value = self.constant(operand.name)
            return p.widened(value) if operand.beyond_tolerance else value

        return render

    def param_lookup(self, name: str, fact: dict, beyond_tolerance: bool = False) -> Any:
        """Param values as the plain-Python evaluator sees them (same as the compiled form)."""
        p = self.parameters[name]
        if p.by:
            return fact.get(f"{'gate' if beyond_tolerance else 'target'}_{name}")
        value = self.constant(name)
        return p.widened(value) if beyond_tolerance else value


def _fmt_number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def _param_value(p: Parameter, raw: Any) -> Any:
    if raw is None:
        return None
    if p.unit == "duration":
        return round(parse_duration(raw) * 60) / 60
    return raw


# =========================================================================== loading

def builtin_root() -> Path:
    """Where the packaged data lives: inside the wheel, or at the top of a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_data"
    if (packaged / "rules").is_dir():
        return packaged
    return here.parent


_default_lock = threading.Lock()
_default_rb: "RuleBase | None" = None


def default_rulebase() -> "RuleBase":
    """The built-in pack, loaded once per process."""
    global _default_rb
    with _default_lock:
        if _default_rb is None:
            _default_rb = load_rulebase()
        return _default_rb


def resolve_pack_path(ref: str | Path | None) -> Path:
    if ref is None or str(ref) in BUILTIN_PACKS:
        return builtin_root() / "rules" / (str(ref) if ref else "zegama")
    return Path(ref)


# libyaml's parser, where PyYAML was built with it, reads the pack about ten
# times faster (a third of `zegama assess`'s start-up otherwise).
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


#: A rule file is a few kB; a bigger one is not a pack file (and is not read into memory).
MAX_PACK_FILE_BYTES = 4 << 20


#: Nodes a rule file may hold once its aliases are expanded: a real one holds a few thousand.
MAX_PACK_NODES = 1_000_000


def _expands_within(doc: Any, limit: int = MAX_PACK_NODES) -> bool:
    """False when following every alias (a list that repeats a list that repeats...) would visit
    more than ``limit`` nodes: a few hundred bytes of YAML can stand for gigabytes."""
    stack, seen = [doc], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > limit:
            return False
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


def _read_yaml(path: Path, problems: list, rel: str) -> Any:
    try:
        if path.is_dir():
            problems.append((rel, None, "is a directory, not a YAML file"))
            return None
        if path.exists() and path.stat().st_size > MAX_PACK_FILE_BYTES:
            problems.append((rel, None, f"larger than {MAX_PACK_FILE_BYTES >> 20} MB: not a rule file"))
            return None
        doc = None
        if _FAST_LOADER is not None:
            try:
                with path.open(encoding="utf-8") as fh:
                    doc = yaml.load(fh, Loader=_FAST_LOADER)  # noqa: S506 - the safe loader, in C
            except yaml.YAMLError:
                pass  # read again below, so the message is the one the pure-Python parser gives
        if doc is None:
            with path.open(encoding="utf-8") as fh:
                doc = yaml.safe_load(fh)
        if not _expands_within(doc):
            problems.append((rel, None, f"its aliases expand to more than {MAX_PACK_NODES:,} values: not a rule file"))
            return None
        return doc
    except FileNotFoundError:
        problems.append((rel, None, "file not found"))
    except UnicodeDecodeError:
        problems.append((rel, None, "not UTF-8 text"))
    except RecursionError:
        problems.append((rel, None, "nested too deeply to be a rule file"))
    except yaml.YAMLError as exc:
        problems.append((rel, None, f"not valid YAML: {exc}".replace("\n", " ")))
    except OSError as exc:
        problems.append((rel, None, f"cannot be read: {exc.strerror or exc}"))
    return None


def _pyd_problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        out.append(f"{loc}: {msg}" if loc else msg)
    return out


class _Layer:
    """One pack folder's raw content."""

    def __init__(self, root: Path):
        self.root = root
        self.meta: dict = {}
        self.sources: dict = {}
        self.parameters: dict = {}
        self.race: dict | None = None
        self.scoring: dict | None = None
        self.benchmarks: dict | None = None
        self.estimate: dict | None = None
        self.plan: dict | None = None
        self.rule_docs: list[tuple[str, Any]] = []


def _read_layer(root: Path, problems: list) -> _Layer:
    layer = _Layer(root)
    name = root.name
    if not root.is_dir():
        problems.append((str(root), None, "rule pack folder not found"))
        return layer
    meta = _read_yaml(root / "pack.yaml", problems, f"{name}/pack.yaml") or {}
    if not isinstance(meta, dict):
        problems.append((f"{name}/pack.yaml", None, "expected a mapping"))
        meta = {}
    unknown = set(meta) - {"name", "version", "title", "description", "extends", "redirects"}
    for key in sorted(unknown):
        problems.append((f"{name}/pack.yaml", None, f"{key}: unknown field"))
    layer.meta = meta
    for fname, attr in (("sources.yaml", "sources"), ("parameters.yaml", "parameters")):
        path = root / fname
        if path.exists():
            doc = _read_yaml(path, problems, f"{name}/{fname}") or {}
            if not isinstance(doc, dict):
                problems.append((f"{name}/{fname}", None, "expected a mapping"))
                doc = {}
            body = doc.get(attr, {}) if attr in doc else doc
            extra = set(doc) - {attr} if attr in doc else set()
            for key in sorted(extra):
                problems.append((f"{name}/{fname}", None, f"{key}: unknown top-level key"))
            setattr(layer, attr, body or {})
    if (root / "race.yaml").exists():
        layer.race = _read_yaml(root / "race.yaml", problems, f"{name}/race.yaml") or {}
    if (root / "scoring.yaml").exists():
        layer.scoring = _read_yaml(root / "scoring.yaml", problems, f"{name}/scoring.yaml") or {}
    if (root / "benchmarks.yaml").exists():
        layer.benchmarks = _read_yaml(root / "benchmarks.yaml", problems, f"{name}/benchmarks.yaml") or {}
    if (root / "estimate.yaml").exists():
        layer.estimate = _read_yaml(root / "estimate.yaml", problems, f"{name}/estimate.yaml") or {}
    if (root / "plan.yaml").exists():
        layer.plan = _read_yaml(root / "plan.yaml", problems, f"{name}/plan.yaml") or {}
    rules_dir = root / "rules"
    if rules_dir.is_dir():
        for path in sorted(rules_dir.glob("*.yaml")):
            rel = f"{name}/rules/{path.name}"
            doc = _read_yaml(path, problems, rel)
            if doc is None:
                continue
            if not isinstance(doc, dict) or set(doc) - {"rules"} or not isinstance(doc.get("rules"), list):
                problems.append((rel, None, "a rule file is a mapping with one key, 'rules', holding a list"))
                continue
            for item in doc["rules"]:
                layer.rule_docs.append((rel, item))
    return layer


def load_rulebase(path: str | Path | None = None) -> RuleBase:
    """Load and check a rule pack (default: the built-in Zegama pack).

    A pack may say ``extends: zegama`` (or a path) in its ``pack.yaml``: it then
    starts from that pack and can add rules, replace rules by id, override
    parameter values and add sources, without copying the rest.
    """
    try:
        return _load_rulebase(path)
    except RecursionError:
        # A condition nested thousands deep (no real rule is): refused, not a traceback.
        raise RuleFileError([(str(path or "zegama"), None, "a rule's condition is nested too deeply to check")]) \
            from None


def _load_rulebase(path: str | Path | None = None) -> RuleBase:
    problems: list[tuple[str, str | None, str]] = []
    layers: list[_Layer] = []
    root = resolve_pack_path(path)
    seen: set[Path] = set()
    while True:
        layer = _read_layer(root, problems)
        layers.insert(0, layer)
        seen.add(root.resolve())
        parent = layer.meta.get("extends")
        if not parent:
            break
        parent_root = resolve_pack_path(parent) if str(parent) in BUILTIN_PACKS else (root / str(parent)).resolve()
        if parent_root.resolve() in seen:
            problems.append((f"{root.name}/pack.yaml", None, f"extends: cycle through {parent}"))
            break
        root = parent_root
    # A broken rule file only loses its own rules; anything else (pack.yaml,
    # parameters, sources) would make every later check misleading.
    if any("/rules/" not in f for f, _, _ in problems):
        raise RuleFileError(problems)

    top = layers[-1]
    sources_raw: dict = {}
    params_raw: dict = {}
    race: dict = {}
    scoring: dict = {}
    benchmarks_doc: tuple[str, dict] | None = None  # a layer's file replaces the one it extends
    estimate_doc: tuple[str, dict] | None = None    # likewise
    plan_doc: tuple[str, dict] | None = None        # likewise
    rule_items: dict[str, tuple[str, Any]] = {}
    for layer in layers:
        ln = layer.root.name
        for key, val in (layer.sources or {}).items():
            sources_raw[key] = (f"{ln}/sources.yaml", val)
        if layer.race:
            for key, val in (layer.race.get("sources") or {}).items():
                sources_raw[key] = (f"{ln}/race.yaml", val)
            race = _merge(race, layer.race)
        if layer.scoring:
            scoring = _merge(scoring, layer.scoring)
        if layer.benchmarks:
            benchmarks_doc = (f"{ln}/benchmarks.yaml", layer.benchmarks)
        if layer.estimate:
            estimate_doc = (f"{ln}/estimate.yaml", layer.estimate)
        if layer.plan:
            plan_doc = (f"{ln}/plan.yaml", layer.plan)
        for key, val in (layer.parameters or {}).items():
            if key in params_raw and isinstance(val, dict) and isinstance(params_raw[key][1], dict):
                # an override keeps the base's description, unit and sources unless it restates them
                given = layer.parameters[key]
                val = {**params_raw[key][1], **val}
                # a value, a table or a scale: the override's kind replaces the base's
                for kind in ("value", "values", "scale"):
                    if kind not in given and any(k in given for k in ("value", "values", "scale")):
                        val.pop(kind, None)
            params_raw[key] = (f"{ln}/parameters.yaml", val)
        in_layer: set[str] = set()
        for rel, item in layer.rule_docs:
            rid = item.get("id") if isinstance(item, dict) else None
            if isinstance(rid, str):
                if rid in in_layer:
                    problems.append((rel, rid, "duplicate rule id"))
                    continue
                in_layer.add(rid)
                rule_items[rid] = (rel, item)
            else:
                rule_items[f"__noid_{len(rule_items)}"] = (rel, item)

    sources: dict[str, Source] = {}
    for key, (rel, val) in sources_raw.items():
        try:
            sources[key] = Source.model_validate(val)
        except ValidationError as exc:
            problems.extend((rel, None, f"source {key}: {m}") for m in _pyd_problems(exc))
    parameters: dict[str, Parameter] = {}
    for key, (rel, val) in params_raw.items():
        try:
            p = Parameter.model_validate(val)
        except ValidationError as exc:
            problems.extend((rel, None, f"parameter {key}: {m}") for m in _pyd_problems(exc))
            continue
        raw = {k: v for k, (_, v) in params_raw.items() if isinstance(v, dict)}
        problems.extend((rel, None, f"parameter {key}: {m}") for m in _check_parameter(key, p, sources, raw))
        parameters[key] = p

    rb = RuleBase(
        name=str(top.meta.get("name", top.root.name)),
        version=str(top.meta.get("version", "0")),
        title=str(top.meta.get("title", "")),
        root=top.root,
        sources=sources,
        parameters=parameters,
        race=race,
        scoring=scoring,
        rules={},
        layers=[str(l.root) for l in layers],
    )
    # Kinds of fact that rules assert (forward chaining), read before any rule
    # is checked so that a consumer may sit in an earlier file than its producer.
    derived_kinds: dict[str, list[str]] = {}
    for rel, item in rule_items.values():
        spec = item.get("asserts") if isinstance(item, dict) else None
        if isinstance(spec, dict) and isinstance(spec.get("kind"), str):
            copied = spec.get("copy") if isinstance(spec.get("copy"), list) else []
            derived_kinds.setdefault(spec["kind"], []).extend(str(c) for c in copied)
    for key, (rel, item) in rule_items.items():
        compiled = _check_rule(rb, rel, item, problems, derived_kinds)
        if compiled is not None:
            rb.rules[compiled.id] = compiled
    for layer in layers:
        for old, new in (layer.meta.get("redirects") or {}).items():
            rb.redirects[str(old)] = str(new)
    for old, new in rb.redirects.items():
        if old in rb.rules:
            problems.append((f"{top.root.name}/pack.yaml", old, "redirects: an id in use cannot be redirected (ids are never reused)"))
        if new not in rb.rules:
            problems.append((f"{top.root.name}/pack.yaml", old, f"redirects: {new} is not a rule of the pack"))
    _check_chaining(rb, problems)
    _check_scoring(rb, problems)
    _load_benchmarks(rb, benchmarks_doc, problems)
    _load_finish_model(rb, estimate_doc, problems)
    _load_plan(rb, plan_doc, problems)
    if problems:
        raise RuleFileError(problems)
    return rb


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _check_parameter(key: str, p: Parameter, sources: dict, params: dict[str, Any] | None = None) -> list[str]:
    out = [f"unknown source {s!r}" for s in p.sources if s not in sources]
    if p.tolerance is not None:
        out += [f"tolerance: unknown source {s!r}" for s in p.tolerance.sources if s not in sources]
        if p.better is None:
            out.append("tolerance: needs 'better' (lower or higher) to know which way to widen the target")
    if p.override is not None and p.override not in PROFILE_FIELDS_SET:
        out.append(f"override: {p.override!r} is not a profile field")
    if p.scale is not None:
        s = p.scale
        if p.values is not None or p.value is not None:
            out.append("a scaled parameter takes no 'value' or 'values': they come from its scale")
        base = (params or {}).get(s.of)
        if base is None:
            out.append(f"scale.of: unknown parameter {s.of!r}")
        elif not set(base.get("by") or ()) <= set(p.by):
            out.append(f"by: must include what {s.of} depends on ({', '.join(base.get('by') or ())})")
        if "default" not in s.factor:
            out.append("scale.factor: needs a 'default' (sex X or unknown)")
        if set(s.factor) - {"M", "F", "default"}:
            out.append("scale.factor: keys are M, F and default")
        if set(s.factor) != {"default"} and "sex" not in p.by:
            out.append("by: a factor by sex needs 'sex' in by")
        for bound in (s.min, s.max):
            if bound is not None:
                try:
                    _param_value(p, bound)
                except ValueError as exc:
                    out.append(f"scale bound {bound!r}: {exc}")
        return out
    if p.by:
        if p.values is None or p.value is not None:
            out.append("a parameter with 'by' needs 'values' (nested by " + ", ".join(p.by) + ") and no 'value'")
            return out
        leaves: list[Any] = []

        def collect(node: Any, depth: int) -> None:
            if depth == len(p.by):
                leaves.append(node)
            elif not isinstance(node, dict):
                out.append(f"values: expected a mapping by {p.by[depth]} at depth {depth + 1}")
            else:
                for v in node.values():
                    collect(v, depth + 1)

        collect(p.values, 0)
    else:
        if p.values is not None or p.value is None:
            out.append("a parameter without 'by' needs a single 'value'")
            return out
        leaves = [p.value]
    for leaf in leaves:
        try:
            v = _param_value(p, leaf)
        except ValueError as exc:
            out.append(f"value {leaf!r}: {exc}")
            continue
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            out.append(f"value {leaf!r} is not a number")
    return out


def _fact_fields(rb: RuleBase, kind: str) -> set[str] | None:
    if kind == "runner":
        return runner_fields() | {f"target_{n}" for n in rb.parameters} | {
            f"gate_{n}" for n, p in rb.parameters.items() if p.tolerance is not None}
    if kind == "race":
        return set(RACE_FIELDS)
    return None


def _check_rule(
    rb: RuleBase, rel: str, item: Any, problems: list, derived_kinds: dict[str, list[str]]
) -> CompiledRule | None:
    rid = item.get("id") if isinstance(item, dict) else None
    if not isinstance(item, dict):
        problems.append((rel, None, "each rule must be a mapping"))
        return None
    try:
        rule = Rule.model_validate(item)
    except ValidationError as exc:
        problems.extend((rel, rid if isinstance(rid, str) else None, m) for m in _pyd_problems(exc))
        return None
    errors: list[str] = []
    try:
        cond = C.parse(rule.when)
    except C.ConditionError as exc:
        problems.append((rel, rule.id, str(exc)))
        return None
    allowed = _fact_fields(rb, rule.fact)
    if allowed is None:
        if rule.fact not in derived_kinds:
            errors.append(f"fact: unknown fact kind {rule.fact!r} (runner, race, or a kind another rule asserts)")
            allowed = set()
        else:
            allowed = set(derived_kinds[rule.fact]) | {"source_rule"}
    fields = C.fields_read(cond)
    for f in fields:
        if f not in allowed:
            errors.append(f"when: unknown field {f!r} for a {rule.fact} fact")
    errors.extend(_operator_type_errors(cond, rule.fact, allowed))
    params = C.params_used(cond)
    for name in params:
        if name not in rb.parameters:
            errors.append(f"when: unresolved parameter {name!r}")
        elif rb.parameters[name].by and rule.fact != "runner":
            errors.append(f"when: parameter {name!r} depends on {rb.parameters[name].by}, so only runner facts may use it")
    for leaf in C.walk(cond):
        op = leaf.operand
        if isinstance(op, C.Param) and op.beyond_tolerance and op.name in rb.parameters:
            p = rb.parameters[op.name]
            if p.tolerance is None or p.better is None:
                errors.append(f"when: {{param: {op.name}, beyond_tolerance: true}} but {op.name!r} has no "
                              "tolerance (and better) in the parameter files")
    for lit in C.literals(cond):
        if isinstance(lit, (int, float)) and not isinstance(lit, bool) and lit not in (0, 1):
            errors.append(f"when: number {lit!r} has no source; put it in parameters.yaml with its source and use {{param: NAME}}")
    for s in rule.sources:
        if s not in rb.sources:
            errors.append(f"sources: unknown source {s!r}")
    if rule.kind == "eligibility" and rule.outcome is None:
        errors.append("outcome: an eligibility rule needs an outcome (qualifies, at_risk, blocks, route, misaligned)")
    if rule.kind == "missing" and not rule.test:
        errors.append("test: a 'missing' rule must say how to take the test")
    if rule.gap is not None:
        if rule.gap.target not in rb.parameters:
            errors.append(f"gap.target: unresolved parameter {rule.gap.target!r}")
        if rule.gap.field not in allowed:
            errors.append(f"gap.field: unknown field {rule.gap.field!r}")
        if rule.gap.field not in fields:
            fields.append(rule.gap.field)
        if rule.gap.target not in params:
            params.append(rule.gap.target)
    if rule.asserts is not None:
        if rule.asserts.kind in ("runner", "race"):
            errors.append("asserts.kind: 'runner' and 'race' are reserved")
        for f in rule.asserts.copy_fields:
            if f not in allowed:
                errors.append(f"asserts.copy: unknown field {f!r}")
    placeholders = _placeholders(rule.message, errors)
    known = allowed | {"target", "value"} | {f"target_{p}" for p in params}
    for ph in placeholders:
        if ph not in known:
            errors.append(f"message: unknown placeholder {{{ph}}}")
    if errors:
        problems.extend((rel, rule.id, e) for e in errors)
        return None
    return CompiledRule(rule=rule, cond=cond, file=rel, fields=fields, params=params)


# --------------------------------------------------------------------------- operator types

#: Fields of the facts that hold text or yes/no values, beyond the profile models.
_TEXT_FIELDS = {"phase", "age_band", "source_rule"}
_NUMBER_FIELDS = {"idx", "season"}


def _annotation_type(annotation: Any) -> tuple[str | None, tuple | None]:
    """("number" | "text" | "bool" | None, allowed enum values or None) of a model field."""
    import enum
    import types
    import typing

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _annotation_type(args[0])
    if origin is not None and origin not in (typing.Union, types.UnionType):
        return None, None  # a list or mapping: not comparable
    if args:
        return _annotation_type(args[0]) if len(args) == 1 else (None, None)
    if annotation is bool:
        return "bool", None
    if annotation in (int, float):
        return "number", None
    if annotation in (str, dt.date):
        return "text", None
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "text", tuple(m.value for m in annotation)
    return None, None


def field_type(name: str, fact_kind: str = "runner") -> tuple[str | None, tuple | None]:
    """The type of a fact field as conditions see it, and its allowed values if it is a choice."""
    from ..model.profile import Profile, RaceResult

    if name.startswith("target_"):
        return "number", None
    if name in _TEXT_FIELDS:
        return "text", None
    if name in _NUMBER_FIELDS:
        return "number", None
    kinds = ("runner",) if fact_kind == "runner" else ("race",) if fact_kind == "race" else ("race", "runner")
    for kind in kinds:
        model, derived = (Profile, RUNNER_DERIVED) if kind == "runner" else (RaceResult, RACE_FIELDS)
        if name in model.model_fields:
            return _annotation_type(model.model_fields[name].annotation)
        if name in derived:
            return ("number" if derived[name][0] else "bool"), None
    return None, None


def _literal_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "text"


def _operator_type_errors(cond: C.Cond, fact_kind: str, allowed: set[str]) -> list[str]:
    """Comparisons that can never mean what they say: ``lt`` on text, a number against a word, ..."""
    out = []
    for leaf in C.walk(cond):
        if leaf.op == "exists" or leaf.field not in allowed:
            continue
        ftype, choices = field_type(leaf.field, fact_kind)
        if ftype is None:
            continue
        where = f"when: {leaf.field} ({ftype})"
        if leaf.op in ("lt", "lte", "gt", "gte") and ftype != "number":
            out.append(f"{where}: '{leaf.op}' only compares numbers")
            continue
        operands = leaf.operand if isinstance(leaf.operand, tuple) else (leaf.operand,)
        for operand in operands:
            if isinstance(operand, C.Param):
                otype = "number"
            elif isinstance(operand, C.Ref):
                otype = field_type(operand.field, fact_kind)[0]
            else:
                otype = _literal_type(operand.value)
                if ftype == "bool" and otype == "number" and operand.value in (0, 1):
                    otype = "bool"
            if otype is not None and otype != ftype:
                shown = f"{{param: {operand.name}}}" if isinstance(operand, C.Param) else (
                    f"{{field: {operand.field}}}" if isinstance(operand, C.Ref) else repr(operand.value))
                out.append(f"{where}: '{leaf.op}' against {shown} ({otype}) can never match")
            elif choices and isinstance(operand, C.Lit) and operand.value not in choices:
                out.append(f"{where}: {operand.value!r} is not one of {', '.join(map(str, choices))}")
    return out


def _placeholders(message: str, errors: list[str]) -> list[str]:
    out = []
    try:
        for _, name, spec, conv in string.Formatter().parse(message):
            if name is None:
                continue
            if not name.isidentifier() or conv or spec:
                errors.append(f"message: placeholder {{{name}}} must be a plain field name")
                continue
            out.append(name)
    except ValueError as exc:
        errors.append(f"message: {exc}")
    return out


def _check_chaining(rb: RuleBase, problems: list) -> None:
    produced = {r.rule.asserts.kind for r in rb.rules.values() if r.rule.asserts}
    for r in rb.rules.values():
        if r.rule.fact not in ("runner", "race") and r.rule.fact not in produced:
            problems.append((r.file, r.id, f"fact: no rule asserts {r.rule.fact!r} facts"))


def _load_benchmarks(rb: RuleBase, doc: tuple[str, dict] | None, problems: list) -> None:
    if doc is None:
        problems.append(("benchmarks.yaml", None, "file not found: a pack lists its benchmarks (or extends one that does)"))
        return
    rel, body = doc
    if not isinstance(body, dict) or set(body) - {"traits", "benchmarks"}:
        problems.append((rel, None, "expected a mapping with 'traits' and 'benchmarks'"))
        return
    traits = body.get("traits") or {}
    if not isinstance(traits, dict) or not all(isinstance(v, str) for v in traits.values()):
        problems.append((rel, None, "traits: expected a mapping of key to label"))
        traits = {}
    rb.traits = dict(traits)
    allowed = runner_fields()
    seen: set[str] = set()
    for i, item in enumerate(body.get("benchmarks") or []):
        try:
            b = BenchmarkDef.model_validate(item)
        except ValidationError as exc:
            problems.extend((rel, None, f"benchmarks[{i}]: {m}") for m in _pyd_problems(exc))
            continue
        where = f"benchmark {b.field}"
        if b.field in seen:
            problems.append((rel, None, f"{where}: listed twice"))
        seen.add(b.field)
        if b.field not in allowed:
            problems.append((rel, None, f"{where}: unknown runner field"))
        for f in b.inputs:
            if f not in PROFILE_FIELDS_SET:
                problems.append((rel, None, f"{where}: inputs: {f!r} is not a profile field"))
        if b.target not in rb.parameters:
            problems.append((rel, None, f"{where}: target: unresolved parameter {b.target!r}"))
        elif rb.parameters[b.target].better not in (None, b.better):
            problems.append((rel, None, f"{where}: better: {b.better} but parameter {b.target} says {rb.parameters[b.target].better}"))
        if b.trait not in rb.traits:
            problems.append((rel, None, f"{where}: trait: {b.trait!r} is not one of the traits listed"))
        rb.benchmarks.append(b)


def _spec(rb: RuleBase, doc: tuple[str, dict], model: type[BaseModel], problems: list) -> tuple[str, Any]:
    """A pack file validated by its model, each source it cites known: (its name, the model or None)."""
    rel, body = doc
    try:
        spec = model.model_validate(body)
    except ValidationError as exc:
        problems.extend((rel, None, m) for m in _pyd_problems(exc))
        return rel, None
    for key in sorted(spec.cited() - set(rb.sources)):
        problems.append((rel, None, f"unknown source {key!r}"))
    return rel, spec


def _load_plan(rb: RuleBase, doc: tuple[str, dict] | None, problems: list) -> None:
    """``plan.yaml``: optional (a pack without it has no ``zegama plan``)."""
    if doc is None:
        return
    from .plan_spec import PlanSpec

    rel, spec = _spec(rb, doc, PlanSpec, problems)
    if spec is None:
        return
    for phase in spec.retest.phases:
        if phase not in rb.scoring.get("phase_demand", {}):
            problems.append((rel, None, f"retest.phases: {phase} is not a phase of scoring.yaml"))
    rb.plan = spec


def _load_finish_model(rb: RuleBase, doc: tuple[str, dict] | None, problems: list) -> None:
    """``estimate.yaml``: optional (a pack without it gives no finish-time estimate)."""
    if doc is None:
        return
    from ..estimate.spec import FinishModel

    rel, fm = _spec(rb, doc, FinishModel, problems)
    if fm is None:
        return
    for name in fm.benchmarks:
        p = rb.parameters.get(name)
        if p is None or p.scale is None:
            problems.append((rel, None, f"benchmarks: {name} is not a parameter scaled from the goal time"))
    rb.finish_model = fm


def _check_scoring(rb: RuleBase, problems: list) -> None:
    sc = rb.scoring
    where = f"{Path(rb.layers[0]).name}/scoring.yaml" if rb.layers else "scoring.yaml"
    demand = sc.get("phase_demand")
    if not isinstance(demand, dict):
        problems.append((where, None, "phase_demand: missing"))
        return
    for phase in ("base", "build", "race_specific", "taper"):
        row = demand.get(phase)
        if not isinstance(row, dict) or set(row) != set(PILLARS):
            problems.append((where, None, f"phase_demand.{phase}: needs a demand for each of {', '.join(PILLARS)}"))
        elif not all(isinstance(v, (int, float)) and 0 < v <= 1 for v in row.values()):
            problems.append((where, None, f"phase_demand.{phase}: demands are numbers above 0, at most 1"))
        elif len(set(row.values())) != len(row):
            problems.append((where, None, f"phase_demand.{phase}: two pillars with the same demand would leave "
                                          "their order to chance for a runner with no gap"))
    m = sc.get("maintenance")
    if not isinstance(m, (int, float)) or not 0 <= m < 1:
        problems.append((where, None, "maintenance: a share from 0 to under 1"))
    if not isinstance(sc.get("unknown_severity"), (int, float)):
        problems.append((where, None, "unknown_severity: missing"))
    mix = sc.get("session_mix")
    if not isinstance(mix, dict):
        problems.append((where, None, "session_mix: missing"))
        return
    for phase in ("base", "build", "race_specific", "final_weeks", "taper"):
        rows = mix.get(phase)
        if phase == "final_weeks" and rows is None:
            continue  # optional: the race-specific week stands until race day's taper
        if not isinstance(rows, list) or not all(isinstance(s, dict) and {"pillar", "per_week", "session"} <= set(s) for s in rows):
            problems.append((where, None, f"session_mix.{phase}: a list of {{pillar, per_week, session}}"))
            continue
        pillars = [s["pillar"] for s in rows]
        if len(set(pillars)) != len(pillars) or not set(pillars) <= set(PILLARS):
            problems.append((where, None, f"session_mix.{phase}: one session per pillar, pillars among {', '.join(PILLARS)}"))


def value_unit(name: str) -> str | None:
    """Unit of a fact field (profile, derived or race)."""
    if name in DURATION_FIELDS:
        return "h:mm:ss"
    if name in RUNNER_DERIVED:
        return RUNNER_DERIVED[name][0]
    if name in RACE_FIELDS:
        return RACE_FIELDS[name][0]
    return field_unit(name)


def format_value(name: str, value: Any) -> str:
    if value is None:
        return "unknown"
    if name in DURATION_FIELDS:
        return format_duration(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "percentile" and isinstance(value, (int, float)):
        return f"top {top_share(value)}"
    if name == "km_effort" and isinstance(value, (int, float)):
        return f"{round(value):d}"  # ITRA gives km-effort in whole units: 69.56 reads as false precision
    return _fmt_number(value)


def top_share(share: float) -> str:
    """A place as a share of the field, rounded up (4th of 900 is within the top 0.5%, never 'top 0%')."""
    pct = share * 100
    if pct < 1:
        return f"{math.ceil(pct * 10 - 1e-9) / 10:g}%"
    return f"{math.ceil(pct - 1e-9)}%"
