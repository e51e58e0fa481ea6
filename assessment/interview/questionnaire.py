"""Questionnaires as data: the file format, its loader and its checks.

A questionnaire (``questionnaires/*.yaml``) lists sections of questions. Each
question fills one profile field, or keeps a *local* answer that only later
conditions read ("do you train with a heart-rate monitor?"). A section may
repeat (race history: "add another race?"). Conditions (``ask_if``) use the
rule condition language of :mod:`assessment.conditions` on earlier answers;
nothing in the file is ever executed. The engine that asks a questionnaire is
:mod:`assessment.interview`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Literal

import annotated_types
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..rules import conditions as C
from .answers import DONT_KNOW_WORDS, HELP_WORDS, SKIP_WORDS, display_input, format_number, parse_value
from ..model.profile import DURATION_FIELDS, PROFILE_FIELDS, RACE_FIELDS, Profile, RaceResult, plain_type
from ..model.units import format_duration, parse_duration

QUESTION_TYPES = ("text", "choice", "multi_choice", "integer", "decimal", "duration", "date", "yes_no", "scale")
BUILTIN_QUESTIONNAIRES = ("zegama", "quick")
SCHEMA_VERSION = 1


class QuestionnaireError(ValueError):
    """A questionnaire file is invalid; ``problems`` lists (where, message), where names the question."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{w}: {m}" if w else m for w, m in problems]
        super().__init__(f"invalid questionnaire {source}:\n  " + "\n  ".join(lines))


# =========================================================================== the profile fields

@dataclass(frozen=True)
class FieldSpec:
    """What the profile model says about one field: its kind, bounds and allowed values."""

    name: str
    kind: str  # text, enum, enum_list, int, float, bool, date, duration
    ge: float | None = None
    le: float | None = None
    max_length: int | None = None
    values: tuple[str, ...] = ()


def _field_spec(model: type[BaseModel], name: str) -> FieldSpec:
    info = model.model_fields[name]
    ge = le = max_length = None
    for meta in info.metadata:
        if isinstance(meta, annotated_types.Ge):
            ge = meta.ge
        elif isinstance(meta, annotated_types.Le):
            le = meta.le
        elif isinstance(meta, annotated_types.MaxLen):
            max_length = meta.max_length
    tp = plain_type(info.annotation)
    values: tuple[str, ...] = ()
    if name in DURATION_FIELDS:
        kind = "duration"
    elif typing.get_origin(tp) is list:
        kind = "enum_list"
        values = tuple(m.value for m in plain_type(typing.get_args(tp)[0]))
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        kind = "enum"
        values = tuple(m.value for m in tp)
    elif tp is bool:
        kind = "bool"
    elif tp is int:
        kind = "int"
    elif tp is float:
        kind = "float"
    elif tp is dt.date:
        kind = "date"
    else:
        kind = "text"
    return FieldSpec(name, kind, ge, le, max_length, values)


PROFILE_SPECS = {n: _field_spec(Profile, n) for n in PROFILE_FIELDS}
RACE_SPECS = {n: _field_spec(RaceResult, n) for n in RACE_FIELDS}
_COMPATIBLE = {
    "text": {"text"},
    "enum": {"choice"},
    "enum_list": {"multi_choice"},
    "int": {"integer", "scale"},
    "float": {"decimal", "integer"},
    "bool": {"yes_no"},
    "date": {"date"},
    "duration": {"duration"},
}
_TYPE_UNITS = {"duration": "h:mm:ss", "date": "YYYY-MM-DD"}


# =========================================================================== the file format

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChoiceSpec(_Strict):
    value: str | bool | int
    label: str = Field(min_length=1)


class QuestionSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    field: str | None = None
    label: str | None = None
    prompt: str = Field(min_length=1)
    hint: str | None = None
    help: str | None = None
    type: Literal[QUESTION_TYPES]  # type: ignore[valid-type]
    unit: str | None = None
    min: float | str | None = None
    max: float | str | None = None
    choices: list[ChoiceSpec] | None = None
    anchors: dict[int, str] | None = None
    optional: bool = False
    dont_know: bool = False
    default: str | bool | int | float | list[str] | None = None
    default_from: str | None = None  # a derived value (model.profile.DERIVED_DEFAULTS) that replaces default
    ask_if: Any = None


class RepeatSpec(_Strict):
    field: Literal["races"]
    item_label: str = "item"
    first_prompt: str
    more_prompt: str
    max_items: int = Field(default=50, ge=1, le=500)


class SectionSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    intro: str | None = None
    ask_if: Any = None
    repeat: RepeatSpec | None = None
    questions: list[QuestionSpec] = Field(min_length=1)


class QuestionnaireSpec(_Strict):
    schema_version: Literal[1]
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    description: str | None = None
    minutes: int | None = Field(default=None, ge=1, le=120)
    sections: list[SectionSpec] = Field(min_length=1)


# =========================================================================== the loaded questionnaire

@dataclass(frozen=True)
class Choice:
    value: Any
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    field: str | None  # None: a local answer, kept in the interview progress only
    label: str
    prompt: str
    type: str
    unit: str | None
    min: float | None  # minutes for durations
    max: float | None
    max_length: int | None
    choices: tuple[Choice, ...]
    anchors: tuple[tuple[int, str], ...]
    optional: bool
    dont_know: bool
    default: Any  # canonical value (as in a saved profile), or None
    cond: C.Cond | None
    ask_if: Any  # the condition as written, for export
    hint: str | None
    help: str | None
    group: str | None  # the repeat field (``races``) for questions inside a repeat section
    control: bool = False  # the "add another?" question of a repeat section
    default_from: str | None = None  # name in model.profile.DERIVED_DEFAULTS

    @property
    def name(self) -> str:
        """The name conditions use: the profile field, or the id of a local answer."""
        return self.field or self.id

    @property
    def local(self) -> bool:
        return self.field is None


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str | None
    cond: C.Cond | None
    ask_if: Any
    repeat: RepeatSpec | None
    questions: tuple[Question, ...]
    first_control: Question | None = None
    more_control: Question | None = None


@dataclass(frozen=True)
class Questionnaire:
    id: str
    title: str
    description: str | None
    minutes: int | None
    sections: tuple[Section, ...]
    source: str

    def questions(self) -> Iterator[Question]:
        for s in self.sections:
            yield from s.questions

    def question(self, qid: str) -> Question:
        for q in self.questions():
            if q.id == qid:
                return q
        raise KeyError(qid)

    def fields_asked(self) -> tuple[set[str], set[str]]:
        """(profile fields, race fields) that some question fills."""
        top = {q.field for q in self.questions() if q.field and q.group is None}
        race = {q.field for q in self.questions() if q.field and q.group == "races"}
        return top, race

    def locals(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions() if q.local}

    def to_dict(self) -> dict:
        """The questionnaire for other tools (``zegama questions --format json``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "minutes": self.minutes,
            "conventions": {
                "dont_know": sorted(DONT_KNOW_WORDS),
                "skip": sorted(SKIP_WORDS),
                "help": sorted(HELP_WORDS),
                "durations": "h:mm:ss, mm:ss, 45'30\" or minutes",
                "decimals": "4.5 or 4,5",
                "dates": "YYYY-MM-DD or DD/MM/YYYY",
                "choices": "the number or the name",
            },
            "sections": [_section_dict(s) for s in self.sections],
        }


def _bound_display(q: Question, value: float | None) -> Any:
    if value is None:
        return None
    if q.type == "duration":
        return format_duration(value)
    return int(value) if float(value).is_integer() else value


def _question_dict(q: Question) -> dict:
    out: dict[str, Any] = {
        "id": q.id,
        "field": q.field,
        "label": q.label,
        "prompt": q.prompt,
        "type": q.type,
        "unit": q.unit,
        "min": _bound_display(q, q.min),
        "max": _bound_display(q, q.max),
        "optional": q.optional,
        "dont_know": q.dont_know,
        "default": q.default,
    }
    if q.default_from:
        out["default_from"] = q.default_from
    if q.max_length:
        out["max_length"] = q.max_length
    if q.choices:
        out["choices"] = [{"value": c.value, "label": c.label} for c in q.choices]
    if q.anchors:
        out["anchors"] = {str(k): v for k, v in q.anchors}
    if q.ask_if is not None:
        out["ask_if"] = q.ask_if
        out["ask_if_text"] = " ".join(C.describe(q.cond).split()) if q.cond else None
    out["hint"] = q.hint
    out["help"] = q.help
    return out


def _section_dict(s: Section) -> dict:
    out: dict[str, Any] = {"id": s.id, "title": s.title, "intro": s.intro}
    if s.ask_if is not None:
        out["ask_if"] = s.ask_if
    if s.repeat is not None:
        out["repeat"] = s.repeat.model_dump()
    out["questions"] = [_question_dict(q) for q in s.questions]
    return out


# =========================================================================== loading and checking

def questionnaires_root() -> Path:
    from ..rules.rulebase import builtin_root

    return builtin_root() / "questionnaires"


def resolve_questionnaire(ref: str | Path | None) -> Path:
    """A built-in name (``zegama``, ``quick``) or a path to a YAML file."""
    if ref is None:
        ref = "zegama"
    if str(ref) in BUILTIN_QUESTIONNAIRES:
        return questionnaires_root() / f"{ref}.yaml"
    return Path(ref)


def builtin_ref(ref: str | Path | None) -> str:
    """How to record a questionnaire reference so that a later run finds it again."""
    if ref is None or str(ref) in BUILTIN_QUESTIONNAIRES:
        return str(ref or "zegama")
    return str(Path(ref).resolve())


def load_questionnaire(ref: str | Path | None = None) -> Questionnaire:
    """Load and check a questionnaire, raising QuestionnaireError with every problem."""
    path = resolve_questionnaire(ref)
    source = str(ref or "zegama") if str(ref or "zegama") in BUILTIN_QUESTIONNAIRES else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = f" (built-in questionnaires: {', '.join(BUILTIN_QUESTIONNAIRES)})"
        raise QuestionnaireError(source, [("", f"file not found{hint}")]) from None
    except OSError as exc:
        raise QuestionnaireError(source, [("", str(exc.strerror))]) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise QuestionnaireError(source, [("", f"not valid YAML: {exc}".replace("\n", " "))]) from None
    return parse_questionnaire(raw, source)


def _where_of(raw: Any, loc: tuple) -> tuple[str, tuple]:
    """Name the question or section an error location points into, and the rest of the path."""
    try:
        if len(loc) >= 4 and loc[0] == "sections" and loc[2] == "questions":
            q = raw["sections"][loc[1]]["questions"][loc[3]]
            qid = q.get("id") if isinstance(q, dict) else None
            return f"question {qid or '#%d' % (loc[3] + 1)}", loc[4:]
        if len(loc) >= 2 and loc[0] == "sections":
            s = raw["sections"][loc[1]]
            sid = s.get("id") if isinstance(s, dict) else None
            return f"section {sid or '#%d' % (loc[1] + 1)}", loc[2:]
    except (IndexError, KeyError, TypeError):
        pass
    return "", loc


def parse_questionnaire(raw: Any, source: str = "<questionnaire>") -> Questionnaire:
    """Check a parsed questionnaire document and build the runtime form."""
    if not isinstance(raw, dict):
        raise QuestionnaireError(source, [("", f"a questionnaire must be a mapping, got {type(raw).__name__}")])
    try:
        spec = QuestionnaireSpec.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where, rest = _where_of(raw, tuple(err["loc"]))
            path = ".".join(str(p) for p in rest)
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {path!r}"
            elif err["type"] == "literal_error" and rest[-1:] == ("type",):
                msg = f"unknown type {err.get('input')!r} (known: {', '.join(QUESTION_TYPES)})"
            else:
                msg = f"{path}: {err['msg']}" if path else err["msg"]
            problems.append((where, msg))
        raise QuestionnaireError(source, problems) from None
    return _Checker(spec, source).build()


class _Checker:
    """The checks a schema cannot express: fields, types, ranges, defaults and conditions."""

    def __init__(self, spec: QuestionnaireSpec, source: str):
        self.spec = spec
        self.source = source
        self.problems: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        # Names a condition may read, with the question that answers them.
        self.top_names: dict[str, Question] = {}

    def problem(self, where: str, msg: str) -> None:
        self.problems.append((where, msg))

    def build(self) -> Questionnaire:
        sections = []
        for s in self.spec.sections:
            sections.append(self._section(s))
        if "runner_id" not in self.top_names:
            self.problem("", "no question fills runner_id, which every profile needs")
        else:
            rid = self.top_names["runner_id"]
            if rid.optional or rid.cond is not None:
                self.problem(f"question {rid.id}", "runner_id must be asked unconditionally and cannot be optional")
        seen_sections: set[str] = set()
        for s in self.spec.sections:
            if s.id in seen_sections:
                self.problem(f"section {s.id}", "duplicate section id")
            seen_sections.add(s.id)
        if self.problems:
            raise QuestionnaireError(self.source, self.problems)
        return Questionnaire(
            self.spec.id, self.spec.title, self.spec.description, self.spec.minutes, tuple(sections), self.source
        )

    # ------------------------------------------------------------------ sections

    def _section(self, s: SectionSpec) -> Section:
        where = f"section {s.id}"
        cond = self._condition(s.ask_if, where, self.top_names, {}) if s.ask_if is not None else None
        group = s.repeat.field if s.repeat else None
        item_names: dict[str, Question] = {}
        questions = []
        fields_here: set[str] = set()
        for qs in s.questions:
            q = self._question(qs, group, item_names)
            if q is None:
                continue
            if q.field:
                if q.field in fields_here or (group is None and q.field in self.top_names):
                    self.problem(f"question {q.id}", f"field {q.field} is already asked by another question")
                fields_here.add(q.field)
            if group is None:
                self.top_names[q.name] = q
            else:
                item_names[q.name] = q
            questions.append(q)
        first = more = None
        if s.repeat is not None:
            if s.repeat.field in self.top_names:
                self.problem(where, f"{s.repeat.field} is already asked elsewhere")
            first, more = (
                Question(
                    id=f"{s.repeat.field}_{kind}", field=None, label=f"add a {s.repeat.item_label}", prompt=text,
                    type="yes_no", unit=None, min=None, max=None, max_length=None, choices=(), anchors=(),
                    optional=False, dont_know=False, default=False, cond=None, ask_if=None, hint=None,
                    help=None, group=s.repeat.field, control=True,
                )
                for kind, text in (("first", s.repeat.first_prompt), ("more", s.repeat.more_prompt))
            )
        return Section(s.id, s.title, s.intro, cond, s.ask_if, s.repeat, tuple(questions), first, more)

    # ------------------------------------------------------------------ questions

    def _question(self, qs: QuestionSpec, group: str | None, item_names: dict[str, Question]) -> Question | None:
        where = f"question {qs.id}"
        if qs.id in self.ids:
            self.problem(where, "duplicate question id")
        self.ids.add(qs.id)
        specs = RACE_SPECS if group else PROFILE_SPECS
        spec: FieldSpec | None = None
        if qs.field is not None:
            spec = specs.get(qs.field)
            if spec is None:
                scope = "race result" if group else "profile"
                if group is None and qs.field == "races":
                    self.problem(where, "races are asked by a repeat section, not by one question")
                else:
                    self.problem(where, f"unknown {scope} field {qs.field!r}")
                return None
            if qs.type not in _COMPATIBLE[spec.kind]:
                allowed = " or ".join(sorted(_COMPATIBLE[spec.kind]))
                self.problem(where, f"type {qs.type} does not fit field {qs.field}, which needs {allowed}")
                return None
        else:
            if group is not None:
                self.problem(where, "a question inside a repeat section must fill a field")
                return None
            if qs.id in PROFILE_SPECS or qs.id == "races":
                self.problem(where, f"a local answer cannot be named like the profile field {qs.id}; add field: {qs.id}")
                return None
            if qs.type == "multi_choice":
                self.problem(where, "a local answer cannot be multi_choice")
                return None

        choices = self._choices(qs, spec, where)
        lo, hi = self._bounds(qs, spec, where)
        anchors = self._anchors(qs, lo, hi, where)
        unit = qs.unit
        if unit is None:
            unit = _TYPE_UNITS.get(qs.type)
            if unit is None and qs.field:
                from ..model.profile import field_unit

                unit = field_unit(qs.field) if qs.type != "scale" else None
        q = Question(
            id=qs.id, field=qs.field, label=qs.label or qs.id.replace("_", " "), prompt=qs.prompt.strip(),
            type=qs.type, unit=unit, min=lo, max=hi, max_length=spec.max_length if spec else None,
            choices=choices, anchors=anchors, optional=qs.optional, dont_know=qs.dont_know, default=None,
            cond=None, ask_if=qs.ask_if, hint=qs.hint, help=qs.help, group=group,
        )
        if qs.default is not None:
            try:
                default = parse_value(q, qs.default if isinstance(qs.default, str) else display_input(q, qs.default))
                q = dataclasses.replace(q, default=default)
            except ValueError as exc:
                self.problem(where, f"default {qs.default!r} is not a valid answer: {exc}")
        if qs.default_from is not None:
            from ..model.profile import DERIVED_DEFAULTS

            if qs.default_from not in DERIVED_DEFAULTS:
                self.problem(where, f"default_from {qs.default_from!r} is not one of: "
                             f"{', '.join(sorted(DERIVED_DEFAULTS))}")
            else:
                q = dataclasses.replace(q, default_from=qs.default_from)
        if qs.ask_if is not None:
            cond = self._condition(qs.ask_if, where, self.top_names, item_names if group else {})
            q = dataclasses.replace(q, cond=cond)
        return q

    def _choices(self, qs: QuestionSpec, spec: FieldSpec | None, where: str) -> tuple[Choice, ...]:
        if qs.type not in ("choice", "multi_choice"):
            if qs.choices:
                self.problem(where, f"choices are only for choice and multi_choice questions, not {qs.type}")
            return ()
        if not qs.choices:
            self.problem(where, f"a {qs.type} question needs choices")
            return ()
        out = []
        seen: set[str] = set()
        for c in qs.choices:
            key = str(c.value).lower()
            if key in seen:
                self.problem(where, f"duplicate choice {c.value!r}")
            seen.add(key)
            if key.isdigit():
                self.problem(where, f"choice {c.value!r} looks like a number: people type numbers to pick choices")
            if spec is not None and spec.values and c.value not in spec.values:
                self.problem(where, f"choice {c.value!r} is not a value of {spec.name} ({', '.join(spec.values)})")
            out.append(Choice(c.value, c.label))
        return tuple(out)

    def _bounds(self, qs: QuestionSpec, spec: FieldSpec | None, where: str) -> tuple[float | None, float | None]:
        numeric = qs.type in ("integer", "decimal", "scale", "duration")
        lo = spec.ge if spec else None
        hi = spec.le if spec else None
        if qs.type == "scale" and spec is None:
            lo, hi = 1, 5
        if not numeric:
            if qs.min is not None or qs.max is not None:
                self.problem(where, f"min and max are only for numbers and durations, not {qs.type}")
            return None, None
        parsed = {}
        for key in ("min", "max"):
            raw = getattr(qs, key)
            if raw is None:
                continue
            try:
                if qs.type == "duration":
                    parsed[key] = parse_duration(raw)
                else:
                    if isinstance(raw, str):
                        raise ValueError(f"expected a number, got {raw!r}")
                    parsed[key] = float(raw)
            except ValueError as exc:
                self.problem(where, f"{key}: {exc}")
        if "min" in parsed:
            if lo is not None and parsed["min"] < lo:
                self.problem(where, f"min {qs.min} is below what the profile accepts ({format_number(qs.type, lo)})")
            lo = parsed["min"]
        if "max" in parsed:
            if hi is not None and parsed["max"] > hi:
                self.problem(where, f"max {qs.max} is above what the profile accepts ({format_number(qs.type, hi)})")
            hi = parsed["max"]
        if lo is not None and hi is not None and lo > hi:
            self.problem(where, f"min ({format_number(qs.type, lo)}) is above max ({format_number(qs.type, hi)})")
        if qs.type == "scale" and (lo is None or hi is None or hi - lo > 10):
            self.problem(where, "a scale needs a small range, e.g. min 1 and max 5")
        return lo, hi

    def _anchors(self, qs: QuestionSpec, lo, hi, where: str) -> tuple[tuple[int, str], ...]:
        if not qs.anchors:
            return ()
        if qs.type != "scale":
            self.problem(where, f"anchors are only for scale questions, not {qs.type}")
            return ()
        for k in qs.anchors:
            if lo is not None and hi is not None and not lo <= k <= hi:
                self.problem(where, f"anchor {k} is outside the scale {format_number('scale', lo)}-{format_number('scale', hi)}")
        return tuple(sorted(qs.anchors.items()))

    def _condition(self, raw: Any, where: str, top: dict[str, Question], item: dict[str, Question]) -> C.Cond | None:
        try:
            cond = C.parse(raw, "ask_if")
        except C.ConditionError as exc:
            self.problem(where, f"bad condition: {exc}")
            return None
        if C.params_used(cond):
            self.problem(where, "bad condition: ask_if cannot use {param: ...}; it reads earlier answers only")
            return None
        known = {**top, **item}
        for name in C.fields_read(cond):
            if name not in known:
                self.problem(where, f"bad condition: {name!r} is not answered by an earlier question")
                return None
        for leaf in C.walk(cond):
            q = known[leaf.field]
            lits = [leaf.operand] if isinstance(leaf.operand, C.Lit) else list(leaf.operand) if isinstance(leaf.operand, tuple) else []
            for lit in lits:
                if q.type in ("choice", "multi_choice") and lit.value not in {c.value for c in q.choices}:
                    self.problem(where, f"bad condition: {lit.value!r} is not a choice of {q.name}")
                elif q.type == "yes_no" and not isinstance(lit.value, bool):
                    self.problem(where, f"bad condition: {q.name} is yes/no; compare it with true or false")
            if leaf.op in ("lt", "lte", "gt", "gte") and q.type not in ("integer", "decimal", "scale"):
                self.problem(where, f"bad condition: {leaf.op} needs a number, and {q.name} is {q.type}")
        return cond
