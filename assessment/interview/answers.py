"""What people type, read as typed answers, and answers shown back to them.

:func:`parse_value` turns one line typed for a question (a duration as
``45'30"``, a decimal as ``4,5``, a choice by number or name, a date as
DD/MM/YYYY) into the value a saved profile holds, checking the question's range;
:func:`display_input` and :func:`display_value` go the other way. The words a
person may type instead of an answer (don't know, skip, help) live here too.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from ..model.units import format_duration, parse_bool, parse_decimal, parse_duration
from ..model.vocabulary import ENUMS, AmbiguousValue, by_prefix, canonical, fold

if TYPE_CHECKING:
    from .questionnaire import Question

#: What a person may type instead of an answer.
DONT_KNOW_WORDS = frozenset({
    "?", "idk", "i don't know", "i dont know", "don't know", "dont know", "dunno", "unknown",
    "no sé", "no se", "ez dakit", "je ne sais pas",
})
SKIP_WORDS = frozenset({"-", "skip"})
#: Typed to return to the previous question (English, Spanish, Basque).
BACK_WORDS = frozenset({"back", "<", "atras", "atrás", "volver", "atzera"})
HELP_WORDS = frozenset({"help"})


def format_number(qtype: str, value: float) -> str:
    """A bound or a number in messages: a duration as h:mm:ss, anything else as written."""
    if qtype == "duration":
        return format_duration(value)
    return f"{value:g}"


def normal_text(text: str) -> str:
    """Lower-case, single-spaced, straight apostrophes: how typed words are compared."""
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
    """A choice by number, value, label or any word of the vocabulary (``mujer``, ``XC``), or an
    unambiguous prefix of one (``golden``, ``sk``); an ambiguous prefix names the candidates."""
    t = normal_text(token)
    if t.isdigit() and 1 <= int(t) <= len(q.choices):
        return q.choices[int(t) - 1].value
    allowed = [c.value for c in q.choices]
    labels = {str(c.value): c.value for c in q.choices} | {c.label: c.value for c in q.choices}
    field = q.field if q.field in ENUMS else None
    for c in q.choices:
        if fold(t) in (fold(str(c.value)), fold(c.label)):
            return c.value
    if field is not None:
        try:
            value = canonical(field, t)
        except ValueError:
            value = None
        if value in allowed:
            return value
    words = {w: v for w, v in labels.items()}
    hits = [v for v in (by_prefix(field, t, words) if field else _prefix(t, words)) if v in allowed]
    if len(hits) == 1:
        return hits[0]
    names = ", ".join(str(c.value) for c in q.choices)
    if len(hits) > 1:
        raise ValueError(f"{token.strip()!r} could be {' or '.join(map(str, hits))}: type more of it, or its number")
    raise ValueError(f"{token.strip()!r} is not one of the choices: type a number from 1 to {len(q.choices)} or one of {names}")


def _prefix(text: str, words: dict[str, Any]) -> list[Any]:
    key = fold(text)
    out: list[Any] = []
    for w, v in words.items():
        fw = fold(w)
        if key and (fw.startswith(key) or any(p.startswith(key) for p in fw.split())) and v not in out:
            out.append(v)
    return out


def _check_range(q: Question, number: float) -> None:
    lo, hi = q.min, q.max
    unit = f" {q.unit}" if q.unit and q.type not in ("duration", "scale") else ""
    shown = format_number(q.type, number)
    if lo is not None and hi is not None and not lo <= number <= hi:
        raise ValueError(f"{shown} is outside the plausible range {format_number(q.type, lo)} to {format_number(q.type, hi)}{unit}")
    if lo is not None and number < lo:
        raise ValueError(f"{shown} is too low: it must be at least {format_number(q.type, lo)}{unit}")
    if hi is not None and number > hi:
        raise ValueError(f"{shown} is too high: it must be at most {format_number(q.type, hi)}{unit}")


def _fits(q: Question, number: float) -> bool:
    try:
        _check_range(q, number)
    except ValueError:
        return False
    return not (q.type in ("integer", "scale") and not float(number).is_integer())


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
    try:
        number = parse_decimal(t)
    except AmbiguousValue as exc:
        fitting = [r for r in exc.readings if _fits(q, r)]
        if len(fitting) != 1:  # the interview asks which one (session.Interview.interpret)
            raise AmbiguousValue(str(exc), fitting or exc.readings) from None
        number = fitting[0]
    if q.type in ("integer", "scale"):
        if not float(number).is_integer():
            raise ValueError(f"expected a whole number, got {t!r}")
        number = int(number)
    _check_range(q, number)
    return number


def display_input(q: Question, value: Any) -> str:
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
                return f"{c.label} ({c.value})" if normal_text(c.label) != normal_text(str(c.value)) else str(c.value)
    if q.type == "multi_choice" and isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if q.type == "scale":
        anchor = dict(q.anchors).get(value)
        return f"{value} ({anchor})" if anchor else str(value)
    if q.unit and q.type in ("integer", "decimal"):
        unit = "per week" if q.unit == "/week" else q.unit
        return f"{display_input(q, value)} {unit}"
    return display_input(q, value)
