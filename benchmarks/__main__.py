"""``python -m benchmarks``: how fast zegama-assess is, as ratios that travel between machines.

For each roster size (1,000, 10,000 and 100,000 synthetic runners; ``--quick``:
10,000 only) it measures, each in a fresh process:

1. the floor: read the roster and races CSVs and validate every row, nothing else
   (median of three runs);
2. ``zegama batch`` end to end, all outputs written: as a library call
   (``run_batch``, with the default workers and with one) and as the command;
3. then, once: ``assess()`` latency for one runner in a warm process (median and
   99th percentile over 10,000 calls), and the straightforward path for comparison;
4. cold start of ``zegama --help`` and ``zegama assess examples/...`` (median of several runs);
5. peak memory of every batch run: the largest process (``ru_maxrss``) and the
   whole process tree (sampled resident size, workers included).

The headlines, at the largest size run: ``batch_over_floor`` (batch time divided
by the floor), ``assess_over_floor_row`` (warm ``assess()`` median divided by the
floor's time per runner) and ``report_bytes_median`` (the median line of the
batch's ``assessments.jsonl``, a report without its catalog). ``--json FILE``
writes every number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .generate import write_roster

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (10_000,)
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
FLOOR_RUNS = 3
TARGETS = {"batch_over_floor": 3.0, "assess_over_floor_row": 4.0, "report_bytes_median": 6000, "help_ms": 150.0}


# --------------------------------------------------------------------------- measuring a process


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(c) for c in fh.read().split())
    except OSError:
        pass
    return out


def _tree_rss_kb(root: int) -> int:
    """Resident size of a process and all its descendants (Linux /proc; 0 elsewhere)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE_KB
        except OSError:
            continue
        todo.extend(_children(pid))
    return total


class Measured:
    def __init__(self, seconds: float, stdout: str, returncode: int, maxrss_kb: int, tree_kb: int):
        self.seconds, self.stdout, self.returncode = seconds, stdout, returncode
        self.maxrss_kb, self.tree_kb = maxrss_kb, tree_kb

    def json(self) -> dict:
        return json.loads(self.stdout.strip().splitlines()[-1])


def run_process(cmd: list[str], *, sample: bool = False) -> Measured:
    """Run ``cmd``; wall time, stdout, and peak memory (its own rusage, the tree's sampled RSS)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = [0]
        done = threading.Event()

        def sampler() -> None:
            while not done.wait(0.1):
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

        thread = threading.Thread(target=sampler, daemon=True) if sample else None
        if thread:
            thread.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        if thread:
            thread.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        if proc.returncode not in (0, 1):  # 1: some rows had errors, as the generated rosters do
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.read().decode()[-2000:]}")
    return Measured(seconds, stdout, proc.returncode, usage.ru_maxrss, peak[0])


def task(*args: str, sample: bool = False) -> Measured:
    return run_process([sys.executable, "-m", "benchmarks.tasks", *args], sample=sample)


def zegama(*args: str, sample: bool = False) -> Measured:
    return run_process([sys.executable, "-m", "assessment.cli.main", *args], sample=sample)


# --------------------------------------------------------------------------- the measures


def measure_size(n: int, work: Path, workers: int, sequential: bool, log) -> dict:
    d = work / f"n{n}"
    t = time.perf_counter()
    roster, races = write_roster(d, n)
    log(f"{n:>7,} runners: generated in {time.perf_counter() - t:.1f} s")
    # The floor is cheap and is the denominator of the headline: the median of three runs.
    floors = [task("floor", str(roster), str(races)).json() for _ in range(FLOOR_RUNS)]
    f = sorted(floors, key=lambda r: r["seconds"])[len(floors) // 2]
    runs = ", ".join(f"{r['seconds']:.2f}" for r in floors)
    log(f"          floor {f['seconds']:.2f} s (median of {runs})")
    lib = task("batch", str(roster), str(races), str(d / "out-lib"), str(workers), sample=True)
    b = lib.json()
    log(f"          batch (library, {b['workers']} worker{'s' if b['workers'] > 1 else ''}) {b['seconds']:.2f} s")
    row = {
        "runners": n,
        "race_rows": f["race_rows"],
        "assessed": b["assessed"],
        "errors": b["errors"],
        "floor_s": f["seconds"],
        "floor_runs_s": [r["seconds"] for r in floors],
        "floor_per_runner_us": 1e6 * f["seconds"] / n,
        "batch_s": b["seconds"],
        "batch_workers": b["workers"],
        "batch_per_runner_us": 1e6 * b["seconds"] / n,
        "batch_over_floor": b["seconds"] / f["seconds"],
        "batch_rss_peak_mb": lib.tree_kb / 1024,
        "batch_maxrss_mb": lib.maxrss_kb / 1024,
        "report_bytes_median": _median_line(d / "out-lib" / "assessments.jsonl"),
        "catalog_bytes": (d / "out-lib" / "catalog.json").stat().st_size,
    }
    if sequential:
        one = task("batch", str(roster), str(races), str(d / "out-seq"), "1", sample=True)
        s = one.json()
        log(f"          batch (library, 1 worker) {s['seconds']:.2f} s")
        row.update(batch_sequential_s=s["seconds"], sequential_over_floor=s["seconds"] / f["seconds"],
                   sequential_rss_peak_mb=one.tree_kb / 1024)
    cli = zegama("batch", str(roster), "--races", str(races), "--out", str(d / "out-cli"), "--as-of", "2026-12-01",
                 "--workers", str(workers), sample=True)
    log(f"          zegama batch (process) {cli.seconds:.2f} s")
    row.update(cli_batch_s=cli.seconds, cli_over_floor=cli.seconds / f["seconds"],
               cli_rss_peak_mb=cli.tree_kb / 1024, cli_maxrss_mb=cli.maxrss_kb / 1024)
    shutil.rmtree(d, ignore_errors=True)
    return row


def _median_line(path: Path) -> int:
    """The median length in bytes of a JSON-lines file's lines (newline excluded)."""
    with open(path, "rb") as fh:
        sizes = sorted(len(line.rstrip(b"\n")) for line in fh if line.strip())
    return sizes[len(sizes) // 2] if sizes else 0


def measure_assess(calls: int, log) -> dict:
    fast = task("assess", str(calls), "durable").json()
    log(f"assess(): median {fast['median_ms']:.3f} ms, p99 {fast['p99_ms']:.3f} ms over {calls:,} calls")
    plain = task("assess", str(max(calls // 5, 100)), "durable-host").json()
    log(f"assess(engine='durable-host'), the straightforward path: median {plain['median_ms']:.3f} ms")
    return {**fast, "straightforward_median_ms": plain["median_ms"], "straightforward_p99_ms": plain["p99_ms"]}


def measure_cold(runs: int, log) -> dict:
    def median_ms(*args: str, module: bool = True) -> float:
        times = []
        for _ in range(runs):
            m = zegama(*args) if module else run_process([sys.executable, *args])
            times.append(m.seconds * 1000)
        return statistics.median(times)

    out = {
        "runs": runs,
        "python_ms": median_ms("-c", "pass", module=False),
        "help_ms": median_ms("--help"),
        "assess_ms": median_ms("assess", "examples/profiles/skimo.yaml", "--as-of", "2026-12-01"),
    }
    log(f"cold start: zegama --help {out['help_ms']:.0f} ms, zegama assess {out['assess_ms']:.0f} ms "
        f"(python itself {out['python_ms']:.0f} ms)")
    return out


# --------------------------------------------------------------------------- report


def machine() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    return {
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def table(results: dict) -> str:
    from tabulate import tabulate

    rows = []
    for n, r in results["sizes"].items():
        rows.append([
            f"{int(n):,}", f"{r['floor_s']:.2f}", f"{r['batch_s']:.2f} ({r['batch_workers']}w)", f"{r['batch_over_floor']:.1f}x",
            f"{r['batch_sequential_s']:.2f} ({r['sequential_over_floor']:.1f}x)" if "batch_sequential_s" in r else "-",
            f"{r['cli_batch_s']:.2f} ({r['cli_over_floor']:.1f}x)", f"{r['batch_rss_peak_mb']:.0f}",
            f"{r['batch_per_runner_us']:.0f}",
        ])
    head = ["runners", "floor s", "batch s", "batch/floor", "1 worker s", "zegama batch s", "peak RSS MB", "µs/runner"]
    a, c, m = results["assess"], results["cold_start"], results["machine"]
    lines = [
        f"Machine: {m['cores']} cores ({m['usable_cores']} usable), Python {m['python']}, {m['platform']}",
        "",
        tabulate(rows, headers=head, tablefmt="github", disable_numparse=True),
        "",
        f"assess() warm, one runner: median {a['median_ms']:.3f} ms, p99 {a['p99_ms']:.3f} ms "
        f"({a['calls']:,} calls); straightforward path median {a['straightforward_median_ms']:.3f} ms",
        f"Cold start: zegama --help {c['help_ms']:.0f} ms, zegama assess {c['assess_ms']:.0f} ms "
        f"(python -c pass {c['python_ms']:.0f} ms)",
        f"batch_over_floor at {results['largest_size']:,} runners: {results['batch_over_floor']:.2f}",
        f"assess_over_floor_row: {results['assess_over_floor_row']:.2f} "
        f"(assess() median {1000 * a['median_ms']:.0f} µs / floor {results['floor_per_runner_us']:.0f} µs per runner)",
        f"report_bytes_median: {results['report_bytes_median']:,} bytes a report line "
        f"(catalog.json, once per batch: {results['catalog_bytes']:,} bytes)",
    ]
    lines += [f"target {k}: {'met' if ok else 'NOT met'}" for k, ok in results["targets_met"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="only 10,000 runners (under three minutes)")
    ap.add_argument("--sizes", help="comma-separated roster sizes (default 1000,10000,100000)")
    ap.add_argument("--json", dest="json_file", metavar="FILE", help="write the results as JSON")
    ap.add_argument("--workers", type=int, default=0, help="batch workers (default 0: the batch's own choice)")
    ap.add_argument("--calls", type=int, default=10_000, help="assess() calls for the latency (default 10,000)")
    ap.add_argument("--cold-runs", type=int, default=7, help="runs of each cold start (default 7)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else SIZES)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = time.perf_counter()
    results: dict = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
                     "quick": args.quick, "sizes": {}}
    log(f"benchmarks on {results['machine']['cores']} cores; sizes {', '.join(f'{n:,}' for n in sizes)}")
    with tempfile.TemporaryDirectory(prefix="zegama-bench-") as tmp:
        for n in sizes:
            results["sizes"][str(n)] = measure_size(n, Path(tmp), args.workers, sequential=True, log=log)
    results["assess"] = measure_assess(args.calls, log)
    results["cold_start"] = measure_cold(args.cold_runs, log)
    largest = max(sizes)
    results["largest_size"] = largest
    big = results["sizes"][str(largest)]
    results["batch_over_floor"] = big["batch_over_floor"]
    results["floor_per_runner_us"] = big["floor_per_runner_us"]
    results["assess_over_floor_row"] = 1000 * results["assess"]["median_ms"] / big["floor_per_runner_us"]
    results["report_bytes_median"] = big["report_bytes_median"]
    results["catalog_bytes"] = big["catalog_bytes"]
    rss = [results["sizes"][str(n)]["batch_rss_peak_mb"] for n in sorted(sizes)]
    results["targets_met"] = {
        f"batch_over_floor <= {TARGETS['batch_over_floor']:g} at the largest size":
            results["batch_over_floor"] <= TARGETS["batch_over_floor"],
        f"assess_over_floor_row <= {TARGETS['assess_over_floor_row']:g}":
            results["assess_over_floor_row"] <= TARGETS["assess_over_floor_row"],
        f"report_bytes_median <= {TARGETS['report_bytes_median']:,}":
            results["report_bytes_median"] <= TARGETS["report_bytes_median"],
        "zegama --help < 150 ms": results["cold_start"]["help_ms"] < TARGETS["help_ms"],
    }
    if len(rss) > 1:
        # Flat: the largest roster peaks within 50% of the smallest one's.
        results["targets_met"]["memory flat in roster size"] = rss[-1] <= 1.5 * rss[0]
    results["total_seconds"] = time.perf_counter() - started
    print(table(results))
    print(f"(benchmarks took {results['total_seconds']:.0f} s)")
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
