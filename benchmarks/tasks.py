"""What the benchmark runs in a fresh process, so that each measure has its own memory.

``python -m benchmarks.tasks floor ROSTER RACES``
``python -m benchmarks.tasks batch ROSTER RACES OUT WORKERS``
``python -m benchmarks.tasks assess CALLS ENGINE``

Each prints one JSON line on stdout with the seconds it measured inside the
process (the interpreter's start-up and imports excluded).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

AS_OF = dt.date(2026, 12, 1)
ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "examples" / "profiles" / "skimo.yaml"


def floor(roster: str, races: str) -> dict:
    """Read both CSVs and validate every row (races into results, roster rows into profiles): nothing else."""
    from assessment.batch.roster import RACE_COLUMNS, ROSTER_COLUMNS, build_profile, open_table, read_races, read_roster

    start = time.perf_counter()
    race_rows = sum(1 for _ in read_races(open_table(races, RACE_COLUMNS, kind="races file")))
    table = open_table(roster, ROSTER_COLUMNS)
    rows = profiles = 0
    for row in read_roster(table):
        rows += 1
        profiles += build_profile(row, (), table.name) is not None
    return {"seconds": time.perf_counter() - start, "rows": rows, "profiles": profiles, "race_rows": race_rows}


def batch(roster: str, races: str, out: str, workers: str) -> dict:
    """``run_batch`` as a library call, every output written."""
    from assessment.batch.run import run_batch
    from assessment.batch.pool import choose_workers, count_rows

    start = time.perf_counter()
    result = run_batch(roster, races=races, out_dir=out, as_of=AS_OF, workers=int(workers) or None)
    seconds = time.perf_counter() - start
    s = result.summary
    used = choose_workers(int(workers) or None, count_rows(roster))  # what run_batch chose
    return {"seconds": seconds, "read": s.read, "assessed": s.assessed, "errors": s.errors, "workers": used}


def assess_latency(calls: str, engine: str) -> dict:
    """One runner assessed ``calls`` times in a warm process, as an app embedding us would."""
    from assessment import assess
    from assessment.pipeline import default_rulebase
    from assessment.model.io import read_document

    data = read_document(str(PROFILE))
    rb = default_rulebase()
    for _ in range(200):  # warm: the pack loaded, the ruleset registered, caches filled
        assess(data, as_of=AS_OF, rulebase=rb, engine=engine)
    times = []
    for _ in range(int(calls)):
        t = time.perf_counter()
        assess(data, as_of=AS_OF, rulebase=rb, engine=engine)
        times.append(time.perf_counter() - t)
    times.sort()
    n = len(times)
    return {
        "calls": n,
        "median_ms": 1000 * times[n // 2],
        "p99_ms": 1000 * times[min(n - 1, int(n * 0.99))],
        "mean_ms": 1000 * sum(times) / n,
    }


TASKS = {"floor": floor, "batch": batch, "assess": assess_latency}

if __name__ == "__main__":
    print(json.dumps(TASKS[sys.argv[1]](*sys.argv[2:])))
