"""The batch library: every roster row in, one result row out, and the files it writes."""

import csv
import io
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.pipeline import assess
from assessment.batch.run import MANIFEST, OUTPUT_FILES, neutralise, run_batch, safe_file_stem
from assessment.model.profile import Profile, load_profile
from assessment.batch.roster import RACE_COLUMNS, ROSTER_COLUMNS, RosterError, profile_to_row
from assessment.rules.rulebase import PILLARS
from tests import strategies
from tests.conftest import ROOT

AS_OF = "2026-12-01"
ROSTER = ROOT / "examples" / "roster.csv"
RACES = ROOT / "examples" / "races.csv"


def read_csv(path):
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def batch(tmp_path, roster_text, races_text=None, **kw):
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_text, encoding="utf-8")
    races = None
    if races_text is not None:
        races = tmp_path / "races.csv"
        races.write_text(races_text, encoding="utf-8")
    out = tmp_path / "out"
    result = run_batch(roster, races=races, out_dir=out, as_of=AS_OF, **kw)
    return result, out


def same_report(line_json, profile):
    return line_json == json.loads(assess(profile, as_of=AS_OF).to_json(catalog=False))


# --------------------------------------------------------------------------- the example club


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    out = tmp_path_factory.mktemp("example")
    result = run_batch(ROSTER, races=RACES, out_dir=out, as_of=AS_OF, per_runner=True)
    return result, out


def test_example_every_row_once_in_input_order(example):
    result, out = example
    raw = ROSTER.read_text(encoding="utf-8-sig").splitlines()
    expected = [(i, line.split(";")[0]) for i, line in enumerate(raw, start=1) if i > 1 and line.strip()]
    rows = read_csv(out / "assessments.csv")
    assert [(int(r["line"]), r["runner_id"]) for r in rows] == expected
    s = result.summary
    assert (s.read, s.assessed, s.errors) == (20, 20, 0) and s.read == s.assessed + s.errors
    assert [r["runner_id"] for r in jsonl(out / "assessments.jsonl")] == [rid for _, rid in expected]


def test_example_messy_cells_and_one_bad_value(example):
    result, out = example
    errors = read_csv(out / "errors.csv")
    assert errors == [{
        "file": "roster.csv", "line": "11", "runner_id": "mikel-zubiri", "column": "squat_1rm_kg",
        "value": "80 kg", "message": "expected a number, got '80 kg'", "effect": "treated as missing; row assessed",
    }]
    rows = {r["runner_id"]: r for r in read_csv(out / "assessments.csv")}
    assert rows["mikel-zubiri"]["status"] == "assessed"
    assert "squat_1rm_kg" in rows["mikel-zubiri"]["ignored_values"]
    assert rows["unai-bengoetxea"]["eligibility"] == "not_eligible"  # 17 years old
    assert rows["ane-agirre"]["notes"] == "Skimo winter season until March"  # carried through
    reports = {r["runner_id"]: r for r in jsonl(out / "assessments.jsonl")}
    assert "ELG001" in reports["unai-bengoetxea"]["fired_rules"]
    assert "ultra_only" in reports["xabier-arana"]["tags"]  # background "ultra_only", a 106 km race
    evidence = [e["field"] for f in reports["mikel-zubiri"]["findings"] for e in f["evidence"]]
    assert "single_leg_calf_raises" in evidence and "squat_1rm_kg" not in evidence  # unknown, not 80
    used = [u for reason in reports["inaki-goni"]["eligibility"]["reasons"] for u in reason["results_used"]]
    assert any(u.startswith("Mont-Blanc Marathon") for u in used)  # races.csv joined by runner_id
    assert result.exit_code() == 1 and result.exit_code(allow_errors=True) == 0
    assert any("unknown column notes" in w for w in result.summary.warnings)


def test_example_summary_agrees_with_the_reports(example):
    result, out = example
    reports = jsonl(out / "assessments.jsonl")
    squad = json.loads((out / "squad.json").read_text())
    statuses = [r["eligibility"]["status"] for r in reports]
    assert squad["eligibility"] == {s: statuses.count(s) for s in ("eligible", "at_risk", "not_eligible")}
    line_of = {r["runner_id"]: int(r["line"]) for r in read_csv(out / "assessments.csv")}
    for pillar in PILLARS:
        members = []
        for r in reports:
            for e in r["emphases"][:2]:
                if e["pillar"] == pillar and e["gap"] > 0:  # a gap to build there
                    members.append((-e["gap"], -e["score"], line_of[r["runner_id"]], r["runner_id"]))
        assert [m["runner_id"] for m in squad["session_groups"][pillar]] == [m[3] for m in sorted(members)]
        assert result.summary.group_sizes[pillar] == len(members)
    gap_counts = {}
    for r in reports:
        for rid in {f["rule_id"] for f in r["findings"] if f["kind"] == "gap"}:
            gap_counts[rid] = gap_counts.get(rid, 0) + 1
    top = squad["common_gaps"][0]
    assert top["runners"] == max(gap_counts.values()) == gap_counts[top["rule_id"]]
    md = (out / "squad.md").read_text()
    assert "read 20, assessed 20, not assessed 0" in md
    for pillar in PILLARS:
        ids = [m["runner_id"] for m in squad["session_groups"][pillar]]
        section = md.split(f"### ")[1 + PILLARS.index(pillar)]
        assert re.findall(r"^\| ([a-z][\w-]*) \|", section, re.M)[1:] == ids  # after the header row


def test_example_per_runner_reports(example):
    _, out = example
    rows = read_csv(out / "assessments.csv")
    files = sorted(p.name for p in (out / "runners").iterdir())
    assert files == sorted(r["report_file"].split("/", 1)[1] for r in rows)
    for r in rows:
        text = (out / r["report_file"]).read_text(encoding="utf-8")
        assert text.startswith(f"# Zegama gap report: {r['name']} ({r['runner_id']})")


# --------------------------------------------------------------------------- error rows and races


ROSTER_WITH_ERRORS = (
    "runner_id;name;age;aet_hr;threshold_hr;squat_1rm_kg;Group\n"
    "ane;Ane;29;150;172;70;A\n"           # 2 clean
    ";No Id;31;;;;B\n"                     # 3 no runner_id
    "ane;Ane again;abc;;;;A\n"             # 4 duplicate (and a bad age, reported too)
    "\n"
    "bea;Bea;7;175;170;80kg;C\n"            # 6 out of range, cross-field, wrong type: still assessed
    "cai;Cai;30;;;;D;shifted\n"             # 7 more cells than the header
    "dan;Dan;40;;;;\n"                      # 8 clean
)
RACES_WITH_ERRORS = (
    "runner_id,race,date,distance_km,dplus_m,circuit,position,finishers,time,winner_time,status\n"
    "ane,Zegama,2026-05-17,42.2,2736,golden_trail_series,58,520,4:41:05,3:38:25,finished\n"
    "ghost,Anboto,2026-07-05,24,1750,other,12,150,,,finished\n"
    ",Orhi,2026-08-24,22,1300,other,5,90,,,finished\n"
    "dan,Aiako,2026-09-20,21,1300,other,400,310,,,finished\n"
)


def test_error_rows_duplicates_and_orphan_races(tmp_path):
    result, out = batch(tmp_path, ROSTER_WITH_ERRORS, RACES_WITH_ERRORS)
    rows = read_csv(out / "assessments.csv")
    assert [(r["line"], r["runner_id"], r["status"]) for r in rows] == [
        ("2", "ane", "assessed"), ("3", "", "error"), ("4", "ane", "error"),
        ("6", "bea", "assessed"), ("7", "cai", "error"), ("8", "dan", "assessed"),
    ]
    assert [r["Group"] for r in rows] == ["A", "B", "A", "C", "D", ""]
    assert "runner_id is empty" in rows[1]["error"]
    assert "duplicate runner_id: line 2 already has it" in rows[2]["error"]
    assert "8 cells but the header has 7" in rows[4]["error"]
    assert rows[3]["error"] == "" and "age" in rows[3]["ignored_values"] and "squat_1rm_kg" in rows[3]["ignored_values"]
    assert "races.csv line 5" in rows[5]["ignored_values"]
    s = result.summary
    assert (s.read, s.assessed, s.errors, s.assessed_with_problems) == (6, 3, 3, 2)

    errors = [(e["file"], e["line"], e["runner_id"], e["column"], e["effect"]) for e in read_csv(out / "errors.csv")]
    assert errors == [
        ("roster.csv", "3", "", "runner_id", "row not assessed"),
        ("roster.csv", "4", "ane", "runner_id", "row not assessed"),
        ("roster.csv", "4", "ane", "age", "row not assessed"),
        ("roster.csv", "6", "bea", "age", "treated as missing; row assessed"),
        ("roster.csv", "6", "bea", "squat_1rm_kg", "treated as missing; row assessed"),
        ("roster.csv", "6", "bea", "aet_hr", "treated as missing; row assessed"),
        ("roster.csv", "6", "bea", "threshold_hr", "treated as missing; row assessed"),
        ("roster.csv", "7", "cai", "", "row not assessed"),
        ("races.csv", "5", "dan", "position", "treated as missing; race kept"),
        ("races.csv", "5", "dan", "finishers", "treated as missing; race kept"),
        ("races.csv", "3", "ghost", "runner_id", "race not used"),
        ("races.csv", "4", "", "runner_id", "race not used"),
    ]
    assert s.problems == len(errors) and s.race_problems == 2
    assert result.exit_code() == 1

    reports = {r["runner_id"]: r for r in jsonl(out / "assessments.jsonl")}
    assert same_report(reports["ane"], Profile(runner_id="ane", name="Ane", age=29, aet_hr=150, threshold_hr=172,
                                               squat_1rm_kg=70, races=[{"race": "Zegama", "date": "2026-05-17",
                                               "distance_km": 42.2, "dplus_m": 2736, "circuit": "golden_trail_series",
                                               "position": 58, "finishers": 520, "time": "4:41:05",
                                               "winner_time": "3:38:25"}]))
    assert same_report(reports["bea"], Profile(runner_id="bea", name="Bea"))
    assert same_report(reports["dan"], Profile(runner_id="dan", name="Dan", age=40, races=[
        {"race": "Aiako", "date": "2026-09-20", "distance_km": 21, "dplus_m": 1300, "circuit": "other"}]))


def test_clean_roster_exits_zero(tmp_path):
    result, out = batch(tmp_path, "runner_id,vk_time\nane,44:10\nbea,\n")
    assert result.clean and result.exit_code() == 0
    assert read_csv(out / "errors.csv") == []
    assert (out / "errors.csv").read_text() == "file,line,runner_id,column,value,message,effect\n"


def test_races_from_profile_files(tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "ane.yaml").write_text(
        "runner_id: ane\nraces:\n  - {race: Zegama, date: 2026-05-17, distance_km: 42.2, dplus_m: 2736,"
        " circuit: golden_trail_series, position: 30, finishers: 520}\n")
    (profiles / "zoe.yaml").write_text("runner_id: zoe\nraces: [{race: Elsewhere}]\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("runner_id\nane\n")
    result = run_batch(roster, profiles_dir=profiles, out_dir=tmp_path / "out", as_of=AS_OF)
    report, = jsonl(tmp_path / "out" / "assessments.jsonl")
    assert report["eligibility"]["status"] == "eligible"
    errors = read_csv(tmp_path / "out" / "errors.csv")
    assert [(e["file"], e["runner_id"], e["effect"]) for e in errors] == [("zoe.yaml", "zoe", "race not used")]
    assert result.exit_code() == 1


def test_header_only_writes_nothing(tmp_path):
    with pytest.raises(RosterError, match="header but no runner rows"):
        batch(tmp_path, "runner_id;name\n\n;;\n")
    assert not (tmp_path / "out").exists()


def test_unknown_columns_that_clash_with_ours_are_renamed(tmp_path):
    _, out = batch(tmp_path, "runner_id,status,Error,club\nane,injured,none,AMT\n")
    row, = read_csv(out / "assessments.csv")
    assert row["status"] == "assessed" and row["input_status"] == "injured"
    assert row["input_Error"] == "none" and row["club"] == "AMT"


def test_bad_options_fail_before_reading(tmp_path):
    from assessment.pipeline import AssessmentError

    with pytest.raises(AssessmentError):
        batch(tmp_path, "runner_id\nane\n", edition=1999)
    assert not (tmp_path / "out").exists()


def test_a_runner_the_engine_cannot_assess_is_an_error_row(tmp_path):
    from assessment.pipeline import AssessmentError

    def picky(profile):
        if profile.runner_id == "bea":
            raise AssessmentError("no edition for this runner")
        return assess(profile, as_of=AS_OF)

    result, out = batch(tmp_path, "runner_id,age\nane,30\nbea,abc\n", assess_fn=picky)
    assert [r["status"] for r in read_csv(out / "assessments.csv")] == ["assessed", "error"]
    errors = read_csv(out / "errors.csv")
    assert [(e["column"], e["effect"]) for e in errors] == [("age", "row not assessed"), ("", "row not assessed")]
    assert "assessment failed: no edition for this runner" in errors[1]["message"]
    assert (result.summary.assessed, result.summary.errors) == (1, 1)


# --------------------------------------------------------------------------- CSV safety and Excel


def all_cells(path):
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.startswith("line;") or text.startswith("file;") else ","
    return [c for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for c in row]


def test_formula_cells_are_neutralised_in_every_csv(tmp_path):
    roster = ('runner_id;name;age;Note\n'
              'ane;"=HYPERLINK(""http://evil"",""x"")";=1+2;@SUM(A1)\n'
              '+cmd;-2+3;-5;\tx\n')
    for excel in (False, True):
        result, out = batch(tmp_path, roster, excel=excel)
        rows = read_csv(out / "assessments.csv")
        assert rows[0]["name"] == "'=HYPERLINK(\"http://evil\",\"x\")" and rows[0]["Note"] == "'@SUM(A1)"
        assert rows[1]["runner_id"] == "'+cmd" and rows[1]["name"] == "'-2+3"
        for name in ("assessments.csv", "errors.csv"):
            cells = all_cells(out / name)
            assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], name
        values = {e["value"] for e in read_csv(out / "errors.csv")}
        assert {"'=1+2", "'-5"} <= values
        # The JSON keeps the runner's own values: it is not read by spreadsheets.
        assert jsonl(out / "assessments.jsonl")[1]["runner_id"] == "+cmd"
    assert neutralise("ok") == "ok" and neutralise("=x") == "'=x"


def test_excel_outputs(tmp_path):
    result, out = batch(tmp_path, "runner_id,age\nane,abc\nbea,30\n", excel=True)
    raw = (out / "assessments.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfline;runner_id;") and b"\r\n" in raw
    assert (out / "errors.csv").read_bytes().startswith(b"\xef\xbb\xbffile;line;")
    rows = read_csv(out / "assessments.csv")
    weeks = json.loads((out / "assessments.jsonl").read_text().splitlines()[0])["weeks_to_race"]
    assert rows[0]["weeks_to_race"] == f"{weeks:g}".replace(".", ",") and "," in rows[0]["weeks_to_race"]
    (tmp_path / "plain").mkdir()
    _, plain = batch(tmp_path / "plain", "runner_id,age\nane,abc\nbea,30\n")
    plain_rows = read_csv(plain / "assessments.csv")
    assert plain_rows[0]["weeks_to_race"] == f"{weeks:g}"
    assert [r["status"] for r in rows] == [r["status"] for r in plain_rows]


# --------------------------------------------------------------------------- per-runner files


NASTY_IDS = ["../../etc/passwd", "a/b", "a\\b", "ANE", "ane", "con", "..", ".hidden", "x\x01y", "Iñaki Goñi",
             "-rf", "a" * 100, "日本", "ane-2"]


def test_per_runner_file_names_are_safe_and_unique(tmp_path):
    text = "runner_id;name\n" + "".join(f'"{rid}";R{i}\n' for i, rid in enumerate(NASTY_IDS))
    stale = tmp_path / "out" / "runners"
    stale.mkdir(parents=True)
    (stale / "old-runner.md").write_text("from a previous run")
    result, out = batch(tmp_path, text, per_runner=True)
    # An id with a control character is refused (it would reach terminals and files as it is).
    assert result.summary.assessed == len(NASTY_IDS) - 1
    rows = read_csv(out / "assessments.csv")
    refused = [r for r in rows if r["status"] == "error"]
    assert len(refused) == 1 and "control character" in refused[0]["error"] and refused[0]["report_file"] == ""
    rows = [r for r in rows if r["status"] == "assessed"]
    names = [r["report_file"] for r in rows]
    assert len({n.lower() for n in names}) == len(names)
    files = {p.name for p in (out / "runners").iterdir()}
    assert files == {n.split("/", 1)[1] for n in names}  # and the stale file is gone
    for n in names:
        stem = n.split("/", 1)[1]
        assert n.startswith("runners/") and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*\.md", stem), stem
        assert ".." not in stem and len(stem) <= 90
    for r in rows:
        assert (out / r["report_file"]).read_text().startswith(f"# Zegama gap report: {r['name']} (")
    assert safe_file_stem("..", 7) == "line-7" and safe_file_stem("con", 1) == "_con"
    assert {p.name for p in out.iterdir()} == set(OUTPUT_FILES) | {"runners", MANIFEST}
    assert (out / MANIFEST).read_text().split() == [*OUTPUT_FILES, "runners"]  # what the next run may replace


# --------------------------------------------------------------------------- atomic outputs


@pytest.mark.parametrize("exc", [RuntimeError("engine crashed"), KeyboardInterrupt()])
def test_interrupted_run_leaves_previous_outputs_whole(tmp_path, exc):
    out = tmp_path / "out"
    (out / "runners").mkdir(parents=True)
    for name in OUTPUT_FILES:
        (out / name).write_text(f"previous {name}")
    (out / "runners" / "old.md").write_text("previous")
    calls = []

    def flaky(profile):
        calls.append(profile.runner_id)
        if len(calls) == 3:
            raise exc
        return assess(profile, as_of=AS_OF)

    roster = tmp_path / "roster.csv"
    roster.write_text("runner_id\n" + "".join(f"r{i}\n" for i in range(6)))
    with pytest.raises(type(exc)):
        run_batch(roster, out_dir=out, as_of=AS_OF, per_runner=True, assess_fn=flaky)
    assert calls == ["r0", "r1", "r2"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUT_FILES, "runners"])  # no temp files left
    for name in OUTPUT_FILES:
        assert (out / name).read_text() == f"previous {name}"
    assert [p.name for p in (out / "runners").iterdir()] == ["old.md"]


# --------------------------------------------------------------------------- random rosters


BAD = {
    **{n: st.sampled_from(["abc", "99999", "-5", "1.2.3", "7 kg"]) for n in
       ["age", "body_mass_kg", "uphill_test_vam", "squat_1rm_kg", "single_leg_calf_raises", "cmj_cm",
        "downhill_confidence", "weekly_km", "weekly_dplus_m", "strength_sessions_per_week",
        "uphill_sessions_per_week", "downhill_sessions_per_week", "longest_climb_m", "crowd_composure",
        "pacing_discipline", "bad_weather_comfort", "zegama_finishes", "itra_index", "utmb_index",
        "max_hr", "threshold_hr", "aet_hr"]},
    "vk_time": st.sampled_from(["abc", "99:99", "5:00", "-3"]),
    "flat_10k_time": st.sampled_from(["soon", "61:75", "3:00"]),
    "uses_poles": st.sampled_from(["maybe", "2"]),
    "national_selection": st.sampled_from(["perhaps"]),
    "elite_invite": st.sampled_from(["2"]),
    "sponsor_entry": st.sampled_from(["nope"]),
    "sex": st.sampled_from(["Q", "unknown", "womans"]),
    "goal": st.sampled_from(["win", "fun"]),
}
VALID = {k: v for k, v in strategies.OPTIONAL.items() if k not in ("races", "name")}
names = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), min_size=1, max_size=15).map(str.strip).filter(bool)


@st.composite
def roster_rows(draw):
    """A roster with random valid and invalid cells, and what each row should give."""
    n = draw(st.integers(1, 6))
    rows, used = [], []
    for i in range(n):
        kind = draw(st.sampled_from(["new", "new", "new", "new", "missing", "duplicate"]))
        if kind == "duplicate" and not used:
            kind = "new"
        rid = {"new": f"r{i}", "missing": "", "duplicate": draw(st.sampled_from(used or ["x"]))}[kind]
        if kind == "new":
            used.append(rid)
        valid = draw(st.fixed_dictionaries({}, optional=VALID))
        valid.update(draw(strategies.heart_rates()))
        if draw(st.booleans()):
            valid["name"] = draw(names)
        if draw(st.booleans()):
            valid["races"] = draw(st.lists(strategies.races(), max_size=2))
        valid = strategies.consistent(valid)
        bad = draw(st.fixed_dictionaries({}, optional={k: v for k, v in BAD.items() if k not in valid}))
        bad_bg = draw(st.lists(st.sampled_from(["hiking", "swimming"]), max_size=2))
        rows.append({"kind": kind, "runner_id": rid, "valid": valid, "bad": bad, "bad_bg": bad_bg,
                     "blank_before": draw(st.booleans())})
    return rows


@settings(max_examples=30)
@given(roster_rows(), st.booleans())
def test_random_rosters_rows_in_equal_rows_out_and_valid_cells_give_assess(tmp_path_factory, rows, comma):
    tmp = tmp_path_factory.mktemp("random")
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    w.writerow(ROSTER_COLUMNS)
    race_rows, expected_lines, line = [], [], 1
    for row in rows:
        expected_profile = load_profile({"runner_id": row["runner_id"] or "placeholder", **row["valid"]})
        row["profile"] = expected_profile
        cells, races = profile_to_row(expected_profile, decimal_comma=comma)
        cells["runner_id"] = row["runner_id"]
        cells.update(row["bad"])
        if row["bad_bg"]:
            cells["background"] = ";".join([cells["background"], *row["bad_bg"]]).strip(";")
        if row["kind"] == "new":
            race_rows += races
        if row["blank_before"]:
            buf.write("\n")
            line += 1
        w.writerow([cells[c] for c in ROSTER_COLUMNS])
        line += 1
        expected_lines.append(line)
    (tmp / "roster.csv").write_text(buf.getvalue(), encoding="utf-8")
    rbuf = io.StringIO(newline="")
    rw = csv.DictWriter(rbuf, RACE_COLUMNS, lineterminator="\n")
    rw.writeheader()
    rw.writerows(race_rows)
    (tmp / "races.csv").write_text(rbuf.getvalue(), encoding="utf-8")

    result = run_batch(tmp / "roster.csv", races=tmp / "races.csv", out_dir=tmp / "out", as_of=AS_OF)
    out_rows = read_csv(tmp / "out" / "assessments.csv")
    s = result.summary
    assert len(out_rows) == len(rows) == s.read == s.assessed + s.errors
    assert [int(r["line"]) for r in out_rows] == expected_lines
    assert [r["status"] for r in out_rows] == ["assessed" if r["kind"] == "new" else "error" for r in rows]

    reports = iter(jsonl(tmp / "out" / "assessments.jsonl"))
    for row in rows:
        if row["kind"] == "new":
            assert same_report(next(reports), row["profile"])
    assert next(reports, None) is None

    problems = {(int(e["line"]), e["column"]) for e in read_csv(tmp / "out" / "errors.csv")}
    expected = set()
    for row, ln in zip(rows, expected_lines):
        expected |= {(ln, c) for c in row["bad"]}
        if row["bad_bg"]:
            expected.add((ln, "background"))
        if row["kind"] != "new":
            expected.add((ln, "runner_id"))
    assert problems == expected
    assert result.exit_code() == (0 if not expected else 1)


# --------------------------------------------------------------------------- memory


MEMORY_RUN = textwrap.dedent('''
    import csv, gc, os, random, sys, threading, time
    from pathlib import Path
    from assessment.pipeline import assess
    from assessment.batch.run import run_batch
    from assessment.batch.roster import RACE_COLUMNS

    n, tmp, engine = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    rng = random.Random(n)
    with (tmp / "roster.csv").open("w", newline="") as fh, (tmp / "races.csv").open("w", newline="") as rf:
        w, rw = csv.writer(fh, delimiter=";"), csv.writer(rf)
        w.writerow(["runner_id", "name", "sex", "age", "body_mass_kg", "vk_time", "uses_poles", "background", "club"])
        rw.writerow(RACE_COLUMNS)
        for i in range(n):
            w.writerow([f"r{i:06d}", f"Runner {i}", rng.choice("FM"), rng.randint(18, 70),
                        f"{rng.uniform(45, 90):.1f}".replace(".", ","), f"{rng.randint(35, 70)}:{rng.randint(0, 59):02d}",
                        rng.choice(["bai", "ez", "sí", "no"]), "skimo;road", "x"])
            if i % 2:
                race = {"runner_id": f"r{i:06d}", "race": "Trail", "date": "2026-06-01", "distance_km": "21",
                        "dplus_m": "1300", "circuit": "other", "position": rng.randint(1, 200), "finishers": "200",
                        "status": "finished"}
                rw.writerow([race.get(c, "") for c in RACE_COLUMNS])
        ghost = {"runner_id": "ghost", "race": "Trail", "date": "2026-06-01", "distance_km": "21", "dplus_m": "1300",
                 "circuit": "other", "position": "10", "finishers": "200", "status": "finished"}
        rw.writerow([ghost.get(c, "") for c in RACE_COLUMNS])

    assess_fn = None
    if engine == "template":
        # The engine costs ~5 ms a runner: 100,000 rows through it would take minutes. These
        # real reports, copied per runner, exercise everything else (reading, validation,
        # races join, writers, summary, session groups) at full size.
        def slim(r):
            fs = [f.model_copy(update={"targets": [], "evidence": [], "prescription": None, "message": ""})
                  for f in r.findings]
            return r.model_copy(update={"findings": fs, "weekly_sessions": [],
                                        "eligibility": r.eligibility.model_copy(update={"routes": [], "next_steps": []})})
        templates = [slim(assess(p, as_of="2026-12-01")) for p in (
            {"runner_id": "t1", "vk_time": "44:10", "sex": "F", "weekly_km": 60},
            {"runner_id": "t2", "flat_10k_time": "38:00", "sex": "M", "downhill_confidence": 1},
            {"runner_id": "t3", "squat_1rm_kg": 40, "strength_sessions_per_week": 0, "crowd_composure": 1},
            {"runner_id": "t4"})]
        def assess_fn(profile):
            t = templates[int(profile.runner_id[1:]) % len(templates)]
            return t.model_copy(update={"runner_id": profile.runner_id, "name": profile.name})
    else:
        assess(dict(runner_id="warm-up"), as_of="2026-12-01")  # load the pack and the engine first

    def resident_kb():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024

    # Sample the resident size all along the run (the peak of the whole process would
    # hide a run that stays under what loading the rule pack once took).
    gc.collect()
    base, peak, stop = resident_kb(), [0], threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], resident_kb())
            stop.wait(0.005)
    sampler = threading.Thread(target=sample)
    sampler.start()
    t = time.time()
    try:
        res = run_batch(tmp / "roster.csv", races=tmp / "races.csv", out_dir=tmp / "out", as_of="2026-12-01",
                        assess_fn=assess_fn)
    finally:
        stop.set()
        sampler.join()
    peak[0] = max(peak[0], resident_kb())
    s = res.summary
    print(n, peak[0] - base, s.read, s.assessed, s.errors, s.problems, round(time.time() - t, 1))
''')


def peak_growth_kb(tmp_path, n, engine):
    """Peak growth of the resident size during one batch run, in a fresh interpreter (kB)."""
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("measures the resident size through /proc (Linux)")
    work = tmp_path / f"{engine}-{n}"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", MEMORY_RUN, str(n), str(work), engine],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    size, growth, read, assessed, errors, problems, _ = done.stdout.split()
    assert (int(size), int(read), int(assessed), int(errors), int(problems)) == (n, n, n, 0, 1)
    with (work / "out" / "assessments.csv").open() as fh:
        assert sum(1 for _ in fh) == n + 1
    with (work / "out" / "assessments.jsonl").open() as fh:
        assert sum(1 for _ in fh) == n
    return int(growth)


def test_memory_does_not_grow_with_roster_size_100k_rows(tmp_path):
    small = peak_growth_kb(tmp_path, 10_000, "template")
    large = peak_growth_kb(tmp_path, 100_000, "template")
    # 4 MB for 90,000 more runners is under 50 bytes each: holding the reports (kB each) or
    # even one short string per runner would show. What outlives a row is on disk.
    assert large - small < 4 * 1024, (small, large)


def test_memory_flat_through_the_real_engine(tmp_path):
    small = peak_growth_kb(tmp_path, 200, "engine")
    large = peak_growth_kb(tmp_path, 1_200, "engine")
    assert large - small < 3 * 1024, (small, large)
