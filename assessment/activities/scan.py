"""Streaming an export: each file read, summarised and let go, duplicates merged, with a callback
for a progress bar; memory stays that of the largest file, whatever the number of files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .derive import Summary, summarise
from .read import Skipped, count_entries, dedupe, iter_activities


@dataclass
class Scan:
    summaries: list[Summary] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def scan(paths: list[str | Path], progress: Callable[[int], None] | None = None) -> Scan:
    """Every activity in ``paths`` as a summary; ``progress(1)`` after each file."""
    out = Scan()
    for got in iter_activities(paths):
        if isinstance(got, Skipped):
            out.skipped.append(got)
        else:
            out.summaries.append(summarise(got))
        if progress is not None:
            progress(1)
    out.summaries = dedupe(out.summaries, out.skipped)
    return out


__all__ = ["Scan", "scan", "count_entries"]
