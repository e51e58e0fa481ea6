import datetime as dt

import pytest

from assessment.rules import derive


@pytest.mark.parametrize(
    "weeks, phase",
    [(30, "base"), (16.1, "base"), (16, "build"), (10.1, "build"), (10, "race_specific"), (2, "race_specific"), (1.9, "taper"), (0, "taper")],
)
def test_training_phase_boundaries(weeks, phase):
    assert derive.training_phase(weeks) == phase


def test_weeks_between_counts_days_over_seven():
    assert derive.weeks_between(dt.date(2026, 12, 1), dt.date(2027, 5, 16)) == round(166 / 7, 1)
    assert derive.weeks_between(dt.date(2027, 5, 16), dt.date(2027, 5, 16)) == 0


def test_percentile_is_position_over_finishers():
    assert derive.percentile(1, 100) == 0.01
    assert derive.percentile(100, 100) == 1.0
    assert derive.percentile(None, 100) is None
    assert derive.percentile(3, None) is None


def test_relative_to_winner():
    assert derive.relative_to_winner(250, 200) == 1.25
    assert derive.relative_to_winner(None, 200) is None


def test_km_effort_is_km_plus_dplus_over_100():
    assert derive.km_effort(42.195, 2736) == pytest.approx(69.555, abs=0.01)
    assert derive.km_effort(10, None) == 10
    assert derive.km_effort(None, 1000) is None


def test_recent_means_one_of_the_two_seasons_before_the_edition():
    assert derive.is_recent(2026, 2027) is True
    assert derive.is_recent(2025, 2027) is True
    assert derive.is_recent(2024, 2027) is False
    assert derive.is_recent(2027, 2027) is False
    assert derive.is_recent(None, 2027) is None


def test_vam_and_vertical_power_from_vk():
    assert derive.vam_from_vk(60) == 1000
    assert derive.vam_from_vk(30) == 2000
    # 1,000 m x 9.81 / 3,000 s
    assert derive.vertical_watts_per_kg(50) == pytest.approx(3.27, abs=0.01)
    assert derive.vam_from_vk(None) is None


def test_aet_ant_gap_and_relative_squat():
    assert derive.aet_ant_gap_pct(150, 175) == pytest.approx(14.3, abs=0.05)
    assert derive.aet_ant_gap_pct(None, 175) is None
    assert derive.relative_squat(60, 60) == 1.0
    assert derive.relative_squat(60, None) is None


def test_age_bands_clamp_to_the_norm_table():
    assert derive.age_band(17) == "20-29"
    assert derive.age_band(35) == "30-39"
    assert derive.age_band(85) == "70-79"
    assert derive.age_band(None) is None


def test_background_tags():
    tags = derive.background_tags(["skimo"], [], 115)
    assert tags["zegama_like_background"] and not tags["ultra_only"]
    assert derive.background_tags(["road", "track"], [], 115)["road_only"]
    assert not derive.background_tags(["road", "short_mountain"], [], 115)["road_only"]
    assert derive.background_tags([], [160, 250], 115)["ultra_only_history"]
    assert not derive.background_tags([], [160, 40], 115)["ultra_only_history"]
    assert not derive.background_tags([], [], 115)["ultra_only"]
