import pytest

from assessment.model.profile import PROFILE_FIELDS, ProfileError, load_profile


def test_only_runner_id_is_required():
    p = load_profile({"runner_id": "r1"})
    assert p.runner_id == "r1"
    assert p.goal == "compete"
    assert p.vk_time is None and p.races == []
    with pytest.raises(ProfileError) as exc:
        load_profile({"name": "No id"})
    assert exc.value.problems[0][0] == "runner_id"


def test_public_field_names_are_the_contract():
    assert PROFILE_FIELDS[:3] == ("runner_id", "name", "sex")
    assert "vk_time" in PROFILE_FIELDS and "utmb_index" in PROFILE_FIELDS
    assert "races" not in PROFILE_FIELDS


def test_values_as_people_type_them():
    p = load_profile(
        {
            "runner_id": 42,
            "sex": "f",
            "body_mass_kg": "61,5",
            "vk_time": "45'30",
            "flat_10k_time": "0:38:20",
            "uses_poles": "bai",
            "national_selection": "ez",
            "background": "skimo; road",
        }
    )
    assert p.runner_id == "42"
    assert p.sex == "F"
    assert p.body_mass_kg == 61.5
    assert p.vk_time == 45.5
    assert p.flat_10k_time == pytest.approx(38 + 1 / 3)
    assert p.uses_poles is True and p.national_selection is False
    assert p.background == ["skimo", "road"]


def test_durations_serialise_as_clock_times():
    p = load_profile({"runner_id": "r", "vk_time": 45.5, "races": [{"time": "3:02:10"}]})
    data = p.model_dump(mode="json", exclude_none=True)
    assert data["vk_time"] == "45:30"
    assert data["races"][0]["time"] == "3:02:10"
    assert load_profile(data) == p


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"body_mass_kg": -4}, "body_mass_kg", "at least 30"),
        ({"vk_time": "5:00"}, "vk_time", "at least 25:00"),
        ({"downhill_confidence": 7}, "downhill_confidence", "at most 5"),
        ({"max_hr": 300}, "max_hr", "at most 230"),
        ({"races": [{"position": 12, "finishers": 10}]}, "races.0", "cannot be greater than finishers"),
        ({"races": [{"time": "2:00:00", "winner_time": "2:10:00"}]}, "races.0", "faster than winner_time"),
        ({"races": [{"status": "dnf", "position": 3}]}, "races.0", "cannot have a finishing position"),
        ({"aet_hr": 170, "threshold_hr": 165}, "", "aet_hr (170) must be below threshold_hr"),
        ({"sex": "Q"}, "sex", ""),
        ({"favourite_shoe": "x"}, "favourite_shoe", "unknown field"),
        ({"background": ["marathon"]}, "background.0", ""),
    ],
)
def test_impossible_values_are_refused_naming_the_field(data, field, words):
    with pytest.raises(ProfileError) as exc:
        load_profile({"runner_id": "r", **data})
    fields = [f for f, _ in exc.value.problems]
    assert field in fields
    assert words in str(exc.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ProfileError) as exc:
        load_profile({"runner_id": "r", "body_mass_kg": -1, "vk_time": "2:00", "cmj_cm": 500})
    assert {f for f, _ in exc.value.problems} == {"body_mass_kg", "vk_time", "cmj_cm"}


def test_blank_cells_mean_unknown():
    p = load_profile({"runner_id": "r", "vk_time": "", "age": "", "goal": "", "races": [{"circuit": "", "status": ""}]})
    assert p.vk_time is None and p.age is None and p.goal == "compete"
    assert p.races[0].circuit is None and p.races[0].status == "finished"


@pytest.mark.parametrize("text", ["a\x1b[2J", "x\x85y", "line\nbreak", "nul\x00", "bidi\u202e"])
def test_control_characters_and_line_breaks_are_refused_in_names(text):
    for data in ({"runner_id": text}, {"runner_id": "a", "name": text},
                 {"runner_id": "a", "races": [{"race": text}]}):
        with pytest.raises(ProfileError, match="control character or line break"):
            load_profile(data)
    assert load_profile({"runner_id": "a", "name": "Iñaki Goñi 👩‍👧"}).name == "Iñaki Goñi 👩‍👧"
