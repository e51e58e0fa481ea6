"""The finish-time estimate: its properties, its refusals, the API and the CLI agreeing, the pack's
model file checked at load, and the fit script run on the sample (or, where the sample is not
on the machine, on a synthetic file of the same shape)."""

import copy
import csv
import datetime as dt
import json
import math
import random
import shutil
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from assessment import EstimateError, ProfileError, RuleFileError, estimate_finish, load_rulebase
from assessment.cli.main import main
from assessment.estimate import model as M
from assessment.estimate.finish import short_time
from assessment.rules.rulebase import default_rulebase
from tests.conftest import EXAMPLES, ROOT

AS_OF = dt.date(2026, 12, 1)


def race(km, dplus, time, date="2026-09-01", **kw):
    return {"race": kw.pop("race", f"Race {km:g}"), "date": date, "distance_km": km, "dplus_m": dplus,
            "time": time, **kw}


def est(races=(), **profile):
    return estimate_finish({"runner_id": "x", **profile, "races": list(races)}, as_of=AS_OF)


def minutes(h, m=0):
    return 60 * h + m


# --------------------------------------------------------------------------- what it says

def test_the_estimate_says_its_course_range_barriers_inputs_and_method():
    e = estimate_finish(yaml.safe_load((EXAMPLES / "skimo.yaml").read_text()), as_of=AS_OF)
    assert e.course.distance_km == 42.195 and e.course.dplus_m == 2736
    f = e.finish
    assert f.low < f.mid < f.high and f.interval == 0.8
    assert f.display == f"{short_time(f.mid)} ({short_time(f.low)}-{short_time(f.high)})"
    ss = e.barrier("Sancti Spiritu")
    assert ss.km == 19.6 and ss.cutoff_min == 195 and 0 < ss.pass_probability <= 1
    assert ss.arrival.low < ss.arrival.mid < ss.arrival.high < f.mid
    assert [u.kind for u in e.inputs_used].count("race") == 2
    assert math.isclose(sum(u.weight for u in e.inputs_used), 1, abs_tol=0.01)
    assert "km-effort" in e.method and "TRAP" in e.method
    assert any("flat 10K" in n for n in e.notes)


def test_sancti_spiritu_binds_before_the_time_limit():
    # The barrier is passed by any finish under about 7:52 (the 2013 434th), the limit is 8:00:
    # whoever passes Sancti Spiritu is inside the limit too.
    e = est([race(42.2, 2736, "7:30:00", race="Zegama-Aizkorri")])
    ss, fin = e.barrier("Sancti Spiritu"), e.barrier("Zegama (finish)")
    # A finisher passed Sancti Spiritu first: the chance to finish is the barrier's, not more.
    assert fin.pass_probability == ss.pass_probability
    assert 0.2 < ss.pass_probability < 0.9   # 7:30 last year: the barrier is a real risk


def test_a_slow_runner_is_told_the_barrier_is_at_risk_and_a_fast_one_is_not():
    slow = est([race(30, 1500, "5:00:00")])
    fast = est([race(30, 1500, "2:45:00")])
    assert slow.barrier("Sancti Spiritu").pass_probability < 0.5 < fast.barrier("Sancti Spiritu").pass_probability


def test_another_course_has_no_barriers():
    e = estimate_finish({"runner_id": "x", "races": [race(42.2, 2736, "5:00:00")]}, as_of=AS_OF,
                        course={"distance_km": 31, "dplus_m": 2200})
    assert e.barriers == [] and e.course.km_effort == 53
    assert e.finish.mid < 300  # a shorter course than the race given


def test_the_vk_alone_gives_the_goal_levels_own_time():
    # One model, two directions: a VK of exactly the compete-level target gives the compete time.
    rb = load_rulebase()
    e = est(vk_time="44:59", sex="M")
    assert e.inputs_used[0].kind == "vk_time"
    assert abs(e.finish.mid - rb.target("goal_time", {"goal": "compete", "sex": "M"})) < 1
    assert e.finish.high / e.finish.mid > 1.25  # a VK says less than a race: a wide interval


def test_the_fast_end_is_never_faster_than_the_course_record():
    e = est([race(42.2, 2736, "3:40:00", race="Zegama-Aizkorri")], sex="M")
    assert e.finish.low >= 216 + 40 / 60 - 1e-9
    assert any("course record" in n for n in e.notes)


# --------------------------------------------------------------------------- refusals

def test_nothing_usable_names_what_to_add():
    with pytest.raises(EstimateError, match="add a race result .* or a VK time"):
        est(flat_10k_time="33:00")
    with pytest.raises(EstimateError, match="nothing to estimate from"):
        est([{"race": "Ehunmilak", "date": "2026-07-10", "distance_km": 88, "dplus_m": 5500, "status": "dnf"}])


def test_an_impossible_speed_is_refused_with_the_race_named():
    with pytest.raises(EstimateError, match=r"races\[1\] Fast one \(2026-09-01\).*km-effort/h, faster than any"):
        est([race(42.2, 2736, "1:30:00", race="Fast one")])


@pytest.mark.parametrize("case, why", [
    (race(42, 2000, "5:00:00", date="2022-05-01"), "older than 3 years"),
    (race(10, 300, "0:50:00"), "under 25 km-effort"),
    (race(170, 10000, "40:00:00"), "more than 3 times"),
    (race(42, 2000, "5:00:00", date="2027-02-01"), "after the assessment date"),
])
def test_results_outside_the_model_are_set_aside_and_said(case, why):
    e = est([case, race(30, 1500, "3:30:00")])
    assert len(e.inputs_used) == 1 and any(why in n for n in e.notes), e.notes


def test_an_invalid_profile_or_course_is_refused():
    with pytest.raises(ProfileError):
        estimate_finish({"runner_id": "x", "vk_time": "3:00"}, as_of=AS_OF)
    with pytest.raises(EstimateError, match="not a mountain course"):
        estimate_finish({"runner_id": "x", "vk_time": "50:00"}, as_of=AS_OF, course={"distance_km": 0.2})


# --------------------------------------------------------------------------- properties

results = st.lists(
    st.tuples(st.floats(15, 120), st.integers(0, 6000), st.floats(6, 13), st.integers(0, 1000)),
    min_size=1, max_size=5)


def _races(rs):
    out = []
    for km, dplus, speed, days in rs:
        itra = km + dplus / 100
        if not 25 <= itra <= 200:
            continue
        t = 60 * itra / speed
        out.append(race(round(km, 1), dplus, f"{int(t // 60)}:{int(t % 60):02d}:00",
                        date=(AS_OF - dt.timedelta(days=days)).isoformat()))
    return out


@settings(max_examples=60)
@given(results, st.integers(0, 4), st.floats(0.8, 0.99))
def test_a_faster_race_never_makes_the_estimate_slower(rs, i, factor):
    races = _races(rs)
    assume(races)
    before = est(races)
    faster = copy.deepcopy(races)
    r = faster[i % len(faster)]
    h, m, s = map(int, r["time"].split(":"))
    t = (60 * h + m) * factor
    r["time"] = f"{int(t // 60)}:{int(t % 60):02d}:{int(t * 60 % 60):02d}"
    after = est(faster)
    assert after.finish.mid <= before.finish.mid + 1e-6
    assert after.finish.high <= before.finish.high + 1e-6


@settings(max_examples=200)
@given(results, st.floats(20, 80), st.integers(0, 4000), st.floats(1, 15), st.integers(0, 800))
def test_more_distance_or_climb_never_makes_it_faster(rs, km, dplus, more_km, more_dplus):
    races = _races(rs)
    assume(races)
    p = {"runner_id": "x", "races": races}
    try:
        base = estimate_finish(p, as_of=AS_OF, course={"distance_km": km, "dplus_m": dplus})
        longer = estimate_finish(p, as_of=AS_OF, course={"distance_km": km + more_km, "dplus_m": dplus})
        steeper = estimate_finish(p, as_of=AS_OF, course={"distance_km": km, "dplus_m": dplus + more_dplus})
    except EstimateError:
        assume(False)  # no result within a third to three times the course: nothing to compare
    # the same inputs on both courses, so that the comparison is of the scaling alone
    assume([u.label for u in base.inputs_used] == [u.label for u in longer.inputs_used]
           == [u.label for u in steeper.inputs_used])
    assert longer.finish.mid >= base.finish.mid - 1e-6
    assert steeper.finish.mid >= base.finish.mid - 1e-6


@given(st.integers(1, 5))
def test_fewer_results_give_a_wider_interval(n):
    def width(k):
        f = est([race(42.2, 2736, "5:30:00", date=f"2026-0{m}-01") for m in range(1, k + 1)]).finish
        return f.high / f.low

    assert width(n) > width(n + 1)


@settings(max_examples=60)
@given(results)
def test_the_chance_to_finish_is_never_above_the_chance_at_the_barrier_before(rs):
    races = _races(rs)
    assume(races)
    e = est(races)
    chances = [b.pass_probability for b in e.barriers]
    assert chances == sorted(chances, reverse=True)


@settings(max_examples=30)
@given(results)
def test_the_estimate_is_deterministic_and_its_json_round_trips(rs):
    races = _races(rs)
    assume(races)
    a, b = est(races), est(races)
    assert a == b
    assert type(a).model_validate_json(a.model_dump_json()) == a


def test_the_model_is_the_one_the_pack_ships():
    # The fitted block of estimate.yaml drives the estimator: change a coefficient, the estimate moves.
    rb = load_rulebase()
    e = M.predict([M.Input(50, 300, 0.5)], 75, M.Coefficients(**rb.finish_model.coefficients.model_dump()))
    c = M.Coefficients(**{**rb.finish_model.coefficients.model_dump(), "exponent": 1.0})
    assert M.predict([M.Input(50, 300, 0.5)], 75, c).mid < e.mid


# --------------------------------------------------------------------------- API and CLI agree

def test_the_cli_prints_what_the_api_returns():
    path = str(EXAMPLES / "skimo.yaml")
    api = estimate_finish(yaml.safe_load(open(path)), as_of=AS_OF)
    out = CliRunner().invoke(main, ["estimate", path, "--as-of", "2026-12-01", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == json.loads(api.model_dump_json(exclude_none=True))
    table = CliRunner().invoke(main, ["estimate", path, "--as-of", "2026-12-01"])
    assert api.finish.display in table.output and "Sancti Spiritu" in table.output
    assert max(len(line) for line in table.output.splitlines()) <= 80


def test_the_cli_course_options_and_errors():
    path = str(EXAMPLES / "skimo.yaml")
    r = CliRunner().invoke(main, ["estimate", path, "--as-of", "2026-12-01", "--course-km", "31",
                                  "--course-dplus", "2200", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.output)["barriers"] == []
    r = CliRunner().invoke(main, ["estimate", "-", "--format", "json"], input='{"runner_id": "x", "flat_10k_time": "33:00"}')
    assert r.exit_code == 1 and json.loads(r.output)["error"]["type"] == "estimate"
    r = CliRunner().invoke(main, ["estimate", "-"], input='{"runner_id": "x"}')
    assert r.exit_code == 1 and "Error: nothing to estimate from" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["estimate", path, "--course-dplus", "100"])
    assert r.exit_code == 2


# --------------------------------------------------------------------------- the pack's file

def _pack_with(tmp_path, change):
    pack = tmp_path / "zegama"
    shutil.copytree(ROOT / "rules" / "zegama", pack)
    doc = yaml.safe_load((pack / "estimate.yaml").read_text())
    change(doc)
    (pack / "estimate.yaml").write_text(yaml.safe_dump(doc))
    return pack


@pytest.mark.parametrize("change, words", [
    (lambda d: d["coefficients"].pop("exponent"), "coefficients.exponent"),
    (lambda d: d["zegama"].update(sources=["nowhere"]), "unknown source 'nowhere'"),
    (lambda d: d.update(residual_quantiles=[[0.1, 1.0], [0.5, 0.0], [0.9, 2.0]]), "must not decrease"),
    (lambda d: d["benchmarks"].update(cmj_cm={"km_effort": 1, "note": "x"}), "cmj_cm is not a parameter scaled"),
])
def test_a_bad_estimate_file_is_refused_at_load(tmp_path, change, words):
    with pytest.raises(RuleFileError) as exc:
        load_rulebase(_pack_with(tmp_path, change))
    assert any("estimate.yaml" in f and words in m for f, _, m in exc.value.problems), exc.value.problems


def test_the_course_factor_derivation_quotes_the_checks_the_fit_printed():
    fm = load_rulebase().finish_model
    ch = fm.checks
    text = " ".join(fm.zegama.derivation.split())
    assert f"below {ch['record_factor']}" in text
    assert f"gives him {short_time(ch['fastest_min'])}" in text
    assert f"median {short_time(ch['trap_median_min'])}" in text and f"({short_time(ch['sample_median_min'])}, ratio {ch['population_factor']:.2f})" in text


# --------------------------------------------------------------------------- the fit script

SAMPLE = ROOT.parent / "shared" / "data" / "itra-race-history-sample.csv"


def _synthetic(path, runners=120, seed=7):
    # The sample's shape (and a known truth: time = level x effort^1.2), for machines without it.
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["runner", "sex", "race", "date", "distance_km", "dplus_m", "time", "position"])
        for i in range(runners):
            level = rnd.uniform(0.9, 1.8)
            for j in range(rnd.randint(3, 12)):
                km, dplus = rnd.uniform(20, 120), rnd.randint(800, 7000)
                e = km + 1.2 * dplus / 100
                t = level * e ** 1.2 * math.exp(rnd.gauss(0, 0.08))
                day = dt.date(2011, 1, 1) + dt.timedelta(days=rnd.randint(0, 1800))
                w.writerow([f"s{i:04d}", "M", f"R{j}", day.isoformat(), round(km, 1), dplus,
                            f"{int(t // 60)}:{int(t % 60):02d}:00", ""])
    return path


def test_the_fit_script_runs_and_beats_its_baseline(tmp_path):
    data = SAMPLE if SAMPLE.is_file() else _synthetic(tmp_path / "synthetic.csv")
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "fit_estimate.py"), "--fast", "--data", str(data)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    ratio = float(text.split("(ratio ")[1].split(";")[0])
    coverage = float(text.split("80% interval coverage: ")[1].split("%")[0])
    assert ratio <= 0.8, text
    assert 70 <= coverage <= 90, text
    assert "fitted on all" in text


def test_the_fit_script_says_where_the_data_is_when_it_is_missing(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "fit_estimate.py"), "--data", str(tmp_path / "no.csv")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "file not found" in out.stderr and "README" in out.stderr


# --------------------------------------------------------------------------- in the gap report and the batch

def test_the_report_carries_the_estimate_in_every_format():
    from assessment import assess
    from assessment.report.render import render

    r = assess(yaml.safe_load((EXAMPLES / "skimo.yaml").read_text()), as_of=AS_OF)
    direct = estimate_finish(yaml.safe_load((EXAMPLES / "skimo.yaml").read_text()), as_of=AS_OF)
    assert r.estimate.finish.display == direct.finish.display
    assert r.estimate.barrier("Sancti Spiritu").pass_probability == direct.barrier("Sancti Spiritu").pass_probability
    assert r.catalog.estimate.method == direct.method
    for fmt in ("table", "markdown", "html"):
        out = render(r, fmt)
        assert direct.finish.display in out and "Sancti Spiritu" in out, fmt
    html = render(r, "html")
    assert 'class="chart chart-barriers"' in html and "cut-off 3:15" in html
    assert json.loads(r.to_json())["estimate"]["finish"]["mid"] == direct.finish.mid


def test_a_report_without_inputs_says_why_there_is_no_estimate():
    from assessment import assess
    from assessment.report.render import render

    r = assess({"runner_id": "x"}, as_of=AS_OF)
    assert r.estimate is None and "add a race result" in r.estimate_note
    assert "Estimate from your results: none (nothing to estimate from" in render(r, "table").replace("\n", " ")


def test_rs014_fires_when_the_estimate_puts_the_barrier_at_risk():
    from assessment import assess

    slow = assess({"runner_id": "s", "sex": "F", "vk_time": "1:20:00"}, as_of=AS_OF)
    fast = assess({"runner_id": "f", "sex": "F", "vk_time": "55:00"}, as_of=AS_OF)
    f = next(x for x in slow.findings if x.rule_id == "RS014")
    assert f"{round(100 * slow.estimate.barrier('Sancti Spiritu').pass_probability)}%, below the 90%" in f.message
    assert "RS014" not in fast.fired_rules


def test_the_batch_writes_the_estimate_columns(tmp_path):
    from assessment.batch.run import run_batch

    run_batch(str(ROOT / "examples" / "roster.csv"), races=str(ROOT / "examples" / "races.csv"),
              out_dir=str(tmp_path / "out"), as_of=AS_OF, html=True)
    rows = list(csv.DictReader((tmp_path / "out" / "assessments.csv").open(encoding="utf-8")))
    lines = [json.loads(l) for l in (tmp_path / "out" / "assessments.jsonl").read_text().splitlines()]
    by_id = {l["runner_id"]: l for l in lines}
    for row in rows:
        if row["status"] != "assessed":
            continue
        est = by_id[row["runner_id"]].get("estimate")
        if est is None:
            assert row["estimate_mid"] == row["sancti_spiritu_pass"] == ""
        else:
            assert row["estimate_mid"] == f"{round(est['finish']['mid']) // 60}:{round(est['finish']['mid']) % 60:02d}:00"
            assert float(row["sancti_spiritu_pass"]) == est["barriers"][0]["pass_probability"]
    assert any(r["estimate_mid"] for r in rows)
    squad = (tmp_path / "out" / "squad.html").read_text(encoding="utf-8")
    assert "Estimate (Sancti Spiritu)" in squad and "at SS)" in squad
