"""Parsing and formatting of the values people type: durations, decimals, yes/no.

Every parser raises ``ValueError`` with a message meant for a person; callers
add the field name.
"""

from __future__ import annotations

import math
import re

from .vocabulary import AmbiguousValue, parse_yes_no

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)$")
# One part of a written duration: a number and its unit (5h21, 1h05', 45'30", 45 min, 2 h 10 m).
_PART = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(hours?|hrs?|horas?|ordu|h|minutes?|minutos?|mins?|min|m|''|\"|″|'|′|"
    r"seconds?|segundos?|secs?|sec|s)?\s*"
)
_UNIT_OF = {"h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "hora": "h", "horas": "h", "ordu": "h",
            "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m", "minuto": "m", "minutos": "m",
            "'": "m", "′": "m", "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
            "segundo": "s", "segundos": "s", '"': "s", "″": "s", "''": "s"}
_NEXT = {"h": "m", "m": "s"}  # a bare number after hours is minutes (5h21), after minutes seconds (45'30)
#: A number with one group of three digits after a single separator: 2.600 or 2,600.
_GROUPED = re.compile(r"^(\d{1,3})([.,])(\d{3})$")
_THOUSANDS = {".": re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$"), ",": re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")}


def parse_decimal(text: str | int | float, *, decimal: str | None = None) -> float:
    """``4,5`` and ``4.5`` both mean four and a half.

    ``decimal`` is the file's own decimal mark when it is known (a roster that writes
    ``68,5`` has ``","``): the other mark then separates thousands, so ``2.600`` is 2600.
    Without it, ``2.600`` or ``2,600`` could be either: :class:`AmbiguousValue` with both
    readings (the field's range may decide, see ``profile.py``).
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a number, got {text!r}")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        cleaned = str(text).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if decimal in _THOUSANDS:
            other = "," if decimal == "." else "."
            if _THOUSANDS[other].match(cleaned):  # the file's decimal mark after thousands groups
                cleaned = cleaned.replace(other, "")
        elif _THOUSANDS["."].match(cleaned) and cleaned.count(".") > 1 or (
                _THOUSANDS[","].match(cleaned) and cleaned.count(",") > 1):
            cleaned = re.sub(r"[.,]", "", cleaned)  # 1.234.567: only thousands groups read so
        else:
            g = _GROUPED.match(cleaned)
            if g:
                whole, frac = float(g.group(1) + g.group(3)), float(f"{g.group(1)}.{g.group(3)}")
                raise AmbiguousValue(
                    f"{cleaned} could be {whole:g} or {frac:g}: write {whole:g} (no separator) or "
                    f"{g.group(1)}{g.group(2)}{g.group(3).rstrip('0') or '0'}", (whole, frac))
        if cleaned.count(",") == 1 and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            value = float(cleaned)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {text!r}")
    return value


def _written(raw: str) -> float | None:
    """Minutes from a duration written with units (5h21, 1h05', 45'30\", 45 min), else None."""
    pos, total, expect, seen = 0, 0.0, None, set()
    compact = raw.strip()
    while pos < len(compact):
        m = _PART.match(compact, pos)
        if not m or m.end() == pos:
            return None
        number, unit = m.group(1), m.group(2)
        kind = _UNIT_OF.get(unit.lower()) if unit else expect
        if kind is None or kind in seen:
            return None
        value = float(number.replace(",", "."))
        if kind != "h" and "h" in seen | {kind} and value >= 60 and kind == "m":
            raise ValueError(f"minutes must be below 60 in {raw!r}")
        if kind == "s" and value >= 60 and seen:
            raise ValueError(f"seconds must be below 60 in {raw!r}")
        total += value * {"h": 60, "m": 1, "s": 1 / 60}[kind]
        seen.add(kind)
        expect = _NEXT.get(kind)
        pos = m.end()
    return total if seen and any(c.isalpha() or c in "'′\"″" for c in compact) else None


def parse_duration(text: str | int | float) -> float:
    """Return minutes from ``h:mm:ss``, ``mm:ss``, ``45'30"``, ``5h21``, ``1h05'``, ``45 min`` or
    whole minutes.

    Two-part clock values are read as minutes and seconds (``45:30`` is 45.5 minutes), which
    is how runners write a VK or 10K time. A decimal such as ``41.10`` or ``45.3`` (a
    spreadsheet drops the trailing zero of ``45.30``) could be minutes and seconds or a
    fraction of a minute: :class:`AmbiguousValue`, never a guess. A number (not text) is minutes.
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a duration, got {text!r}")
    if isinstance(text, (int, float)):
        minutes = float(text)
    else:
        raw = str(text).strip()
        if not raw:
            raise ValueError("expected a duration, got an empty value")
        m = _CLOCK.match(raw)
        if m:
            hours = int(m.group(1) or 0)
            mins = int(m.group(2))
            secs = float(m.group(3).replace(",", "."))
            if mins >= 60 and m.group(1) is not None:
                raise ValueError(f"minutes must be below 60 in {raw!r}")
            if secs >= 60:
                raise ValueError(f"seconds must be below 60 in {raw!r}")
            minutes = hours * 60 + mins + secs / 60
        elif re.fullmatch(r"\d+", raw):
            minutes = float(raw)
        elif (d := re.fullmatch(r"(\d+)[.,](\d{1,2})", raw)) and int(d.group(2).ljust(2, "0")) < 60:
            whole, frac = int(d.group(1)), d.group(2)
            as_clock = whole + int(frac.ljust(2, "0")) / 60
            as_minutes = float(f"{whole}.{frac}")
            raise AmbiguousValue(
                f"{raw} is ambiguous: {format_duration(as_clock)} ({whole} min {int(frac.ljust(2, '0'))} s) or "
                f"{as_minutes:g} minutes ({format_duration(as_minutes)})? Write it as "
                f"{format_duration(as_clock)} or {format_duration(as_minutes)}", (as_clock, as_minutes))
        else:
            written = _written(raw)
            if written is None and re.fullmatch(r"\d+[.,]\d+", raw):
                written = float(raw.replace(",", "."))  # 41.333 or 41,75: only a fraction of a minute
            if written is None:
                try:
                    written = parse_decimal(raw)
                except ValueError:
                    raise ValueError(
                        f"expected a duration like 1:05:30, 45:30, 45'30\", 5h21 or 45 min, got {raw!r}"
                    ) from None
            minutes = written
    if not math.isfinite(minutes) or minutes <= 0:
        raise ValueError(f"a duration must be positive, got {text!r}")
    return minutes


def format_duration(minutes: float | None) -> str:
    """``h:mm:ss`` (or ``mm:ss`` under an hour), rounded to the second."""
    if minutes is None:
        return "unknown"
    total = int(round(minutes * 60))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def parse_bool(text: str | bool | int) -> bool:
    """Yes/no in English, Spanish, Basque and French (``sí``, ``bai``, ``ez``, ``oui``, ``non``)."""
    return parse_yes_no(text)  # one table of words for every way in
