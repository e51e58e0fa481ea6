"""Synthetic rosters for the benchmarks: seeded, realistic, with race histories.

Values stay in the ranges a club's spreadsheet holds (a VK between 35 and 80
minutes, heart rates that keep aet < threshold < max...), about one cell in
ten is blank (an unknown benchmark), and a few cells are wrong the way people
get them wrong (a typo, a value out of range), so every path of the batch runs:
assessed rows, rows with values treated as missing, error rows, orphan races.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from assessment.batch.roster import RACE_COLUMNS, ROSTER_COLUMNS

BACKGROUNDS = ("cross_country", "skimo", "road", "road_vertical", "short_mountain", "ultra_only", "track", "other")
CIRCUITS = ("golden_trail_series", "skyrunner_world_series", "national_championship", "other", "")
RACE_NAMES = ("Zumaia Flysch Trail", "Skyrace des Matheysins", "Maratón Alpino Madrileño", "Transvulcania",
              "Trofeo Kima", "Sierre-Zinal", "Marathon du Mont-Blanc", "Ehunmilak", "Azkoitia Trail",
              "Dolomyths Run", "Pikes Peak Ascent", "Broken Arrow Skyrace", "Anboto Trail", "Lavaredo")
FIRST = ("Ane", "Iñaki", "Maite", "Jon", "Leire", "Unai", "Nerea", "Aitor", "Irati", "Mikel", "Amaia", "Xabier",
         "Lucía", "Pau", "Chloé", "Kilian", "Emelie", "Rémi", "Núria", "Oihana")
LAST = ("Agirre", "Goñi", "Etxeberria", "Urrutia", "Zubizarreta", "Arana", "Lasa", "Iriondo", "Mendizabal",
        "Otxoa", "García", "Martí", "Dupont", "Forsberg", "Jornet", "Bonnet")


def _mmss(minutes: float) -> str:
    total = int(round(minutes * 60))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _num(rng: random.Random, lo: float, hi: float, digits: int = 0) -> str:
    v = rng.uniform(lo, hi)
    return str(int(round(v))) if digits == 0 else f"{v:.{digits}f}"


def _background(rng: random.Random) -> str:
    picked = rng.sample(BACKGROUNDS, rng.choice((1, 1, 2, 2, 3)))
    if "ultra_only" in picked and len(picked) > 1:
        picked.remove("ultra_only")  # "only" means alone
    return ";".join(picked)


def runner_row(rng: random.Random, i: int) -> dict[str, str]:
    """One roster row as a spreadsheet would hold it (strings; blank is unknown)."""
    sex = rng.choices(("F", "M", "X", ""), (46, 50, 1, 3))[0]
    fit = rng.random()  # 0 = strongest, 1 = weakest: keeps one runner's numbers consistent
    max_hr = rng.randint(172, 205)
    thr = max_hr - rng.randint(8, 24)
    aet = thr - rng.randint(8, 30)
    weekly_km = 20 + (1 - fit) * 100 * rng.uniform(0.7, 1.1)
    row = {
        "runner_id": f"r{i:06d}",
        "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "sex": sex,
        "age": str(rng.randint(18, 64)),
        "body_mass_kg": _num(rng, 46, 88, 1),
        "goal": rng.choices(("finish", "compete", "podium", ""), (35, 45, 10, 10))[0],
        "background": _background(rng),
        "vk_time": _mmss(36 + fit * 40 + rng.uniform(-3, 3)),
        "uphill_test_vam": str(int(1550 - fit * 750 + rng.uniform(-60, 60))),
        "flat_10k_time": _mmss(31 + fit * 24 + rng.uniform(-2, 2)),
        "max_hr": str(max_hr),
        "threshold_hr": str(thr),
        "aet_hr": str(aet),
        "squat_1rm_kg": _num(rng, 40, 150, 1),
        "single_leg_calf_raises": str(rng.randint(8, 50)),
        "cmj_cm": _num(rng, 18, 50, 1),
        "downhill_confidence": str(rng.randint(1, 5)),
        "weekly_km": str(int(weekly_km)),
        "weekly_dplus_m": str(int(weekly_km * rng.uniform(15, 70))),
        "strength_sessions_per_week": str(rng.randint(0, 3)),
        "uphill_sessions_per_week": str(rng.randint(0, 3)),
        "downhill_sessions_per_week": str(rng.randint(0, 2)),
        "longest_climb_m": str(rng.randint(300, 2500)),
        "uses_poles": rng.choice(("yes", "no", "bai", "ez", "")),
        "crowd_composure": str(rng.randint(1, 5)),
        "pacing_discipline": str(rng.randint(1, 5)),
        "bad_weather_comfort": str(rng.randint(1, 5)),
        "national_selection": rng.choices(("no", "yes", ""), (90, 3, 7))[0],
        "elite_invite": rng.choices(("no", "yes", ""), (93, 1, 6))[0],
        "sponsor_entry": rng.choices(("no", "yes", ""), (93, 1, 6))[0],
        "zegama_finishes": str(rng.choice((0, 0, 0, 1, 2))),
        "itra_index": str(int(820 - fit * 420 + rng.uniform(-40, 40))),
        "utmb_index": str(int(810 - fit * 420 + rng.uniform(-40, 40))),
    }
    for key in list(row):
        if key not in ("runner_id", "name") and rng.random() < 0.1:
            row[key] = ""  # not measured: the report lists the test to take
    r = rng.random()
    if r < 0.004:
        row["vk_time"] = "fast"  # unreadable: treated as missing, row assessed
    elif r < 0.008:
        row["age"] = "340"  # out of range: treated as missing
    elif r < 0.010:
        row["runner_id"] = ""  # an error row
    return row


def race_rows(rng: random.Random, runner_id: str, as_of: dt.date) -> list[dict[str, str]]:
    """0 to 6 results over the two seasons before ``as_of``."""
    out = []
    for _ in range(rng.choices(range(7), (12, 18, 22, 20, 13, 9, 6))[0]):
        km = rng.choice((12, 18, 21, 24, 28, 32, 42, 55, 80)) * rng.uniform(0.9, 1.1)
        dplus = km * rng.uniform(25, 95)
        finishers = rng.randint(40, 900)
        winner = km * rng.uniform(5.0, 8.5) + dplus / 100 * 4
        status = rng.choices(("finished", "dnf", "dns"), (92, 6, 2))[0]
        day = as_of - dt.timedelta(days=rng.randint(10, 720))
        row = {
            "runner_id": runner_id,
            "race": rng.choice(RACE_NAMES),
            "date": day.isoformat(),
            "distance_km": f"{km:.1f}",
            "dplus_m": str(int(dplus)),
            "circuit": rng.choice(CIRCUITS),
            "position": "",
            "finishers": str(finishers),
            "time": "",
            "winner_time": _mmss(winner),
            "status": status,
        }
        if status == "finished":
            pos = max(1, int(finishers * rng.betavariate(1.6, 2.4)))
            row["position"] = str(pos)
            row["time"] = _mmss(winner * (1 + pos / finishers * rng.uniform(0.4, 1.2)))
        out.append(row)
    return out


def write_roster(directory: str | Path, runners: int, *, seed: int = 6, as_of: dt.date = dt.date(2026, 12, 1)) -> tuple[Path, Path]:
    """Write ``roster.csv`` and ``races.csv`` with ``runners`` rows; return their paths."""
    rng = random.Random(seed)
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    roster, races = d / "roster.csv", d / "races.csv"
    with roster.open("w", encoding="utf-8", newline="") as rf, races.open("w", encoding="utf-8", newline="") as cf:
        rw = csv.DictWriter(rf, fieldnames=list(ROSTER_COLUMNS), lineterminator="\n")
        cw = csv.DictWriter(cf, fieldnames=list(RACE_COLUMNS), lineterminator="\n")
        rw.writeheader()
        cw.writeheader()
        for i in range(1, runners + 1):
            row = runner_row(rng, i)
            rw.writerow(row)
            cw.writerows(race_rows(rng, f"r{i:06d}", as_of))
        # A race whose runner is not in the roster: an orphan, reported in errors.csv.
        cw.writerows(race_rows(random.Random(seed + 1), "not-in-roster", as_of)[:1])
    return roster, races
