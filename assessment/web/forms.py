"""The questionnaire as web forms: one page a section (or a race), driven by the terminal's interview engine.

Nothing here holds a question: the pages come from the same declarative questionnaire
(``questionnaires/*.yaml``) through :mod:`assessment.interview`, each posted answer is read by
the interview's own reader (:meth:`Interview.interpret`) and checked by its own validation
(:meth:`Interview.apply`), so a browser gets the terminal's messages, word for word.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from ..interview.answers import display_input
from ..interview.questionnaire import Questionnaire, Section, load_questionnaire
from ..interview.session import AnswerError, Interview, InterviewState, Slot
from ..rules.checks import interview_problems

#: The questionnaires a browser may start, by id: built-in only, so no name reaches the file system.
QUESTIONNAIRES = ("quick", "zegama")

_loaded: dict[str, Questionnaire] = {}


def questionnaire(ref: str) -> Questionnaire:
    if ref not in QUESTIONNAIRES:
        raise KeyError(ref)
    if ref not in _loaded:
        _loaded[ref] = load_questionnaire(ref)
    return _loaded[ref]


def state_to_dict(st: InterviewState) -> dict:
    return dataclasses.asdict(st)


def state_from_dict(data: dict | None) -> InterviewState:
    data = data or {}
    names = {f.name for f in dataclasses.fields(InterviewState)}
    return InterviewState(**{k: v for k, v in data.items() if k in names})


def interview(ref: str, state: dict | None, rulebase, day: dt.date) -> Interview:
    """The interview for a stored state, with the terminal interview's checks."""
    return Interview(questionnaire(ref), state_from_dict(state), check=lambda p: interview_problems(rulebase, p, day))


@dataclass
class Option:
    value: str
    label: str
    checked: bool = False


@dataclass
class FormField:
    key: str
    label: str
    prompt: str
    type: str
    hint: str | None = None
    help: str | None = None
    unit: str | None = None
    value: str = ""
    options: list[Option] = field(default_factory=list)
    anchors: list[tuple[int, str]] = field(default_factory=list)
    optional: bool = False
    dont_know: bool = False
    error: str | None = None

    @property
    def input_type(self) -> str:
        return {"choice": "radio", "yes_no": "radio", "multi_choice": "checkbox"}.get(self.type, "text")

    @property
    def placeholder(self) -> str:
        return {"duration": "h:mm:ss or mm:ss", "date": "YYYY-MM-DD"}.get(self.type, "")


@dataclass
class Page:
    section: str
    index: int | None
    title: str
    number: int
    total: int
    intro: str | None
    fields: list[FormField]

    @property
    def item(self) -> str:
        return "" if self.index is None else str(self.index + 1)


def _section(iv: Interview, section_id: str) -> Section:
    for s in iv.q.sections:
        if s.id == section_id:
            return s
    raise KeyError(section_id)


def page_slots(iv: Interview, section: Section, index: int | None) -> list[Slot]:
    """The questions of one page that apply now; a repeat section's "add another?" alone."""
    if section.repeat is not None and index is None:
        control = section.more_control if iv.state.races else section.first_control
        return [Slot(section, control)]
    return [s for s in (Slot(section, q, index) for q in section.questions) if iv.applies(s)]


def current_page(iv: Interview) -> tuple[str, int | None] | None:
    """Where the next unanswered question is, or None when every question is answered."""
    slot = iv.next_slot()
    if slot is None:
        return None
    return slot.section.id, (None if slot.question.control else slot.index)


def _field(iv: Interview, slot: Slot, raw: list[str] | None, error: str | None) -> FormField:
    q = slot.question
    if raw is not None:
        shown = list(raw)
    else:
        value = iv.value(slot)
        if value is None and iv.state.marks.get(slot.key) == "unknown":
            shown = ["?"]
        elif value is None and not iv.answered(slot):
            default = iv.default_for(slot)
            shown = [] if default is None else ([str(v) for v in default] if isinstance(default, list)
                                                else [display_input(q, default)])
        elif isinstance(value, list):
            shown = [str(v) for v in value]
        else:
            shown = [] if value is None else [display_input(q, value)]
    f = FormField(slot.key, q.label, q.prompt, q.type, q.hint, q.help, q.unit, optional=q.optional, dont_know=q.dont_know, anchors=list(q.anchors), error=error)
    if q.type in ("choice", "multi_choice"):
        f.options = [Option(str(c.value), c.label, str(c.value) in shown) for c in q.choices]
        if q.dont_know:
            f.options.append(Option("?", "don't know", "?" in shown))
    elif q.type == "yes_no":
        f.options = [Option("yes", "yes", "yes" in shown), Option("no", "no", "no" in shown)]
        if q.dont_know:
            f.options.append(Option("?", "don't know", "?" in shown))
    else:
        f.value = shown[0] if shown else ""
    return f


def build_page(iv: Interview, section_id: str, index: int | None, raw: dict[str, list[str]] | None = None,
               errors: dict[str, str] | None = None) -> Page:
    section = _section(iv, section_id)
    raw = raw or {}
    errors = errors or {}
    fields = [_field(iv, s, raw.get(s.key), errors.get(s.key)) for s in page_slots(iv, section, index)]
    number = [s.id for s in iv.q.sections].index(section.id) + 1
    title = section.title
    if index is not None and section.repeat is not None:
        title = f"{title}: {section.repeat.item_label} {index + 1}"
    return Page(section.id, index, title, number, len(iv.q.sections), section.intro, fields)


def valid_page(iv: Interview, section_id: str, index: int | None) -> bool:
    try:
        section = _section(iv, section_id)
    except KeyError:
        return False
    if index is None:
        return True
    return section.repeat is not None and 0 <= index < len(iv.state.races)


def submit(iv: Interview, section_id: str, index: int | None, form: Callable[[str], list[str]],
           shown: list[str]) -> dict[str, str]:
    """Read and record the posted answers of one page, in order; returns the refused ones' messages.

    ``form(key)`` is the posted values of a field; ``shown`` the keys the page showed (a radio
    left unpicked is not posted at all). An accepted answer is kept even when a later one on
    the page is refused, as the terminal keeps the answers before a refused one.
    """
    section = _section(iv, section_id)
    errors: dict[str, str] = {}
    for slot in page_slots(iv, section, index):
        if slot.key not in shown:
            continue  # a question this page's answers made relevant: asked next
        q = slot.question
        values = [v for v in form(slot.key) if v.strip()]
        raw = ", ".join(values) if q.type == "multi_choice" and "?" not in values else (values[0] if values else "")
        if q.type == "multi_choice" and "?" in values:
            raw = "?"
        outcome = iv.interpret(q, raw, default=iv.default_for(slot) if not iv.answered(slot) else None)
        if outcome.kind == "help":
            errors[slot.key] = q.help or "No more help for this question."
            continue
        if outcome.kind == "back":
            errors[slot.key] = "Not accepted: type the answer (the browser's back button goes back)."
            continue
        if outcome.kind == "ambiguous":
            errors[slot.key] = f"{outcome.reason}. Type one of: {' or '.join(outcome.readings)}."
            continue
        if outcome.kind == "invalid":
            errors[slot.key] = f"Not accepted: {outcome.reason}. Please try again."
            continue
        if outcome.kind == "keep":
            continue
        try:
            iv.apply(slot, outcome, editing=iv.answered(slot))
        except AnswerError as exc:
            errors[slot.key] = f"Not accepted: {exc}."
    return errors


@dataclass
class ReviewLine:
    number: int
    text: str
    section: str
    item: str


def review(iv: Interview) -> list[ReviewLine]:
    return [ReviewLine(n, iv.review_line(s), s.section.id, "" if s.index is None else str(s.index + 1))
            for n, s in enumerate(iv.review_items(), 1)]


def repeat_label(iv: Interview) -> str | None:
    section = next((s for s in iv.q.sections if s.repeat is not None), None)
    return section.repeat.item_label if section else None


def runner_names(iv: Interview) -> tuple[str | None, str | None]:
    values = iv.state.values
    return values.get("runner_id"), values.get("name")


__all__ = ["AnswerError", "Interview", "Page", "QUESTIONNAIRES", "build_page", "current_page", "interview",
           "repeat_label", "review", "state_to_dict", "submit", "valid_page"]
