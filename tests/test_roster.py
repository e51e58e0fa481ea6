"""Reading rosters and race histories as people export them from spreadsheets."""

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.model.profile import Profile, load_profile
from assessment.batch.roster import (
    RACE_COLUMNS,
    RACE_NOT_USED,
    RACE_VALUE_MISSING,
    ROSTER_COLUMNS,
    ROW_NOT_ASSESSED,
    TREATED_AS_MISSING,
    RosterError,
    build_profile,
    normalise_header,
    open_table,
    profile_to_row,
    read_profile_races,
    read_races,
    read_roster,
    validate_dropping,
)
from tests import strategies


def write(tmp_path, text, name="roster.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rows_of(path, **kw):
    table = open_table(path, ROSTER_COLUMNS, **kw)
    out = []
    for row in read_roster(table):
        out.append((row, build_profile(row, file=table.name)))
    return table, out


def only_profile(tmp_path, text, **kw):
    _, out = rows_of(write(tmp_path, text, **kw))
    assert len(out) == 1
    return out[0]


# --------------------------------------------------------------------------- encodings


def test_utf8_bom_does_not_hide_the_first_header(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"\xef\xbb\xbfrunner_id,name\nane,Ane Agirre\n")
    table, out = rows_of(path)
    assert table.fields == ["runner_id", "name"] and table.warnings == []
    assert out[0][1].runner_id == "ane"


def test_cp1252_falls_back_with_a_warning(tmp_path):
    path = write(tmp_path, "runner_id;name\ninaki;Iñaki Goñi\n", encoding="cp1252")
    table, out = rows_of(path)
    assert table.encoding == "cp1252"
    assert any("not UTF-8" in w and "cp1252" in w for w in table.warnings)
    assert out[0][1].name == "Iñaki Goñi"


def test_bytes_cp1252_cannot_decode_fall_back_to_latin1(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"runner_id,name\nx,Bad \x81 byte\n")  # 0x81 is undefined in cp1252
    table, out = rows_of(path)
    assert table.encoding == "latin-1" and any("latin-1" in w for w in table.warnings)
    # Read as latin-1, the byte is a control character: never written on, the name is set aside and said so.
    row, profile = out[0]
    assert profile.name is None and "control character" in row.problems[0].message and row.problems[0].column == "name"


def test_excel_unicode_text_utf16_with_tabs(tmp_path):
    path = write(tmp_path, "\ufeffrunner_id\tname\tage\nane\tAne\t29\n", encoding="utf-16-le")
    table, out = rows_of(path)
    assert table.delimiter == "\t" and out[0][1].age == 29


# --------------------------------------------------------------------------- delimiters and headers


@pytest.mark.parametrize("d", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, d):
    text = d.join(["runner_id", "name", "body_mass_kg", "background"]) + "\n"
    mass = '"61,5"' if d == "," else "61,5"
    bg = '"skimo,road"' if d == "," else "skimo,road"
    text += d.join(["ane", "Ane", mass, bg]) + "\n"
    table, out = rows_of(write(tmp_path, text))
    assert table.delimiter == d
    assert out[0][1].body_mass_kg == 61.5 and out[0][1].background == ["skimo", "road"]


def test_semicolon_file_with_commas_in_cells_is_not_read_as_comma(tmp_path):
    text = "runner_id;name;background\nane;Agirre, Ane;skimo,road\nbea;Ortiz, Bea;track\n"
    table, out = rows_of(write(tmp_path, text))
    assert table.delimiter == ";"
    assert [p.name for _, p in out] == ["Agirre, Ane", "Ortiz, Bea"]


def test_delimiter_override(tmp_path):
    # One column only: every candidate finds runner_id, so the guess falls back to ','.
    path = write(tmp_path, "runner_id|name\nane|Ane, the captain\n")
    table = open_table(path, ROSTER_COLUMNS, delimiter="|")
    assert table.delimiter == "|"
    with pytest.raises(RosterError, match=r"no runner_id column.*delimiter ';'"):
        open_table(path, ROSTER_COLUMNS, delimiter=";")


def test_headers_match_case_and_space_insensitively(tmp_path):
    text = " Runner ID ;VK Time;Body-Mass-Kg;USES_POLES\nane;44:10;54,5;bai\n"
    row, p = only_profile(tmp_path, text)
    assert (p.vk_time, p.body_mass_kg, p.uses_poles) == (44 + 10 / 60, 54.5, True)
    assert normalise_header("\ufeff Weekly D+ m") == "weekly_d+_m"


def test_unknown_columns_warned_once_and_carried(tmp_path):
    text = "runner_id,notes,Phone\nane,captain,+34 600\nbea,,\n"
    table, out = rows_of(write(tmp_path, text))
    assert len(table.warnings) == 1 and "notes, Phone" in table.warnings[0]
    assert [r.extra for r, _ in out] == [{"notes": "captain", "Phone": "+34 600"}, {"notes": "", "Phone": ""}]
    assert all(p is not None for _, p in out)


def test_unnamed_and_repeated_unknown_columns_stay_apart(tmp_path):
    table, out = rows_of(write(tmp_path, "runner_id,notes,,notes,age\nane,a,b,c,30\n"))
    assert table.unknown == ["notes", "column_3", "notes_4"]
    assert out[0][0].extra == {"notes": "a", "column_3": "b", "notes_4": "c"} and out[0][1].age == 30


def test_two_columns_for_one_field_is_unusable(tmp_path):
    with pytest.raises(RosterError, match="columns 2 and 3 both mean age"):
        open_table(write(tmp_path, "runner_id,age,Age\nane,30,31\n"), ROSTER_COLUMNS)


@pytest.mark.parametrize("text,match", [
    ("", "is empty"),
    ("\n  \n\n", "is empty"),
    ("name,age\nAne,30\n", "no runner_id column"),
])
def test_unusable_files(tmp_path, text, match):
    with pytest.raises(RosterError, match=match):
        open_table(write(tmp_path, text), ROSTER_COLUMNS)


def test_missing_file(tmp_path):
    with pytest.raises(RosterError, match="file not found"):
        open_table(tmp_path / "nope.csv", ROSTER_COLUMNS)


def test_header_only_has_no_rows(tmp_path):
    _, out = rows_of(write(tmp_path, "runner_id,name\n\n"))
    assert out == []


# --------------------------------------------------------------------------- lines


def test_blank_lines_and_excel_empty_rows_are_ignored_and_lines_are_physical(tmp_path):
    text = '\nrunner_id;name;;\n\nane;Ane;;\n;;;\n"bea";"Bea\non two lines";;\ncai;Cai;;\n'
    _, out = rows_of(write(tmp_path, text))
    assert [(r.line, r.runner_id) for r, _ in out] == [(4, "ane"), (6, "bea"), (8, "cai")]
    # A quoted line break is read as one cell, then refused: it would break the outputs' lines.
    bea, profile = out[1]
    assert profile.name is None and "line break" in bea.problems[0].message


def test_short_and_long_rows_are_errors(tmp_path):
    text = "runner_id;name;age\nane;Ane\nbea;Bea;30;oops\ncai;Cai;31;;\n"
    _, out = rows_of(write(tmp_path, text))
    (ane, p1), (bea, p2), (cai, p3) = out
    assert p1 is None and ane.fatal and "2 cells but the header has 3: a cell is missing" in ane.problems[0].message
    assert p2 is None and bea.fatal and "4 cells but the header has 3" in bea.problems[0].message
    assert bea.problems[0].effect == ROW_NOT_ASSESSED
    assert p3.age == 31 and cai.problems == []  # trailing empty cells are harmless


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize("cell,minutes", [
    ("44:10", 44 + 10 / 60), ("0:44:10", 44 + 10 / 60), ("44'10\"", 44 + 10 / 60), ("44' 10''", 44 + 10 / 60),
    ("44", 44.0), ("44,75", 44.75), ("44.75", 44.75), ("1:05:30", 65.5), ("1h05'", 65.0), ("44 min", 44.0),
])
def test_every_time_format(tmp_path, cell, minutes):
    quoted = '"' + cell.replace('"', '""') + '"'
    _, p = only_profile(tmp_path, f"runner_id;vk_time\nane;{quoted}\n")
    assert p.vk_time == pytest.approx(minutes, abs=1 / 120)


@pytest.mark.parametrize("cell,value", [
    ("bai", True), ("ez", False), ("sí", True), ("si", True), ("no", False), ("oui", True), ("non", False),
    ("yes", True), ("Y", True), ("n", False), ("TRUE", True), ("false", False), ("1", True), ("0", False),
])
def test_multilingual_yes_no(tmp_path, cell, value):
    _, p = only_profile(tmp_path, f"runner_id;uses_poles;elite_invite\nane;{cell};{cell}\n")
    assert p.uses_poles is value and p.elite_invite is value


def test_decimal_commas(tmp_path):
    _, p = only_profile(tmp_path, "runner_id;body_mass_kg;weekly_km;cmj_cm;age\nane;54,5;72,5;31,25;29,0\n")
    assert (p.body_mass_kg, p.weekly_km, p.cmj_cm, p.age) == (54.5, 72.5, 31.25, 29)


@pytest.mark.parametrize("cell", ["skimo;road", "skimo|road", "skimo, road", " Skimo ; ROAD ;"])
def test_background_multi_values(tmp_path, cell):
    _, p = only_profile(tmp_path, f'runner_id\tbackground\nane\t{cell}\n')
    assert p.background == ["skimo", "road"]


def test_one_bad_background_item_drops_alone(tmp_path):
    row, p = only_profile(tmp_path, "runner_id;background\nane;skimo|hiking|road\n")
    assert p.background == ["skimo", "road"]
    assert [(x.column, x.value, x.effect) for x in row.problems] == [("background", "hiking", TREATED_AS_MISSING)]


def test_missing_markers_mean_unknown_but_not_in_names(tmp_path):
    row, p = only_profile(tmp_path, "runner_id;name;age;vk_time;squat_1rm_kg\nane;-;-;n/a;?\n")
    assert p.name == "-" and p.age is None and p.vk_time is None and p.squat_1rm_kg is None
    assert row.problems == []


# --------------------------------------------------------------------------- per-row validation


def test_wrong_types_and_out_of_range_values_drop_only_that_cell(tmp_path):
    text = "runner_id;age;body_mass_kg;vk_time;sex;goal;downhill_confidence;weekly_km\nane;abc;300;5:00;Q;win;3;60\n"
    row, p = only_profile(tmp_path, text)
    assert p is not None and p.downhill_confidence == 3 and p.weekly_km == 60
    assert (p.age, p.body_mass_kg, p.vk_time, p.sex) == (None, None, None, None)
    assert p.goal == "compete"  # the default, as for an empty cell
    bad = {x.column: x for x in row.problems}
    assert set(bad) == {"age", "body_mass_kg", "vk_time", "sex", "goal"}
    assert bad["age"].value == "abc" and "expected a number" in bad["age"].message
    assert "at most 160 kg" in bad["body_mass_kg"].message
    assert all(x.effect == TREATED_AS_MISSING and x.line == 2 and x.runner_id == "ane" for x in row.problems)


def test_cross_field_heart_rates_drop_both_values(tmp_path):
    row, p = only_profile(tmp_path, "runner_id;max_hr;threshold_hr;aet_hr\nane;190;165;170\n")
    assert p.max_hr == 190 and p.threshold_hr is None and p.aet_hr is None
    assert sorted(x.column for x in row.problems) == ["aet_hr", "threshold_hr"]
    assert all("must be below" in x.message for x in row.problems)


@pytest.mark.parametrize("cells", [{"runner_id": ""}, {"runner_id": "  "}, {"runner_id": "x" * 101}])
def test_unusable_runner_id_is_an_error_row_that_still_reports_its_other_cells(tmp_path, cells):
    text = f"runner_id;age\n{cells['runner_id']};abc\n"
    row, p = only_profile(tmp_path, text)
    assert p is None and row.fatal
    assert {x.column for x in row.problems} == {"runner_id", "age"}
    assert all(x.effect == ROW_NOT_ASSESSED for x in row.problems)


def test_runner_id_column_missing_in_a_short_row(tmp_path):
    _, out = rows_of(write(tmp_path, "name;age;runner_id\nAne;30\n"))
    (row, p), = out
    assert p is None and row.problems[0].column == "runner_id"


def test_validate_dropping_reports_races_cross_field_checks():
    from assessment.model.profile import RaceResult

    race, dropped = validate_dropping(RaceResult, {"race": "X", "position": "50", "finishers": "40",
                                                   "time": "1:00:00", "winner_time": "1:10:00"})
    assert race.position is None and race.finishers is None and race.time is None and race.winner_time is None
    assert race.race == "X"
    assert [c for c, _, _ in dropped] == ["position", "finishers", "time", "winner_time"]
    race, dropped = validate_dropping(RaceResult, {"race": "X", "status": "dnf", "position": "3"})
    assert race.status == "dnf" and race.position is None and [c for c, _, _ in dropped] == ["position"]


# --------------------------------------------------------------------------- races


def races_of(tmp_path, text):
    table = open_table(write(tmp_path, text, "races.csv"), RACE_COLUMNS, kind="races file")
    return list(read_races(table))


def test_races_csv_rows_and_their_problems(tmp_path):
    text = (
        "runner_id,race,date,distance_km,dplus_m,circuit,position,finishers,time,winner_time,status\n"
        "ane,Zegama,2026-05-17,42.2,2736,golden_trail_series,58,520,4:41:05,3:38:25,finished\n"
        ",Orphan,2026-05-17,42,2736,,,,,,\n"
        "ane,Bad,31/05/2026,21,1300,regional,500,400,,,\n"
        "ane,Quit,2026-06-01,20,1000,other,4,,,,dnf\n"
    )
    good, orphan, bad, quit_ = races_of(tmp_path, text)
    assert good.race.position == 58 and good.race.time == pytest.approx(281 + 5 / 60) and good.problems == []
    assert orphan.race is None and orphan.problems[0].effect == RACE_NOT_USED and orphan.line == 3
    assert str(bad.race.date) == "2026-05-31"  # day first, as European spreadsheets write it
    assert bad.race.circuit is None and bad.race.position is None and bad.race.finishers is None
    assert {p.column for p in bad.problems} == {"circuit", "position", "finishers"}
    assert all(p.effect == RACE_VALUE_MISSING and p.file == "races.csv" and p.line == 4 for p in bad.problems)
    assert quit_.race.status == "dnf" and quit_.race.position is None


def test_races_from_profile_files(tmp_path):
    (tmp_path / "ane.yaml").write_text(
        "runner_id: ane\nage: 99\nraces:\n  - {race: Zegama, date: 2026-05-17, position: 9, finishers: 3}\n"
        "  - {race: Anboto, distance_km: 24}\n"
    )
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "notes.txt").write_text("ignored")
    rows = list(read_profile_races(tmp_path))
    assert [(r.file, r.runner_id) for r in rows] == [("ane.yaml", "ane"), ("ane.yaml", "ane"), ("broken.json", None)]
    assert rows[0].race.race == "Zegama" and {p.column for p in rows[0].problems} == {"races[0].position", "races[0].finishers"}
    assert rows[1].race.distance_km == 24 and rows[1].problems == []
    assert rows[2].race is None and "not valid JSON" in rows[2].problems[0].message
    with pytest.raises(RosterError):
        list(read_profile_races(tmp_path / "missing"))


# --------------------------------------------------------------------------- round trip


def _csv(rows, columns, delimiter):
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, columns, delimiter=delimiter)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


names = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20).map(str.strip).filter(bool)


@settings(max_examples=150)
@given(st.lists(strategies.profiles(), min_size=1, max_size=4, unique_by=lambda p: p["runner_id"]),
       st.data(), st.sampled_from([",", ";", "\t", "|"]), st.booleans())
def test_profile_to_row_round_trips(tmp_path_factory, profiles, data, delimiter, decimal_comma):
    """profile -> roster row (+ races rows) -> CSV -> reader -> the same profile."""
    tmp = tmp_path_factory.mktemp("rt")
    originals = []
    for p in profiles:
        if "name" in p:
            p["name"] = data.draw(names)
        originals.append(load_profile(p))
    rows, race_rows = [], []
    for p in originals:
        row, races = profile_to_row(p, decimal_comma=decimal_comma)
        rows.append(row)
        race_rows += races
    roster = tmp / "roster.csv"
    roster.write_text(_csv(rows, ROSTER_COLUMNS, delimiter), encoding="utf-8", newline="")
    races_path = tmp / "races.csv"
    races_path.write_text(_csv(race_rows, RACE_COLUMNS, delimiter), encoding="utf-8", newline="")

    by_runner = {}
    for r in read_races(open_table(races_path, RACE_COLUMNS)):
        assert r.problems == []
        by_runner.setdefault(r.runner_id, []).append(r.race)
    table = open_table(roster, ROSTER_COLUMNS)
    assert table.delimiter == delimiter
    back = []
    for row in read_roster(table):
        profile = build_profile(row, by_runner.get(row.runner_id, []))
        assert row.problems == []
        back.append(profile)
    assert back == originals
    assert [b.model_dump(mode="json") for b in back] == [o.model_dump(mode="json") for o in originals]


def test_profile_to_row_uses_plain_cells():
    p = Profile(runner_id="ane", vk_time="44:10", uses_poles=True, background=["skimo", "road"], body_mass_kg=54.5)
    row, races = profile_to_row(p, decimal_comma=True)
    assert row["vk_time"] == "44:10" and row["uses_poles"] == "yes" and row["background"] == "skimo;road"
    assert row["body_mass_kg"] == "54,5" and row["age"] == "" and races == []
