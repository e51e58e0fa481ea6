"""The estimate as an 80-column table or as JSON (the gap report shows it in its own formats)."""

from __future__ import annotations

import json
import textwrap

from tabulate import tabulate

from .finish import Band, Estimate, short_time


def band(b: Band) -> str:
    return f"{short_time(b.mid)} ({short_time(b.low)}-{short_time(b.high)})"


def pct(p: float) -> str:
    """A probability as a share a coach reads: never 100% or 0% for what a model cannot promise."""
    if p >= 0.995:
        return ">99%"
    if p <= 0.005:
        return "<1%"
    return f"{round(100 * p)}%"


def course_line(e: Estimate) -> str:
    c = e.course
    name = f"{c.name}: " if c.name else ""
    return f"{name}{c.distance_km:.1f} km, {c.dplus_m:,.0f} m D+ ({c.km_effort:g} km-effort)"


def render_estimate(e: Estimate, fmt: str = "table", width: int = 80) -> str:
    if fmt == "json":
        return json.dumps(e.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=2) + "\n"
    out = [f"Finish-time estimate: {course_line(e)}", ""]
    out.append(f"Finish: {e.finish.display}, {round(100 * e.finish.interval)}% interval")
    if e.barriers:
        rows = [[b.name, f"{b.km:.1f}", short_time(b.cutoff_min), band(b.arrival), pct(b.pass_probability)]
                for b in e.barriers]
        out += ["", tabulate(rows, headers=["Barrier", "km", "Cut-off", "Arrival (80%)", "Pass"],
                             tablefmt="simple", colalign=("left", "right", "right", "left", "right"))]
    out += ["", "Inputs used (share of the estimate)"]
    for u in e.inputs_used:
        out.append(textwrap.fill(f"{u.label}: {round(100 * u.weight)}%", width, initial_indent="  - ",
                                 subsequent_indent="    "))
    out += ["", textwrap.fill(f"Method: {e.method}", width)]
    if e.notes:
        out += ["", "Notes"]
        out += [textwrap.fill(n, width, initial_indent="  - ", subsequent_indent="    ") for n in e.notes]
    return "\n".join(out) + "\n"
