"""``python -m benchmarks.activities``: ``zegama import`` on generated Strava-like exports of 100
and 1,000 files (one in seven a ride, skipped by activities.csv), each in a fresh process.

Ratios from the same run: seconds per file at 1,000 against 100 (about 1: the work is per file)
and the peak resident size at 1,000 against 100 (about 1: each track is let go once summarised).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)


def _gpx(i: int) -> bytes:
    """An hour out and back over a 500 m hill, a point every 5 s, 2 m of GPS noise."""
    rng = random.Random(i)
    t0 = START - dt.timedelta(hours=12 * i)
    pts = []
    for k in range(721):
        frac = k / 720
        ele = 300 + 500 * math.sin(math.pi * frac) + rng.uniform(-2, 2)
        when = (t0 + dt.timedelta(seconds=5 * k)).isoformat().replace("+00:00", "Z")
        pts.append(f'<trkpt lat="{43.0 + 0.05 * frac:.6f}" lon="-2.3"><ele>{ele:.1f}</ele><time>{when}</time></trkpt>')
    return ('<?xml version="1.0"?><gpx version="1.1" creator="bench" xmlns="http://www.topografix.com/GPX/1/1">'
            f"<trk><name>Run {i}</name><type>9</type><trkseg>{''.join(pts)}</trkseg></trk></gpx>").encode()


def write_export(path: Path, n: int) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("activities.csv", "Activity ID,Activity Name,Activity Type,Filename\n" + "".join(
            f"{i},Run {i},{'Ride' if i % 7 == 0 else 'Run'},activities/{i}.gpx.gz\n" for i in range(n)))
        for i in range(n):
            zf.writestr(f"activities/{i}.gpx.gz", gzip.compress(_gpx(i)))


def measure(export: Path) -> dict:
    """One ``zegama import`` in a fresh process: seconds and the child's peak resident size."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assessment", "import", str(export), "--as-of", "2026-11-25",
                    "--format", "json"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far, in kB
    return {"seconds": round(seconds, 2), "max_rss_kb": peak, "rss_is_new_peak": peak > before}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="FILE", help="write the numbers to FILE")
    args = ap.parse_args()
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (100, 1000):  # the smaller first: ru_maxrss of children only grows
            export = Path(tmp) / f"export-{n}.zip"
            write_export(export, n)
            out[n] = measure(export)
            print(f"{n:>5} files: {out[n]['seconds']:.2f} s, peak {out[n]['max_rss_kb'] / 1024:.0f} MB", flush=True)
    ratios = {"seconds_per_file_1000_over_100": round((out[1000]["seconds"] / 1000) / (out[100]["seconds"] / 100), 2),
              "peak_rss_1000_over_100": round(out[1000]["max_rss_kb"] / out[100]["max_rss_kb"], 2)}
    for k, v in ratios.items():
        print(f"{k}: {v}")
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": out, "ratios": ratios}, indent=2) + "\n")


if __name__ == "__main__":
    main()
