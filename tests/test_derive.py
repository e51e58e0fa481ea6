import datetime as dt

import pytest

from assessment.estimate.model import ss_arrival
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


def test_recent_means_the_editions_season_before_race_day_and_the_two_before():
    race_day = dt.date(2027, 5, 16)
    assert derive.is_recent(dt.date(2026, 8, 1), 2027, race_day) is True
    assert derive.is_recent(dt.date(2025, 6, 1), 2027, race_day) is True
    assert derive.is_recent(dt.date(2024, 12, 31), 2027, race_day) is False
    # March of the edition's own year: recent (it was "older than the two seasons before" in 1.0).
    assert derive.is_recent(dt.date(2027, 3, 14), 2027, race_day) is True
    assert derive.is_recent(dt.date(2027, 5, 16), 2027, race_day) is False  # race day itself is not before it
    assert derive.is_recent(None, 2027, race_day) is None


def test_sancti_spiritu_arrival_falls_from_the_leaders_share_to_the_back_of_the_field():
    front, back = (216.67, 0.4763), (472.37, 0.4128)
    assert ss_arrival(216.67, front, back) == pytest.approx(103.2, abs=0.1)   # Jornet 2022: 1:43:12
    assert ss_arrival(472.37, front, back) == pytest.approx(195.0, abs=0.1)   # the 2013 runner on the barrier
    assert ss_arrival(420, front, back) == pytest.approx(178.9, abs=0.2)      # the finish level: 15 min to spare
    times = [240, 300, 360, 420, 480]
    arrivals = [ss_arrival(t, front, back) for t in times]
    assert arrivals == sorted(arrivals)  # slower finishers arrive later, however the share falls


def test_lottery_odds_by_tickets():
    one = derive.lottery_odds(1, 225, 11529, 3)
    assert one == pytest.approx(225 / (11529 * 3), rel=0.01)       # about 0.65%
    assert derive.lottery_odds(4, 225, 11529, 3) == pytest.approx(4 * one, rel=0.01)
    assert derive.lottery_odds(1, 225, 11529, 2) > one > derive.lottery_odds(1, 225, 11529, 4)
    assert derive.lottery_odds(1, None, 11529, 3) is None


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
    tags = derive.background_tags(["skimo"], [])
    assert tags["zegama_like_background"] and not tags["ultra_only"]
    assert derive.background_tags(["road", "track"], [])["road_only"]
    assert not derive.background_tags(["road", "short_mountain"], [])["road_only"]
    assert derive.background_tags([], [True, True])["ultra_only_history"]
    assert not derive.background_tags([], [True, False])["ultra_only_history"]
    assert not derive.background_tags([], [True, None, False])["ultra_only_history"]
    assert not derive.background_tags([], [])["ultra_only"]
