"""Questionnaires as data, and the engine that asks them.

A questionnaire (``questionnaires/*.yaml``) lists sections of questions. Each
question fills one profile field, or keeps a *local* answer that only later
conditions read ("do you train with a heart-rate monitor?"). A section may
repeat (race history: "add another race?"). Conditions (``ask_if``) use the
rule condition language of :mod:`assessment.conditions` on earlier answers;
nothing in the file is ever executed.

The engine, :class:`Interview`, knows nothing about terminals: it talks to an
*asker* with two methods, ``say(text)`` and ``ask(prompt) -> str``, so a
terminal, a test script or a web form can drive it. Every accepted answer is
checked against the profile model at once (ranges, and cross-field checks such
as aerobic below anaerobic threshold), so the answers always form a valid
profile, and ``on_change`` is called after each one so that the caller can save.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import enum
import json
import re
import textwrap
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Protocol

import annotated_types
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import conditions as C
from .io import InputError, parse_document, write_atomic
from .profile import DURATION_FIELDS, PROFILE_FIELDS, RACE_FIELDS, Profile, ProfileError, RaceResult, load_profile
from .units import format_duration, parse_bool, parse_decimal, parse_duration

QUESTION_TYPES = ("text", "choice", "multi_choice", "integer", "decimal", "duration", "date", "yes_no", "scale")
BUILTIN_QUESTIONNAIRES = ("zegama", "quick")
SCHEMA_VERSION = 1

#: What a person may type instead of an answer.
DONT_KNOW_WORDS = frozenset({
    "?", "idk", "i don't know", "i dont know", "don't know", "dont know", "dunno", "unknown",
    "no sé", "no se", "ez dakit", "je ne sais pas",
})
SKIP_WORDS = frozenset({"-", "skip"})
HELP_WORDS = frozenset({"help"})


class QuestionnaireError(ValueError):
    """A questionnaire file is invalid; ``problems`` lists (where, message), where names the question."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{w}: {m}" if w else m for w, m in problems]
        super().__init__(f"invalid questionnaire {source}:\n  " + "\n  ".join(lines))


class AnswerError(ValueError):
    """An answer was refused; the message says why, for the person who typed it."""


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


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


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
    tp = _unwrap(info.annotation)
    values: tuple[str, ...] = ()
    if name in DURATION_FIELDS:
        kind = "duration"
    elif typing.get_origin(tp) is list:
        kind = "enum_list"
        values = tuple(m.value for m in typing.get_args(tp)[0])
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
    from .rulebase import builtin_root

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
                from .profile import field_unit

                unit = field_unit(qs.field) if qs.type != "scale" else None
        q = Question(
            id=qs.id, field=qs.field, label=qs.label or qs.id.replace("_", " "), prompt=qs.prompt.strip(),
            type=qs.type, unit=unit, min=lo, max=hi, max_length=spec.max_length if spec else None,
            choices=choices, anchors=anchors, optional=qs.optional, dont_know=qs.dont_know, default=None,
            cond=None, ask_if=qs.ask_if, hint=qs.hint, help=qs.help, group=group,
        )
        if qs.default is not None:
            try:
                default = parse_value(q, qs.default if isinstance(qs.default, str) else _display_input(q, qs.default))
                q = dataclasses.replace(q, default=default)
            except ValueError as exc:
                self.problem(where, f"default {qs.default!r} is not a valid answer: {exc}")
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
                self.problem(where, f"min {qs.min} is below what the profile accepts ({_fmt_num(qs.type, lo)})")
            lo = parsed["min"]
        if "max" in parsed:
            if hi is not None and parsed["max"] > hi:
                self.problem(where, f"max {qs.max} is above what the profile accepts ({_fmt_num(qs.type, hi)})")
            hi = parsed["max"]
        if lo is not None and hi is not None and lo > hi:
            self.problem(where, f"min ({_fmt_num(qs.type, lo)}) is above max ({_fmt_num(qs.type, hi)})")
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
                self.problem(where, f"anchor {k} is outside the scale {_fmt_num('scale', lo)}-{_fmt_num('scale', hi)}")
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


def _fmt_num(qtype: str, value: float) -> str:
    if qtype == "duration":
        return format_duration(value)
    return f"{value:g}"


# =========================================================================== answers: parsing and display

def _normal(text: str) -> str:
    return " ".join(text.strip().lower().replace("’", "'").split())


def _parse_date(text: str) -> dt.date:
    t = text.strip()
    try:
        return dt.date.fromisoformat(t)
    except ValueError:
        pass
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", t)
    if m:
        try:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError as exc:
            raise ValueError(f"{t!r} is not a real date ({exc})") from None
    raise ValueError(f"expected a date as YYYY-MM-DD (or DD/MM/YYYY), got {t!r}")


def _choice(q: Question, token: str) -> Any:
    t = _normal(token)
    if t.isdigit() and 1 <= int(t) <= len(q.choices):
        return q.choices[int(t) - 1].value
    for c in q.choices:
        if t in (_normal(str(c.value)), _normal(c.label)):
            return c.value
    names = ", ".join(str(c.value) for c in q.choices)
    raise ValueError(f"{token.strip()!r} is not one of the choices: type a number from 1 to {len(q.choices)} or one of {names}")


def _check_range(q: Question, number: float) -> None:
    lo, hi = q.min, q.max
    unit = f" {q.unit}" if q.unit and q.type not in ("duration", "scale") else ""
    shown = _fmt_num(q.type, number)
    if lo is not None and hi is not None and not lo <= number <= hi:
        raise ValueError(f"{shown} is outside the plausible range {_fmt_num(q.type, lo)} to {_fmt_num(q.type, hi)}{unit}")
    if lo is not None and number < lo:
        raise ValueError(f"{shown} is too low: it must be at least {_fmt_num(q.type, lo)}{unit}")
    if hi is not None and number > hi:
        raise ValueError(f"{shown} is too high: it must be at most {_fmt_num(q.type, hi)}{unit}")


def parse_value(q: Question, text: str) -> Any:
    """One typed answer to a value, as a saved profile holds it; ValueError says why not."""
    t = text.strip()
    if q.type == "text":
        if not t:
            raise ValueError("expected some text")
        if q.max_length and len(t) > q.max_length:
            raise ValueError(f"at most {q.max_length} characters, got {len(t)}")
        return t
    if q.type == "choice":
        return _choice(q, t)
    if q.type == "multi_choice":
        out: list[Any] = []
        for part in re.split(r"[,;]", t):
            if not part.strip():
                continue
            try:
                picked = [_choice(q, part)]
            except ValueError:
                picked = [_choice(q, tok) for tok in part.split()]
            out.extend(v for v in picked if v not in out)
        if not out:
            raise ValueError("choose at least one, e.g. 1,3")
        return out
    if q.type == "yes_no":
        return parse_bool(t)
    if q.type == "date":
        return _parse_date(t).isoformat()
    if q.type == "duration":
        minutes = round(parse_duration(t) * 60) / 60
        _check_range(q, minutes)
        return format_duration(minutes)
    number = parse_decimal(t)
    if q.type in ("integer", "scale"):
        if not float(number).is_integer():
            raise ValueError(f"expected a whole number, got {t!r}")
        number = int(number)
    _check_range(q, number)
    return number


def _display_input(q: Question, value: Any) -> str:
    """A value as a person would type it (so that parse_value reads it back)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def display_value(q: Question, value: Any) -> str:
    """A value for the review screen."""
    if q.type == "choice":
        for c in q.choices:
            if c.value == value:
                return f"{c.label} ({c.value})" if _normal(c.label) != _normal(str(c.value)) else str(c.value)
    if q.type == "multi_choice" and isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if q.type == "scale":
        anchor = dict(q.anchors).get(value)
        return f"{value} ({anchor})" if anchor else str(value)
    if q.unit and q.type in ("integer", "decimal"):
        unit = "per week" if q.unit == "/week" else q.unit
        return f"{_display_input(q, value)} {unit}"
    return _display_input(q, value)


# =========================================================================== the engine

class Asker(Protocol):
    """Whatever shows text and reads answers: a terminal, a test script, a form."""

    def say(self, text: str = "") -> None: ...

    def ask(self, prompt: "Prompt") -> str: ...


@dataclass(frozen=True)
class Prompt:
    """One question as shown: ``lines`` above, then ``text`` before the cursor."""

    key: str  # the answer's key: "vk_time", "races[2].date", "+races" (add another?), "@review"
    text: str
    lines: tuple[str, ...] = ()
    question: Question | None = None
    default: str | None = None


@dataclass
class InterviewState:
    """Everything answered so far; ``values`` and ``races`` hold profile values as saved."""

    values: dict[str, Any] = field(default_factory=dict)
    races: list[dict[str, Any]] = field(default_factory=list)
    local: dict[str, Any] = field(default_factory=dict)
    marks: dict[str, str] = field(default_factory=dict)  # key -> "unknown" | "skipped"
    groups: dict[str, str] = field(default_factory=dict)  # repeat field -> "open" | "done"
    complete: bool = False

    def has_answers(self) -> bool:
        return bool(self.values or self.races or self.local or self.marks)


@dataclass(frozen=True)
class Slot:
    section: Section
    question: Question
    index: int | None = None  # item index (from 0) inside a repeat section

    @property
    def key(self) -> str:
        q = self.question
        if q.control:
            return f"+{q.group}"
        if self.index is None:
            return q.name
        return f"{q.group}[{self.index + 1}].{q.field}"


@dataclass(frozen=True)
class _Outcome:
    kind: Literal["value", "unknown", "skip", "keep", "help", "invalid"]
    value: Any = None
    reason: str = ""


_ITEM_KEY = re.compile(r"^(?P<group>[a-z_]+)\[(?P<n>\d+)\]\.(?P<field>[a-z_0-9]+)$")


def _wrap(text: str, indent: str = "  ", width: int = 78) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width=width, initial_indent=indent, subsequent_indent=indent)


class Interview:
    """Asks a questionnaire through an asker, keeping the answers a valid profile at every step."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        state: InterviewState | None = None,
        on_change: Callable[[InterviewState], None] | None = None,
    ):
        self.q = questionnaire
        self.state = state or InterviewState()
        self.on_change = on_change
        self._announced: tuple[str, int | None] | None = None

    # ------------------------------------------------------------------ reading the state

    def _ctx(self, st: InterviewState, index: int | None = None) -> dict:
        ctx = {**st.local, **st.values}
        if index is not None and index < len(st.races):
            ctx.update(st.races[index])
        return ctx

    def applies(self, slot: Slot, st: InterviewState | None = None) -> bool:
        st = st or self.state
        never = lambda name, fact: None  # noqa: E731  (questionnaire conditions have no params)
        if slot.section.cond is not None and not C.evaluate(slot.section.cond, self._ctx(st), never):
            return False
        cond = slot.question.cond
        return cond is None or C.evaluate(cond, self._ctx(st, slot.index), never)

    def value(self, slot: Slot, st: InterviewState | None = None) -> Any:
        st = st or self.state
        q = slot.question
        if q.local:
            return st.local.get(q.id)
        if slot.index is None:
            return st.values.get(q.field)
        return st.races[slot.index].get(q.field)

    def answered(self, slot: Slot, st: InterviewState | None = None) -> bool:
        st = st or self.state
        return self.value(slot, st) is not None or slot.key in st.marks

    def slots(self, st: InterviewState | None = None) -> Iterator[Slot]:
        """Every question slot in order (race questions once per race), controls excluded."""
        st = st or self.state
        for section in self.q.sections:
            if section.repeat is None:
                for q in section.questions:
                    yield Slot(section, q)
            else:
                for i in range(len(st.races)):
                    for q in section.questions:
                        yield Slot(section, q, i)

    def next_slot(self) -> Slot | None:
        """The next question to ask, or None when the interview is complete."""
        st = self.state
        for section in self.q.sections:
            if section.repeat is None:
                for q in section.questions:
                    slot = Slot(section, q)
                    if not self.answered(slot) and self.applies(slot):
                        return slot
                continue
            if section.cond is not None and not self.applies(Slot(section, section.first_control)):
                continue
            for i in range(len(st.races)):
                for q in section.questions:
                    slot = Slot(section, q, i)
                    if not self.answered(slot) and self.applies(slot):
                        return slot
            if st.groups.get(section.repeat.field) != "done" and len(st.races) < section.repeat.max_items:
                control = section.more_control if st.races else section.first_control
                return Slot(section, control)  # type: ignore[arg-type]
        return None

    def profile_data(self, st: InterviewState | None = None) -> dict:
        """The answers as a profile mapping (saved values only, in the profile's field order)."""
        st = st or self.state
        out = {k: st.values[k] for k in PROFILE_FIELDS if st.values.get(k) is not None}
        if st.races:
            out["races"] = [{k: r[k] for k in RACE_FIELDS if r.get(k) is not None} for r in st.races]
        return out

    def profile(self) -> Profile:
        return load_profile(self.profile_data())

    def _validate(self, st: InterviewState) -> Profile:
        data = self.profile_data(st)
        data.setdefault("runner_id", "-")  # not answered yet: check everything else
        try:
            return load_profile(data)
        except ProfileError as exc:
            raise AnswerError("; ".join(self._in_words(m) for _, m in exc.problems)) from None

    def _in_words(self, message: str) -> str:
        """Name fields as the questions do: 'aet_hr (174)' -> 'aerobic threshold heart rate (174)'."""
        for q in self.q.questions():
            if q.field and "_" in q.field:
                message = re.sub(rf"\b{q.field}\b", q.label[:1].lower() + q.label[1:], message)
        return message

    # ------------------------------------------------------------------ changing the state

    def _set(self, st: InterviewState, slot: Slot, value: Any) -> None:
        q = slot.question
        if q.local:
            target = st.local
            name = q.id
        elif slot.index is None:
            target, name = st.values, q.field
        else:
            target, name = st.races[slot.index], q.field
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value

    def _prune(self, st: InterviewState, changed: set[tuple[int | None, str]]) -> None:
        """Forget answers whose condition an edit made false (e.g. a finishing position after 'dnf')."""
        while changed:
            newly: set[tuple[int | None, str]] = set()
            for slot in list(self.slots(st)):
                cond = slot.question.cond
                if cond is None or not self.answered(slot, st):
                    continue
                reads = set(C.fields_read(cond))
                hit = any((None, n) in changed or (slot.index is not None and (slot.index, n) in changed) for n in reads)
                if hit and not self.applies(slot, st):
                    self._set(st, slot, None)
                    st.marks.pop(slot.key, None)
                    newly.add((slot.index, slot.question.name))
            changed = newly

    def apply(self, slot: Slot, outcome: _Outcome, *, editing: bool = False) -> None:
        """Record one answer, or raise AnswerError (nothing changes then)."""
        st = copy.deepcopy(self.state)
        q = slot.question
        if q.control:
            if outcome.value:
                st.races.append({})
                st.groups[q.group] = "open"
            else:
                st.groups[q.group] = "done"
            self._commit(st)
            return
        if outcome.kind == "value":
            self._set(st, slot, outcome.value)
            st.marks.pop(slot.key, None)
        else:
            self._set(st, slot, None)
            st.marks[slot.key] = "unknown" if outcome.kind == "unknown" else "skipped"
        if editing:
            self._prune(st, {(slot.index, q.name)})
        profile = self._validate(st)
        if outcome.kind == "value" and not q.local:
            # Store the value exactly as a saved profile holds it.
            dumped = profile.model_dump(mode="json")
            canonical = dumped[q.field] if slot.index is None else dumped["races"][slot.index][q.field]
            self._set(st, slot, canonical)
        self._commit(st)

    def _commit(self, st: InterviewState) -> None:
        self.state = st
        if self.on_change is not None:
            self.on_change(st)

    def add_item(self) -> int:
        """Start one more race (from the review screen); returns its index."""
        st = copy.deepcopy(self.state)
        st.races.append({})
        st.groups.setdefault("races", "done")
        self._commit(st)
        return len(st.races) - 1

    def remove_item(self, index: int) -> None:
        """Delete one race and renumber the marks of the races after it."""
        st = copy.deepcopy(self.state)
        del st.races[index]
        marks = {}
        for key, mark in st.marks.items():
            m = _ITEM_KEY.match(key)
            if m and m.group("group") == "races":
                n = int(m.group("n")) - 1
                if n == index:
                    continue
                if n > index:
                    key = f"races[{n}].{m.group('field')}"
            marks[key] = mark
        st.marks = marks
        self._validate(st)
        self._commit(st)

    # ------------------------------------------------------------------ interpreting what was typed

    def interpret(self, q: Question, raw: str, *, editing: bool = False) -> _Outcome:
        text = raw.strip()
        low = _normal(text)
        if low in HELP_WORDS:
            return _Outcome("help")
        if not text:
            if editing:
                return _Outcome("keep")
            if q.default is not None:
                return _Outcome("value", q.default)
            if q.optional or q.dont_know:
                return _Outcome("skip")
            return _Outcome("invalid", reason="an answer is needed here")
        if low in DONT_KNOW_WORDS:
            if q.dont_know:
                return _Outcome("unknown")
            if q.optional:
                return _Outcome("skip")
            return _Outcome("invalid", reason="this question needs an answer")
        if low in SKIP_WORDS and not q.control:
            if q.optional or q.dont_know:
                return _Outcome("skip")
            return _Outcome("invalid", reason="this question cannot be skipped")
        try:
            return _Outcome("value", parse_value(q, text))
        except ValueError as exc:
            return _Outcome("invalid", reason=str(exc))

    # ------------------------------------------------------------------ prompts

    def prompt_for(self, slot: Slot, *, editing: bool = False) -> Prompt:
        q = slot.question
        lines: list[str] = []
        if q.hint:
            lines += _wrap(q.hint)
        if q.type in ("choice", "multi_choice"):
            width = max(len(str(c.value)) for c in q.choices)
            for i, c in enumerate(q.choices, 1):
                same = _normal(c.label) == _normal(str(c.value))
                lines.append(f"  {i}) {c.value}" if same else f"  {i}) {str(c.value):<{width}}  {c.label}")
        if q.anchors:
            lines += [f"  {k} = {text}" for k, text in q.anchors]
        fmt: list[str] = []
        if q.type == "choice":
            fmt.append(f"1-{len(q.choices)} or a name")
        elif q.type == "multi_choice":
            fmt.append("one or more, e.g. 1,3")
        elif q.type == "yes_no":
            fmt.append("yes/no")
        elif q.type == "scale":
            fmt.append(f"{_fmt_num('scale', q.min)}-{_fmt_num('scale', q.max)}")
        elif q.type == "duration":
            fmt.append("h:mm:ss or mm:ss")
        elif q.type == "date":
            fmt.append("YYYY-MM-DD")
        elif q.unit and not q.unit.startswith("/"):
            fmt.append(q.unit)
        if q.dont_know and not editing:
            fmt.append("? if unknown")
        current = None
        if editing:
            value = self.value(slot)
            current = _display_input(q, value) if value is not None else (
                "don't know" if self.state.marks.get(slot.key) == "unknown" else "skipped"
            )
        elif q.default is not None:
            current = _display_input(q, q.default)
        text = q.prompt
        text += f" ({', '.join(fmt)})" if fmt else ""
        if q.control:
            text += " [no]" if not editing else ""
        elif current is not None:
            text += f" [{current}]"
        return Prompt(slot.key, text + ": ", tuple(lines), q, current)

    def _announce(self, asker: Asker, slot: Slot) -> None:
        where = (slot.section.id, slot.index)
        if self._announced is not None and self._announced[0] == slot.section.id and self._announced[1] == slot.index:
            return
        if self._announced is None or self._announced[0] != slot.section.id:
            number = [s.id for s in self.q.sections].index(slot.section.id) + 1
            asker.say("")
            title = f"{slot.section.title} ({number} of {len(self.q.sections)})"
            asker.say(title)
            asker.say("-" * len(title))
            if slot.section.intro:
                for line in _wrap(slot.section.intro, ""):
                    asker.say(line)
        if slot.index is not None and slot.section.repeat is not None:
            asker.say(f"{slot.section.repeat.item_label.capitalize()} {slot.index + 1}")
        self._announced = where

    # ------------------------------------------------------------------ asking

    def ask(self, slot: Slot, asker: Asker, *, editing: bool = False) -> None:
        """Ask one question until the answer is accepted."""
        q = slot.question
        prompt = self.prompt_for(slot, editing=editing)
        while True:
            raw = asker.ask(prompt)
            outcome = self.interpret(q, raw, editing=editing)
            if outcome.kind == "help":
                for line in _wrap(q.help or "No more help for this question.", "  "):
                    asker.say(line)
                continue
            if outcome.kind == "invalid":
                asker.say(f"  Not accepted: {outcome.reason}. Please try again.")
                continue
            if outcome.kind == "keep":
                return
            try:
                self.apply(slot, outcome, editing=editing)
            except AnswerError as exc:
                asker.say(f"  Not accepted: {exc}.")
                asker.say("  Please try again (earlier answers can be changed at the review at the end).")
                continue
            if outcome.kind == "unknown":
                asker.say("  Noted as unknown: the report will tell you how to measure it.")
            return

    def run(self, asker: Asker) -> None:
        """Ask every question still open, in order."""
        while True:
            slot = self.next_slot()
            if slot is None:
                return
            if not slot.question.control:
                self._announce(asker, slot)
            else:
                self._announce(asker, Slot(slot.section, slot.question, None))
            self.ask(slot, asker)

    # ------------------------------------------------------------------ review

    def review_items(self) -> list[Slot]:
        """What the review screen lists: every question asked or answered, in order."""
        return [s for s in self.slots() if self.answered(s) or self.applies(s)]

    def review_line(self, slot: Slot) -> str:
        q = slot.question
        value = self.value(slot)
        if value is not None:
            shown = display_value(q, value)
        else:
            shown = {"unknown": "don't know", "skipped": "skipped"}.get(self.state.marks.get(slot.key, ""), "not answered")
        label = q.label
        if slot.index is not None and slot.section.repeat is not None:
            label = f"{slot.section.repeat.item_label.capitalize()} {slot.index + 1} - {q.label}"
        return f"{label}: {shown}"

    def review(self, asker: Asker) -> None:
        """List every answer; change any by number, add or remove a race; Enter to finish."""
        repeat = next((s for s in self.q.sections if s.repeat is not None), None)
        item = repeat.repeat.item_label if repeat else None
        while True:
            items = self.review_items()
            asker.say("")
            asker.say("Review your answers")
            asker.say("-------------------")
            width = len(str(len(items)))
            for n, slot in enumerate(items, 1):
                asker.say(f"{n:>{width}}. {self.review_line(slot)}")
            extra = f", 'add {item}', 'remove {item} N'" if item else ""
            raw = asker.ask(Prompt("@review", f"Number to change{extra}, or Enter to get your report: "))
            cmd = _normal(raw)
            if cmd in ("", "ok", "done", "y", "yes"):
                return
            if item and cmd in (f"add {item}", "add", "+"):
                if len(self.state.races) >= repeat.repeat.max_items:
                    asker.say(f"  At most {repeat.repeat.max_items} {item}s.")
                    continue
                self.add_item()
                self.run(asker)
                continue
            m = re.fullmatch(rf"(?:remove|delete|del)\s+(?:{re.escape(item)}\s*)?(\d+)", cmd) if item else None
            if m:
                n = int(m.group(1))
                if not 1 <= n <= len(self.state.races):
                    asker.say(f"  There is no {item} {n}.")
                    continue
                try:
                    self.remove_item(n - 1)
                except AnswerError as exc:
                    asker.say(f"  Not possible: {exc}.")
                continue
            if cmd.isdigit() and 1 <= int(cmd) <= len(items):
                slot = items[int(cmd) - 1]
                self.ask(slot, asker, editing=True)
                self.run(asker)  # answers the change made relevant (e.g. heart rates after 'yes')
                continue
            asker.say(f"  Type a number from 1 to {len(items)}{extra}, or press Enter.")

    # ------------------------------------------------------------------ without a person

    def fill_defaults(self) -> None:
        """Give every required question that has a default its default (for --no-input)."""
        changed = True
        while changed:
            changed = False
            for slot in list(self.slots()):
                q = slot.question
                if q.optional or q.default is None or self.answered(slot) or not self.applies(slot):
                    continue
                self.apply(slot, _Outcome("value", q.default))
                changed = True

    def missing_required(self) -> list[str]:
        """Keys of required questions that apply and have no answer."""
        return [
            s.key for s in self.slots()
            if not s.question.optional and not s.question.local and not self.answered(s) and self.applies(s)
        ]

    # ------------------------------------------------------------------ pre-filled answers

    def prefill(self, data: Any) -> list[tuple[str, str]]:
        """Take answers from a profile-shaped mapping; return (field, problem) for every value refused.

        A refused value is left out, so that an interview asks it again. ``null`` means
        "don't know". Keys naming a local question (e.g. ``has_hr_monitor``) are accepted too.
        """
        if not isinstance(data, dict):
            return [("", f"answers must be a mapping of profile fields, got {type(data).__name__}")]
        problems: list[tuple[str, str]] = []
        locals_ = self.q.locals()
        profile: dict[str, Any] = {}
        st = copy.deepcopy(self.state)
        for key, value in data.items():
            key = str(key)
            if key in locals_:
                if value is None:
                    continue
                try:
                    st.local[key] = parse_value(locals_[key], _display_input(locals_[key], value))
                except ValueError as exc:
                    problems.append((key, str(exc)))
            elif key in PROFILE_SPECS or key == "races":
                if value is None:
                    if key != "races":
                        st.marks[key] = "unknown"
                else:
                    profile[key] = value
            else:
                problems.append((key, "unknown field"))
        if "races" in profile and not isinstance(profile["races"], list):
            problems.append(("races", "expected a list of race results"))
            profile.pop("races")
        if isinstance(profile.get("races"), list):
            cleaned = []
            for i, race in enumerate(profile["races"]):
                if not isinstance(race, dict):
                    problems.append((f"races[{i + 1}]", "expected a mapping of race fields"))
                    continue
                for k in list(race):
                    if race[k] is None:
                        st.marks[f"races[{len(cleaned) + 1}].{k}"] = "unknown"
                cleaned.append({k: v for k, v in race.items() if v is not None})
            profile["races"] = cleaned
        base = self.profile_data(st)
        candidate = {**base, **profile}
        for _ in range(100):
            trial = dict(candidate)
            trial.setdefault("runner_id", "-")
            try:
                validated = load_profile(trial)
                break
            except ProfileError as exc:
                before = copy.deepcopy(candidate)
                for loc, msg in exc.problems:
                    problems.append((_display_loc(loc), msg))
                    _drop(candidate, loc, msg)
                if candidate == before:  # nothing to attribute the problem to
                    return problems
        else:  # pragma: no cover - each round removes at least one value
            return problems
        dumped = validated.model_dump(mode="json", exclude_unset=True, exclude_none=True)
        if "runner_id" not in candidate:
            dumped.pop("runner_id", None)
        st.values = {k: v for k, v in dumped.items() if k != "races"}
        st.races = dumped.get("races", [])
        for key in list(st.marks):
            if key in st.values:
                st.marks.pop(key)
        self.state = st
        return problems


def _display_loc(loc: str) -> str:
    parts = loc.split(".")
    if len(parts) >= 2 and parts[0] == "races" and parts[1].isdigit():
        rest = ".".join(parts[2:])
        return f"races[{int(parts[1]) + 1}]" + (f".{rest}" if rest else "")
    return loc


def _drop(candidate: dict, loc: str, msg: str) -> None:
    """Remove the value a validation problem points at (or the fields its message names)."""
    parts = [p for p in loc.split(".") if p]
    if parts and parts[0] == "races" and len(parts) >= 2 and parts[1].isdigit():
        races = candidate.get("races") or []
        i = int(parts[1])
        if i < len(races):
            race = races[i]
            if len(parts) >= 3 and parts[2] in race:
                race.pop(parts[2])
            else:
                for name in RACE_FIELDS:
                    if re.search(rf"\b{name}\b", msg):
                        race.pop(name, None)
        return
    if parts and parts[0] in candidate and parts[0] != "races":
        candidate.pop(parts[0])
        return
    for name in PROFILE_FIELDS:
        if re.search(rf"\b{name}\b", msg):
            candidate.pop(name, None)


# =========================================================================== a scripted answerer

class ScriptedAsker:
    """Answers from a script, for tests and for programs that drive an interview.

    ``script`` is a list of lines (one per prompt, in order), a mapping from answer
    key to a line or a list of lines (used in turn), or a callable ``prompt -> line``.
    Running out of answers raises EOFError, as a closed input would.
    """

    def __init__(self, script: list[str] | dict[str, Any] | Callable[[Prompt], str]):
        self.script = script if not isinstance(script, list) else list(script)
        self.prompts: list[Prompt] = []
        self.transcript: list[str] = []
        self._used: dict[str, int] = {}

    def say(self, text: str = "") -> None:
        self.transcript.append(text)

    def ask(self, prompt: Prompt) -> str:
        self.prompts.append(prompt)
        self.transcript.extend(prompt.lines)
        if callable(self.script):
            answer = self.script(prompt)
        elif isinstance(self.script, list):
            if not self.script:
                raise EOFError(f"no scripted answer for {prompt.key}")
            answer = self.script.pop(0)
        else:
            if prompt.key not in self.script:
                raise EOFError(f"no scripted answer for {prompt.key}")
            entry = self.script[prompt.key]
            if isinstance(entry, list):
                n = self._used.get(prompt.key, 0)
                if n >= len(entry):
                    raise EOFError(f"scripted answers for {prompt.key} ran out")
                self._used[prompt.key] = n + 1
                answer = entry[n]
            else:
                answer = entry
        self.transcript.append(f"{prompt.text}{answer}")
        return answer

    def asked(self) -> list[str]:
        return [p.key for p in self.prompts]


# =========================================================================== saving and resuming

def progress_path(profile_path: str | Path) -> Path:
    """Where the interview keeps its progress beside a profile: ``ana.yaml`` -> ``ana.interview.yaml``."""
    p = Path(profile_path)
    stem = p.stem if p.suffix in (".yaml", ".yml", ".json") else p.name
    return p.with_name(f"{stem}.interview.yaml")


def dump_profile_yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def save_interview(
    profile_path: str | Path, interview: Interview, questionnaire_ref: str, *, now: dt.datetime | None = None
) -> None:
    """Write the profile, then its progress file, each atomically.

    The profile is a pure profile (``zegama assess`` reads it); the progress file
    keeps what a profile cannot hold: "don't know" and skipped answers, local
    answers, and whether the race list is closed. Written in this order, a crash
    between the two leaves at worst a question to be asked again.
    """
    st = interview.state
    path = Path(profile_path)
    data = interview.profile_data()
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n" if path.suffix == ".json" else dump_profile_yaml(data)
    write_atomic(path, text)
    stamp = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0).isoformat()
    progress = {
        "schema_version": SCHEMA_VERSION,
        "questionnaire": questionnaire_ref,
        "profile": path.name,
        "updated_at": stamp,
        "complete": st.complete,
        "unknown": sorted(k for k, v in st.marks.items() if v == "unknown"),
        "skipped": sorted(k for k, v in st.marks.items() if v == "skipped"),
        "answers": dict(st.local),
        "groups": dict(st.groups),
    }
    header = (
        f"# Progress of `zegama interview` for {path.name} (the profile itself).\n"
        f"# It records what a profile cannot hold; continue with: zegama interview --resume {path.name}\n"
    )
    write_atomic(progress_path(path), header + yaml.safe_dump(progress, sort_keys=False, allow_unicode=True))


def read_progress(profile_path: str | Path) -> dict | None:
    """The progress file beside a profile, or None if there is none."""
    p = progress_path(profile_path)
    if not p.exists():
        return None
    try:
        data = parse_document(p.read_text(encoding="utf-8"), str(p))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read: {exc}") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(f"{p}: not an interview progress file (schema_version {SCHEMA_VERSION})")
    return data


def resume_state(interview: Interview, profile_data: Any, progress: dict | None) -> list[tuple[str, str]]:
    """Load a saved profile and its progress into an interview; returns problems (values dropped)."""
    problems = interview.prefill(profile_data if profile_data is not None else {})
    if not progress:
        return problems
    st = copy.deepcopy(interview.state)
    locals_ = interview.q.locals()
    for key, value in (progress.get("answers") or {}).items():
        if key in locals_ and value is not None:
            try:
                st.local[key] = parse_value(locals_[key], _display_input(locals_[key], value))
            except ValueError as exc:
                problems.append((key, f"saved answer refused: {exc}"))
    for kind in ("unknown", "skipped"):
        for key in progress.get(kind) or []:
            st.marks.setdefault(str(key), kind)
    for group, status in (progress.get("groups") or {}).items():
        if group == "races" and status in ("open", "done"):
            st.groups[group] = status
    st.complete = bool(progress.get("complete"))
    # A mark never hides a value that is in the profile.
    for slot in interview.slots(st):
        if interview.value(slot, st) is not None:
            st.marks.pop(slot.key, None)
    interview.state = st
    return problems
