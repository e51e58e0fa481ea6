"""`zegama progress`: gaps closed and opened between two assessments of a runner or a roster."""

import datetime as dt
import json
import re

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings

from assessment import assess
from assessment.cli.main import main
from assessment.report.progress import (
    ProgressError,
    RosterProgress,
    RunnerProgress,
    compare_files,
    compare_reports,
    compare_rosters,
)
from assessment.report.render import render_progress
from tests.conftest import AS_OF, EXAMPLES
from tests.strategies import profiles

RETEST = dt.date(2027, 1, 26)     # eight weeks after AS_OF
NAMES = ["skimo", "road", "ultra", "short_mountain", "cross_country", "road_vertical"]


def load(name):
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


def retested_skimo():
    """Ane eight weeks on: stronger, better paced and longer runs, but now uneasy in bad weather."""
    p = load("skimo")
    p.update(
        vk_time="44:20",                 # met before (46:30) and now (target 53:13): the same
        uphill_test_vam=1360,            # met before and now
        weekly_km=62,                    # target 60: RS010 closes
        longest_run_time="3:20:00",      # measured now (target 3:13): RS012 closes
        squat_1rm_kg=56,                 # 1.04 x 54 kg: ST001 closes
        single_leg_calf_raises=31,       # norm 30: ST002 closes
        cmj_cm=29,                       # norm 28: ST003 closes
        strength_sessions_per_week=2,    # ST004 closes
        downhill_sessions_per_week=1,    # DH003 closes
        pacing_discipline=3,             # MT002 narrows (2 -> 3, target 4)
        bad_weather_comfort=3,           # was 4: MT003 opens
    )
    return p


@pytest.fixture(scope="module")
def pair():
    return assess(load("skimo"), as_of=AS_OF), assess(retested_skimo(), as_of=RETEST)


def pair_benchmarks():
    return assess(load("skimo"), as_of=AS_OF).benchmarks


@pytest.fixture(scope="module")
def progress(pair):
    return compare_reports(*pair)


@pytest.fixture
def files(tmp_path, pair):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(pair[0].to_json(indent=2), encoding="utf-8")
    new.write_text(pair[1].to_json(indent=2), encoding="utf-8")
    return old, new


def run(*args, input=None):
    return CliRunner().invoke(main, ["progress", *map(str, args)], input=input, catch_exceptions=False)


def gap_ids(report):
    return {f.rule_id for f in report.findings if f.kind == "gap"} | {m.rule_id for m in report.missing}


# --------------------------------------------------------------------------- one runner

def test_some_gaps_close_and_one_opens(pair, progress):
    old, new = pair
    closed = {g.rule_id for g in progress.closed}
    opened = {g.rule_id for g in progress.opened}
    assert closed == gap_ids(old) - gap_ids(new)
    assert opened == gap_ids(new) - gap_ids(old)
    assert {"RS010", "RS012", "ST001", "ST002", "ST003", "ST004", "DH003"} <= closed
    assert opened == {"MT003"}
    (mt002,) = [g for g in progress.gaps if g.rule_id == "MT002"]
    assert mt002.status == "narrowed" and mt002.severity_now < mt002.severity_before


def test_pillars_and_fit(pair, progress):
    old, new = pair
    by = {p.pillar: p for p in progress.pillars}
    assert by["strength"].gap_before > 0 and by["strength"].gap_now == 0
    assert by["uphill_power"].change == 0  # the aerobic-threshold gap (UP010) is untouched
    for p in progress.pillars:
        assert p.change == pytest.approx(p.gap_now - p.gap_before, abs=1e-9)
    assert (progress.fit_before, progress.fit_now) == (old.fit_score, new.fit_score)
    assert progress.fit_change > 0
    assert (progress.eligibility_before, progress.eligibility_now) == ("eligible", "eligible")
    assert not progress.eligibility_changed and progress.weeks_between == 8


def test_benchmarks(progress):
    by = {b.field: b for b in progress.benchmarks}
    assert by["vk_time"].change == "same" and (by["vk_time"].before, by["vk_time"].now) == ("46:30", "44:20")
    assert by["vk_time"].delta_display == "-2:10"
    assert by["single_leg_calf_raises"].change == "target reached"
    assert by["pacing_discipline"].change == "better" and by["pacing_discipline"].delta == 1
    assert by["pacing_discipline"].delta_display == "+1"
    assert by["crowd_composure"].change == "same"
    # A 2.0 report lists every benchmark: bad-weather comfort was met, and is short now.
    assert by["bad_weather_comfort"].state_before == "met" and by["bad_weather_comfort"].change == "fell short"
    assert by["longest_climb_m"].change == "same" and by["longest_climb_m"].state_now == "met"
    assert set(by) == {b.field for b in pair_benchmarks()}


def test_traits_before_and_after(progress):
    before = {t.key: t.share for t in progress.traits_before}
    now = {t.key: t.share for t in progress.traits_now}
    assert now["strength"] == 100 and before["strength"] < 100
    assert now["uphill_power"] == before["uphill_power"] == 100
    # Pacing 2 -> 3 (of 4) and bad weather 4 -> 3: composure is exactly where it was.
    assert now["composure"] == before["composure"] == 75
    assert before["steep_hiking"] == now["steep_hiking"] == 100   # met, and a 2.0 report says so


def test_a_test_taken_is_measured_and_closes_the_missing_gap():
    old = assess({"runner_id": "x", "sex": "F", "vk_time": "50:00"}, as_of=AS_OF)
    new = assess({"runner_id": "x", "sex": "F", "vk_time": "50:00", "downhill_confidence": 4}, as_of=RETEST)
    p = compare_reports(old, new)
    assert "DH002" in {g.rule_id for g in p.closed}
    (dc,) = [b for b in p.benchmarks if b.field == "downhill_confidence"]
    assert (dc.state_before, dc.state_now, dc.change) == ("unknown", "met", "measured")
    assert {t.key: t.share for t in p.traits_now}["descending"] == 100
    assert {t.key: t.share for t in p.traits_before}["descending"] is None


def test_eligibility_change():
    p = load("road")
    old = assess(p, as_of=AS_OF)
    p["races"] = list(p.get("races") or []) + [
        {"race": "Skyrace", "date": "2026-11-15", "distance_km": 22, "dplus_m": 1600, "circuit": "golden_trail_series",
         "position": 5, "finishers": 150, "time": "2:40:00", "winner_time": "2:20:00"}]
    new = assess(p, as_of=RETEST)
    prog = compare_reports(old, new)
    assert old.eligibility.status != "eligible" and new.eligibility.status == "eligible"
    assert prog.eligibility_changed and prog.eligibility_now == "eligible"
    assert "-> COMPETITIVE" in render_progress(prog).split("Entry profile: ")[1].split("\n")[0]


def test_warnings_for_swapped_files_and_changed_goal(pair):
    old, new = pair
    p = compare_reports(new, old)
    assert any("swapped" in w for w in p.warnings)
    other = assess({**retested_skimo(), "goal": "finish"}, as_of=RETEST)
    assert any("goal or sex changed" in w for w in compare_reports(old, other).warnings)


def test_different_runners_are_refused(pair):
    road = assess(load("road"), as_of=RETEST)
    with pytest.raises(ProgressError, match="not the same runner"):
        compare_reports(pair[0], road)


@settings(max_examples=25)
@given(profiles(), profiles())
def test_properties(a, b):
    b = {**b, "runner_id": a["runner_id"]}
    ra, rb = assess(a, as_of=AS_OF), assess(b, as_of=RETEST)
    same = compare_reports(ra, ra)
    assert not same.closed and not same.opened and same.fit_change == (None if ra.fit_score is None else 0)
    assert all(g.status == "unchanged" for g in same.gaps)
    assert all(x.change == 0 for x in same.pillars)
    forth, back = compare_reports(ra, rb), compare_reports(rb, ra)
    # What closes one way opens the other way, and every gap is accounted for once.
    assert {g.rule_id for g in forth.closed} == {g.rule_id for g in back.opened}
    assert {g.rule_id for g in forth.gaps} == gap_ids(ra) | gap_ids(rb)
    assert forth.fit_change == (None if back.fit_change is None else -back.fit_change)


# --------------------------------------------------------------------------- output

def test_table_fits_80_columns_and_names_the_changes(files):
    result = run(*files)
    assert result.exit_code == 0
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert re.search(r"^MT003\s+opened", result.output, re.M)
    assert re.search(r"^ST001\s+closed", result.output, re.M)
    assert "Gaps: 7 closed, 1 opened" in result.output


def test_markdown(files):
    result = run(*files, "--format", "markdown")
    assert result.exit_code == 0
    assert result.output.startswith("# Progress: Ane Etxeberria")
    assert "| MT003  | opened" in result.output and "## Benchmarks" in result.output


def test_json(files, progress):
    result = run(*files, "--format", "json")
    data = json.loads(result.output)
    assert data["kind"] == "runner" and data["runner_id"] == "ane-etxeberria"
    assert data["gaps_opened"] == ["MT003"]
    assert set(data["gaps_closed"]) == {g.rule_id for g in progress.closed}
    assert data["eligibility_before"] == data["eligibility_now"] == "eligible"
    assert {t["key"] for t in data["traits_now"]} >= {"uphill_power", "composure"}
    assert len(data["pillars"]) == 5


def test_html_with_a_before_after_radar(files, tmp_path):
    out = tmp_path / "progress.html"
    result = run(*files, "--format", "html", "-o", out)
    assert result.exit_code == 0 and result.output == ""
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html
    (radar,) = re.findall(r'<svg\b[^>]*chart-radar.*?</svg>', html, re.S)
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", radar).group(1)
    assert "Strength: 86 before, 100 now" in desc
    assert "MT003" in html and "opened" in html


@pytest.mark.parametrize("content, message", [
    ("", "empty file"),
    ("name,vk_time\n", "not a JSON report"),
    ("{not json", "not valid JSON"),
    ('{"error": {"type": "invalid_profile", "message": "x"}}', "holds an error message"),
    ('{"runner_id": "x"}', "not a zegama report"),
])
def test_bad_input_is_a_clear_error(tmp_path, files, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    result = run(files[0], bad)
    assert result.exit_code == 1 and message in result.output
    result = run(files[0], bad, "--format", "json")
    assert result.exit_code == 1 and message in json.loads(result.output)["error"]["message"]


def test_missing_file_and_other_runner(tmp_path, files):
    result = run(files[0], tmp_path / "nope.json")
    assert result.exit_code == 1 and "file not found" in result.output
    other = tmp_path / "road.json"
    other.write_text(assess(load("road"), as_of=RETEST).to_json(), encoding="utf-8")
    result = run(files[0], other)
    assert result.exit_code == 1 and "not the same runner" in result.output


def test_output_file_is_not_written_on_error(tmp_path, files):
    out = tmp_path / "out.txt"
    result = run(files[0], tmp_path / "nope.json", "-o", out)
    assert result.exit_code == 1 and not out.exists()


# --------------------------------------------------------------------------- rosters

@pytest.fixture(scope="module")
def rosters(tmp_path_factory):
    d = tmp_path_factory.mktemp("rosters")
    old = [assess(load(n), as_of=AS_OF) for n in NAMES]
    new_profiles = [retested_skimo() if n == "skimo" else load(n) for n in NAMES if n != "ultra"]
    new_profiles.append({"runner_id": "newcomer", "vk_time": "55:00"})
    new = [assess(p, as_of=RETEST) for p in new_profiles]
    (d / "old.jsonl").write_text("".join(r.to_json() + "\n" for r in old), encoding="utf-8")
    (d / "new.jsonl").write_text("".join(r.to_json() + "\n" for r in new) + "\n", encoding="utf-8")
    return d, old, new


def test_roster_progress(rosters):
    d, old, new = rosters
    p = compare_files(d / "old.jsonl", d / "new.jsonl")
    assert isinstance(p, RosterProgress)
    assert [r.runner_id for r in p.runners] == [r.runner_id for r in new if r.runner_id in {o.runner_id for o in old}]
    assert p.joined == ["newcomer"]
    assert p.left == [assess(load("ultra"), as_of=AS_OF).runner_id]
    ane = next(r for r in p.runners if r.runner_id == "ane-etxeberria")
    assert {g.rule_id for g in ane.opened} == {"MT003"}
    counts = p.gap_counts()
    assert counts["closed"] == sum(len(r.closed) for r in p.runners) and counts["closed"] >= 7
    data = json.loads(render_progress(p, "json"))
    assert data["kind"] == "roster" and data["runners_compared"] == len(p.runners)
    assert data["eligibility"]["eligible"]["before"] == sum(1 for r in p.runners if r.eligibility_before == "eligible")


def test_roster_cli_formats(rosters, tmp_path):
    d, _, _ = rosters
    result = run(d / "old.jsonl", d / "new.jsonl")
    assert result.exit_code == 0 and result.output.startswith("Squad progress")
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert "Joined: newcomer" in result.output
    out = tmp_path / "squad.html"
    assert run(d / "old.jsonl", d / "new.jsonl", "--format", "html", "-o", out).exit_code == 0
    assert "Squad progress" in out.read_text(encoding="utf-8")
    assert run(d / "old.jsonl", d / "new.jsonl", "--format", "markdown").output.startswith("# Squad progress")


def test_a_report_against_a_batch_output(rosters, tmp_path):
    d, old, _ = rosters
    single = tmp_path / "ane.json"
    single.write_text(old[NAMES.index("skimo")].to_json(indent=2), encoding="utf-8")
    p = compare_files(single, d / "new.jsonl")
    assert isinstance(p, RunnerProgress) and {g.rule_id for g in p.opened} == {"MT003"}
    lone = tmp_path / "lone.json"
    lone.write_text(assess({"runner_id": "nobody"}, as_of=AS_OF).to_json(indent=2), encoding="utf-8")
    with pytest.raises(ProgressError, match="'nobody'.*is not in it"):
        compare_files(lone, d / "new.jsonl")


def test_rosters_with_no_runner_in_common(rosters, tmp_path):
    d, _, _ = rosters
    other = tmp_path / "other.jsonl"
    other.write_text("".join(assess({"runner_id": f"z{i}"}, as_of=RETEST).to_json() + "\n" for i in range(2)),
                     encoding="utf-8")
    with pytest.raises(ProgressError, match="not the same roster"):
        compare_files(d / "old.jsonl", other)


def test_a_broken_line_is_named(rosters, tmp_path):
    d, _, _ = rosters
    lines = (d / "new.jsonl").read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines[:2] + [lines[2][:40]] + lines[3:]) + "\n", encoding="utf-8")
    result = run(d / "old.jsonl", broken)
    assert result.exit_code == 1 and "line 3: not valid JSON" in result.output


def test_roster_streams_the_new_file(rosters):
    # compare_rosters reads `new` once, lazily: a generator is enough.
    d, old, new = rosters
    seen = []

    def gen():
        for r in new:
            seen.append(r.runner_id)
            yield r

    p = compare_rosters(old, gen())
    assert seen == [r.runner_id for r in new] and len(p.runners) == len(new) - 1


# --------------------------------------------------------------------------- reports of schema 1.0

V1 = EXAMPLES.parent.parent / "tests" / "fixtures" / "reports-1.0"


def test_a_1_0_report_is_still_read_and_the_comparison_says_what_it_cannot_tell(tmp_path):
    new = tmp_path / "new.json"
    new.write_text(assess(retested_skimo(), as_of=RETEST).to_json(indent=2), encoding="utf-8")
    p = compare_files(V1 / "skimo.json", new)
    assert any("schema 1.0" in w and "earlier" in w for w in p.warnings)
    by = {b.field: b for b in p.benchmarks}
    # The 1.0 report showed the VK gap: known on both sides.
    assert by["vk_time"].state_before == "below" and by["vk_time"].change == "target reached"
    # It never showed a met benchmark: before is 'not in the report', now is exact.
    assert by["longest_climb_m"].state_before == "absent" and by["longest_climb_m"].state_now == "met"
    assert {"UP001", "ST001"} <= {g.rule_id for g in p.closed}
    out = run(V1 / "skimo.json", new)
    assert out.exit_code == 0 and "schema 1.0" in out.output


def test_two_1_0_reports_compare_as_before():
    p = compare_files(V1 / "skimo.json", V1 / "skimo.json")
    assert not p.closed and not p.opened and p.fit_change == 0
    assert sum("schema 1.0" in w for w in p.warnings) == 2


def test_a_report_of_an_unknown_schema_is_refused(tmp_path):
    future = tmp_path / "future.json"
    data = json.loads(assess(load("skimo"), as_of=AS_OF).to_json())
    data["schema_version"] = "3.0"
    future.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProgressError, match="schema 3.0 is newer"):
        compare_files(future, future)
