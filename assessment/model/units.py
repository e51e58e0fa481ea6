"""Parsing and formatting of the values people type: durations, decimals, yes/no.

Every parser raises ``ValueError`` with a message meant for a person; callers
add the field name.
"""

from __future__ import annotations

import math
import re

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)$")
# 45'30  45'30"  45' 30''  1h05'30
_QUOTES = re.compile(
    r"^(?:(\d+)\s*h\s*)?(?:(\d+)\s*(?:'|′|m|min)\s*)?(?:(\d+(?:[.,]\d+)?)\s*(?:\"|''|″|s)?\s*)?$"
)


def parse_decimal(text: str | int | float) -> float:
    """``4,5`` and ``4.5`` both mean four and a half; thousands separators are refused."""
    if isinstance(text, bool):
        raise ValueError(f"expected a number, got {text!r}")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        cleaned = str(text).strip().replace("\u00a0", "").replace(" ", "")
        if cleaned.count(",") == 1 and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            value = float(cleaned)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {text!r}")
    return value


def parse_duration(text: str | int | float) -> float:
    """Return minutes from ``h:mm:ss``, ``mm:ss``, ``45'30"``, ``1h05'`` or plain minutes.

    Two-part clock values are read as minutes and seconds (``45:30`` is 45.5
    minutes), which is how runners write a VK or 10K time.
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
        else:
            try:
                minutes = parse_decimal(raw)
            except ValueError:
                q = _QUOTES.match(raw)
                if not q or not any(q.groups()) or not re.search(r"['′hm]", raw):
                    raise ValueError(
                        f"expected a duration like 1:05:30, 45:30, 45'30\" or minutes, got {raw!r}"
                    ) from None
                hours = int(q.group(1) or 0)
                mins = int(q.group(2) or 0)
                secs = float((q.group(3) or "0").replace(",", "."))
                if secs >= 60:
                    raise ValueError(f"seconds must be below 60 in {raw!r}")
                minutes = hours * 60 + mins + secs / 60
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


_TRUE = {"yes", "y", "true", "t", "1", "si", "sí", "bai", "oui", "o", "ja", "x"}
_FALSE = {"no", "n", "false", "f", "0", "ez", "non", "nein"}


def parse_bool(text: str | bool | int) -> bool:
    """Yes/no in English, Spanish, Basque and French (``sí``, ``bai``, ``ez``, ``oui``, ``non``)."""
    if isinstance(text, bool):
        return text
    if isinstance(text, int) and text in (0, 1):
        return bool(text)
    key = str(text).strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"expected yes or no, got {text!r}")
