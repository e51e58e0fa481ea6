"""assess() from many threads, from a process pool, and with two rule packs in one process."""

import datetime as dt
import functools
import multiprocessing
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from assessment import assess, load_rulebase
from assessment.pipeline import default_rulebase
from assessment.rules.compiler import ruleset_name
from tests.strategies import consistent
from tests.conftest import AS_OF, ROOT

CUSTOM_PACK = ROOT / "examples" / "custom_pack"
THREADS = 8


def _clock(lo_min: int, hi_min: int):
    return st.integers(lo_min * 60, hi_min * 60).map(lambda s: f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}")


@st.composite
def race_results(draw):
    finishers = draw(st.integers(1, 600))
    race = {
        "race": draw(st.sampled_from(["Skyrace", "Maratón", "Trail"])),
        "date": draw(st.dates(dt.date(2024, 1, 1), dt.date(2026, 11, 30))).isoformat(),
        "distance_km": draw(st.integers(5, 120)),
        "dplus_m": draw(st.integers(0, 6000)),
        "circuit": draw(st.sampled_from(["golden_trail_series", "skyrunner_world_series", "national_championship", "other"])),
    }
    if draw(st.booleans()):
        race.update(position=draw(st.integers(1, finishers)), finishers=finishers)
    return race


FIELDS = {
    "sex": st.sampled_from(["F", "M", "X"]),
    "goal": st.sampled_from(["finish", "compete", "podium"]),
    "age": st.integers(16, 80),
    "body_mass_kg": st.integers(40, 110),
    "background": st.lists(st.sampled_from(["cross_country", "skimo", "road", "road_vertical", "short_mountain",
                                            "ultra_only", "track", "other"]), max_size=3, unique=True),
    "vk_time": _clock(26, 120),
    "uphill_test_vam": st.integers(300, 2200),
    "flat_10k_time": _clock(28, 90),
    "squat_1rm_kg": st.integers(0, 200),
    "single_leg_calf_raises": st.integers(0, 80),
    "cmj_cm": st.integers(10, 60),
    "downhill_confidence": st.integers(1, 5),
    "weekly_km": st.integers(0, 160),
    "weekly_dplus_m": st.integers(0, 8000),
    "strength_sessions_per_week": st.integers(0, 4),
    "uphill_sessions_per_week": st.integers(0, 4),
    "downhill_sessions_per_week": st.integers(0, 3),
    "longest_climb_m": st.integers(0, 2500),
    "uses_poles": st.booleans(),
    "crowd_composure": st.integers(1, 5),
    "pacing_discipline": st.integers(1, 5),
    "bad_weather_comfort": st.integers(1, 5),
    "national_selection": st.booleans(),
    "zegama_finishes": st.integers(0, 5),
    "itra_index": st.integers(300, 900),
    "races": st.lists(race_results(), max_size=3),
}


@st.composite
def profiles(draw):
    chosen = draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True, max_size=len(FIELDS)))
    profile = {"runner_id": f"r{draw(st.integers(0, 10_000))}"}
    profile.update({name: draw(FIELDS[name]) for name in chosen})
    return consistent(profile)


dates = st.dates(dt.date(2026, 6, 1), dt.date(2027, 5, 1))


def _json(profile, as_of, rulebase=None) -> str:
    return assess(profile, as_of=as_of, rulebase=rulebase).to_json()


def _at_once(jobs):
    """Run the callables in THREADS threads that all start together."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


@settings(max_examples=30)
@given(st.lists(st.tuples(profiles(), dates), min_size=THREADS, max_size=THREADS))
def test_eight_threads_give_exactly_the_sequential_reports(cases):
    sequential = [_json(p, d) for p, d in cases]
    concurrent = _at_once([functools.partial(_json, p, d) for p, d in cases])
    assert concurrent == sequential


@pytest.fixture(scope="module")
def club():
    return load_rulebase(CUSTOM_PACK)


@settings(max_examples=15)
@given(st.lists(profiles(), min_size=THREADS, max_size=THREADS))
def test_threads_mixing_two_packs_do_not_clash(club, cases):
    builtin = default_rulebase()
    packs = [club if i % 2 else builtin for i in range(THREADS)]
    sequential = [_json(p, AS_OF, rb) for p, rb in zip(cases, packs)]
    concurrent = _at_once([functools.partial(_json, p, AS_OF, rb) for p, rb in zip(cases, packs)])
    assert concurrent == sequential


def test_a_process_pool_gives_the_sequential_reports():
    cases = [
        {"runner_id": "a", "sex": "F", "vk_time": "48:30", "weekly_km": 60},
        {"runner_id": "b", "sex": "M", "goal": "podium", "vk_time": "31:00", "downhill_confidence": 2},
        {"runner_id": "c", "races": [{"race": "GTWS", "date": "2026-07-01", "distance_km": 21, "dplus_m": 1400,
                                      "circuit": "golden_trail_series", "position": 5, "finishers": 200}]},
        {"runner_id": "d", "background": ["road"], "weekly_dplus_m": 300, "weekly_km": 70},
    ] * 2
    sequential = [_json(p, AS_OF) for p in cases]  # the parent has a live engine before it forks
    work = functools.partial(assess, as_of=AS_OF)
    for method in ("fork", "spawn"):
        ctx = multiprocessing.get_context(method)
        with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
            reports = list(pool.map(work, cases))
        assert [r.to_json() for r in reports] == sequential, method


def _fresh_process_report(pack, profile) -> str:
    code = (
        "import json, sys\n"
        "from assessment import assess\n"
        "print(assess(json.loads(sys.argv[1]), as_of=sys.argv[2], rulebase=sys.argv[3]).to_json())\n"
    )
    import json

    out = subprocess.run([sys.executable, "-c", code, json.dumps(profile), AS_OF.isoformat(), str(pack)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_two_packs_alternately_in_one_process_match_each_pack_alone(club):
    builtin = load_rulebase()
    assert ruleset_name(club) != ruleset_name(builtin)
    profile = {"runner_id": "k", "sex": "M", "goal": "compete", "vk_time": "46:00", "weekly_dplus_m": 900}
    alone = {"builtin": _fresh_process_report("zegama", profile), "club": _fresh_process_report(CUSTOM_PACK, profile)}
    assert alone["builtin"] != alone["club"]
    for _ in range(5):
        assert _json(profile, AS_OF, builtin) == alone["builtin"]
        assert _json(profile, AS_OF, club) == alone["club"]


def test_same_name_and_version_with_other_content_gets_its_own_ruleset(tmp_path, club):
    # A club edits its pack without bumping the version: the engine must not reuse the old rules.
    copy = tmp_path / "custom_pack"
    shutil.copytree(CUSTOM_PACK, copy)
    params = yaml.safe_load((copy / "parameters.yaml").read_text())
    params["parameters"]["club_min_weekly_dplus_m"]["value"] = 500
    (copy / "parameters.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    edited = load_rulebase(copy)
    assert (edited.name, edited.version) == (club.name, club.version)
    assert ruleset_name(edited) != ruleset_name(club)
    profile = {"runner_id": "k", "weekly_dplus_m": 900}
    for _ in range(3):
        assert "CLB001" in assess(profile, as_of=AS_OF, rulebase=club).fired_rules
        assert "CLB001" not in assess(profile, as_of=AS_OF, rulebase=edited).fired_rules
