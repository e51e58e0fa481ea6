"""Assessing a club roster: every row in, one result row out, and a squad summary.

The roster is streamed: each row is read, assessed, written and forgotten.
What the summary and the checks need across rows (the runner ids seen, the
races waiting for their runner, the members of each session group) lives in a
temporary SQLite file, so memory stays flat however long the roster is. From
:data:`~assessment.batch_pool.PARALLEL_MIN_ROWS` rows on, worker processes
share the assessments (see :mod:`assessment.batch_pool`); the outputs are the
same byte for byte.

Outputs (in ``out_dir``), each written to a temporary file and renamed only
when complete, so an interrupted run never leaves a file that looks finished:

- ``assessments.csv``  one row per roster row, in input order, with its line;
- ``assessments.jsonl`` one report per assessed runner: the JSON of ``zegama assess`` without its
  ``catalog``, which is written once, for the whole pack, in ``catalog.json``;
- ``errors.csv``       one row per problem: file, line, runner_id, column, value, message, effect;
- ``squad.md`` and ``squad.json``: counts, most common gaps and session groups;
- ``runners/*.md``     with ``per_runner``: one markdown report per runner.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
import shutil
import sqlite3
import stat
import sys
import tempfile
import textwrap
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TextIO

from tabulate import tabulate

from .pool import Assessed, Assessor, Outcome, RaceEntry, RowPool, Task, assess_row, choose_workers, count_rows
from ..model.profile import Profile
from ..model.units import format_duration
from ..model.io import printable
from ..report.names import PHASE_NAMES, PILLAR_NAMES, md_text
from ..report.model import Report
from .roster import (
    RACE_COLUMNS,
    RACE_NOT_USED,
    ROSTER_COLUMNS,
    ROW_NOT_ASSESSED,
    Problem,
    RaceRow,
    RosterError,
    RosterRow,
    open_table,
    read_profile_races,
    read_races,
    read_roster,
)
from ..rules.rulebase import PILLARS

ASSESSMENT_COLUMNS = (
    "line", "runner_id", "name", "status", "eligibility", "fit_score",
    "emphasis_1", "emphasis_2", "emphasis_3", "weeks_to_race", "estimate_mid", "sancti_spiritu_pass",
    "error", "ignored_values",
)
ERROR_COLUMNS = ("file", "line", "runner_id", "column", "value", "message", "effect")
ELIGIBILITY = ("eligible", "at_risk", "not_eligible")
OUTPUT_FILES = ("assessments.csv", "assessments.jsonl", "catalog.json", "errors.csv", "squad.md", "squad.json")
RUNNERS_DIR = "runners"
PLANS_DIR = "plans"

# json.dumps(x, ensure_ascii=False), without building an encoder per call (once per row or member).
_to_json = json.JSONEncoder(ensure_ascii=False).encode

# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Prefix a quote to a cell a spreadsheet would run as a formula; control characters
    (an ESC or a CR from the input) are written as escapes."""
    cell = printable(cell) if not cell.isprintable() else cell
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


# --------------------------------------------------------------------------- output files


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicText:
    """A text file written beside its target and renamed over it on ``commit``."""

    def __init__(self, target: Path, *, encoding: str = "utf-8", newline: str | None = ""):
        self.target = target
        fd, self.tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        self.fh: TextIO = os.fdopen(fd, "w", encoding=encoding, newline=newline)

    def commit(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, self.target)

    def abort(self) -> None:
        try:
            self.fh.close()
        finally:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass


class CsvOut:
    """A CSV output: neutralised cells; with ``excel``, BOM, ``;`` and decimal commas."""

    def __init__(self, target: Path, columns: Iterable[str], *, excel: bool = False):
        self.file = AtomicText(target, encoding="utf-8-sig" if excel else "utf-8", newline="")
        self.excel = excel
        self.writer = csv.writer(
            self.file.fh, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n"
        )
        self.writer.writerow([neutralise(c) for c in columns])

    def cell(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            text = repr(value).removesuffix(".0")
            return text.replace(".", ",") if self.excel else text
        return neutralise(str(value))

    def row(self, values: Iterable[Any]) -> None:
        self.writer.writerow([self.cell(v) for v in values])


# --------------------------------------------------------------------------- scratch store


class Scratch:
    """What must outlive a row, on disk: runner ids, pending races, group members, file names."""

    def __init__(self, directory: Path | None = None) -> None:
        fd, self.path = tempfile.mkstemp(prefix="zegama-batch-", suffix=".sqlite", dir=directory)
        os.close(fd)
        self.db = sqlite3.connect(self.path)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -4000;
            CREATE TABLE ids (runner_id TEXT PRIMARY KEY, line INTEGER) WITHOUT ROWID;
            CREATE TABLE races (seq INTEGER PRIMARY KEY, runner_id TEXT, file TEXT, line INTEGER,
                                race TEXT, problems TEXT, raw TEXT);
            CREATE TABLE members (pillar TEXT, gap REAL, score REAL, rank INTEGER, line INTEGER,
                                  runner_id TEXT, name TEXT);
            -- read in this order at the end: an index, not a sort of the whole table in memory
            CREATE INDEX members_by_gap ON members (pillar, gap DESC, score DESC, line);
            CREATE TABLE names (key TEXT PRIMARY KEY) WITHOUT ROWID;
            """
        )

        self._indexed: set[str] = set()

    # The races' index is built once they are all stored: one sort instead of
    # a B-tree insert per row.
    _INDEXES = {"races": "CREATE INDEX races_by_runner ON races (runner_id)"}

    def _index(self, table: str) -> None:
        if table not in self._indexed:
            self.db.execute(self._INDEXES[table])
            self._indexed.add(table)

    def close(self) -> None:
        self.db.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.unlink(self.path + suffix)
            except FileNotFoundError:
                pass

    # runner ids
    def claim_id(self, runner_id: str, line: int) -> int | None:
        """Record ``runner_id``; the line that already used it, if any."""
        if self.db.execute("INSERT OR IGNORE INTO ids VALUES (?, ?)", (runner_id, line)).rowcount:
            return None
        return self.db.execute("SELECT line FROM ids WHERE runner_id = ?", (runner_id,)).fetchone()[0]

    # races
    def add_races(self, rows: Iterable[RaceRow]) -> None:
        assert "races" not in self._indexed, "races are stored before any is read"
        """Store race rows: validated (their JSON), or as read (their cells, validated by whoever assesses the runner)."""
        self.db.executemany(
            "INSERT INTO races (runner_id, file, line, race, problems, raw) VALUES (?, ?, ?, ?, ?, ?)",
            ((r.runner_id, r.file, r.line, r.race.model_dump_json() if r.race else None,
              json.dumps([asdict(p) for p in r.problems]) if r.problems else None,
              _to_json(r.data) if r.data is not None else None) for r in rows),
        )

    def races_for(self, runner_id: str) -> list[RaceEntry]:
        """The runner's race rows as stored, in file order (store them all first)."""
        self._index("races")
        return [RaceEntry(*row) for row in self.db.execute(
            "SELECT file, line, race, problems, raw FROM races WHERE runner_id = ? ORDER BY seq", (runner_id,)
        )]

    def orphan_races(self) -> Iterator[tuple[str | None, str, int | None, str | None]]:
        """Race rows whose runner is not in the roster (or that have no runner_id)."""
        yield from self.db.execute(
            "SELECT runner_id, file, line, problems FROM races "
            "WHERE runner_id IS NULL OR NOT EXISTS (SELECT 1 FROM ids WHERE ids.runner_id = races.runner_id) "
            "ORDER BY seq"
        )

    # session groups
    def add_member(self, pillar: str, gap: float, score: float, rank: int, line: int, rid: str, name: str | None) -> None:
        self.db.execute("INSERT INTO members VALUES (?, ?, ?, ?, ?, ?, ?)", (pillar, gap, score, rank, line, rid, name))

    def group_size(self, pillar: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM members WHERE pillar = ?", (pillar,)).fetchone()[0]

    def group(self, pillar: str, limit: int = -1) -> Iterator[dict[str, Any]]:
        """The runners to put in ``pillar``'s sessions, largest gap first."""
        for gap, score, rank, line, rid, name in self.db.execute(
            "SELECT gap, score, rank, line, runner_id, name FROM members WHERE pillar = ? "
            "ORDER BY gap DESC, score DESC, line LIMIT ?",
            (pillar, limit),
        ):
            yield {"runner_id": rid, "name": name, "line": line, "gap": gap, "score": score, "rank": rank}

    # file names
    def claim_name(self, base: str) -> str:
        """``base`` or ``base-2``, ``base-3``...: unique, ignoring case (macOS and Windows)."""
        n = 1
        while True:
            name = base if n == 1 else f"{base}-{n}"
            try:
                self.db.execute("INSERT INTO names VALUES (?)", (name.lower(),))
                return name
            except sqlite3.IntegrityError:
                n += 1


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_file_stem(runner_id: str, line: int) -> str:
    """A file name from a runner id: no separators, no ``..``, no control or hidden names."""
    text = unicodedata.normalize("NFKD", runner_id).encode("ascii", "ignore").decode()
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text).strip("._-")[:80].strip("._-")
    if not text:
        return f"line-{line}"
    if text.split(".")[0].lower() in _RESERVED:
        text = "_" + text
    return text


# --------------------------------------------------------------------------- summary


@dataclass
class SquadSummary:
    """What the coach reads first: counts, common gaps and session groups."""

    roster: str
    as_of: str
    edition: dict[str, Any] | None = None
    read: int = 0
    assessed: int = 0
    errors: int = 0
    assessed_with_problems: int = 0
    problems: int = 0
    race_problems: int = 0
    eligibility: Counter = field(default_factory=Counter)
    first_emphasis: Counter = field(default_factory=Counter)
    gaps: Counter = field(default_factory=Counter)
    gap_info: dict[str, tuple[str, str]] = field(default_factory=dict)
    missing: Counter = field(default_factory=Counter)
    fit_total: int = 0
    fit_runners: int = 0
    fit_min: int | None = None
    fit_max: int | None = None
    group_sizes: dict[str, int] = field(default_factory=dict)
    group_heads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: What the reader made of the files' columns: those not used, the conventions read.
    columns: list[str] = field(default_factory=list)

    def add(self, a: Assessed) -> None:
        """Count one assessed runner (what the batch kept of its report)."""
        self.assessed += 1
        if self.edition is None:
            self.edition = {**a.edition, "weeks_to_race": a.weeks_to_race, "phase": a.phase}
        self.eligibility[a.status] += 1
        if a.emphases and a.emphases[0][1] > 0:  # a first emphasis with a gap to build
            self.first_emphasis[a.emphases[0][0]] += 1
        for rule_id, title, pillar in a.gaps:
            self.gap_info.setdefault(rule_id, (title, pillar))
        self.gaps.update(rule_id for rule_id, _, _ in a.gaps)
        self.missing.update(a.missing)
        if a.fit_score is not None:  # a runner with no benchmark measured has no fit to average
            self.fit_runners += 1
            self.fit_total += a.fit_score
            self.fit_min = a.fit_score if self.fit_min is None else min(self.fit_min, a.fit_score)
            self.fit_max = a.fit_score if self.fit_max is None else max(self.fit_max, a.fit_score)

    @property
    def fit_mean(self) -> float | None:
        return round(self.fit_total / self.fit_runners, 1) if self.fit_runners else None

    def counts_line(self) -> str:
        # The exit code is 1 when any problem was found: the line says so, not only for error rows.
        line = f"read {self.read}, assessed {self.assessed}, not assessed {self.errors}"
        if self.problems:
            line += f", problems {self.problems} (errors.csv)"
        return line

    def common_gaps(self, n: int = 10) -> list[dict[str, Any]]:
        return [
            {"rule_id": rid, "title": self.gap_info[rid][0], "pillar": self.gap_info[rid][1], "runners": k,
             "share": round(k / self.assessed, 3) if self.assessed else 0.0}
            for rid, k in sorted(self.gaps.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        ]

    def common_missing(self, n: int = 10) -> list[dict[str, Any]]:
        return [{"field": f, "runners": k} for f, k in sorted(self.missing.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]

    def head(self) -> dict[str, Any]:
        """The summary without the full group lists (those stream from the scratch store)."""
        return {
            "roster": self.roster,
            "as_of": self.as_of,
            "edition": self.edition,
            "counts": {
                "read": self.read, "assessed": self.assessed, "errors": self.errors,
                "assessed_with_problems": self.assessed_with_problems,
                "problems": self.problems, "race_problems": self.race_problems,
            },
            "eligibility": {s: self.eligibility.get(s, 0) for s in ELIGIBILITY},
            "fit_score": {"mean": self.fit_mean, "min": self.fit_min, "max": self.fit_max, "runners": self.fit_runners},
            "first_emphasis": {p: self.first_emphasis.get(p, 0) for p in PILLARS},
            "common_gaps": self.common_gaps(),
            "tests_to_take": self.common_missing(),
            "warnings": self.warnings,
            "columns": self.columns,
        }


def _edition_line(s: SquadSummary) -> str:
    ed = s.edition
    if not ed:
        return f"As of {s.as_of}"
    flag = " (estimated date)" if ed["estimated"] else ""
    return (f"Zegama-Aizkorri {ed['year']}: {ed['race_date']}{flag}, {ed['weeks_to_race']:g} weeks away "
            f"as of {s.as_of}, {PHASE_NAMES[ed['phase']]} phase")


def _group_rows(members: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    for m in members:
        yield [m["runner_id"], m["name"] or "", m["gap"], m["score"], m["rank"]]


_GROUP_HEADERS = ["runner_id", "name", "gap", "score", "rank"]


def _summary_sections(s: SquadSummary, fmt: str, warnings: bool = True) -> Iterator[str]:
    """The parts of the summary before the session groups, as markdown or plain text."""
    md = fmt == "markdown"
    tf = "github" if md else "simple"
    title = f"Squad summary: {s.roster}"
    yield (f"# {title}\n\n" if md else f"{title}\n{'=' * len(title)}\n") + (
        _edition_line(s) if md else textwrap.fill(_edition_line(s), 80)) + "\n"
    yield f"\n{'**' if md else ''}{s.counts_line()}{'**' if md else ''}\n"
    extra = []
    if s.assessed_with_problems:
        extra.append(f"{s.assessed_with_problems} assessed row{'s' if s.assessed_with_problems != 1 else ''} had values treated as missing")
    if s.race_problems:
        extra.append(f"{s.race_problems} problem{'s' if s.race_problems != 1 else ''} in race rows not tied to a roster row")
    if s.problems:
        extra.append("see errors.csv")
    if extra:
        yield ("\n" if md else "") + "; ".join(extra) + "\n"
    if s.columns:
        yield f"\n{'## ' if md else ''}Columns\n\n" + "".join(
            f"- {c}\n" if md else textwrap.fill(c, 80, initial_indent="- ", subsequent_indent="  ") + "\n"
            for c in s.columns)
    yield f"\n{'## ' if md else ''}Entry profile\n\n"
    rows = [[s, n] for s, n in s.head()["eligibility"].items()] + [["not assessed (error)", s.errors]]
    yield tabulate(rows, headers=["status", "runners"], tablefmt=tf) + "\n"
    if s.fit_mean is not None:
        yield (f"\nProfile fit: mean {s.fit_mean:g}, range {s.fit_min}-{s.fit_max} out of 100\n"
               f"({s.fit_runners} of {s.assessed} runners measured enough benchmarks to score)\n")
    if s.first_emphasis:
        yield f"\n{'## ' if md else ''}First emphasis\n\n"
        rows = [[PILLAR_NAMES[p], n] for p, n in s.head()["first_emphasis"].items()]
        yield tabulate(rows, headers=["pillar", "runners"], tablefmt=tf) + "\n"
    gaps = s.common_gaps()
    if gaps:
        yield f"\n{'## ' if md else ''}Most common gaps\n\n"
        rows = [[g["rule_id"], g["title"], PILLAR_NAMES.get(g["pillar"], g["pillar"]), g["runners"], f"{100 * g['share']:.0f}%"] for g in gaps]
        yield tabulate(rows, headers=["rule", "gap", "pillar", "runners", "share"], tablefmt=tf,
                       maxcolwidths=[None, None if md else 28, None, None, None]) + "\n"
    missing = s.common_missing()
    if missing:
        yield f"\n{'## ' if md else ''}Tests to take (unknown benchmarks)\n\n"
        yield tabulate([[m["field"], m["runners"]] for m in missing], headers=["field", "runners"], tablefmt=tf) + "\n"
    if s.warnings and warnings:
        yield f"\n{'## ' if md else ''}Warnings\n\n" + "".join(f"- {w}\n" for w in s.warnings)


def write_squad_markdown(fh: TextIO, s: SquadSummary, groups: Callable[[str], Iterable[dict[str, Any]]]) -> None:
    """The whole summary as markdown, every session group in full."""
    for part in _summary_sections(s, "markdown"):
        fh.write(part)
    fh.write("\n## Session groups\n\nFor each pillar, the runners for whom it is one of the two first "
             "emphases, largest gap first.\n")
    for pillar in PILLARS:
        size = s.group_sizes.get(pillar, 0)
        fh.write(f"\n### {PILLAR_NAMES[pillar]} ({size} runner{'s' if size != 1 else ''})\n\n")
        if not size:
            fh.write("Nobody has this pillar among their two first emphases.\n")
            continue
        # tabulate needs every row at once: write the table by hand to stream it.
        fh.write("| " + " | ".join(_GROUP_HEADERS) + " |\n|" + "---|" * len(_GROUP_HEADERS) + "\n")
        for rid, name, gap, score, rank in _group_rows(groups(pillar)):
            # Only the text cells can hold spaces, pipes or markup.
            rid, name = md_text(rid), md_text(name)
            fh.write(f"| {rid} | {name} | {gap:.2f} | {score:.0f} | {rank} |\n")


_MEMBER_KEYS = ("runner_id", "name", "line", "gap", "score", "rank")
_json_str = json.encoder.encode_basestring  # what the encoder above writes for a str


def _member_json(m: dict[str, Any]) -> str:
    """``_to_json(m)`` for a session-group member, a few times faster (there is one per runner and pillar)."""
    rid, name, line, gap, score, rank = m.values()
    if (tuple(m) != _MEMBER_KEYS or type(rid) is not str or not (name is None or type(name) is str)
            or type(line) is not int or type(rank) is not int or type(gap) is not float or type(score) is not float
            or not (math.isfinite(gap) and math.isfinite(score))):
        return _to_json(m)
    return (f'{{"runner_id": {_json_str(rid)}, "name": {"null" if name is None else _json_str(name)}, '
            f'"line": {line}, "gap": {gap!r}, "score": {score!r}, "rank": {rank}}}')


def write_squad_json(fh: TextIO, s: SquadSummary, groups: Callable[[str], Iterable[dict[str, Any]]]) -> None:
    """The summary as JSON, every session group in full, streamed member by member."""
    head = json.dumps(s.head(), ensure_ascii=False, indent=2)
    fh.write(head[:-2] + ',\n  "session_groups": {')
    for i, pillar in enumerate(PILLARS):
        fh.write(("," if i else "") + f'\n    "{pillar}": [')
        j = -1
        for j, m in enumerate(groups(pillar)):
            fh.write(("," if j else "") + "\n      " + _member_json(m))
        fh.write("\n    ]" if j >= 0 else "]")
    fh.write("\n  }\n}\n")


def summary_text(s: SquadSummary, fmt: str = "table", width: int = 80) -> str:
    """The summary for the terminal; session groups show their first members only."""
    # Warnings went to stderr as they were found; squad.md keeps them.
    out = list(_summary_sections(s, "markdown" if fmt == "markdown" else "table", warnings=False))
    md = fmt == "markdown"
    out.append(f"\n{'## ' if md else ''}Session groups (two first emphases, largest gap first)\n")
    for pillar in PILLARS:
        size = s.group_sizes.get(pillar, 0)
        head = s.group_heads.get(pillar, [])
        out.append(f"\n{'### ' if md else ''}{PILLAR_NAMES[pillar]}: {size} runner{'s' if size != 1 else ''}\n")
        if head:
            out.append("\n" if md else "")
            out.append(tabulate(list(_group_rows(head)), headers=_GROUP_HEADERS, tablefmt="github" if md else "simple",
                                floatfmt=("", "", ".2f", ".0f", ""), maxcolwidths=[24, 24, None, None, None]) + "\n")
        if size > len(head):
            out.append(f"... and {size - len(head)} more in squad.md\n")
    return "".join(out)


# --------------------------------------------------------------------------- the run


@dataclass
class BatchResult:
    summary: SquadSummary
    out_dir: Path
    files: list[Path]

    @property
    def clean(self) -> bool:
        return self.summary.problems == 0

    def exit_code(self, allow_errors: bool = False) -> int:
        return 0 if self.clean or allow_errors else 1


#: What a run wrote into --out, one name a line: the next run removes what it does not write again.
MANIFEST = ".zegama-outputs"


def _replace_manifest(out: Path, names: list[str]) -> None:
    """A run owns its outputs: ``squad.html`` or ``runners/`` from an earlier run with --format html
    or --per-runner are removed when this run did not write them, so the folder holds one run's set."""
    from ..model.io import write_atomic

    path = out / MANIFEST
    try:
        earlier = [n for n in path.read_text(encoding="utf-8").splitlines() if n]
    except OSError:
        earlier = []
    for name in earlier:
        # Only names a run can write: a hand-edited manifest cannot delete anything else.
        if name in names or name not in (*OUTPUT_FILES, "squad.html", RUNNERS_DIR, PLANS_DIR):
            continue
        old = out / name
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        elif old.exists() or old.is_symlink():
            old.unlink(missing_ok=True)
    write_atomic(path, "".join(f"{n}\n" for n in names))


def _commit_all(files: list["AtomicText"]) -> None:
    """Put every output in place, or none: each earlier file is kept under a hard link until all
    are renamed, and put back if one rename fails, so the folder never mixes two runs."""
    kept: list[tuple[Path, Path]] = []
    done = False
    try:
        for f in files:
            if f.target.exists():
                keep = f.target.with_name(f".{f.target.name}.{os.getpid()}.keep.tmp")
                keep.unlink(missing_ok=True)
                os.link(f.target, keep)
                kept.append((keep, f.target))
        for f in files:
            f.commit()
        done = True
    finally:
        for keep, target in kept:
            if not done and not (target.exists() and os.path.samefile(keep, target)):
                os.replace(keep, target)  # the earlier run's file, back in place
            keep.unlink(missing_ok=True)  # (rename onto its own hard link does nothing: remove it)


def _run_all(steps: list[Callable[[], Any]]) -> None:
    """Run every cleanup step; raise the first error only once all have run."""
    first: BaseException | None = None
    for step in steps:
        try:
            step()
        except BaseException as exc:  # noqa: BLE001 - re-raised below, after the other steps
            first = first or exc
    if first is not None:
        raise first


#: A roster read from a pipe is copied to the run folder first, up to this size.
MAX_STREAM_BYTES = 1 << 30


def spool_stream(path: str | Path, directory: Path) -> Path:
    """A regular file as it is; a pipe or ``-`` (stdin) copied into ``directory``; a device
    (``/dev/zero``) refused: it has no end."""
    if str(path) == "-":
        src, name = sys.stdin.buffer if sys.stdin is not None else None, "stdin"
        if src is None:
            raise RosterError("stdin is closed: give the roster as a file")
    else:
        p = Path(path)
        try:
            mode = os.stat(p).st_mode
        except OSError:
            return p  # open_table says what is wrong with it
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
            return p
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            raise RosterError(f"{path}: is a device, not a CSV file")
        src, name = open(p, "rb"), p.name  # a FIFO or a pipe behind /dev/stdin
    target = directory / f"{name}.csv" if not name.endswith(".csv") else directory / name
    copied = 0
    try:
        with open(target, "wb") as fh:
            while chunk := src.read(1 << 20):
                copied += len(chunk)
                if copied > MAX_STREAM_BYTES:
                    raise RosterError(f"{path}: more than {MAX_STREAM_BYTES >> 30} GB from a pipe: save it as a file")
                fh.write(chunk)
    finally:
        if src is not sys.stdin.buffer:
            src.close()
    return target


class RunDir:
    """One private folder per run for the scratch database and the workers' spool files,
    in the system's temporary folder. A run killed before it could clean up (``kill -9``, a
    power cut) leaves its folder; the next run removes every such folder whose process is gone."""

    PREFIX = "zegama-run-"

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def create(cls) -> "RunDir":
        cls.remove_stale()
        path = Path(tempfile.mkdtemp(prefix=f"{cls.PREFIX}{os.getpid()}-"))
        return cls(path)

    @classmethod
    def remove_stale(cls) -> None:
        for d in Path(tempfile.gettempdir()).glob(f"{cls.PREFIX}*"):
            try:
                pid = int(d.name[len(cls.PREFIX):].split("-", 1)[0])
            except ValueError:
                continue
            if pid != os.getpid() and not _alive(pid) and d.is_dir() and d.stat().st_uid == os.getuid():
                shutil.rmtree(d, ignore_errors=True)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OutLock:
    """The ``--out`` folder held by one run at a time (``fcntl.flock`` on a hidden file).
    Holding it, the run may remove what a killed run left there: its ``.*.tmp`` files."""

    NAME = ".zegama-batch.lock"

    def __init__(self, out: Path):
        self.fh = None
        try:
            import fcntl
        except ImportError:  # not on POSIX: no lock, no stale-file removal
            return
        self.fh = open(out / self.NAME, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.fh.close()
            self.fh = None
            raise RosterError(f"{out}: another zegama batch is writing into this folder; wait for it or choose "
                              "another --out") from None
        for stale in list(out.glob(".*.tmp")):
            if any(stale.name.startswith(f".{name}.") for name in (*OUTPUT_FILES, "squad.html", RUNNERS_DIR, PLANS_DIR)):
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)

    def release(self) -> None:
        if self.fh is not None:
            self.fh.close()
            try:
                os.unlink(self.fh.name)
            except OSError:
                pass
            self.fh = None


def columns_notes(table: Any, race_table: Any = None) -> list[str]:
    """Columns the batch could not use (said in the summary, not only on stderr) and the
    conventions it read the files with."""
    out = []
    for t in (table, race_table):
        if t is None:
            continue
        if t.unknown:
            out.append(f"NOT USED in {t.name}: {', '.join(repr(u) for u in t.unknown)}: no field has this name; "
                       "if one holds a value the assessment needs, map it with --columns MAP.yaml "
                       "(see zegama template)")
        out += [f"{t.name}: {n}" for n in t.conventions.notes()]
    return out


def _problem_row(p: Problem) -> list[Any]:
    return [p.file, p.line, p.runner_id, p.column, p.value, p.message, p.effect]


def _brief(problems: list[Problem], fatal: bool, roster_file: str) -> str:
    """Problems as one cell of assessments.csv (those from another file say where they are)."""
    parts = []
    for p in problems:
        if (p.effect == ROW_NOT_ASSESSED) != fatal:
            continue
        where = "" if p.file == roster_file else f"{p.file} line {p.line}: " if p.line else f"{p.file}: "
        col = f"{p.column}: " if p.column else ""
        parts.append(f"{where}{col}{p.message}")
    return "; ".join(parts)


def _as_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def run_batch(
    roster: str | Path,
    *,
    out_dir: str | Path = "zegama-out",
    races: str | Path | None = None,
    profiles_dir: str | Path | None = None,
    as_of: dt.date | str | None = None,
    rulebase: Any = None,
    edition: int | None = None,
    race_date: dt.date | str | None = None,
    excel: bool = False,
    per_runner: bool = False,
    plans: bool = False,
    html: bool = False,
    delimiter: str | None = None,
    races_delimiter: str | None = None,
    columns_map: dict[str, str] | None = None,
    on_warning: Callable[[str], None] | None = None,
    progress: Callable[[int], None] | None = None,
    assess_fn: Callable[[Profile], Report] | None = None,
    preview: int = 15,
    workers: int | None = None,
) -> BatchResult:
    """Assess every runner of a roster CSV and write the outputs to ``out_dir``.

    Raises :class:`~assessment.roster.RosterError` for input that cannot be used
    (nothing is written then) and :class:`~assessment.pipeline.AssessmentError`
    for options that cannot work. ``assess_fn`` replaces the assessment of one
    profile (for tests and embedding); by default it is :func:`assess` with the
    given date, edition and rule pack. ``html`` also writes ``squad.html`` and
    one HTML page per runner in ``runners/``, linked from the squad page.

    ``workers`` processes share the assessments (``None`` or 0: one per usable
    core when the roster has :data:`~assessment.batch_pool.PARALLEL_MIN_ROWS`
    rows or more, else one); the outputs are the same whatever the number. A
    custom ``assess_fn`` always runs in this process.
    """
    from ..rules.edition import select_edition
    from ..rules.rulebase import default_rulebase
    from ..rules.rulebase import RuleBase, load_rulebase

    day = _as_date(as_of) or dt.date.today()
    rb = None
    if assess_fn is None:
        rb = rulebase if isinstance(rulebase, RuleBase) else (load_rulebase(rulebase) if rulebase else default_rulebase())
        select_edition(rb, day, edition, _as_date(race_date))  # fail before reading when the options cannot work
    if plans and rb is not None and rb.plan is None:
        from ..pipeline import AssessmentError

        raise AssessmentError(f"--plans: the rule pack {rb.name} has no plan.yaml")
    assessor = Assessor(rb, day, edition, race_date, markdown=per_runner, html=html, plans=plans and rb is not None,
                        assess_fn=assess_fn)

    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        if on_warning:
            on_warning(message)

    run_dir = RunDir.create()
    try:
        # A roster from a pipe (/dev/stdin, "-") is read several times: spooled to the run folder first.
        roster = spool_stream(roster, run_dir.path)
        races = spool_stream(races, run_dir.path) if races else None
        table = open_table(roster, ROSTER_COLUMNS, kind="roster", delimiter=delimiter, columns_map=columns_map)
        race_table = open_table(races, RACE_COLUMNS, kind="races file", delimiter=races_delimiter,
                                columns_map=columns_map) if races else None
        for w in table.warnings + (race_table.warnings if race_table else []):
            warn(w)

        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise RosterError(f"{out_dir}: exists and is not a folder; choose another --out")
        created = not out.exists()
        out.mkdir(parents=True, exist_ok=True)
        lock = OutLock(out)
    except BaseException:
        run_dir.remove()
        raise
    summary = SquadSummary(roster=table.name, as_of=day.isoformat(), warnings=warnings,
                           columns=columns_notes(table, race_table))
    scratch = Scratch(run_dir.path)
    ours = {c.lower() for c in ASSESSMENT_COLUMNS} | {"report_file"}
    extra_cols = [f"input_{c}" if c.lower() in ours else c for c in table.unknown]
    pages = per_runner or html
    columns = list(ASSESSMENT_COLUMNS) + (["report_file"] if pages else []) + extra_cols
    outputs: list[Any] = []
    runners_tmp: Path | None = None
    plans_tmp: Path | None = None
    pool: RowPool | None = None
    n_workers = 1 if rb is None else choose_workers(workers, None if workers else count_rows(table.path))
    try:
        if n_workers > 1:
            pool = RowPool(n_workers, table.name, assessor, spool_dir=run_dir.path)
        if race_table:
            # Validated by whoever assesses the runner (the workers, when there are some).
            scratch.add_races(read_races(race_table, validate=False))
        if profiles_dir:
            scratch.add_races(read_profile_races(profiles_dir))

        results = CsvOut(out / "assessments.csv", columns, excel=excel)
        errors = CsvOut(out / "errors.csv", ERROR_COLUMNS, excel=excel)
        jsonl = AtomicText(out / "assessments.jsonl", newline="\n")
        outputs += [results, errors, jsonl]
        if pages:
            runners_tmp = Path(tempfile.mkdtemp(prefix=f".{RUNNERS_DIR}.", suffix=".tmp", dir=out))
            runners_tmp.chmod(0o777 & ~_umask())
        if plans:
            plans_tmp = Path(tempfile.mkdtemp(prefix=f".{PLANS_DIR}.", suffix=".tmp", dir=out))
            plans_tmp.chmod(0o777 & ~_umask())
            scratch.claim_name("squad")  # plans/squad.ics is the squad's: a runner named squad gets squad-2

        tasks = (_prepare(row, table.name, scratch) for row in read_roster(table))
        if pool is not None:
            def append_json(spool: Path) -> None:
                with open(spool, "rb") as fh:
                    shutil.copyfileobj(fh, jsonl.fh.buffer, 1 << 20)

            outcomes = pool.map(tasks, append_json)
        else:
            outcomes = (assess_row(t, table.name, assessor) for t in tasks)
        for outcome in outcomes:
            summary.read += 1
            _write_row(outcome, table.name, scratch, summary, results, errors, jsonl, runners_tmp, plans_tmp)
            if progress:
                progress(1)
        if pool is not None:
            pool.close()
            pool = None

        for rid, file, line, probs in scratch.orphan_races():
            if rid is None:
                found = [Problem(**p) for p in json.loads(probs or "[]")]
            else:
                found = [Problem(file, line, rid, "runner_id", rid,
                                 f"runner_id {rid} is not in the roster ({table.name})", RACE_NOT_USED)]
            for p in found:
                errors.row(_problem_row(p))
                summary.problems += 1
                summary.race_problems += 1

        if summary.read == 0:
            raise RosterError(f"{table.name} has a header but no runner rows: nothing to assess")

        for pillar in PILLARS:
            summary.group_sizes[pillar] = scratch.group_size(pillar)
            summary.group_heads[pillar] = list(scratch.group(pillar, preview))
        md = AtomicText(out / "squad.md", newline="\n")
        outputs.append(md)
        write_squad_markdown(md.fh, summary, scratch.group)
        sj = AtomicText(out / "squad.json", newline="\n")
        outputs.append(sj)
        write_squad_json(sj.fh, summary, scratch.group)
        cat = AtomicText(out / "catalog.json", newline="\n")
        outputs.append(cat)
        _write_catalog(cat.fh, rb if rb is not None else _pack(rulebase))

        _commit_all([o.file if isinstance(o, CsvOut) else o for o in outputs])
        outputs.clear()
        if runners_tmp is not None:
            _swap_dir(runners_tmp, out / RUNNERS_DIR)
            runners_tmp = None
        if plans_tmp is not None:
            if rb is not None:
                _write_squad_calendar(plans_tmp / "squad.ics", rb, day, edition, race_date, summary)
            _swap_dir(plans_tmp, out / PLANS_DIR)
            plans_tmp = None
        if html:
            _write_squad_html(out, summary)
        _replace_manifest(out, list(OUTPUT_FILES) + (["squad.html"] if html else []) + ([RUNNERS_DIR] if pages else [])
                          + ([PLANS_DIR] if plans else []))
    finally:
        # Every step runs even when one fails (a full disk, a signal): none may leave the
        # others' temporary files behind. The first failure is raised after all of them.
        steps = [lambda: pool.close(cancel=True)] if pool is not None else []
        steps += [(lambda o=o: (o.file if isinstance(o, CsvOut) else o).abort()) for o in outputs]
        for tmp in (runners_tmp, plans_tmp):
            if tmp is not None:
                steps.append(lambda tmp=tmp: shutil.rmtree(tmp, ignore_errors=True))
        steps += [scratch.close, run_dir.remove, lock.release]
        if created:
            steps.append(lambda: out.rmdir() if out.is_dir() and not any(out.iterdir()) else None)
        _run_all(steps)
    files = [out / name for name in OUTPUT_FILES] + ([out / "squad.html"] if html else []) + (
        [out / RUNNERS_DIR] if pages else []
    ) + ([out / PLANS_DIR] if plans else [])
    return BatchResult(summary=summary, out_dir=out, files=files)


def _pack(rulebase):
    from ..rules.rulebase import RuleBase, default_rulebase, load_rulebase

    return rulebase if isinstance(rulebase, RuleBase) else (load_rulebase(rulebase) if rulebase else default_rulebase())


def _write_catalog(fh, rb) -> None:
    """The pack's catalog, which every line of assessments.jsonl cites by key."""
    from ..pipeline import catalog_data

    json.dump(catalog_data(rb), fh, ensure_ascii=False, indent=1, sort_keys=False)
    fh.write("\n")


def _write_squad_html(out: Path, summary: "SquadSummary") -> None:
    """The squad page, read back from the committed outputs (streamed, like the rest)."""
    from ..report.html import squad_html
    from ..model.io import write_atomic
    from ..report.progress import iter_reports

    with open(out / "assessments.csv", encoding="utf-8-sig", newline="") as fh:
        links = {r["runner_id"]: r["report_file"] for r in csv.DictReader(fh, delimiter=_sniff_out(out)) if r.get("report_file")}
    write_atomic(out / "squad.html", squad_html(iter_reports(out / "assessments.jsonl"), links or None, head=summary.head()))


def _sniff_out(out: Path) -> str:
    # assessments.csv uses ';' with --excel and ',' otherwise.
    with open(out / "assessments.csv", encoding="utf-8-sig") as fh:
        header = fh.readline()
    return ";" if header.count(";") > header.count(",") else ","


def _prepare(row: RosterRow, file: str, scratch: Scratch) -> Task:
    """Step 1 of a row, in input order: a duplicate runner id, or the runner's races."""
    races: list[RaceEntry] = []
    if row.runner_id:
        first = scratch.claim_id(row.runner_id, row.line)
        if first is not None:
            row.problems.append(Problem(file, row.line, row.runner_id, "runner_id", row.runner_id,
                                        f"duplicate runner_id: line {first} already has it", ROW_NOT_ASSESSED))
            row.fatal = True
        else:
            races = scratch.races_for(row.runner_id)
    return Task(row, races)


def _write_row(
    outcome: Outcome, file: str, scratch: Scratch, summary: SquadSummary,
    results: CsvOut, errors: CsvOut, jsonl: AtomicText, runners_tmp: Path | None, plans_tmp: Path | None = None,
) -> None:
    """Step 3 of a row, in input order: every output it adds to."""
    row, a = outcome.row, outcome.assessed
    problems = row.problems + outcome.race_problems
    for p in problems:
        errors.row(_problem_row(p))
    summary.problems += len(problems)

    report_file = ""
    if a is not None:
        summary.add(a)
        if problems:
            summary.assessed_with_problems += 1
        if a.json is not None:  # else a worker spooled it (see batch_pool.RowPool)
            jsonl.fh.buffer.write(a.json + b"\n")  # only bytes go to this file: no text buffered above
        for pillar, gap, score, rank in a.emphases[:2]:
            if gap > 0:  # a session group gathers the runners with a gap to build there
                scratch.add_member(pillar, gap, score, rank, row.line, a.runner_id, a.name)
        stem = scratch.claim_name(safe_file_stem(a.runner_id, row.line)) if runners_tmp or plans_tmp else ""
        if plans_tmp is not None and a.ics is not None:
            (plans_tmp / f"{stem}.ics").write_bytes(a.ics)
        if runners_tmp is not None:
            if a.markdown is not None:
                (runners_tmp / f"{stem}.md").write_text(a.markdown, encoding="utf-8")
                report_file = f"{RUNNERS_DIR}/{stem}.md"
            if a.html is not None:
                (runners_tmp / f"{stem}.html").write_text(a.html, encoding="utf-8")
                report_file = f"{RUNNERS_DIR}/{stem}.html"
        values = [row.line, row.runner_id, row.name, "assessed", a.status, a.fit_score,
                  *a.top, *[""] * (3 - len(a.top)), float(a.weeks_to_race),
                  format_duration(round(a.estimate_mid)) if a.estimate_mid is not None else "",
                  a.ss_pass if a.ss_pass is not None else "", "", _brief(problems, False, file)]
    else:
        summary.errors += 1
        values = [row.line, row.runner_id, row.name, "error", "", "", "", "", "", "", "", "",
                  _brief(problems, True, file) or "not assessed", _brief(problems, False, file)]
    if runners_tmp is not None:
        values.append(report_file)
    values.extend(row.extra.values())
    results.row(values)


def _write_squad_calendar(path: Path, rb: Any, day: dt.date, edition: int | None, race_date: Any,
                          summary: SquadSummary) -> None:
    """The squad's calendar: the weeks and shared milestones of the edition, each week describing the
    session groups (the runners with a pillar among their two first emphases) and that week's session."""
    from ..pipeline import assess
    from ..plan import build_plan
    from ..plan.ics import squad_ics

    neutral = build_plan(assess({"runner_id": "squad"}, as_of=day, rulebase=rb, edition=edition,
                                race_date=_as_date(race_date)), rb)
    path.write_bytes(squad_ics(neutral, rb, summary.group_sizes, summary.roster))


def _swap_dir(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is, removing the old one only once the new one is in place."""
    old: Path | None = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.rmdir(old)
        os.rename(target, old)
    os.rename(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
