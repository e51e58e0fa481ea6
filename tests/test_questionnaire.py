"""The questionnaire files, their loader, and the interview engine driven by a scripted answerer."""

import copy
import math
import datetime as dt
import re

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from assessment.interview.answers import parse_value
from assessment.pipeline import assess
from assessment.rules.checks import profile_problems
from assessment.rules.facts import RACE_FIELDS as RACE_FACT_FIELDS, RUNNER_DERIVED
from assessment.interview.session import (
    AnswerError,
    Interview,
    InterviewState,
    ScriptedAsker,
    progress_path,
    read_progress,
    resume_state,
    save_interview,
)
from assessment.model.profile import PROFILE_FIELDS, RACE_FIELDS, load_profile
from assessment.interview.questionnaire import QuestionnaireError, load_questionnaire, parse_questionnaire
from tests.conftest import ROOT

AS_OF = dt.date(2026, 1, 10)


@pytest.fixture(scope="module")
def full():
    return load_questionnaire("zegama")


@pytest.fixture(scope="module")
def quick():
    return load_questionnaire("quick")


# --------------------------------------------------------------------------- coverage of the rules

#: Derived runner facts -> the profile fields they are computed from (see assessment/facts.py).
RUNNER_INPUTS = {
    "vk_vam": {"vk_time"},
    "vertical_w_per_kg": {"vk_time"},
    "aet_ant_gap_pct": {"aet_hr", "threshold_hr"},
    "squat_relative": {"squat_1rm_kg", "body_mass_kg"},
    "weekly_dplus_per_km": {"weekly_dplus_m", "weekly_km"},
    "weeks_to_race": set(),  # from the assessment date
    "phase": set(),
    "age_band": {"age"},
    "races_count": {"races"},
    "recent_races": {"races"},
    "recent_short_mountain_races": {"races"},
    "recent_steep_short_races": {"races"},
    "recent_dnfs": {"races"},
    "zegama_dnfs": {"races"},
    "threshold_share_of_max": {"threshold_hr", "max_hr"},
    "tickets": {"unsuccessful_draws"},
    "goal_time_given": {"goal_time"},
    "ss_arrival_min": {"goal", "sex", "goal_time"},
    "ss_spare_min": {"goal", "sex", "goal_time"},
    **{name: {"races", "vk_time", "uphill_test_vam", "sex"}
       for name in ("estimate_min", "estimate_ss_arrival_min", "estimate_ss_pass")},
    "zegama_like_background": {"background", "races"},
    "road_only": {"background"},
    "ultra_only": {"background", "races"},
    "ultra_only_history": {"races"},
    **{name: {"background"} for name in RUNNER_DERIVED if name.startswith("bg_")},
}

#: Derived race facts -> the race fields they are computed from.
RACE_INPUTS = {
    "idx": set(),
    "percentile": {"position", "finishers", "position_sex", "finishers_sex"},
    "percentile_basis": {"position", "position_sex", "finishers_sex"},
    "zegama": {"race", "distance_km"},
    "previous_edition": {"date"},
    "dnf": {"status"},
    "relative_to_winner": {"time", "winner_time"},
    "km_effort": {"distance_km", "dplus_m"},
    "dplus_per_km": {"distance_km", "dplus_m"},
    "season": {"date"},
    "recent": {"date"},
    "recognised_circuit": {"circuit"},
    "short_medium": {"distance_km", "dplus_m"},
    "steep": {"distance_km", "dplus_m"},
    "mountain": {"distance_km", "dplus_m"},
    "ultra": {"distance_km", "dplus_m"},
    "finished": {"status"},
    "after_as_of": {"date"},
}


def _inputs_read_by_rules(rb):
    runner, race = set(), set()
    for cr in rb.rules.values():
        for name in cr.fields:
            if cr.rule.fact == "runner":
                if name in PROFILE_FIELDS:
                    runner.add(name)
                elif name.startswith("target_"):
                    runner |= {"goal", "sex", "age", "goal_time"}
                else:
                    assert name in RUNNER_INPUTS, f"{cr.id} reads {name}: map it to the profile fields it comes from"
                    runner |= RUNNER_INPUTS[name]
            else:
                # race facts, and facts asserted from them (which copy race fields)
                if name in RACE_FIELDS:
                    race.add(name)
                else:
                    assert name in RACE_INPUTS, f"{cr.id} reads {name}: map it to the race fields it comes from"
                    race |= RACE_INPUTS[name]
        if cr.params:
            runner |= {"goal", "sex", "age", "goal_time"}  # targets follow goal, sex, age band and the goal time
    return runner, race


def test_every_field_the_rules_use_is_asked(rb, full):
    runner, race = _inputs_read_by_rules(rb)
    assert "vk_time" in runner and "position" in race  # the mapping found real fields
    top, race_asked = full.fields_asked()
    has_races = any(s.repeat is not None and s.repeat.field == "races" for s in full.sections)
    top_plus = top | ({"races"} if has_races else set())
    assert sorted(runner - top_plus) == []
    assert sorted(race - race_asked) == []


def test_the_full_questionnaire_asks_every_profile_field(full):
    top, race = full.fields_asked()
    assert set(PROFILE_FIELDS) - top == set()
    assert set(RACE_FIELDS) - race == set()


def test_every_derived_field_is_mapped():
    assert set(RUNNER_DERIVED) <= set(RUNNER_INPUTS)
    derived_race = set(RACE_FACT_FIELDS) - set(RACE_FIELDS)
    assert derived_race <= set(RACE_INPUTS)


def test_quick_is_a_subset_that_still_reaches_the_key_fields(full, quick):
    qtop, qrace = quick.fields_asked()
    ftop, frace = full.fields_asked()
    assert qtop <= ftop and qrace <= frace
    assert {"runner_id", "sex", "age", "goal", "vk_time", "flat_10k_time"} <= qtop
    assert len(list(quick.questions())) < len(list(full.questions())) / 2


# --------------------------------------------------------------------------- loader checks

MINIMAL = {
    "schema_version": 1,
    "id": "t",
    "title": "T",
    "sections": [
        {
            "id": "s",
            "title": "S",
            "questions": [
                {"id": "runner_id", "field": "runner_id", "prompt": "Id", "type": "text"},
                {"id": "poles", "field": "uses_poles", "prompt": "Poles?", "type": "yes_no"},
                {"id": "age", "field": "age", "prompt": "Age", "type": "integer"},
            ],
        }
    ],
}


def _mutate(path, value):
    doc = copy.deepcopy(MINIMAL)
    target = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return doc


def test_minimal_questionnaire_loads():
    q = parse_questionnaire(copy.deepcopy(MINIMAL))
    assert [x.id for x in q.questions()] == ["runner_id", "poles", "age"]
    assert q.question("age").min == 10 and q.question("age").max == 100  # from the profile model


@pytest.mark.parametrize(
    "path, value, where, words",
    [
        (["sections", 0, "questions", 2, "typ"], "x", "question age", "unknown key 'typ'"),
        (["sections", 0, "questions", 2, "type"], "number", "question age", "unknown type 'number'"),
        (["sections", 0, "questions", 2, "type"], "duration", "question age", "does not fit field age"),
        (["sections", 0, "questions", 2, "field"], "agee", "question age", "unknown profile field 'agee'"),
        (["sections", 0, "questions", 2, "ask_if"], {"field": "poles", "eqq": True}, "question age", "unknown operator"),
        (["sections", 0, "questions", 2, "ask_if"], {"field": "later", "eq": 1}, "question age", "not answered by an earlier question"),
        (["sections", 0, "questions", 2, "ask_if"], {"field": "uses_poles", "eq": "often"}, "question age", "compare it with true or false"),
        (["sections", 0, "questions", 2, "ask_if"], {"field": "uses_poles", "eq": {"param": "x"}}, "question age", "cannot use {param"),
        (["sections", 0, "questions", 2, "ask_if"], "uses_poles == True", "question age", "must be a mapping"),
        (["sections", 0, "questions", 2, "min"], 5, "question age", "below what the profile accepts"),
        (["sections", 0, "questions", 2, "default"], "old", "question age", "default 'old' is not a valid answer"),
        (["sections", 0, "questions", 1, "id"], "age", "question age", "duplicate question id"),
        (["sections", 0, "questions", 1, "choices"], [{"value": "a", "label": "A"}], "question poles", "choices are only for"),
        (["sections", 0, "questions", 0, "optional"], True, "question runner_id", "cannot be optional"),
    ],
)
def test_loader_names_the_question_and_the_problem(path, value, where, words):
    with pytest.raises(QuestionnaireError) as exc:
        parse_questionnaire(_mutate(path, value), "t.yaml")
    assert any(w == where and words in m for w, m in exc.value.problems), exc.value.problems
    assert where in str(exc.value) and "t.yaml" in str(exc.value)


def test_loader_checks_choice_values_against_the_profile():
    doc = copy.deepcopy(MINIMAL)
    doc["sections"][0]["questions"].append(
        {"id": "sex", "field": "sex", "prompt": "Sex", "type": "choice",
         "choices": [{"value": "F", "label": "f"}, {"value": "W", "label": "w"}]}
    )
    with pytest.raises(QuestionnaireError) as exc:
        parse_questionnaire(doc)
    assert ("question sex", "choice 'W' is not a value of sex (F, M, X)") in exc.value.problems


def test_loader_reports_every_problem_at_once():
    doc = _mutate(["sections", 0, "questions", 2, "field"], "nope")
    doc["sections"][0]["questions"][1]["type"] = "integer"
    with pytest.raises(QuestionnaireError) as exc:
        parse_questionnaire(doc)
    wheres = [w for w, _ in exc.value.problems]
    assert "question age" in wheres and "question poles" in wheres


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(QuestionnaireError, match="file not found"):
        load_questionnaire(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sections: [\n")
    with pytest.raises(QuestionnaireError, match="not valid YAML"):
        load_questionnaire(bad)


def test_conditions_are_data_not_code(tmp_path):
    doc = _mutate(["sections", 0, "questions", 2, "ask_if"], {"field": "__import__('os')", "eq": 1})
    with pytest.raises(QuestionnaireError):
        parse_questionnaire(doc)


# --------------------------------------------------------------------------- answers as typed

@pytest.mark.parametrize(
    "qid, typed, value",
    [
        ("body_mass_kg", "58,5", 58.5),
        ("body_mass_kg", "58.5", 58.5),
        ("vk_time", "45:30", "45:30"),
        ("vk_time", "0:45:30", "45:30"),
        ("vk_time", "45'30", "45:30"),
        ("vk_time", "1:02:03", "1:02:03"),
        ("sex", "2", "M"),
        ("sex", "m", "M"),
        ("sex", "men's", "M"),
        ("background", "2, 5", ["skimo", "short_mountain"]),
        ("background", "1 3", ["cross_country", "road"]),
        ("background", "skimo; road running", ["skimo", "road"]),
        ("uses_poles", "sí", True),
        ("uses_poles", "ez", False),
        ("downhill_confidence", "4", 4),
    ],
)
def test_typed_answers(full, qid, typed, value):
    assert parse_value(full.question(qid), typed) == value


@pytest.mark.parametrize(
    "qid, typed, reason",
    [
        ("age", "4.5", "whole number"),
        ("age", "5", "outside the plausible range 10 to 100"),
        ("vk_time", "5:00", "outside the plausible range 25:00 to 4:00:00"),
        ("vk_time", "fast", "expected a duration"),
        ("sex", "4", "type a number from 1 to 3"),
        ("downhill_confidence", "6", "outside the plausible range 1 to 5"),
        ("race_date", "31/02/2025", "not a real date"),
        ("race_date", "May 2025", "YYYY-MM-DD"),
    ],
)
def test_refused_answers_say_why(full, qid, typed, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_value(full.question(qid), typed)


# --------------------------------------------------------------------------- whole interviews

BASE_ANSWERS = {
    "runner_id": "ana", "name": "Ana", "sex": "1", "age": "31", "body_mass_kg": "58,5", "goal": "", "goal_time": "",
    "background": "2", "vk_time": "48:00", "uphill_test_vam": "?", "flat_10k_time": "45:30",
    "has_hr_monitor": "no", "squat_1rm_kg": "idk", "single_leg_calf_raises": "25", "cmj_cm": "-",
    "downhill_confidence": "3", "weekly_km": "60", "weekly_dplus_m": "3000", "strength_sessions_per_week": "2",
    "uphill_sessions_per_week": "1", "downhill_sessions_per_week": "1", "longest_climb_m": "900",
    "longest_run_time": "3:10:00",
    "uses_poles": "yes", "+races": "no", "zegama_finishes": "", "zegama_resident": "", "unsuccessful_draws": "",
    "national_selection": "",
    "elite_invite": "", "sponsor_entry": "", "has_index": "", "crowd_composure": "4",
    "pacing_discipline": "3", "bad_weather_comfort": "2",
}


def test_a_whole_interview_gives_the_profile(full):
    asker = ScriptedAsker(dict(BASE_ANSWERS))
    iv = Interview(full)
    iv.run(asker)
    p = iv.profile_data()
    assert p["runner_id"] == "ana" and p["sex"] == "F" and p["goal"] == "compete"
    assert p["body_mass_kg"] == 58.5 and p["vk_time"] == "48:00" and p["flat_10k_time"] == "45:30"
    assert "uphill_test_vam" not in p and "squat_1rm_kg" not in p and "cmj_cm" not in p
    assert iv.state.marks == {"uphill_test_vam": "unknown", "squat_1rm_kg": "unknown", "cmj_cm": "skipped",
                              "goal_time": "skipped"}
    # no heart-rate monitor: the heart-rate questions were never asked
    assert not {"max_hr", "threshold_hr", "aet_hr"} & set(asker.asked())
    assert iv.next_slot() is None
    assert load_profile(p).zegama_finishes == 0


def test_invalid_answers_are_asked_again_with_the_reason(full):
    answers = dict(BASE_ANSWERS, age=["twelve", "5", "31"], sex=["womn", "F"], runner_id=["", "ana"])
    asker = ScriptedAsker(answers)
    iv = Interview(full)
    iv.run(asker)
    text = "\n".join(asker.transcript)
    assert "Not accepted: expected a number, got 'twelve'" in text
    assert "Not accepted: 5 is outside the plausible range 10 to 100 years" in text
    assert "Not accepted: 'womn' is not one of the choices" in text
    assert "Not accepted: an answer is needed here" in text
    assert asker.asked().count("age") == 3
    assert iv.profile_data()["age"] == 31


def test_cross_field_checks_are_asked_again(full):
    answers = dict(BASE_ANSWERS, has_hr_monitor="yes", max_hr="190", threshold_hr="175", aet_hr=["180", "150"])
    asker = ScriptedAsker(answers)
    iv = Interview(full)
    iv.run(asker)
    assert "aerobic threshold heart rate (180) must be below threshold heart rate (175)" in "\n".join(asker.transcript)
    assert iv.profile_data()["aet_hr"] == 150


def test_the_zegama_finishes_default_counts_the_zegama_finishes_the_races_list(full):
    zegama = {"races[1].race": "Zegama-Aizkorri", "races[1].date": "2024-05-19", "races[1].distance_km": "42",
              "races[1].dplus_m": "2736", "races[1].circuit": "", "races[1].status": "",
              "races[1].position": "", "races[1].finishers": "", "races[1].position_sex": "",
              "races[1].time": "6:10:00", "races[1].winner_time": ""}
    answers = {**BASE_ANSWERS, **zegama, "+races": ["yes", "no"], "every_edition_finisher": ""}
    asker = ScriptedAsker(answers)
    iv = Interview(full)
    iv.run(asker)
    text = "\n".join(asker.transcript)
    assert "How many times have you finished Zegama? [1]" in text  # not the static [0] it would refuse
    assert "Not accepted" not in text
    assert iv.profile_data()["zegama_finishes"] == 1
    # without a Zegama among the races, the questionnaire's own default stands
    plain = Interview(full)
    plain.run(ScriptedAsker(dict(BASE_ANSWERS)))
    assert plain.profile_data()["zegama_finishes"] == 0


def test_default_from_names_a_known_derived_value():
    doc = _mutate(["sections", 0, "questions", 2, "default_from"], "age_in_dog_years")
    with pytest.raises(QuestionnaireError) as exc:
        parse_questionnaire(doc, "t.yaml")
    assert any(w == "question age" and "default_from 'age_in_dog_years' is not one of" in m
               for w, m in exc.value.problems), exc.value.problems


def test_help_is_shown_on_request(full):
    asker = ScriptedAsker(dict(BASE_ANSWERS, vk_time=["help", "48:00"]))
    Interview(full).run(asker)
    assert any("vertical kilometre is about 1,000 m" in line for line in asker.transcript)


def test_required_questions_cannot_be_skipped(full):
    asker = ScriptedAsker(dict(BASE_ANSWERS, sex=["-", "?", "2"]))
    iv = Interview(full)
    iv.run(asker)
    text = "\n".join(asker.transcript)
    assert "this question cannot be skipped" in text and "this question needs an answer" in text
    assert iv.profile_data()["sex"] == "M"


RACE_1 = {"races[1].race": "Zumaia", "races[1].date": "20/09/2025", "races[1].distance_km": "23",
          "races[1].dplus_m": "1800", "races[1].circuit": "3", "races[1].status": "",
          "races[1].position": "15", "races[1].finishers": "300", "races[1].position_sex": "",
          "races[1].time": "2:40:00",
          "races[1].winner_time": "2:10:00"}
RACE_2 = {"races[2].race": "Ehunmilak", "races[2].date": "2025-07-10", "races[2].distance_km": "88",
          "races[2].dplus_m": "5500", "races[2].circuit": "", "races[2].status": "dnf"}


def test_race_history_is_a_repeatable_group(full):
    answers = dict(BASE_ANSWERS, **RACE_1, **RACE_2)
    answers["+races"] = ["yes", "yes", "no"]
    asker = ScriptedAsker(answers)
    iv = Interview(full)
    iv.run(asker)
    races = iv.profile_data()["races"]
    assert [r["race"] for r in races] == ["Zumaia", "Ehunmilak"]
    assert races[0] == {"race": "Zumaia", "date": "2025-09-20", "distance_km": 23.0, "dplus_m": 1800.0,
                        "circuit": "national_championship", "position": 15, "finishers": 300,
                        "time": "2:40:00", "winner_time": "2:10:00", "status": "finished"}
    # a DNF: no position, finishers or time asked
    assert races[1]["status"] == "dnf" and "position" not in races[1]
    assert not any(k.startswith("races[2].") and k.endswith(("position", "time")) for k in asker.asked())
    assert asker.asked().count("+races") == 3
    prompts = [p.text for p in asker.prompts if p.key == "+races"]
    assert prompts[0].startswith("Do you have a race result to add?") and prompts[1].startswith("Add another race?")


def test_race_group_stops_at_its_maximum(quick):
    answers = {"runner_id": "a", "sex": "F", "age": "30", "goal": "", "background": "1", "vk_time": "?",
               "flat_10k_time": "?", "downhill_confidence": "?", "weekly_km": "-", "weekly_dplus_m": "-",
               "strength_sessions_per_week": "-", "+races": "yes"}
    for i in range(1, 11):
        answers.update({f"races[{i}].race": f"R{i}", f"races[{i}].date": "2025-05-01",
                        f"races[{i}].distance_km": "20", f"races[{i}].dplus_m": "1000",
                        f"races[{i}].circuit": "", f"races[{i}].position": "?"})
    iv = Interview(quick)
    iv.run(ScriptedAsker(answers))
    assert len(iv.profile_data()["races"]) == 10  # max_items of the quick questionnaire


def test_every_saved_state_is_a_valid_profile(full):
    snapshots = []
    answers = dict(BASE_ANSWERS, **RACE_1, has_hr_monitor="yes", max_hr="190", threshold_hr="?", aet_hr="150")
    answers["+races"] = ["yes", "no"]
    iv = Interview(full, on_change=lambda st: snapshots.append(copy.deepcopy(st)))
    iv.run(ScriptedAsker(answers))
    assert len(snapshots) >= 40
    for snap in snapshots:
        data = iv.profile_data(snap)
        if "runner_id" in data:
            load_profile(data)
    # each answer was saved the moment it was given
    assert [s.values.get("runner_id") for s in snapshots[:1]] == ["ana"]


# --------------------------------------------------------------------------- review

def _finished(full, extra=None):
    answers = {**BASE_ANSWERS, **RACE_1, **(extra or {})}
    answers["+races"] = ["yes", "no"]
    iv = Interview(full)
    iv.run(ScriptedAsker(answers))
    return iv


def _number(iv, key):
    return str([s.key for s in iv.review_items()].index(key) + 1)


def test_review_lists_every_answer_and_changes_one_by_number(full):
    iv = _finished(full)
    lines = [iv.review_line(s) for s in iv.review_items()]
    assert "Vertical-km time: 48:00" in lines and "Uphill test climbing rate: don't know" in lines
    assert "Countermovement jump: skipped" in lines and "Race 1 - Circuit: national championship (national_championship)" in lines
    asker = ScriptedAsker({"@review": [_number(iv, "vk_time"), ""], "vk_time": "44:10"})
    iv.review(asker)
    assert iv.profile_data()["vk_time"] == "44:10"
    assert " 1. Profile id: ana" in asker.transcript


def test_review_edit_keeps_the_value_on_enter_and_accepts_dont_know(full):
    iv = _finished(full)
    asker = ScriptedAsker({"@review": [_number(iv, "age"), _number(iv, "vk_time"), ""], "age": "", "vk_time": "?"})
    iv.review(asker)
    assert iv.profile_data()["age"] == 31
    assert "vk_time" not in iv.profile_data() and iv.state.marks["vk_time"] == "unknown"
    assert [p.text for p in asker.prompts if p.key == "age"] == ["Your age on race day (years) [31]: "]


def test_review_edit_that_hides_questions_forgets_their_answers(full):
    iv = _finished(full)
    assert iv.profile_data()["races"][0]["position"] == 15
    asker = ScriptedAsker({"@review": [_number(iv, "races[1].status"), ""], "races[1].status": "dnf"})
    iv.review(asker)
    race = iv.profile_data()["races"][0]
    assert race["status"] == "dnf"
    assert not {"position", "finishers", "time", "winner_time"} & set(race)
    load_profile(iv.profile_data())


def test_review_edit_that_opens_questions_asks_them(full):
    iv = _finished(full)
    asker = ScriptedAsker({"@review": [_number(iv, "has_hr_monitor"), ""], "has_hr_monitor": "yes",
                           "max_hr": "188", "threshold_hr": "170", "aet_hr": "?"})
    iv.review(asker)
    assert iv.profile_data()["max_hr"] == 188 and iv.profile_data()["threshold_hr"] == 170
    assert iv.state.marks["aet_hr"] == "unknown"


def test_review_adds_and_removes_races(full):
    iv = _finished(full, {"races[1].winner_time": "?"})
    assert iv.state.marks["races[1].winner_time"] == "unknown"
    asker = ScriptedAsker({"@review": ["add race", "remove race 1", "remove race 9", "nonsense", ""], **RACE_2})
    iv.review(asker)
    races = iv.profile_data()["races"]
    assert [r["race"] for r in races] == ["Ehunmilak"]
    assert "races[1].winner_time" not in iv.state.marks  # the removed race's marks went with it
    text = "\n".join(asker.transcript)
    assert "There is no race 9." in text and "Type a number from 1 to" in text


# --------------------------------------------------------------------------- without a person

def test_missing_required_lists_every_missing_answer(full):
    iv = Interview(full)
    problems = iv.prefill({"name": "Ana", "races": [{"race": "X", "distance_km": 20}]})
    assert problems == []
    iv.fill_defaults()
    assert iv.missing_required() == ["runner_id", "sex", "age", "background", "races[1].date", "races[1].dplus_m"]
    assert iv.profile_data()["goal"] == "compete"  # a required question with a default
    assert iv.profile_data()["races"][0]["status"] == "finished"


def test_prefill_asks_only_what_is_missing(full):
    iv = Interview(full)
    given_ = {"runner_id": "ana", "sex": "F", "age": 31, "vk_time": "48:00", "uphill_test_vam": None,
              "background": "skimo, road", "has_hr_monitor": False}
    assert iv.prefill(given_) == []
    asker = ScriptedAsker(lambda p: "" if p.key != "+races" else "no")
    iv.run(asker)
    asked = asker.asked()
    assert not {"runner_id", "sex", "age", "vk_time", "uphill_test_vam", "background", "has_hr_monitor", "max_hr"} & set(asked)
    assert asked[:2] == ["name", "body_mass_kg"]
    assert iv.profile_data()["background"] == ["skimo", "road"]
    assert iv.state.marks["uphill_test_vam"] == "unknown"


def test_prefill_refuses_bad_values_and_unknown_keys_and_asks_them(full):
    iv = Interview(full)
    problems = iv.prefill({"runner_id": "a", "age": 5, "aet_hr": 180, "threshold_hr": 170, "colour": "red",
                           "races": [{"race": "R", "position": 50, "finishers": 10}]})
    fields = [f for f, _ in problems]
    assert "age" in fields and "colour" in fields and "races[1]" in fields
    assert any("aet_hr (180) must be below threshold_hr (170)" in m for _, m in problems)
    data = iv.profile_data()
    assert "age" not in data and "aet_hr" not in data and "position" not in data["races"][0]
    load_profile(data)


# --------------------------------------------------------------------------- saving and resuming

def test_interrupted_interview_resumes_where_it_stopped(full, tmp_path):
    target = tmp_path / "ana.yaml"
    answers = dict(BASE_ANSWERS)
    calls = []

    def script(prompt):
        calls.append(prompt.key)
        if prompt.key == "weekly_km":
            raise KeyboardInterrupt  # Ctrl-C at the first training question
        return answers[prompt.key]

    iv = Interview(full)
    iv.on_change = lambda st: save_interview(target, iv, "zegama")
    with pytest.raises(KeyboardInterrupt):
        iv.run(ScriptedAsker(script))
    saved = yaml.safe_load(target.read_text())
    assert saved["vk_time"] == "48:00" and saved["downhill_confidence"] == 3 and "weekly_km" not in saved
    load_profile(saved)  # the partial profile is a valid profile
    progress = read_progress(target)
    assert progress["unknown"] == ["squat_1rm_kg", "uphill_test_vam"] and progress["skipped"] == ["cmj_cm", "goal_time"]
    assert progress["answers"] == {"has_hr_monitor": False} and progress["complete"] is False
    assert progress_path(target).name == "ana.interview.yaml"

    again = Interview(full)
    assert resume_state(again, yaml.safe_load(target.read_text()), progress) == []
    asker = ScriptedAsker(dict(answers))
    again.run(asker)
    assert asker.asked()[0] == "weekly_km"  # nothing before it is asked again
    assert again.profile_data()["weekly_km"] == 60.0
    fresh = Interview(full)
    fresh.run(ScriptedAsker(dict(answers)))
    assert again.profile_data() == fresh.profile_data()


def test_a_profile_edited_by_hand_loses_nothing_valid(full, tmp_path):
    target = tmp_path / "p.yaml"
    target.write_text("runner_id: a\nsex: F\nage: 300\nvk_time: '50:00'\n")
    iv = Interview(full)
    problems = resume_state(iv, yaml.safe_load(target.read_text()), None)
    assert [f for f, _ in problems] == ["age"]
    assert iv.profile_data() == {"runner_id": "a", "sex": "F", "vk_time": "50:00"}
    assert iv.next_slot().key == "name"


# --------------------------------------------------------------------------- properties

def _candidates(q):
    """Typed lines for a question: valid, out of range, malformed and the special words."""
    specials = st.sampled_from(["", "?", "-", "help", "skip", "idk"])
    if q.type == "text":
        typed = st.text(alphabet="abcxyz -_é", min_size=0, max_size=12)
    elif q.type in ("choice", "multi_choice"):
        names = [str(c.value) for c in q.choices] + [c.label for c in q.choices]
        typed = st.one_of(st.integers(0, len(q.choices) + 1).map(str), st.sampled_from(names),
                          st.lists(st.integers(1, len(q.choices)), min_size=1, max_size=3).map(lambda xs: ",".join(map(str, xs))))
    elif q.type == "yes_no":
        typed = st.sampled_from(["yes", "no", "y", "n", "sí", "bai", "ez", "maybe"])
    elif q.type == "date":
        typed = st.one_of(st.dates(dt.date(2020, 1, 1), dt.date(2027, 5, 1)).map(str),
                          st.dates(dt.date(2020, 1, 1), dt.date(2027, 5, 1)).map(lambda d: d.strftime("%d/%m/%Y")),
                          st.just("32/13/2025"))
    elif q.type == "duration":
        typed = st.one_of(st.integers(0, 10 * 3600).map(lambda s: f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"),
                          st.integers(0, 200).map(lambda m: f"{m}:{m % 60:02d}"), st.just("45'30"), st.just("soon"))
    else:
        lo = q.min if q.min is not None else 0
        hi = q.max if q.max is not None else 1000
        typed = st.one_of(st.integers(int(lo) - 5, int(hi) + 5).map(str),
                          st.floats(lo, hi, allow_nan=False).map(lambda x: f"{x:.1f}".replace(".", ",")),
                          st.just("lots"))
    return st.one_of(specials, typed)


@settings(max_examples=40)
@given(st.data())
def test_any_accepted_answer_sequence_gives_a_valid_profile(full, rb, data):
    tries: dict[str, int] = {}
    races = {"n": 0}

    def script(prompt):
        key = prompt.key
        tries[key] = tries.get(key, 0) + 1
        assert sum(tries.values()) < 1000, "the interview does not end"
        if key == "+races":
            races["n"] += 1
            return "yes" if races["n"] <= 2 and data.draw(st.booleans(), label=key) else "no"
        q = prompt.question
        if tries[key] > 4:  # give up on this one like a person would: a plain valid answer
            plain = {"text": "x", "choice": "1", "multi_choice": "1", "date": "2025-05-01"}
            return plain.get(q.type, "?" if q.dont_know or q.optional else str(math.ceil(q.min or 1)))
        return data.draw(_candidates(q), label=key)

    iv = Interview(full, check=lambda p: profile_problems(rb, p, AS_OF))
    iv.run(ScriptedAsker(script))
    assert iv.next_slot() is None
    profile = load_profile(iv.profile_data())
    # every answered question is in the profile as accepted, every other one is absent or marked
    for slot in iv.slots():
        q = slot.question
        if q.local:
            continue
        value = iv.value(slot)
        assert (value is not None) != (slot.key in iv.state.marks) or not iv.applies(slot)
    report = assess(profile, as_of=AS_OF, rulebase=rb)
    assert report.runner_id == profile.runner_id


@settings(max_examples=25)
@given(st.data())
def test_saving_and_resuming_at_any_point_gives_the_same_profile(full, tmp_path_factory, data):
    stop_at = data.draw(st.integers(1, 35), label="stop after")
    target = tmp_path_factory.mktemp("resume") / "p.yaml"
    answers = dict(BASE_ANSWERS, **RACE_1)
    answers["+races"] = ["yes", "no"]

    class StopAfter(ScriptedAsker):
        def ask(self, prompt):
            if len(self.prompts) >= stop_at:
                raise KeyboardInterrupt
            return super().ask(prompt)

    iv = Interview(full)
    iv.on_change = lambda st_: save_interview(target, iv, "zegama")
    try:
        iv.run(StopAfter(answers))
    except KeyboardInterrupt:
        pass
    again = Interview(full)
    if target.exists():
        resume_state(again, yaml.safe_load(target.read_text()), read_progress(target))
    remaining = dict(answers)
    remaining["+races"] = ["no"] if again.state.races else ["yes", "no"]
    again.run(ScriptedAsker(remaining))
    whole = Interview(full)
    whole.run(ScriptedAsker(dict(answers, **{"+races": ["yes", "no"]})))
    assert again.profile_data() == whole.profile_data()


def test_answer_error_leaves_the_state_unchanged(full):
    iv = _finished(full)
    before = copy.deepcopy(iv.state)
    slot = next(s for s in iv.slots() if s.key == "races[1].finishers")
    with pytest.raises(AnswerError, match="cannot be greater than finishers"):
        iv.apply(slot, iv.interpret(slot.question, "3"))
    assert iv.state == before
    assert isinstance(iv.state, InterviewState)


def test_questionnaire_files_are_in_the_repository():
    assert (ROOT / "questionnaires" / "zegama.yaml").is_file()
    assert (ROOT / "questionnaires" / "quick.yaml").is_file()


def test_section_conditions_and_local_choices():
    doc = {
        "schema_version": 1, "id": "t", "title": "T",
        "sections": [
            {"id": "a", "title": "A", "questions": [
                {"id": "runner_id", "field": "runner_id", "prompt": "Id", "type": "text"},
                {"id": "level", "prompt": "Level", "type": "choice",
                 "choices": [{"value": "new", "label": "new to trail"}, {"value": "racer", "label": "I race"}]},
            ]},
            {"id": "b", "title": "B", "ask_if": {"field": "level", "eq": "racer"}, "questions": [
                {"id": "vk", "field": "vk_time", "prompt": "VK", "type": "duration", "dont_know": True, "optional": True},
            ]},
        ],
    }
    q = parse_questionnaire(doc)
    newbie = Interview(q)
    asker = ScriptedAsker({"runner_id": "a", "level": "1"})
    newbie.run(asker)
    assert asker.asked() == ["runner_id", "level"] and newbie.state.local == {"level": "new"}
    racer = Interview(q)
    asker = ScriptedAsker({"runner_id": "a", "level": "I race", "vk_time": "40:00"})
    racer.run(asker)
    assert racer.profile_data() == {"runner_id": "a", "vk_time": "40:00"}
    bad = copy.deepcopy(doc)
    bad["sections"][1]["ask_if"] = {"field": "level", "eq": "pro"}
    with pytest.raises(QuestionnaireError) as exc:
        parse_questionnaire(bad)
    assert exc.value.problems == [("section b", "bad condition: 'pro' is not a choice of level")]
