"""`zegama interview` and `zegama questions` through click's CliRunner, with piped answers."""

import json

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from assessment.cli.main import main
from assessment.interview.session import progress_path, read_progress
from assessment.model.profile import load_profile
from tests.strategies import consistent, profiles

AS_OF = "2026-01-10"

# The full interview, one line per prompt, for a runner with one race.
ABOUT = ["ana", "Ana", "1", "31", "58,5", "", ""]       # id, name, sex, age, mass, goal (default), goal time (none)
BACKGROUND = ["2,5"]
BENCHMARKS = ["48:00", "?", "45'30", "yes", "190", "175", "150", "idk", "25", "-", "3"]
TRAINING = ["60", "3000", "2", "1", "1", "900", "3:00:00", "yes"]
RACES = ["yes", "Zumaia Flysch", "2025-09-20", "23", "1800", "3", "", "15", "300", "", "2:40:00", "2:10:00", "no"]
ENTRY = ["", "", "", "", "", "", ""]                   # defaults; no index
MENTAL = ["4", "3", "2"]
FULL = ABOUT + BACKGROUND + BENCHMARKS + TRAINING + RACES + ENTRY + MENTAL


def run(args, lines=None, **kw):
    text = None if lines is None else "".join(f"{x}\n" for x in lines)
    return CliRunner().invoke(main, args, input=text, **kw)


def assess_out(path, *extra):
    r = run(["assess", str(path), "--as-of", AS_OF, *extra])
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CI", raising=False)
    return tmp_path


# --------------------------------------------------------------------------- whole interviews

def test_a_whole_interview_with_piped_answers(cwd):
    lines = list(FULL)
    lines[3:4] = ["thirty", "31"]                  # an invalid age, asked again
    lines += ["5", "27", "", ""]                   # review: change body mass (5th), keep, finish
    r = run(["interview", "--interactive", "--save", "ana.yaml", "--as-of", AS_OF], lines)
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "Not accepted: expected a number, got 'thirty'. Please try again." in out
    assert "Your answers are saved after every question in ana.yaml" in out
    assert "  1) F  women's" in out                            # numbered choices
    assert "What is your goal at Zegama? (1-3 or a name) [compete]: " in out
    assert "Noted as unknown: the report will tell you how to measure it." in out
    assert "10. Uphill test climbing rate: don't know" in out
    assert " 7. Goal time: skipped" in out
    assert "Not accepted: 27 is outside the plausible range 30 to 160 kg" in out
    assert "Zegama gap report: Ana (ana)" in out
    saved = yaml.safe_load((cwd / "ana.yaml").read_text())
    assert saved["body_mass_kg"] == 58.5 and saved["age"] == 31 and saved["background"] == ["skimo", "short_mountain"]
    assert saved["flat_10k_time"] == "45:30" and saved["races"][0]["circuit"] == "national_championship"
    assert "uphill_test_vam" not in saved and "cmj_cm" not in saved
    # the saved profile gives the same report as the one the interview printed
    assert assess_out(cwd / "ana.yaml") in out
    assert read_progress(cwd / "ana.yaml")["complete"] is True


def test_review_edit_by_number_changes_the_report(cwd):
    lines = FULL + ["9", "40:00", ""]              # 9th line of the review: the VK time
    r = run(["interview", "--interactive", "--save", "p.yaml", "--as-of", AS_OF], lines)
    assert r.exit_code == 0, r.output
    assert " 9. Vertical-km time: 48:00" in r.stdout
    assert "Your vertical-km time (h:mm:ss or mm:ss) [48:00]: 40:00" in r.stdout
    assert " 9. Vertical-km time: 40:00" in r.stdout
    assert yaml.safe_load((cwd / "p.yaml").read_text())["vk_time"] == "40:00"
    assert assess_out(cwd / "p.yaml") in r.stdout


def test_interrupted_run_resumes_where_it_stopped(cwd):
    stop = len(ABOUT + BACKGROUND) + 4              # input ends in the middle of the benchmarks
    first = run(["interview", "--interactive", "--save", "p.yaml", "--as-of", AS_OF], FULL[:stop])
    assert first.exit_code == 1
    assert "Your answers so far are saved in p.yaml" in first.stderr
    assert "zegama interview --resume p.yaml" in first.stderr
    partial = yaml.safe_load((cwd / "p.yaml").read_text())
    assert partial["vk_time"] == "48:00" and "max_hr" not in partial
    assert read_progress(cwd / "p.yaml")["answers"] == {"has_hr_monitor": True}
    load_profile(partial)

    second = run(["interview", "--interactive", "--resume", "p.yaml", "--as-of", AS_OF], FULL[stop:] + [""])
    assert second.exit_code == 0, second.output
    assert "Continuing the interview saved in p.yaml" in second.stdout
    assert "Your vertical-km time" not in second.stdout        # not asked again
    whole = run(["interview", "--interactive", "--save", "whole.yaml", "--as-of", AS_OF], FULL + [""])
    assert whole.exit_code == 0, whole.output
    assert (cwd / "p.yaml").read_text() == (cwd / "whole.yaml").read_text()


def test_ctrl_c_loses_nothing(cwd, monkeypatch):
    from assessment.cli import interview as interview_cli

    original = interview_cli.TerminalAsker.ask
    count = {"n": 0}

    def ask(self, prompt):
        count["n"] += 1
        if count["n"] == 10:  # the tenth question: the uphill test, after the VK time
            raise KeyboardInterrupt
        return original(self, prompt)

    monkeypatch.setattr(interview_cli.TerminalAsker, "ask", ask)
    r = run(["interview", "--interactive", "--save", "p.yaml", "--as-of", AS_OF], FULL)
    assert r.exit_code == 130
    assert "Stopped. Your answers so far are saved in p.yaml." in r.stdout
    saved = yaml.safe_load((cwd / "p.yaml").read_text())
    assert saved["vk_time"] == "48:00" and saved["background"] == ["skimo", "short_mountain"]
    assert read_progress(cwd / "p.yaml")["unknown"] == []
    assert not list(cwd.glob(".*.tmp"))        # no temporary file left behind


def test_resuming_a_finished_interview_goes_to_the_review(cwd):
    assert run(["interview", "--interactive", "--save", "p.yaml", "--as-of", AS_OF], FULL + [""]).exit_code == 0
    r = run(["interview", "--interactive", "--resume", "p.yaml", "--as-of", AS_OF], ["4", "32", ""])
    assert r.exit_code == 0, r.output
    assert "Review your answers" in r.stdout and "Your name" not in r.stdout
    assert yaml.safe_load((cwd / "p.yaml").read_text())["age"] == 32


def test_default_file_is_named_and_offered_again(cwd):
    r = run(["interview", "--interactive", "--as-of", AS_OF], FULL[:3])
    assert "saved after every question in zegama-profile.yaml" in r.stdout
    assert yaml.safe_load((cwd / "zegama-profile.yaml").read_text()) == {"runner_id": "ana", "name": "Ana", "sex": "F"}
    again = run(["interview", "--interactive", "--as-of", AS_OF], ["yes"] + FULL[3:] + [""])
    assert again.exit_code == 0, again.output
    assert "An interview is saved in zegama-profile.yaml. Continue it?" in again.stdout
    assert yaml.safe_load((cwd / "zegama-profile.yaml").read_text())["age"] == 31
    fresh = run(["interview", "--interactive", "--as-of", AS_OF], ["no"] + FULL[:2])
    assert "saved after every question in zegama-profile-2.yaml" in fresh.stdout
    assert yaml.safe_load((cwd / "zegama-profile.yaml").read_text())["age"] == 31   # untouched


def test_answers_file_prefills_and_only_the_rest_is_asked(cwd):
    (cwd / "a.yaml").write_text("runner_id: ana\nname: Ana\nsex: F\nage: 31\nbody_mass_kg: '58,5'\ngoal: podium\n"
                                "background: [skimo]\nvk_time: null\n")
    rest = [""] + FULL[9:]                           # the goal time (none), then from the uphill test on
    r = run(["interview", "--interactive", "--answers", "a.yaml", "--save", "p.yaml", "--as-of", AS_OF], rest + [""])
    assert r.exit_code == 0, r.output
    assert "Your age on race day" not in r.stdout and "Your vertical-km time" not in r.stdout
    assert "Metres climbed per hour" in r.stdout
    saved = yaml.safe_load((cwd / "p.yaml").read_text())
    assert saved["goal"] == "podium" and "vk_time" not in saved
    assert "vk_time" in read_progress(cwd / "p.yaml")["unknown"]


def test_invalid_prefilled_answers_are_shown_and_asked_again(cwd):
    (cwd / "a.yaml").write_text("runner_id: ana\nsex: F\nage: 300\n")
    lines = ["Ana", "31"] + FULL[4:] + [""]
    r = run(["interview", "--interactive", "--answers", "a.yaml", "--save", "p.yaml", "--as-of", AS_OF], lines)
    assert r.exit_code == 0, r.output
    assert "Some answers in a.yaml were not valid and will be asked again:" in r.stdout
    assert "age: 300 is not physically plausible" in r.stdout
    assert yaml.safe_load((cwd / "p.yaml").read_text())["age"] == 31


def test_quick_questionnaire(cwd):
    lines = ["q1", "2", "45", "1", "3", "52:00", "?", "2", "40", "1500", "0", "no", ""]
    r = run(["interview", "--interactive", "--questionnaire", "quick", "--save", "q.yaml", "--as-of", AS_OF], lines)
    assert r.exit_code == 0, r.output
    assert "Zegama quick check" in r.stdout and "(1 of 3)" in r.stdout
    saved = yaml.safe_load((cwd / "q.yaml").read_text())
    assert saved == {"runner_id": "q1", "sex": "M", "age": 45, "goal": "finish", "background": ["road"],
                     "vk_time": "52:00", "downhill_confidence": 2, "weekly_km": 40.0, "weekly_dplus_m": 1500.0,
                     "strength_sessions_per_week": 0}
    assert read_progress(cwd / "q.yaml")["questionnaire"] == "quick"
    # a resume finds the questionnaire it was started with
    again = run(["interview", "--interactive", "--resume", "q.yaml", "--as-of", AS_OF], [""])
    assert again.exit_code == 0 and "Zegama quick check" in again.stdout


# --------------------------------------------------------------------------- without a terminal

def test_no_input_lists_every_missing_required_answer(cwd):
    (cwd / "a.yaml").write_text("name: Ana\nraces: [{race: X, distance_km: 20}]\n")
    r = run(["interview", "--no-input", "--answers", "a.yaml"])
    assert r.exit_code == 1
    assert ("6 required answers missing (no questions are asked without a terminal or with --no-input): "
            "runner_id, sex, age, background, races[1].date, races[1].dplus_m") in r.stderr
    assert not list(cwd.glob("zegama-profile*"))
    j = run(["interview", "--no-input", "--answers", "a.yaml", "--format", "json"])
    assert j.exit_code == 1
    err = json.loads(j.stdout)["error"]
    assert err["type"] == "missing_answers"
    assert [p["field"] for p in err["problems"]] == ["runner_id", "sex", "age", "background", "races[1].date", "races[1].dplus_m"]


def test_piped_stdin_never_prompts(cwd):
    (cwd / "a.yaml").write_text("runner_id: a\nsex: F\n")
    r = run(["interview", "--answers", "a.yaml"], ["31", "2"])    # stdin is not a terminal
    assert r.exit_code == 1
    assert "Your age on race day" not in r.output
    assert "age, background" in r.stderr


def test_ci_environment_never_prompts(cwd, monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr("assessment.cli.interview._stdin_is_terminal", lambda: True)
    r = run(["interview"])
    assert r.exit_code == 1 and "required answers missing" in r.stderr


def test_no_input_completes_and_never_overwrites_the_default_file(cwd):
    (cwd / "a.yaml").write_text("runner_id: a\nsex: F\nage: 30\nbackground: [road]\n")
    for expected in ("zegama-profile.yaml", "zegama-profile-2.yaml"):
        r = run(["interview", "--no-input", "--answers", "a.yaml", "--as-of", AS_OF])
        assert r.exit_code == 0, r.output
        assert f"Profile saved to {expected}" in r.stderr
        assert r.stdout == assess_out(cwd / expected)
    assert yaml.safe_load((cwd / "zegama-profile.yaml").read_text())["goal"] == "compete"   # the default


def test_invalid_answers_file_without_a_terminal_is_an_error(cwd):
    (cwd / "a.yaml").write_text("runner_id: a\nsex: F\nage: 300\ncolour: red\n")
    r = run(["interview", "--no-input", "--answers", "a.yaml"])
    assert r.exit_code == 1
    assert "age: 300 is not physically plausible" in r.stderr and "colour: unknown field" in r.stderr
    missing = run(["interview", "--no-input", "--answers", "nope.yaml"])
    assert missing.exit_code == 1 and "nope.yaml: file not found" in missing.stderr


@pytest.mark.parametrize("args", [["--no-input", "--interactive"], ["--resume", "a.yaml", "--answers", "a.yaml"]])
def test_usage_errors(cwd, args):
    r = run(["interview", *args])
    assert r.exit_code == 2


def test_bad_questionnaire_names_the_question(cwd):
    (cwd / "q.yaml").write_text(yaml.safe_dump({
        "schema_version": 1, "id": "bad", "title": "Bad", "sections": [{"id": "s", "title": "S", "questions": [
            {"id": "runner_id", "field": "runner_id", "prompt": "Id", "type": "text"},
            {"id": "speed", "field": "vk_time", "prompt": "VK", "type": "decimal"}]}]}))
    r = run(["interview", "--no-input", "--questionnaire", "q.yaml"])
    assert r.exit_code == 1
    assert "question speed: type decimal does not fit field vk_time, which needs duration" in r.stderr
    q = run(["questions", "--questionnaire", "q.yaml"])
    assert q.exit_code == 1 and "question speed" in q.stderr


def _complete(profile, draw):
    p = dict(profile)
    p.setdefault("sex", draw(st.sampled_from(["F", "M", "X"])))
    p.setdefault("age", draw(st.integers(18, 70)))
    p.setdefault("background", draw(st.lists(st.sampled_from(["skimo", "road", "other"]), min_size=1, max_size=2, unique=True)))
    return consistent(p)  # the age drawn here must fit the Zegama finishes drawn before


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_saved_profile_gives_the_report_the_interview_printed(cwd, data):
    answers = _complete(data.draw(profiles()), data.draw)
    path = cwd / "answers.json"
    path.write_text(json.dumps(answers, default=str))
    out = cwd / "saved.yaml"
    r = run(["interview", "--no-input", "--answers", str(path), "--save", str(out), "--format", "json",
             "--as-of", AS_OF])
    assert r.exit_code == 0, r.output
    assert r.stdout == assess_out(out, "--format", "json")
    # and the same as assessing the answers themselves: nothing was lost or invented on the way
    assert r.stdout == assess_out(path, "--format", "json")
    # at the terminal: Enter to every question left (skip, or take the default) and at the review
    typed = cwd / "typed.yaml"
    t = run(["interview", "--interactive", "--answers", str(path), "--save", str(typed), "--as-of", AS_OF],
            [""] * 60)
    if answers.get("age") is not None and int(answers["age"]) < 18:
        # At the terminal an age under the race's minimum is asked again (a file keeps it).
        assert "below the race's minimum age of 18" in t.output and t.exit_code == 1
        return
    assert t.exit_code == 0, t.output
    assert assess_out(typed) in t.stdout


# --------------------------------------------------------------------------- zegama questions

def test_questions_json_and_yaml_agree():
    j = run(["questions", "--format", "json"])
    y = run(["questions", "--format", "yaml"])
    assert j.exit_code == 0 and y.exit_code == 0
    data = json.loads(j.stdout)
    assert data == yaml.safe_load(y.stdout)
    qs = {q["id"]: q for s in data["sections"] for q in s["questions"]}
    assert qs["vk_time"]["type"] == "duration" and qs["vk_time"]["min"] == "25:00" and qs["vk_time"]["max"] == "4:00:00"
    assert qs["age"]["unit"] == "years" and qs["age"]["min"] == 10
    assert qs["max_hr"]["ask_if"] == {"field": "has_hr_monitor", "eq": True}
    assert qs["has_hr_monitor"]["field"] is None
    assert [c["value"] for c in qs["sex"]["choices"]] == ["F", "M", "X"]
    races = next(s for s in data["sections"] if s.get("repeat"))
    assert races["repeat"]["field"] == "races" and races["repeat"]["more_prompt"] == "Add another race?"


def test_questions_markdown_lists_every_question():
    r = run(["questions"])
    assert r.exit_code == 0
    data = json.loads(run(["questions", "--format", "json"]).stdout)
    for i, s in enumerate(data["sections"], 1):
        assert f"## {i}. {s['title']}\n" in r.stdout
        for q in s["questions"]:
            assert f"**{q['prompt']}**" in r.stdout
    assert "asked if has_hr_monitor is true" in r.stdout
    quick = run(["questions", "--questionnaire", "quick"])
    assert quick.stdout.startswith("# Zegama quick check")


def test_prefilled_interview_never_overwrites_the_default_file(cwd):
    (cwd / "zegama-profile.yaml").write_text("runner_id: old\n")
    (cwd / "a.yaml").write_text("runner_id: new\nsex: F\nage: 30\nbackground: [road]\n")
    r = run(["interview", "--interactive", "--answers", "a.yaml", "--as-of", AS_OF], [""] * 60)
    assert r.exit_code == 0, r.output
    assert "saved after every question in zegama-profile-2.yaml" in r.stdout
    assert (cwd / "zegama-profile.yaml").read_text() == "runner_id: old\n"
    assert yaml.safe_load((cwd / "zegama-profile-2.yaml").read_text())["runner_id"] == "new"


def test_a_json_profile_is_saved_as_json(cwd):
    (cwd / "a.yaml").write_text("runner_id: j\nsex: M\nage: 40\nbackground: [track]\nvk_time: '50:00'\n")
    r = run(["interview", "--no-input", "--answers", "a.yaml", "--save", "j.json", "--as-of", AS_OF])
    assert r.exit_code == 0, r.output
    saved = json.loads((cwd / "j.json").read_text())
    assert saved["vk_time"] == "50:00" and saved["goal"] == "compete"
    assert progress_path(cwd / "j.json").name == "j.interview.yaml"
    assert r.stdout == assess_out(cwd / "j.json")


def test_an_imported_profile_pre_fills_the_interview_and_keeps_where_its_values_came_from(tmp_path):
    """zegama import's profile as --answers: accepted with its from_activities, which the saved
    profile keeps for the values still as imported and drops for one the runner changed."""
    from assessment.interview.questionnaire import load_questionnaire
    from assessment.interview.session import Interview

    imported = {"runner_id": "ane", "sex": "F", "age": 34, "goal": "compete", "background": ["road"],
                "weekly_km": 22.0, "longest_run_time": "55:00",
                "from_activities": {"weekly_km": "Aizkorri ridge (2026-11-20); the mean of the 8 weeks",
                                    "longest_run_time": "Aizkorri ridge (2026-11-20); the longest activity"}}
    answers = tmp_path / "imported.yaml"
    answers.write_text(yaml.safe_dump(imported))
    out = tmp_path / "ane.yaml"
    r = CliRunner().invoke(main, ["interview", "--questionnaire", "quick", "--answers", str(answers), "--no-input",
                                  "--save", str(out), "--as-of", "2026-11-25", "--format", "json"])
    assert r.exit_code == 0, r.output
    saved = yaml.safe_load(out.read_text())
    assert set(saved["from_activities"]) == {"weekly_km", "longest_run_time"}
    report = json.loads(r.stdout)
    assert any(e.get("source", "").startswith("activity files: Aizkorri ridge") for f in report["findings"]
               for e in f["evidence"] if e["field"] == "weekly_km")
    # the runner corrects one value: it is theirs now, the other still the files'
    iv = Interview(load_questionnaire("quick"))
    assert not iv.prefill(imported)
    assert not iv.prefill({"weekly_km": 40})
    assert set(iv.profile_data()["from_activities"]) == {"longest_run_time"}
    assert iv.prefill({"from_activities": ["not", "a", "map"]}) == [("from_activities", "expected a mapping of field to text")]
