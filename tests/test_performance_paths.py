"""The fast paths give what the straightforward ones give, on generated rosters.

The speed-ups (driving durable-rules' native engine, writing JSON without
building models, deferring race validation, worker processes) each have a plain
counterpart kept as the reference: these tests compare them. The report itself
has one builder; golden reports (tests/test_assess.py) pin its content. Timings live in ``python -m benchmarks``, not here.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import json
import subprocess
import sys
import textwrap
from collections import defaultdict
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.batch import pool as batch_pool
from assessment.pipeline import (
    assess,
    assess_data,
    build_facts,
    build_report,
    default_rulebase,
    report_json,
    run_engine,
    select_edition,
)
from assessment.batch.run import run_batch
from assessment.report.model import Report
from assessment.batch.roster import (
    RACE_COLUMNS,
    ROSTER_COLUMNS,
    build_profile,
    open_table,
    read_races,
    read_roster,
    validate_race,
)
from assessment.rules.rulebase import load_rulebase
from benchmarks.generate import write_roster
from tests.conftest import ROOT

AS_OF = dt.date(2026, 12, 1)
# One date per training phase: base, build, race-specific, taper (edition 2027, 16 May).
DATES = (dt.date(2026, 12, 1), dt.date(2027, 2, 20), dt.date(2027, 4, 10), dt.date(2027, 5, 6))


@pytest.fixture(scope="module")
def roster(tmp_path_factory):
    """A generated club: 240 runners with race histories, blanks and a few bad cells."""
    return write_roster(tmp_path_factory.mktemp("gen"), 240, seed=61)


def profiles(roster_csv: Path, races_csv: Path):
    """The runners as the plain path sees them: races validated as read, joined in memory."""
    races = defaultdict(list)
    for r in read_races(open_table(races_csv, RACE_COLUMNS, kind="races file")):
        if r.race is not None:
            races[r.runner_id].append(r.race)
    table = open_table(roster_csv, ROSTER_COLUMNS)
    for row in read_roster(table):
        p = build_profile(row, races.get(row.runner_id, []), table.name)
        if p is not None:
            yield p


def test_the_generated_roster_exercises_every_path(roster):
    ps = list(profiles(*roster))
    assert 200 < len(ps) < 240  # some rows are error rows
    fired = set()
    statuses = set()
    for p in ps:
        r = assess(p, as_of=AS_OF)
        fired.update(r.fired_rules)
        statuses.add(r.eligibility.status)
    assert statuses == {"eligible", "at_risk", "not_eligible"}
    assert len(fired) >= 30  # most of the pack's rules fire somewhere in the club


@pytest.mark.parametrize("day", DATES, ids=lambda d: d.isoformat())
def test_fast_assess_equals_the_straightforward_path(roster, day):
    rb = default_rulebase()
    for p in profiles(*roster):
        fast = assess(p, as_of=day, rulebase=rb)
        plain = assess(p, as_of=day, rulebase=rb, engine="durable-host")
        assert fast == plain, p.runner_id
        assert fast.to_json() == plain.to_json(), p.runner_id
        # What a batch writes without building the models: the same bytes, and it round-trips.
        data = assess_data(p, as_of=day, rulebase=rb)
        assert report_json(data) == plain.to_json().encode(), p.runner_id
        assert Report.model_validate(data) == plain
        assert Report.model_validate_json(plain.to_json()) == plain


def test_fast_paths_with_a_custom_pack(roster):
    rb = load_rulebase(ROOT / "examples" / "custom_pack")
    for p in list(profiles(*roster))[:80]:
        plain = assess(p, as_of=AS_OF, rulebase=rb, engine="durable-host")
        assert assess(p, as_of=AS_OF, rulebase=rb) == plain
        assert report_json(assess_data(p, as_of=AS_OF, rulebase=rb)) == plain.to_json().encode()


def test_native_engine_fires_what_durable_host_fires(roster):
    rb = default_rulebase()
    edition = select_edition(rb, AS_OF)

    def key(m):
        return m.rule_id, json.dumps(m.fact, sort_keys=True, default=str)

    for p in profiles(*roster):
        facts = build_facts(rb, p, AS_OF, edition)
        fast = run_engine(rb, facts)
        host = run_engine(rb, facts, via_host=True)
        assert sorted(map(key, fast)) == sorted(map(key, host)), p.runner_id
        # Either order of firings builds the same report.
        assert build_report(rb, p, AS_OF, edition, facts, fast) == build_report(rb, p, AS_OF, edition, facts, host)


def test_deferred_race_validation_equals_validation_as_read(tmp_path, roster):
    races = tmp_path / "races.csv"
    text = roster[1].read_text(encoding="utf-8").splitlines()
    # Bad cells of every kind the validation drops or refuses, and a row without runner.
    text += [
        "r000001,Bad time,2026-05-01,21,1500,other,3,50,fast,2:00:00,finished",
        "r000002,Behind the last,2026-05-02,21,1500,other,90,50,2:30:00,2:00:00,finished",
        "r000003,DNF placed,2026-05-03,21,1500,other,4,50,,,dnf",
        ",No runner,2026-05-04,21,1500,other,4,50,,,",
        "r000004,Far away,2026-05-05,9999,1500,golden_trail_series,4,50,,,",
    ]
    races.write_text("\n".join(text) + "\n", encoding="utf-8")
    table = open_table(races, RACE_COLUMNS, kind="races file")
    now = list(read_races(table))
    later = [validate_race(r) for r in read_races(table, validate=False)]
    assert [(r.file, r.line, r.runner_id, r.race, r.problems) for r in later] == [
        (r.file, r.line, r.runner_id, r.race, r.problems) for r in now
    ]
    assert sum(len(r.problems) for r in now) >= 5


def _tree(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_batch_with_workers_writes_the_same_files_as_one_process(tmp_path, roster):
    kw = dict(races=roster[1], as_of=AS_OF, per_runner=True)
    one = run_batch(roster[0], out_dir=tmp_path / "one", workers=1, **kw)
    two = run_batch(roster[0], out_dir=tmp_path / "two", workers=2, **kw)
    assert one.summary.head() == two.summary.head()
    a, b = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    assert sorted(a) == sorted(b) and len(a) > 200  # the five files and one page per runner
    for name in a:
        assert a[name] == b[name], name
    assert two.summary.read == 240 and two.summary.errors > 0


@pytest.mark.parametrize("method", ["forkserver", "spawn"])
def test_workers_started_without_fork_write_the_same_files(tmp_path, roster, monkeypatch, method):
    if method not in batch_pool.multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available on this platform")
    monkeypatch.setattr(batch_pool, "START_METHOD", method)
    kw = dict(races=roster[1], as_of=AS_OF)
    run_batch(roster[0], out_dir=tmp_path / "one", workers=1, **kw)
    run_batch(roster[0], out_dir=tmp_path / "pool", workers=2, **kw)
    cmp = filecmp.dircmp(tmp_path / "one", tmp_path / "pool")
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert set(cmp.same_files) >= {"assessments.csv", "assessments.jsonl", "errors.csv", "squad.md", "squad.json"}


def test_batch_equals_a_plain_assessment_of_each_row(tmp_path, roster):
    """Every JSON line is the straightforward path's report of that row, in roster order."""
    run_batch(roster[0], races=roster[1], out_dir=tmp_path / "fast", as_of=AS_OF, workers=2)
    lines = (tmp_path / "fast" / "assessments.jsonl").read_bytes().splitlines()
    expected = [assess(p, as_of=AS_OF, engine="durable-host").to_json(catalog=False).encode() for p in profiles(*roster)]
    assert lines == expected
    # A batch through the straightforward path writes the same files.
    plain = partial(assess, as_of=AS_OF, engine="durable-host")
    run_batch(roster[0], races=roster[1], out_dir=tmp_path / "plain", as_of=AS_OF, assess_fn=plain)
    assert _tree(tmp_path / "fast") == _tree(tmp_path / "plain")


def test_workers_kick_in_for_big_rosters_only(tmp_path):
    assert batch_pool.choose_workers(None, batch_pool.PARALLEL_MIN_ROWS - 1) == 1
    assert batch_pool.choose_workers(None, batch_pool.PARALLEL_MIN_ROWS) == batch_pool.usable_cores()
    assert batch_pool.choose_workers(3, 10) == 3
    assert batch_pool.choose_workers(1, 10**6) == 1
    f = tmp_path / "r.csv"
    f.write_text("runner_id\na\nb\n\nc\n", encoding="utf-8")
    assert batch_pool.count_rows(f) == 3


FAILING_WORKER = """
import importlib, sys
from assessment.batch.run import run_batch

assess_module = importlib.import_module("assessment.pipeline")

real = assess_module.assess_data

def failing(profile, **kw):
    if profile.runner_id == "r000150":
        raise RuntimeError("engine crashed")
    return real(profile, **kw)

assess_module.assess_data = failing  # inherited by the forked workers
try:
    run_batch(sys.argv[1], races=sys.argv[2], out_dir=sys.argv[3], as_of="2026-12-01", workers=2)
except RuntimeError as exc:
    print("raised:", exc)
"""


def test_a_worker_failure_fails_the_run_and_writes_nothing(tmp_path, roster):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FAILING_WORKER), str(roster[0]), str(roster[1]), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert "raised: engine crashed" in done.stdout, done.stderr
    assert not out.exists()  # no partial outputs, not even the folder


def test_cli_workers_option(tmp_path, roster):
    from click.testing import CliRunner

    from assessment.cli.main import main

    runner = CliRunner()
    outs = {}
    for n in ("1", "2"):
        res = runner.invoke(main, ["batch", str(roster[0]), "--races", str(roster[1]), "--as-of", "2026-12-01",
                                   "--out", str(tmp_path / n), "--workers", n, "--allow-errors"])
        assert res.exit_code == 0, res.output
        outs[n] = res.output.replace(str(tmp_path / n), "OUT")
    assert outs["1"] == outs["2"] and "read 240" in outs["1"]
    assert _tree(tmp_path / "1") == _tree(tmp_path / "2")
    bad = runner.invoke(main, ["batch", str(roster[0]), "--workers", "-1"])
    assert bad.exit_code == 2 and "--workers" in bad.output


@settings(max_examples=300)
@given(
    rid=st.text(max_size=12), name=st.none() | st.text(max_size=12), line=st.integers(1, 10**7),
    gap=st.floats(allow_nan=True, allow_infinity=True), score=st.floats(0, 100), rank=st.integers(1, 5),
)
def test_session_group_members_are_written_as_json_dumps_writes_them(rid, name, line, gap, score, rank):
    from assessment.batch.run import _member_json

    m = {"runner_id": rid, "name": name, "line": line, "gap": gap, "score": score, "rank": rank}
    assert _member_json(m) == json.dumps(m, ensure_ascii=False)


def test_the_benchmark_script_runs_and_writes_its_json(tmp_path):
    """A tiny run of ``python -m benchmarks``: every measure present (no timing is asserted)."""
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--sizes", "150,300", "--calls", "50", "--cold-runs", "1", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    r = json.loads(out.read_text())
    assert r["machine"]["cores"] >= 1 and r["largest_size"] == 300
    assert r["batch_over_floor"] == r["sizes"]["300"]["batch_over_floor"] > 0
    for size in ("150", "300"):
        row = r["sizes"][size]
        assert row["runners"] == int(size) and row["assessed"] + row["errors"] == int(size)
        assert len(row["floor_runs_s"]) == 3 and row["batch_rss_peak_mb"] > 0 and row["cli_batch_s"] > 0
    assert r["assess"]["calls"] == 50 and r["assess"]["p99_ms"] >= r["assess"]["median_ms"] > 0
    assert {"help_ms", "assess_ms", "python_ms"} <= set(r["cold_start"])
    assert "batch/floor" in done.stdout and "target" in done.stdout
