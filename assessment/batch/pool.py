"""The per-row work of a batch, and worker processes to share it between cores.

A batch row goes through three steps. The first and last depend on the rows
before it and stay in the parent process, in input order: claiming the runner
id and fetching its race rows (step 1), writing every output (step 3). The
middle step depends on the row alone: validating the row and its race rows
into a profile, assessing it, serialising the report (:func:`assess_row`).
With ``workers > 1`` that step runs in a pool of worker processes, each with
its own rule engine, on chunks of rows; at most ``CHUNKS_PER_WORKER`` chunks
per worker are in flight, so memory stays flat, and results come back in
input order, so the outputs are byte for byte those of one process.

Workers are forked on Linux when the parent runs a single thread (they start
at once, before any output file is open); otherwise they start with
``forkserver`` (or ``spawn``), which import the caller's main module again:
a script calling :func:`~assessment.batch.run_batch` then needs the usual
``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from ..model.profile import Profile, RaceResult
from ..report.model import Report
from .roster import ROW_NOT_ASSESSED, Problem, RaceRow, RosterRow, build_profile, validate_race

#: Below this many roster rows a batch runs in one process. Workers start in
#: about 0.05 s forked, 0.2-0.5 s otherwise; measured on 2 cores, 1,000 rows
#: take 1.1 s in one process, 0.7 s forked into two (0.9 s forkserver, 1.25 s spawn).
PARALLEL_MIN_ROWS = 1_000
#: Rows sent to a worker at a time, and chunks in flight per worker.
CHUNK_ROWS = 64
CHUNKS_PER_WORKER = 3
#: A start method to use instead of the choice described in :func:`_context` (tests).
START_METHOD: str | None = None


@dataclass
class Assessed:
    """What the batch keeps of one report: the outputs' text and the summary's numbers."""

    runner_id: str
    name: str | None
    status: str
    fit_score: int | None
    weeks_to_race: float
    phase: str
    edition: dict[str, Any]
    top: list[str]
    #: (pillar, gap, score, rank) of the ranked emphases, first three.
    emphases: list[tuple[str, float, float, int]]
    #: (rule_id, title, pillar) of each gap finding, first occurrence of a rule only.
    gaps: list[tuple[str, str, str]]
    missing: list[str]
    #: The report's JSON, UTF-8: its line of assessments.jsonl (``None`` once a worker spooled it).
    json: bytes | None
    estimate_mid: float | None = None       # minutes: the finish-time estimate's middle
    ss_pass: float | None = None            # chance of passing Sancti Spiritu by its barrier
    markdown: str | None = None
    html: str | None = None
    ics: bytes | None = None  # the plan to race day as a calendar (``--plans``)


def from_report(report: Report, json: bytes | None = None) -> Assessed:
    """What the batch keeps of a :class:`Report`."""
    ed = report.edition
    gaps: dict[str, tuple[str, str, str]] = {}
    for f in report.findings:
        if f.kind == "gap" and f.rule_id not in gaps:
            title = report.catalog.rules[f.rule_id].title if report.catalog and f.rule_id in report.catalog.rules else f.rule_id
            gaps[f.rule_id] = (f.rule_id, title, f.pillar)
    return Assessed(
        runner_id=report.runner_id,
        name=report.name,
        status=report.eligibility.status,
        fit_score=report.fit_score,
        weeks_to_race=report.weeks_to_race,
        phase=report.phase,
        edition={"year": ed.year, "race_date": ed.race_date.isoformat(), "estimated": ed.estimated},
        top=report.top_emphases(3),
        emphases=[(e.pillar, e.gap, e.score, e.rank) for e in report.emphases[:3]],
        gaps=list(gaps.values()),
        missing=sorted({m.field for m in report.missing}),
        json=json if json is not None else report.to_json(catalog=False).encode(),
        estimate_mid=report.estimate.finish.mid if report.estimate else None,
        ss_pass=next((b.pass_probability for b in report.estimate.barriers if b.name == "Sancti Spiritu"), None)
        if report.estimate else None,
    )


def from_data(data: dict, json: bytes, catalog: dict) -> Assessed:
    """The same as :func:`from_report`, from :func:`~assessment.pipeline.assess_data`'s plain data
    (without its catalog: the pack's ``catalog`` gives the titles)."""
    ed = data["edition"]
    gaps: dict[str, tuple[str, str, str]] = {}
    for f in data["findings"]:
        if f["kind"] == "gap" and f["rule_id"] not in gaps:
            gaps[f["rule_id"]] = (f["rule_id"], catalog["rules"][f["rule_id"]]["title"], f["pillar"])
    emphases = data["emphases"][:3]
    est = data.get("estimate")
    return Assessed(
        runner_id=data["runner_id"],
        name=data.get("name"),
        status=data["eligibility"]["status"],
        fit_score=data.get("fit_score"),
        weeks_to_race=data["weeks_to_race"],
        phase=data["phase"],
        edition={"year": ed["year"], "race_date": ed["race_date"].isoformat(), "estimated": ed["estimated"]},
        top=[e["pillar"] for e in emphases],
        emphases=[(e["pillar"], e["gap"], e["score"], e["rank"]) for e in emphases],
        gaps=list(gaps.values()),
        missing=sorted({m["field"] for m in data.get("missing", ())}),
        json=json,
        estimate_mid=est["finish"]["mid"] if est else None,
        ss_pass=next((b["pass_probability"] for b in est["barriers"] if b["name"] == "Sancti Spiritu"), None)
        if est else None,
    )


class Assessor:
    """Step 2's assessment of one profile, as the batch's options say (picklable: sent to workers).

    With no ``assess_fn`` it never builds the report's models unless a page
    needs them: :func:`~assessment.pipeline.assess_data` and its JSON.
    """

    def __init__(self, rulebase, as_of, edition, race_date, *, markdown: bool = False, html: bool = False,
                 plans: bool = False, assess_fn: Callable[[Profile], Report] | None = None):
        self.options = {"rulebase": rulebase, "as_of": as_of, "edition": edition, "race_date": race_date}
        self.markdown, self.html, self.plans, self.assess_fn = markdown, html, plans, assess_fn

    def __call__(self, profile: Profile) -> Assessed:
        from ..pipeline import assess_data, catalog_data, report_json

        if self.assess_fn is not None:
            report = self.assess_fn(profile)
            a = from_report(report)
        else:
            data = assess_data(profile, **self.options, catalog=False)
            catalog = catalog_data(self.options["rulebase"])
            a = from_data(data, report_json(data), catalog)
            report = Report.model_validate({**data, "catalog": catalog}) \
                if self.markdown or self.html or self.plans else None
        if self.markdown:
            from ..report.text import to_markdown

            a.markdown = to_markdown(report)
        if self.html:
            from ..report.html import runner_html

            a.html = runner_html(report, profile)
        if self.plans and self.options["rulebase"] is not None:
            from ..plan import PlanError, build_plan
            from ..plan.ics import to_ics

            try:
                a.ics = to_ics(build_plan(report, self.options["rulebase"]))
            except PlanError:
                a.ics = None  # a pack without plan rules: no calendar (the summary says so)
        return a


class RaceEntry(NamedTuple):
    """A stored race row: validated (``race``, ``problems`` as JSON) or as read (``raw`` cells as JSON)."""

    file: str
    line: int | None
    race: str | None
    problems: str | None
    raw: str | None


@dataclass
class Task:
    """One roster row with what step 1 found for it."""

    row: RosterRow
    races: list[RaceEntry]  # the runner's race rows, in file order


@dataclass
class Outcome:
    row: RosterRow  # its problems completed by the validation and the assessment
    race_problems: list[Problem]
    assessed: Assessed | None


def runner_races(runner_id: str, entries: list[RaceEntry]) -> tuple[list[RaceResult], list[Problem]]:
    """The runner's results and the problems of its race rows, in file order."""
    races: list[RaceResult] = []
    problems: list[Problem] = []
    for e in entries:
        if e.raw is not None:
            r = validate_race(RaceRow(e.file, e.line, runner_id, None, [], json.loads(e.raw)))
            if r.race is not None:
                races.append(r.race)
            problems.extend(r.problems)
            continue
        if e.race:
            races.append(RaceResult.model_validate_json(e.race))
        if e.problems:
            problems.extend(Problem(**p) for p in json.loads(e.problems))
    return races, problems


def assess_row(task: Task, file: str, assessor: Callable[[Profile], Assessed]) -> Outcome:
    """Step 2 of a row: profile, assessment, report text. Depends on the row alone."""
    from ..pipeline import AssessmentError

    row = task.row
    races, race_problems = runner_races(row.runner_id or "", task.races)
    profile = build_profile(row, races, file)
    assessed = None
    if profile is not None:
        try:
            assessed = assessor(profile)
        except AssessmentError as exc:
            # The row is not assessed after all: its other problems no longer say "row assessed".
            row.problems = [replace(p, effect=ROW_NOT_ASSESSED) for p in row.problems]
            row.problems.append(Problem(file, row.line, row.runner_id, "", "", f"assessment failed: {exc}", ROW_NOT_ASSESSED))
    return Outcome(row, race_problems, assessed)


# --------------------------------------------------------------------------- workers

_worker: tuple[str, Assessor] | None = None


def _die_with_parent() -> None:
    """Linux: the kernel sends this worker SIGTERM when the process that forked it dies, even
    by ``kill -9``, so no worker is left blocked on a pipe under PID 1."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() == 1:  # the parent died before the call: do not linger
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _init_worker(file: str, assessor: Assessor) -> None:
    _die_with_parent()
    # Ctrl-C reaches the whole process group: the parent decides what happens.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    global _worker
    _worker = (file, assessor)
    try:
        assessor(Profile(runner_id="warm-up"))  # register the ruleset while the parent reads the races
    except Exception:
        pass  # a real row will meet the same problem and report it


def _ready() -> int:
    return os.getpid()


def _work(tasks: list[Task], spool: str) -> list[Outcome]:
    assert _worker is not None, "worker not initialised"
    file, assessor = _worker
    outcomes = [assess_row(t, file, assessor) for t in tasks]
    # The chunk's JSON lines go to a file the parent appends to assessments.jsonl
    # as it is: a report's 20-odd kB would otherwise be pickled, piped and unpickled.
    with open(spool, "wb") as fh:
        for o in outcomes:
            o.row.fields = {}  # read by step 2 only: not sent back
            if o.assessed is not None:
                fh.write(o.assessed.json + b"\n")
                o.assessed.json = None
    return outcomes


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def choose_workers(requested: int | None, rows_hint: int | None) -> int:
    """``requested`` if given (>= 1); else one per usable core for rosters of ``PARALLEL_MIN_ROWS`` rows or more."""
    if requested:
        return max(1, requested)
    if rows_hint is not None and rows_hint < PARALLEL_MIN_ROWS:
        return 1
    return max(1, usable_cores())


def count_rows(path) -> int:
    """Non-blank lines after the first: enough to decide whether workers pay off (one fast pass)."""
    with open(path, "rb") as fh:
        return max(sum(1 for line in fh if line.strip(b" \t\r\n;,|")) - 1, 0)


def _context():
    """``fork`` on Linux from a single-threaded parent (instant, nothing re-imported); else ``forkserver`` or ``spawn``.

    Forking a process that runs other threads can copy a lock one of them
    holds; the other two start clean.
    """
    if START_METHOD is not None:
        return multiprocessing.get_context(START_METHOD)
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class RowPool:
    """Step 2 in ``workers`` processes: results in input order, a bounded number in flight.

    Each chunk's JSON lines come back through a spool file (in the system's
    temporary folder, removed by :meth:`close`), handed to ``map``'s ``json_sink``
    before the chunk's outcomes.
    """

    def __init__(self, workers: int, file: str, assessor: Assessor, spool_dir: Path | None = None):
        ctx = _context()
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload(["assessment.batch.pool", "assessment.pipeline"])
        self.window = workers * CHUNKS_PER_WORKER
        self.spool = Path(tempfile.mkdtemp(prefix="spool-", dir=spool_dir))
        self.pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker,
            initargs=(file, assessor),
        )
        # Start every worker now: they boot while the parent reads the races file.
        for _ in range(workers):
            self.pool.submit(_ready)

    def map(self, tasks: Iterable[Task], json_sink: Callable[[Path], None]) -> Iterator[Outcome]:
        pending: deque = deque()
        it = iter(tasks)
        n = 0
        while True:
            chunk = list(islice(it, CHUNK_ROWS))
            if chunk:
                spool = self.spool / f"{n}.jsonl"
                n += 1
                pending.append((self.pool.submit(_work, chunk, str(spool)), spool))
            while pending and (len(pending) >= self.window or not chunk):
                future, spool = pending.popleft()
                outcomes = future.result()
                json_sink(spool)
                spool.unlink()
                yield from outcomes
            if not chunk and not pending:
                return

    def close(self, *, cancel: bool = False) -> None:
        try:
            self.pool.shutdown(wait=True, cancel_futures=cancel)
        finally:
            shutil.rmtree(self.spool, ignore_errors=True)

    def __enter__(self) -> "RowPool":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(cancel=exc_type is not None)
