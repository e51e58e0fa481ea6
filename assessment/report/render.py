"""Every rendering of a report or a progress comparison, by format name."""

from __future__ import annotations

import json

from .html import progress_html, runner_html
from .model import Report
from .progress import RosterProgress, RunnerProgress, progress_lines
from .text import to_json, to_markdown, to_table


def render(r: Report, fmt: str, profile=None, rulebase=None) -> str:
    """The report as ``fmt``; ``html`` also uses the profile, when given, for exact chart values."""
    if fmt == "html":
        return runner_html(r, profile, rulebase)
    if fmt == "json":
        return to_json(r) + "\n"
    if fmt == "markdown":
        return to_markdown(r)
    return to_table(r)


def render_progress(p: RunnerProgress | RosterProgress, fmt: str = "table") -> str:
    """``table`` (80 columns), ``markdown``, ``json`` or ``html``."""
    if fmt == "json":
        body = p.to_dict()
        if isinstance(p, RunnerProgress):
            body = {"kind": "runner", **body}
        return json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n"
    if fmt == "html":
        return progress_html(p)
    md = fmt == "markdown"
    lines = progress_lines(p, md)
    return "\n".join(lines).rstrip() + "\n"
