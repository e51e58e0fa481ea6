"""Fit the finish-time model on real race histories and print its cross-validated figures.

    python scripts/fit_estimate.py                       # fit, cross-validate, print
    python scripts/fit_estimate.py --write               # ... and write rules/zegama/estimate.yaml
    python scripts/fit_estimate.py --fast                # a fifth of the runners, fewer search steps (CI)
    python scripts/fit_estimate.py --data FILE.csv       # another file with the same columns

The data: ../shared/data/itra-race-history-sample.csv (runner, sex, race, date, distance_km,
dplus_m, time, position), ITRA race histories of UTMB 2015 runners from the TRAP data set
(Fogliato, Oliveira & Yurko 2020, JQAS; github.com/ricfog/TRAP-data). It is read, never shipped:
the pack gets the fitted coefficients, the figures and this script's name.

The test: every result of a runner who has at least one earlier result in the two years before
it is predicted from that runner's earlier results (up to three years back) only. Runners are
split in five folds: the coefficients are fitted on four and judged on the fifth, so no runner
is ever judged by coefficients fitted on their own results. The baseline in the same run is the
runner's best result of the two years before, scaled by km-effort with a Riegel exponent of 1.06.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import random
import statistics
import sys
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assessment.estimate.model import (PROBS, Coefficients, Input, effort, level_at, predict, quantile,  # noqa: E402
                                       scale)

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "itra-race-history-sample.csv"
LOOKBACK_YEARS = 3.0      # results older than this are not used
BASELINE_YEARS = 2.0      # the baseline's window (the definition)
MAX_SIZE_RATIO = 3.0      # inputs between a third and three times the target's km-effort
BASELINE_EXPONENT = 1.06
FOLDS = 5
INTERVAL = (0.10, 0.90)   # the 80% interval
START = Coefficients(exponent=1.06, curvature=0.0, climb_weight=1.0, recency_years=2.0, size_spread=0.5,
                     s0=0.08, s1=0.05, s2=0.1, s3=0.02)


@dataclass(frozen=True)
class Row:
    runner: str
    sex: str
    date: dt.date
    km: float
    dplus: float
    minutes: float


@dataclass(frozen=True)
class Case:
    target: Row
    history: tuple[Row, ...]   # the same runner's earlier results, newest last


def minutes(text: str) -> float:
    h, m, s = text.split(":")
    return int(h) * 60 + int(m) + float(s) / 60


def read(path: Path) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            try:
                rows.append(Row(r["runner"], r["sex"], dt.date.fromisoformat(r["date"]), float(r["distance_km"]),
                                float(r["dplus_m"] or 0), minutes(r["time"])))
            except (KeyError, ValueError):
                continue
    return rows


def cases(rows: list[Row]) -> list[Case]:
    by: dict[str, list[Row]] = {}
    for r in rows:
        by.setdefault(r.runner, []).append(r)
    out = []
    for runner in sorted(by):
        hist = sorted(by[runner], key=lambda r: r.date)
        for j, t in enumerate(hist):
            size = t.km + t.dplus / 100
            before = tuple(r for r in hist[:j] if 0 < (t.date - r.date).days <= 365.25 * LOOKBACK_YEARS
                           and 1 / MAX_SIZE_RATIO <= (r.km + r.dplus / 100) / size <= MAX_SIZE_RATIO)
            if any((t.date - r.date).days <= 365.25 * BASELINE_YEARS for r in before):
                out.append(Case(t, before))
    return out


def inputs(case: Case, alpha: float) -> list[Input]:
    return [Input(effort(r.km, r.dplus, alpha), r.minutes, (case.target.date - r.date).days / 365.25)
            for r in case.history]


def baseline(case: Case) -> float:
    """The best of the last two years, scaled by ITRA km-effort with Riegel's 1.06."""
    e = effort(case.target.km, case.target.dplus, 1.0)
    return min(r.minutes * (e / effort(r.km, r.dplus, 1.0)) ** BASELINE_EXPONENT for r in case.history
               if (case.target.date - r.date).days <= 365.25 * BASELINE_YEARS)


def errors(cs: list[Case], c: Coefficients) -> list[float]:
    out = []
    for case in cs:
        p = predict(inputs(case, c.climb_weight), effort(case.target.km, case.target.dplus, c.climb_weight), c)
        out.append(abs(p.mid / case.target.minutes - 1))
    return out


def median_error(cs: list[Case], c: Coefficients) -> float:
    return statistics.median(errors(cs, c))


GRID = {
    "exponent": [1.0, 1.04, 1.06, 1.08, 1.10, 1.12, 1.14, 1.16, 1.18, 1.20, 1.25, 1.30, 1.40, 1.50],
    "curvature": [-0.2, -0.1, 0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4],
    "climb_weight": [0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5],
    "recency_years": [0.5, 1.0, 1.5, 2.0, 3.0, 5.0],
    "size_spread": [0.15, 0.25, 0.35, 0.5, 0.75, 1.0, 2.0],
}


def fit_level(cs: list[Case], c: Coefficients, rounds: int) -> Coefficients:
    """Coordinate search over the grid, minimising the median absolute error."""
    best = median_error(cs, c)
    for _ in range(rounds):
        moved = False
        for name, values in GRID.items():
            for v in values:
                trial = replace(c, **{name: v})
                e = median_error(cs, trial)
                if e < best - 1e-6:
                    best, c, moved = e, trial, True
        if not moved:
            break
    return c


def residuals(cs: list[Case], c: Coefficients) -> list[tuple[float, "object"]]:
    out = []
    for case in cs:
        p = predict(inputs(case, c.climb_weight), effort(case.target.km, case.target.dplus, c.climb_weight), c)
        out.append((math.log(case.target.minutes) - p.log_mid, p))
    return out


def _robust_nll(res, c: Coefficients) -> float:
    # Student-t (4 d.f.) log-likelihood: the spread of most results, not of the few disasters.
    total = 0.0
    for r, p in res:
        s2 = c.s0 ** 2 + c.s1 ** 2 / p.n_eff + (c.s2 * p.distance) ** 2 + (c.s3 * p.age) ** 2
        total += 0.5 * math.log(s2) + 2.5 * math.log(1 + r * r / (4 * s2))
    return total


def fit_spread(cs: list[Case], c: Coefficients, rounds: int) -> Coefficients:
    res = residuals(cs, c)
    steps = {"s0": [0.02, 0.04, 0.06, 0.07, 0.08, 0.09, 0.10, 0.11, 0.12, 0.15],
             "s1": [0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.15],
             "s2": [0.0, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.3, 0.4],
             "s3": [0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.08]}
    best = _robust_nll(res, c)
    for _ in range(rounds):
        moved = False
        for name, values in steps.items():
            for v in values:
                trial = replace(c, **{name: v})
                e = _robust_nll(res, trial)
                if e < best - 1e-9:
                    best, c, moved = e, trial, True
        if not moved:
            break
    return c


def levels(cs: list[Case], c: Coefficients) -> list[list[float]]:
    z = sorted(r / p.sigma for r, p in residuals(cs, c))
    return [[p, round(quantile(z, p), 4)] for p in PROBS]


def fit(cs: list[Case], rounds: int) -> tuple[Coefficients, list[list[float]]]:
    c = fit_level(cs, START, rounds)
    c = fit_spread(cs, c, rounds)
    return c, levels(cs, c)


def judge(cs: list[Case], c: Coefficients, lv: list[list[float]]) -> dict:
    lo, hi = level_at(lv, INTERVAL[0]), level_at(lv, INTERVAL[1])
    inside = 0
    errs = []
    for (r, p), case in zip(residuals(cs, c), cs):
        errs.append(abs(math.exp(p.log_mid) / case.target.minutes - 1))
        inside += lo * p.sigma <= r <= hi * p.sigma
    return {"errors": errs, "inside": inside, "n": len(cs)}


def folds(cs: list[Case], k: int, seed: int = 2015) -> list[list[Case]]:
    runners = sorted({c.target.runner for c in cs})
    random.Random(seed).shuffle(runners)
    fold_of = {r: i % k for i, r in enumerate(runners)}
    out: list[list[Case]] = [[] for _ in range(k)]
    for c in cs:
        out[fold_of[c.target.runner]].append(c)
    return out


#: Zegama results of UTMB 2015 runners, 2011-2015, from their ITRA histories in the TRAP data set
#: (zegama-facts.md 7.2; the sample has every Zegama result removed, so these are published points).
TRAP_ZEGAMA = ("4:22:24", "5:56:37", "6:16:27", "6:49:42", "4:42:36", "5:52:48", "6:32:51", "5:05:31", "5:18:58",
               "6:51:20", "7:52:22", "4:47:23", "5:03:51", "5:32:08", "6:42:10", "6:47:20", "4:57:21", "5:17:28",
               "5:34:47", "6:05:41")
ZEGAMA_RECORD_MIN = 216 + 40 / 60  # 3:36:40, Jornet 2022
ZEGAMA_KM_EFFORT = 42.195 + 2736 / 100


def zegama_checks(rows: list[Row], c: Coefficients) -> dict:
    """What bounds a Zegama course factor: the sample's fastest runner against the record, and the
    sample's runners at Zegama's dates against the TRAP runners who raced it."""
    e_z = effort(42.195, 2736, c.climb_weight)
    by: dict[str, list[Row]] = {}
    for r in rows:
        by.setdefault(r.runner, []).append(r)
    preds, fastest = [], math.inf
    for year in range(2011, 2016):
        day = dt.date(year, 5, 20)
        for hist in by.values():
            ins = [Input(effort(r.km, r.dplus, c.climb_weight), r.minutes, (day - r.date).days / 365.25)
                   for r in hist if 0 < (day - r.date).days <= 365.25 * LOOKBACK_YEARS
                   and 1 / MAX_SIZE_RATIO <= (r.km + r.dplus / 100) / ZEGAMA_KM_EFFORT <= MAX_SIZE_RATIO]
            p = predict(ins, e_z, c)
            if p is not None:
                preds.append(p.mid)
                fastest = min(fastest, p.mid)
    trap = statistics.median(minutes(t) for t in TRAP_ZEGAMA)
    sample = statistics.median(preds)
    return {"fastest_min": round(fastest, 1), "record_factor": round(ZEGAMA_RECORD_MIN / fastest, 3),
            "sample_median_min": round(sample, 1), "trap_median_min": round(trap, 1),
            "population_factor": round(trap / sample, 3), "predictions": len(preds)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--fast", action="store_true", help="a fifth of the runners and one search round")
    ap.add_argument("--write", action="store_true", help="write the fitted model to rules/zegama/estimate.yaml")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"fit_estimate: {args.data}: file not found (see ../shared/data/README.md)", file=sys.stderr)
        return 1
    rows = read(args.data)
    if args.fast:
        keep = sorted({r.runner for r in rows})[::5]
        rows = [r for r in rows if r.runner in set(keep)]
    rounds = 1 if args.fast else 3
    cs = cases(rows)
    print(f"data: {args.data.name}: {len(rows):,} results of {len({r.runner for r in rows}):,} runners; "
          f"{len(cs):,} results predicted from earlier ones")
    errs, base, inside, n = [], [], 0, 0
    for i, test in enumerate(folds(cs, FOLDS)):
        train = [c for j, f in enumerate(folds(cs, FOLDS)) if j != i for c in f]
        c, lv = fit(train, rounds)
        j = judge(test, c, lv)
        errs += j["errors"]
        inside += j["inside"]
        n += j["n"]
        base += [abs(baseline(case) / case.target.minutes - 1) for case in test]
        print(f"  fold {i + 1}: b {c.exponent}, k {c.curvature}, alpha {c.climb_weight}, tau {c.recency_years} y, "
              f"lambda {c.size_spread}; median error {100 * statistics.median(j['errors']):.1f}%")
    m, mb = statistics.median(errs), statistics.median(base)
    cover = inside / n
    print(f"cross-validated by runner ({FOLDS} folds), {n:,} predictions:")
    print(f"  median absolute error: model {100 * m:.1f}%, baseline {100 * mb:.1f}% (ratio {m / mb:.2f}; target <= 0.80)")
    print(f"  80% interval coverage: {100 * cover:.1f}% (target 75-85%)")
    c, lv = fit(cs, rounds)
    z = zegama_checks(rows, c)
    print(f"fitted on all: {c}")
    print(f"  standardised residual levels: {lv}")
    print(f"  Zegama: the sample's fastest runner {z['fastest_min']} min (a course factor below {z['record_factor']} "
          f"beats the record); the sample at Zegama's dates {z['sample_median_min']} min ({z['predictions']:,} "
          f"estimates) against the TRAP runners' {z['trap_median_min']} (ratio {z['population_factor']})")
    if args.write:
        write(c, lv, {"median_error": m, "baseline_median_error": mb, "coverage": cover, "predictions": n,
                      "results": len(rows), "runners": len({r.runner for r in rows}), "fast": args.fast}, z)
    return 0


MARK = "# ---- fitted by scripts/fit_estimate.py --write: everything below is rewritten by it ----\n"


def write(c: Coefficients, lv: list[list[float]], figures: dict, z: dict) -> None:
    """Rewrite the fitted block of rules/zegama/estimate.yaml; the hand-written part above it is kept."""
    import yaml

    path = ROOT / "rules" / "zegama" / "estimate.yaml"
    text = path.read_text(encoding="utf-8")
    head = text.split(MARK)[0] if MARK in text else text
    block = {
        "fitted": {
            "date": dt.date.today().isoformat(),
            "script": "scripts/fit_estimate.py" + (" --fast" if figures["fast"] else ""),
            "data": "itra-race-history-sample.csv",
            "source": "trap2020",
            "results": figures["results"], "runners": figures["runners"], "predictions": figures["predictions"],
            "median_error": round(figures["median_error"], 4),
            "baseline_median_error": round(figures["baseline_median_error"], 4),
            "coverage_80": round(figures["coverage"], 4),
        },
        "coefficients": {k: getattr(c, k) for k in ("exponent", "curvature", "climb_weight", "recency_years",
                                                    "size_spread", "s0", "s1", "s2", "s3")},
        "checks": z,
        "residual_quantiles": lv,
    }
    out = head.rstrip("\n") + "\n\n" + MARK + yaml.safe_dump(block, sort_keys=False, width=100, default_flow_style=None)
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(out, encoding="utf-8")
    tmp.replace(path)
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
