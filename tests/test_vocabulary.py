"""Answers as people write them: one table of cases run through every way in (the API's dicts,
YAML profile files, the roster CSV, the interview), the ambiguous ones flagged or confirmed,
never read silently; headers people type; the coach's roster equal to the canonical one."""

import csv
import datetime as dt
import io
import json
import os
import sys

import pytest
import yaml

from assessment import ProfileError, load_profile
from assessment.batch.roster import (
    RACE_COLUMNS,
    ROSTER_COLUMNS,
    TREATED_AS_MISSING,
    build_profile,
    open_table,
    read_races,
    read_roster,
)
from assessment.batch.run import run_batch
from assessment.interview.answers import parse_value
from assessment.interview.questionnaire import builtin_ref, load_questionnaire
from assessment.interview.session import Interview
from assessment.model.io import InputError, parse_document
from assessment.model.vocabulary import ENUMS, HEADERS, canonical, fold, header_field
from tests.conftest import EXAMPLES, ROOT

AS_OF = "2026-12-01"

#: (field, as written, what it means). ``races.X`` is a field of a race result.
CASES = [
    ("sex", "Mujer", "F"), ("sex", "mujer", "F"), ("sex", "H", "M"), ("sex", "hombre", "M"),
    ("sex", "emakumea", "F"), ("sex", "gizona", "M"), ("sex", "Female", "F"), ("sex", "women's", "F"),
    ("sex", "M", "M"), ("sex", "f", "F"),
    ("goal", "terminar", "finish"), ("goal", "Competir", "compete"), ("goal", "podio", "podium"),
    ("goal", "FINISH", "finish"),
    ("background", "cross-country", ["cross_country"]), ("background", "cross country", ["cross_country"]),
    ("background", "XC", ["cross_country"]), ("background", "Ski Mountaineering", ["skimo"]),
    ("background", "esquí de montaña", ["skimo"]), ("background", "road_vertical", ["road_vertical"]),
    ("races.circuit", "Golden Trail Series", "golden_trail_series"),
    ("races.circuit", "GTWS", "golden_trail_series"),
    ("races.circuit", "Skyrunner World Series", "skyrunner_world_series"),
    ("races.circuit", "SWS", "skyrunner_world_series"),
    ("races.circuit", "campeonato nacional", "national_championship"),
    ("races.circuit", "Campeonato de España", "national_championship"),
    ("races.status", "DNF", "dnf"), ("races.status", "abandono", "dnf"), ("races.status", "retirado", "dnf"),
    ("races.status", "terminado", "finished"), ("races.status", "did not start", "dns"),
    ("uses_poles", "sí", True), ("uses_poles", "bai", True), ("uses_poles", "ez", False),
    ("uses_poles", "no", False),
    ("vk_time", "45:30", 45.5), ("vk_time", "45'30\"", 45.5), ("vk_time", "45 min", 45.0),
    ("vk_time", "1h05'", 65.0), ("flat_10k_time", "41:10", 41 + 10 / 60),
    ("races.time", "5h21", 321.0), ("races.time", "5h21m", 321.0), ("races.time", "5:21:00", 321.0),
    ("weekly_km", "68,5", 68.5), ("races.distance_km", "21.097", 21.097),
]
#: Written so that two readings are possible: never read silently.
AMBIGUOUS = [
    ("flat_10k_time", "41.10", ("41:10", "41:06")),
    ("vk_time", "45.30", ("45:30", "45:18")),
    ("races.dplus_m", "2.600", ("2600", "2.6")),
]
RACE = {"race": "Test race", "date": "2026-06-01", "distance_km": 30, "dplus_m": 1800, "time": "3:30:00"}


def _profile(field, value):
    if field.startswith("races."):
        return {"runner_id": "t", "races": [{**RACE, field[6:]: value}]}
    return {"runner_id": "t", field: value}


def _read(p, field):
    return getattr(p.races[0], field[6:]) if field.startswith("races.") else getattr(p, field)


def _yaml_scalar(text):
    return json.dumps(text, ensure_ascii=False) if any(c in text for c in "'\":#") else text


@pytest.mark.parametrize("field, written, meant", CASES)
def test_a_dict_profile_reads_it(field, written, meant):
    assert _read(load_profile(_profile(field, written)), field) == pytest.approx(meant) if isinstance(meant, float) \
        else _read(load_profile(_profile(field, written)), field) == meant


@pytest.mark.parametrize("field, written, meant", CASES)
def test_a_yaml_profile_file_reads_it(field, written, meant):
    if field.startswith("races."):
        race = {**RACE, field[6:]: written}
        items = ", ".join(f"{k}: {_yaml_scalar(str(v))}" for k, v in race.items())
        text = f"runner_id: t\nraces:\n  - {{{items}}}\n"
    else:
        text = f"runner_id: t\n{field}: {_yaml_scalar(written)}\n"
    got = _read(load_profile(parse_document(text)), field)
    assert got == pytest.approx(meant) if isinstance(meant, float) else got == meant


def _roster_profile(tmp_path, field, written):
    """A one-row roster (and races file for race fields), read as the batch reads it."""
    roster = tmp_path / "roster.csv"
    races = tmp_path / "races.csv"
    if field.startswith("races."):
        roster.write_text("runner_id\nt\n", encoding="utf-8")
        race = {"runner_id": "t", **RACE, field[6:]: written}
        with races.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(race)
            w.writerow(race.values())
        rows = list(read_races(open_table(races, RACE_COLUMNS, kind="races file")))
        row = next(read_roster(open_table(roster, ROSTER_COLUMNS)))
        return row, build_profile(row, [r.race for r in rows if r.race is not None]), rows
    with roster.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["runner_id", field])
        w.writerow(["t", written])
    row = next(read_roster(open_table(roster, ROSTER_COLUMNS)))
    return row, build_profile(row), []


@pytest.mark.parametrize("field, written, meant", CASES)
def test_a_roster_cell_reads_it(tmp_path, field, written, meant):
    row, p, races = _roster_profile(tmp_path, field, written)
    assert row.problems == [] and all(r.problems == [] for r in races)
    got = _read(p, field)
    assert got == pytest.approx(meant) if isinstance(meant, float) else got == meant


@pytest.fixture(scope="module")
def questions():
    q = load_questionnaire(builtin_ref("zegama"))
    return {x.field: x for s in q.sections for x in s.questions if x.field}


@pytest.mark.parametrize("field, written, meant", CASES)
def test_an_interview_answer_reads_it(questions, field, written, meant):
    name = field.removeprefix("races.")
    value = parse_value(questions[name], written)
    got = _read(load_profile(_profile(field, value)), field)
    assert got == pytest.approx(meant, abs=1 / 120) if isinstance(meant, float) else got == meant


@pytest.mark.parametrize("field, written, readings", AMBIGUOUS)
def test_an_ambiguous_value_is_refused_in_a_profile_with_both_readings(field, written, readings):
    with pytest.raises(ProfileError) as exc:
        load_profile(_profile(field, written))
    message = str(exc.value)
    assert field.removeprefix("races.") in message and all(r in message for r in readings)


@pytest.mark.parametrize("field, written, readings", AMBIGUOUS)
def test_an_ambiguous_value_is_flagged_in_a_roster_and_not_used(tmp_path, field, written, readings):
    row, p, races = _roster_profile(tmp_path, field, written)
    problems = row.problems + [x for r in races for x in r.problems]
    assert len(problems) == 1 and all(r in problems[0].message for r in readings)
    assert problems[0].value == written and problems[0].column == field.removeprefix("races.")
    if field.startswith("races."):
        assert races[0].race is not None and races[0].race.dplus_m is None  # the race kept, the value not
    else:
        assert p is not None and _read(p, field) is None and problems[0].effect == TREATED_AS_MISSING


@pytest.mark.parametrize("field, written, readings", AMBIGUOUS)
def test_an_ambiguous_answer_is_confirmed_in_the_interview(questions, field, written, readings):
    iv = Interview(load_questionnaire(builtin_ref("zegama")))
    q = questions[field.removeprefix("races.")]
    outcome = iv.interpret(q, written)
    assert outcome.kind == "ambiguous"
    assert [r.replace(",", ".") for r in outcome.readings] == [r.replace(",", ".") for r in readings]


def test_the_interview_asks_which_reading_and_keeps_the_one_picked(questions):
    from tests.test_questionnaire import BASE_ANSWERS, ScriptedAsker

    q = load_questionnaire(builtin_ref("zegama"))
    asker = ScriptedAsker(dict(BASE_ANSWERS, flat_10k_time=["41.10"], **{"flat_10k_time@confirm": ["2"]}))
    iv = Interview(q)
    iv.run(asker)
    text = "\n".join(asker.transcript)
    assert "41.10 is ambiguous" in text and "Which one? 1) 41:10  2) 41:06" in text
    assert iv.profile().flat_10k_time == pytest.approx(41.1)


def test_the_field_s_range_decides_when_only_one_reading_fits():
    # 21.097 km (a half marathon) cannot be 21,097 km; 2.600 m of D+ could be 2.6 m or 2,600 m.
    assert load_profile(_profile("races.distance_km", "21.097")).races[0].distance_km == 21.097
    with pytest.raises(ProfileError):
        load_profile(_profile("weekly_dplus_m", "2.600"))


def test_every_questionnaire_label_is_in_the_vocabulary(questions):
    for field, q in questions.items():
        if field in ENUMS and q.choices:
            for c in q.choices:
                assert canonical(field, c.label) == c.value, (field, c.label)


def test_words_fold_case_accents_and_separators():
    assert fold("  Esquí_de-Montaña ") == "esqui de montana"
    assert canonical("background", "ESQUI DE MONTANA") == "skimo"
    with pytest.raises(ValueError, match="did you mean compete"):
        canonical("goal", "compet")


# --------------------------------------------------------------------------- YAML as written


def test_yaml_keeps_a_clock_time_as_written_and_refuses_a_key_given_twice():
    doc = parse_document("runner_id: 0123\nvk_time: 45:30\nuses_poles: no\nweekly_km: 68.5\n")
    assert doc == {"runner_id": "0123", "vk_time": "45:30", "uses_poles": "no", "weekly_km": "68.5"}
    p = load_profile(doc)
    assert (p.runner_id, p.vk_time, p.uses_poles, p.weekly_km) == ("0123", 45.5, False, 68.5)
    with pytest.raises(InputError, match=r"line 3: 'vk_time' is given twice \(first on line 2\)"):
        parse_document("runner_id: a\nvk_time: 45:30\nvk_time: 47:00\n")
    with pytest.raises(InputError, match="'age' is given twice"):
        parse_document('{"runner_id": "a", "age": 30, "age": 31}')


def test_the_cli_refuses_a_duplicate_key_with_the_line(tmp_path):
    from click.testing import CliRunner

    from assessment.cli.main import main

    f = tmp_path / "p.yaml"
    f.write_text("runner_id: a\nsex: F\nsex: M\n")
    r = CliRunner().invoke(main, ["assess", str(f), "--as-of", AS_OF])
    assert r.exit_code == 1 and "line 3: 'sex' is given twice" in r.output


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize("header, field", [
    ("D+", "dplus_m"), ("D+ (m)", "dplus_m"), ("Desnivel", "dplus_m"), ("desnivel positivo", "dplus_m"),
    ("Distancia (km)", "distance_km"), ("Fecha", "date"), ("Tiempo", "time"), ("Carrera", "race"),
    ("Resultado", "status"), ("Circuito", "circuit"), ("Posición", "position"), ("Runner ID", "runner_id"),
])
def test_race_headers_people_type(header, field):
    assert header_field(header, RACE_COLUMNS) == field


@pytest.mark.parametrize("header, field", [
    ("Weekly D+ m", "weekly_dplus_m"), ("Desnivel semanal", "weekly_dplus_m"), ("Km semanales", "weekly_km"),
    ("Sexo", "sex"), ("Edad", "age"), ("Nombre", "name"), ("Peso (kg)", "body_mass_kg"), ("VK", "vk_time"),
    ("10K", "flat_10k_time"), ("Vertical-km time", "vk_time"), ("Objetivo", "goal"), ("Bastones", "uses_poles"),
    ("weekly_km", "weekly_km"), ("RUNNER-ID", "runner_id"),
])
def test_roster_headers_people_type(header, field):
    assert header_field(header, ROSTER_COLUMNS) == field


def test_header_aliases_name_real_fields_and_never_two_fields():
    fields = set(ROSTER_COLUMNS) | set(RACE_COLUMNS)
    assert set(HEADERS) <= fields
    seen = {}
    for field, words in HEADERS.items():
        for w in words:
            key = fold(w)
            assert seen.setdefault((key, field in ROSTER_COLUMNS), field) == field, w


def test_a_columns_map_names_any_other_header(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("runner_id,Metros de subida a la semana\na,2600\n", encoding="utf-8")
    t = open_table(roster, ROSTER_COLUMNS)
    assert t.unknown == ["Metros de subida a la semana"]
    t = open_table(roster, ROSTER_COLUMNS, columns_map={"Metros de subida a la semana": "weekly_dplus_m"})
    assert t.fields == ["runner_id", "weekly_dplus_m"] and t.unknown == []


def test_an_unknown_column_is_said_in_the_summary_and_squad_files(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("runner_id,Desnivel acumulado semanal en pies\na,8000\n", encoding="utf-8")
    result = run_batch(roster, out_dir=tmp_path / "out", as_of=AS_OF)
    from assessment.batch.run import summary_text

    assert "NOT USED in r.csv: 'Desnivel acumulado semanal en pies'" in summary_text(result.summary)
    assert "--columns" in (tmp_path / "out" / "squad.md").read_text()
    assert json.loads((tmp_path / "out" / "squad.json").read_text())["columns"]


# --------------------------------------------------------------------------- the coach's roster


def _canonical_files(tmp_path):
    rows = list(csv.DictReader(io.StringIO((ROOT / "examples" / "roster.csv").read_text(encoding="utf-8-sig"), newline=""),
                               delimiter=";"))
    races = list(csv.DictReader(io.StringIO((ROOT / "examples" / "races.csv").read_text(encoding="utf-8"), newline="")))
    return rows, races


SPANISH = {"runner_id": "Corredor ID", "name": "Nombre", "sex": "Sexo", "age": "Edad", "body_mass_kg": "Peso (kg)",
           "goal": "Objetivo", "vk_time": "Tiempo VK", "weekly_km": "Km semanales",
           "weekly_dplus_m": "Desnivel semanal (m)", "uses_poles": "Bastones", "race": "Carrera", "date": "Fecha",
           "distance_km": "Distancia (km)", "dplus_m": "Desnivel (m)", "circuit": "Circuito", "position": "Puesto",
           "finishers": "Llegados", "time": "Tiempo", "winner_time": "Tiempo ganador", "status": "Resultado"}
SEXES = {"F": "M", "M": "H"}  # the Spanish letters: M is mujer here
GOALS = {"finish": "terminar", "compete": "competir", "podium": "podio"}
CIRCUITS = {"golden_trail_series": "Golden Trail Series", "skyrunner_world_series": "Skyrunner World Series",
            "national_championship": "Campeonato nacional", "other": "ninguno"}
STATUS = {"finished": "Terminado", "dnf": "Abandono", "dns": "No presentado"}


def _spanish_number(v):
    if v and v.replace(".", "", 1).isdigit():
        whole, _, frac = v.partition(".")
        whole = f"{int(whole):,}".replace(",", ".")
        return f"{whole},{frac}" if frac else whole
    return v


def _coach_files(tmp_path, rows, races):
    """The same squad as a Basque club's spreadsheet writes it: ';', cp1252, decimal commas,
    thousands points, Spanish headers and words, day-first dates, times as 2h41'30."""
    roster = tmp_path / "coach-roster.csv"
    with roster.open("w", newline="", encoding="cp1252") as fh:
        w = csv.writer(fh, delimiter=";")
        header = list(rows[0])
        w.writerow([SPANISH.get(h, h) for h in header])
        for r in rows:
            out = []
            for h in header:
                v = r[h]
                if h == "sex":
                    v = SEXES.get(v, v)
                elif h == "goal":
                    v = GOALS.get(v, v)
                elif h in ("weekly_dplus_m", "longest_climb_m", "body_mass_kg", "weekly_km"):
                    v = _spanish_number(v.replace(",", "."))
                out.append(v)
            w.writerow(out)
    races_f = tmp_path / "coach-races.csv"
    with races_f.open("w", newline="", encoding="cp1252") as fh:
        w = csv.writer(fh, delimiter=";")
        header = list(races[0])
        w.writerow([SPANISH.get(h, h) for h in header])
        for r in races:
            out = []
            for h in header:
                v = r[h]
                if h == "date" and v:
                    y, m, d = v.split("-")
                    v = f"{d}/{m}/{y}"
                elif h in ("distance_km", "dplus_m"):
                    v = _spanish_number(v)
                elif h == "circuit":
                    v = CIRCUITS.get(v, v)
                elif h == "status":
                    v = STATUS.get(v, v)
                elif h == "time" and v.count(":") == 2:
                    hh, mm, ss = v.split(":")
                    v = f"{int(hh)}h{mm}'{ss}"
                out.append(v)
            w.writerow(out)
    return roster, races_f


def test_the_coach_s_roster_gives_the_same_assessments_as_the_canonical_one(tmp_path):
    rows, races = _canonical_files(tmp_path)
    roster, races_f = _coach_files(tmp_path, rows, races)
    text = roster.read_bytes().decode("cp1252")
    assert ";H;" in text and "Peso (kg)" in text and "Desnivel semanal (m)" in text
    assert "2.600" in text and "54,5" in text
    rtext = races_f.read_bytes().decode("cp1252")
    assert "Abandono" in rtext and "/2026" in rtext and "h" in rtext and "Campeonato nacional" in rtext
    a = run_batch(ROOT / "examples" / "roster.csv", races=ROOT / "examples" / "races.csv", out_dir=tmp_path / "a", as_of=AS_OF)
    b = run_batch(roster, races=races_f, out_dir=tmp_path / "b", as_of=AS_OF)
    assert (a.summary.read, a.summary.assessed, a.summary.errors) == (b.summary.read, b.summary.assessed,
                                                                      b.summary.errors)

    def reports(d):
        return [{k: v for k, v in json.loads(line).items()} for line in (d / "assessments.jsonl").open()]

    ra, rb = reports(tmp_path / "a"), reports(tmp_path / "b")
    assert len(ra) == len(rb) == a.summary.assessed
    for x, y in zip(ra, rb):
        assert x == y, x["runner_id"]
    notes = " ".join(b.summary.columns)
    assert "decimal comma" in notes and "Spanish way" in notes


# --------------------------------------------------------------------------- conventions


def test_m_is_mujer_where_the_column_writes_h_for_hombre_and_flagged_where_it_also_writes_f(tmp_path):
    r = tmp_path / "r.csv"
    r.write_text("runner_id,sex\na,H\nb,M\n", encoding="utf-8")
    rows = list(read_roster(open_table(r, ROSTER_COLUMNS)))
    assert [build_profile(x).sex for x in rows] == ["M", "F"]
    r.write_text("runner_id,sex\na,H\nb,M\nc,F\n", encoding="utf-8")
    rows = list(read_roster(open_table(r, ROSTER_COLUMNS)))
    profiles = [build_profile(x) for x in rows]
    assert [p.sex for p in profiles] == ["M", None, "F"]
    assert "M could be men (M) or mujer (F)" in rows[1].problems[0].message


def test_dates_follow_the_column_s_own_order(tmp_path):
    f = tmp_path / "races.csv"
    f.write_text("runner_id,race,date\na,X,05/31/2026\na,Y,06/07/2026\n", encoding="utf-8")
    rows = list(read_races(open_table(f, RACE_COLUMNS, kind="races file")))
    assert [r.race.date for r in rows] == [dt.date(2026, 5, 31), dt.date(2026, 6, 7)]
    f.write_text("runner_id,race,date\na,X,31/05/2026\na,Y,06/07/2026\n", encoding="utf-8")
    rows = list(read_races(open_table(f, RACE_COLUMNS, kind="races file")))
    assert [r.race.date for r in rows] == [dt.date(2026, 5, 31), dt.date(2026, 7, 6)]
    f.write_text("runner_id,race,date\na,X,31/05/2026\na,Y,05/31/2026\na,Z,06/07/2026\n", encoding="utf-8")
    rows = list(read_races(open_table(f, RACE_COLUMNS, kind="races file")))
    assert rows[2].race.date is None and "could be 2026-07-06 (day first) or 2026-06-07" in rows[2].problems[0].message


def test_a_decimal_comma_file_reads_points_as_thousands(tmp_path):
    r = tmp_path / "r.csv"
    r.write_text("runner_id;weekly_km;weekly_dplus_m\na;68,5;2.600\nb;70;1.250\n", encoding="utf-8")
    rows = list(read_roster(open_table(r, ROSTER_COLUMNS)))
    ps = [build_profile(x) for x in rows]
    assert [(p.weekly_km, p.weekly_dplus_m) for p in ps] == [(68.5, 2600), (70, 1250)]
    assert all(x.problems == [] for x in rows)


# --------------------------------------------------------------------------- the summary and the template


def test_the_summary_line_agrees_with_the_exit_code(tmp_path):
    r = tmp_path / "r.csv"
    r.write_text("runner_id,age\na,abc\n", encoding="utf-8")
    result = run_batch(r, out_dir=tmp_path / "o", as_of=AS_OF)
    assert result.summary.errors == 0 and result.exit_code() == 1
    assert "problems 1" in result.summary.counts_line()
    r.write_text("runner_id,age\na,30\n", encoding="utf-8")
    result = run_batch(r, out_dir=tmp_path / "o2", as_of=AS_OF)
    assert result.exit_code() == 0 and "problems" not in result.summary.counts_line()


@pytest.mark.parametrize("name, columns", [("roster.csv", ROSTER_COLUMNS), ("my-races.csv", RACE_COLUMNS)])
def test_the_template_has_every_column_a_hints_line_and_reads_back(tmp_path, name, columns):
    from click.testing import CliRunner

    from assessment.cli.main import main

    f = tmp_path / name
    r = CliRunner().invoke(main, ["template", str(f)])
    assert r.exit_code == 0, r.output
    lines = list(csv.reader(f.open(newline="", encoding="utf-8")))
    assert tuple(lines[0]) == tuple(columns) and lines[1][0].startswith("#") and len(lines[1]) == len(columns)
    assert all(cell for cell in lines[1])
    with f.open("a", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerow(["ane"] + [""] * (len(columns) - 1))
    kind = "races file" if "race" in name else "roster"
    t = open_table(f, columns, kind=kind)
    read = list(read_races(t) if "race" in name else read_roster(t))
    assert [x.runner_id for x in read] == ["ane"]  # the hints line is a comment
