"""Empty roster and races CSV files with every column and a line of hints (``zegama template``).

The hints line starts with ``#``: the batch reads it as a comment, so a coach may keep it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import annotated_types

from ..model.profile import DURATION_FIELDS, Profile, RaceResult, plain_type, field_unit
from ..model.vocabulary import ENUMS
from .roster import RACE_COLUMNS, ROSTER_COLUMNS

KINDS = {"roster": ROSTER_COLUMNS, "races": RACE_COLUMNS}


def _bounds(model: type, name: str) -> tuple[Any, Any]:
    lo = hi = None
    for m in model.model_fields[name].metadata:
        if isinstance(m, annotated_types.Ge):
            lo = m.ge
        elif isinstance(m, annotated_types.Le):
            hi = m.le
    return lo, hi


def hint(name: str) -> str:
    """What a cell of column ``name`` holds, in a few words."""
    if name == "runner_id":
        return "required: one id a runner, e.g. ane-01"
    model = Profile if name in Profile.model_fields else RaceResult
    if name in ("race", "name"):
        return "text"
    if name == "date":
        return "YYYY-MM-DD or 31/05/2026"
    if name == "background":
        return "one or more of " + " | ".join(ENUMS["background"]) + ", separated by ;"
    if name in ("sex", "goal", "circuit", "status"):
        return " | ".join(ENUMS[name])
    if name in DURATION_FIELDS:
        return "h:mm:ss or mm:ss (45:30 is 45 min 30 s)"
    tp = plain_type(model.model_fields[name].annotation)
    if tp is bool:
        return "yes | no"
    lo, hi = _bounds(model, name)
    unit = field_unit(name)
    what = "whole number" if tp is int else "number"
    span = f" {lo:g}-{hi:g}" if lo is not None and hi is not None else ""
    unit = "" if not unit or unit == f"{lo:g}-{hi:g}" else f" {unit}"
    return f"{what}{span}{unit}"


def template_csv(kind: str, delimiter: str = ",") -> str:
    """The header and the hints line of a roster (``kind="roster"``) or races file."""
    columns = KINDS[kind]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(columns)
    hints = [hint(c) for c in columns]
    hints[0] = "# " + hints[0]  # the comment mark: the batch skips this line
    w.writerow(hints)
    return buf.getvalue()
