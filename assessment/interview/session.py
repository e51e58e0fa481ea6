"""The interview engine: asks a questionnaire, reviews the answers, saves and resumes.

:class:`Interview` knows nothing about terminals: it talks to an *asker* with
two methods, ``say(text)`` and ``ask(prompt) -> str``, so a terminal, a test
script (:class:`ScriptedAsker`) or a web form can drive it. Every accepted
answer is checked against the profile model at once (ranges, and cross-field
checks such as aerobic below anaerobic threshold), so the answers always form a
valid profile, and ``on_change`` is called after each one so that the caller can
save (:func:`save_interview`; :func:`resume_state` continues from the files).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Protocol

import yaml

from ..rules import conditions as C
from .answers import (
    BACK_WORDS,
    DONT_KNOW_WORDS,
    HELP_WORDS,
    SKIP_WORDS,
    display_input,
    display_value,
    format_number,
    normal_text,
    parse_value,
)
from ..model.io import InputError, parse_document, write_atomic
from ..model.units import format_duration
from ..model.vocabulary import AmbiguousValue
from ..model.profile import PROFILE_FIELDS, RACE_FIELDS, Profile, ProfileError, load_profile
from .questionnaire import PROFILE_SPECS, SCHEMA_VERSION, Question, Questionnaire, Section


class AnswerError(ValueError):
    """An answer was refused; the message says why, for the person who typed it."""


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
    editing: bool = False  # changing an answer: a line editor puts ``default`` in the line


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
    kind: Literal["value", "unknown", "skip", "keep", "help", "invalid", "ambiguous", "back"]
    value: Any = None
    reason: str = ""
    readings: tuple = ()


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
        check: Callable[[Profile], list[tuple[str, str]]] | None = None,
    ):
        self.q = questionnaire
        self.state = state or InterviewState()
        self.on_change = on_change
        # What the profile alone cannot know (the race's own history: editions raced, the course
        # record): problems as (field, message), so an answer at odds with it is asked again.
        self.check = check
        self._announced: tuple[str, int | None] | None = None
        # Values pre-filled from activity files (``zegama import``'s from_activities): field ->
        # (where it came from, the value). Kept in the profile while the answer stays that value.
        self.provenance: dict[str, tuple[str, Any]] = {}

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
        kept = {k: text for k, (text, value) in self.provenance.items() if out.get(k) == value}
        if kept:
            out["from_activities"] = kept  # a value the runner changed is theirs, no longer the files'
        return out

    def profile(self) -> Profile:
        return load_profile(self.profile_data())

    def _validate(self, st: InterviewState) -> Profile:
        data = self.profile_data(st)
        data.setdefault("runner_id", "-")  # not answered yet: check everything else
        try:
            profile = load_profile(data)
        except ProfileError as exc:
            raise AnswerError("; ".join(self._in_words(m) for _, m in exc.problems)) from None
        problems = self.check(profile) if self.check else []
        if problems:
            raise AnswerError("; ".join(self._in_words(m) for _, m in problems))
        return profile

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

    def default_for(self, slot: Slot) -> Any:
        """The default proposed for a slot: derived from earlier answers where the questionnaire says so."""
        q = slot.question
        if q.default_from:
            from ..model.profile import DERIVED_DEFAULTS

            st = self.state
            derived = DERIVED_DEFAULTS[q.default_from](st.values, st.races)
            if derived is not None and (q.default is None or derived != q.default):
                return derived
        return q.default

    def interpret(self, q: Question, raw: str, *, editing: bool = False, default: Any = None) -> _Outcome:
        text = raw.strip()
        low = normal_text(text)
        if low in HELP_WORDS:
            return _Outcome("help")
        if not text:
            if editing:
                return _Outcome("keep")
            default = q.default if default is None else default
            if default is not None:
                return _Outcome("value", default)
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
        if low in BACK_WORDS:
            return _Outcome("back")
        try:
            return _Outcome("value", parse_value(q, text))
        except AmbiguousValue as exc:
            readings = []
            for r in exc.readings:  # only the readings the question accepts are offered
                try:
                    shown = format_duration(r) if q.type == "duration" else f"{r:g}"
                    readings.append(display_input(q, parse_value(q, shown)))
                except ValueError:
                    continue
            if len(readings) == 1:
                return _Outcome("value", parse_value(q, readings[0]))
            if not readings:
                return _Outcome("invalid", reason=str(exc))
            return _Outcome("ambiguous", reason=str(exc), readings=tuple(readings))
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
                same = normal_text(c.label) == normal_text(str(c.value))
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
            fmt.append(f"{format_number('scale', q.min)}-{format_number('scale', q.max)}")
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
            current = display_input(q, value) if value is not None else (
                "don't know" if self.state.marks.get(slot.key) == "unknown" else "skipped"
            )
        elif (default := self.default_for(slot)) is not None:
            current = display_input(q, default)
        text = q.prompt
        text += f" ({', '.join(fmt)})" if fmt else ""
        if q.control:
            text += " [no]" if not editing else ""
        elif current is not None:
            text += f" [{current}]"
        return Prompt(slot.key, text + ": ", tuple(lines), q, current, editing)

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

    def ask(self, slot: Slot, asker: Asker, *, editing: bool = False) -> bool:
        """Ask one question until the answer is accepted; False when the person typed 'back'."""
        q = slot.question
        prompt = self.prompt_for(slot, editing=editing)
        while True:
            raw = asker.ask(prompt)
            outcome = self.interpret(q, raw, editing=editing, default=self.default_for(slot))
            if outcome.kind == "back":
                if editing:
                    asker.say("  (at the review, type another number to change another answer)")
                    return True
                return False
            if outcome.kind == "ambiguous":
                outcome = self._confirm(slot, asker, outcome)
                if outcome is None:
                    continue
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
            return True

    def _confirm(self, slot: Slot, asker: Asker, outcome: _Outcome) -> _Outcome | None:
        """Two readings of one answer (41.10: 41:10 or 41:06?): the person picks, never a guess."""
        asker.say(f"  {outcome.reason}.")
        options = "  ".join(f"{i}) {r}" for i, r in enumerate(outcome.readings, 1))
        raw = asker.ask(Prompt(f"{slot.key}@confirm", f"Which one? {options} (or type the answer again): "))
        pick = raw.strip()
        if pick.isdigit() and 1 <= int(pick) <= len(outcome.readings):
            return _Outcome("value", parse_value(slot.question, outcome.readings[int(pick) - 1]))
        if not pick:
            return None
        again = self.interpret(slot.question, pick, default=self.default_for(slot))
        if again.kind == "ambiguous":
            asker.say("  Still two readings: write it as the form shown, e.g. with a colon.")
            return None
        return again

    def run(self, asker: Asker) -> None:
        """Ask every question still open, in order; 'back' returns to the previous one asked."""
        asked: list[Slot] = []
        while True:
            slot = self.next_slot()
            if slot is None:
                return
            if not slot.question.control:
                self._announce(asker, slot)
            else:
                self._announce(asker, Slot(slot.section, slot.question, None))
            if self.ask(slot, asker):
                asked.append(slot)
                continue
            if not asked:
                asker.say("  This is the first question: there is nothing before it.")
                continue
            previous = asked.pop()
            asker.say(f"  Back to: {previous.question.label}")
            self._announced = None
            self._announce(asker, previous)
            self.ask(previous, asker, editing=True)

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
        show_all = True
        changed: list[str] = []
        while True:
            items = self.review_items()
            width = len(str(len(items)))
            if show_all:
                asker.say("")
                asker.say("Review your answers")
                asker.say("-------------------")
                for n, slot in enumerate(items, 1):
                    asker.say(f"{n:>{width}}. {self.review_line(slot)}")
            elif changed:
                # Only what the edits changed: the full list is one 'list' away.
                asker.say("")
                asker.say("Changed:")
                lines = {s.key: f"{n:>{width}}. {self.review_line(s)}" for n, s in enumerate(items, 1)}
                for key in changed:
                    if key in lines:
                        asker.say(lines[key])
            show_all, changed = False, []
            extra = f", 'add {item}', 'remove {item} N'" if item else ""
            raw = asker.ask(Prompt("@review", f"Numbers to change (e.g. 3 or 3, 7){extra}, 'list', "
                                              "or Enter to get your report: "))
            cmd = normal_text(raw)
            if cmd in ("", "ok", "done", "y", "yes"):
                return
            if cmd in ("list", "l", "all", "show"):
                show_all = True
                continue
            numbers = re.split(r"[,\s;]+", cmd)
            if len(numbers) > 1 and all(n.isdigit() for n in numbers):
                bad = [n for n in numbers if not 1 <= int(n) <= len(items)]
                if bad:
                    asker.say(f"  There is no answer {', '.join(bad)}: type numbers from 1 to {len(items)}.")
                    continue
                before = {s.key: self.review_line(s) for s in items}
                for n in dict.fromkeys(int(x) for x in numbers):
                    self.ask(items[n - 1], asker, editing=True)
                self.run(asker)
                changed = [s.key for s in self.review_items() if before.get(s.key) != self.review_line(s)]
                continue
            if item and cmd in (f"add {item}", "add", "+"):
                if len(self.state.races) >= repeat.repeat.max_items:
                    asker.say(f"  At most {repeat.repeat.max_items} {item}s.")
                    continue
                self.add_item()
                self.run(asker)
                show_all = True
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
                show_all = True
                continue
            if cmd.isdigit() and 1 <= int(cmd) <= len(items):
                slot = items[int(cmd) - 1]
                before = {s.key: self.review_line(s) for s in items}
                self.ask(slot, asker, editing=True)
                self.run(asker)  # answers the change made relevant (e.g. heart rates after 'yes')
                changed = [s.key for s in self.review_items() if before.get(s.key) != self.review_line(s)]
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
                default = self.default_for(slot)
                if q.optional or default is None or self.answered(slot) or not self.applies(slot):
                    continue
                self.apply(slot, _Outcome("value", default))
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
        sources: dict[str, str] = {}
        st = copy.deepcopy(self.state)
        for key, value in data.items():
            key = str(key)
            if key in locals_:
                if value is None:
                    continue
                try:
                    st.local[key] = parse_value(locals_[key], display_input(locals_[key], value))
                except ValueError as exc:
                    problems.append((key, str(exc)))
            elif key == "from_activities":
                if not isinstance(value, dict):
                    problems.append((key, "expected a mapping of field to text"))
                else:
                    sources = {str(k): v for k, v in value.items() if isinstance(v, str)}
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
        st.values = {k: v for k, v in dumped.items() if k not in ("races", "from_activities")}
        st.races = dumped.get("races", [])
        self.provenance.update({k: (text, st.values[k]) for k, text in sources.items()
                                if k in st.values and k in PROFILE_SPECS})
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
                st.local[key] = parse_value(locals_[key], display_input(locals_[key], value))
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
