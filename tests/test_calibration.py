"""The calibrated numbers of the pack, recomputed from the real results their derivations quote.

parameters.yaml holds each number with its derivation in words; this file does the arithmetic
again from the anchors (each with the source key the pack cites), so a changed number or a
changed anchor cannot go unnoticed.
"""

import pytest

from assessment.estimate.model import ss_arrival

from assessment.model.units import parse_duration as minutes
from assessment.rules import derive

# Anchors, as the derivations quote them.
STIAN_VK, STIAN_MARATHON = minutes("34:55"), minutes("3:45:08")        # runninglife2017
VK_WOMEN_2022, MARATHON_WOMEN_2022 = minutes("42:26"), minutes("4:16:43")  # zegama_vk_results, irunfar2022
JORNET_2022, JORNET_SS_2022 = minutes("3:36:40"), minutes("1:43:12")    # ss_splits
LAST_2013 = minutes("7:52:22")                                          # results_2011_2015: 434th, passed 3h15
SS_CUTOFF, MARGIN = 195, 15                                             # nnormal; ss_margin_min
KM_EFFORT = 42.195 + 2736 / 100                                         # regulation, gtws2022
K_15, RIEGEL, ZEGAMA_VK_M = 0.80, 0.057, 1015                           # minetti2002, balducci2016


def test_the_vk_ratios_are_real_athletes_vk_over_marathon(rb):
    factor = rb.parameters["vk_time"].scale.factor
    assert factor["M"] == pytest.approx(STIAN_VK / STIAN_MARATHON, abs=5e-5)
    assert factor["F"] == pytest.approx(VK_WOMEN_2022 / MARATHON_WOMEN_2022, abs=5e-5)
    assert factor["default"] == factor["F"]  # sex X or unknown: the women's values, as everywhere


def test_the_uphill_test_factor_is_the_vk_target_converted_to_30_minutes_at_15_percent(rb):
    s = rb.parameters["uphill_test_vam"].scale
    ratio = rb.parameters["vk_time"].scale.factor
    assert s.power == pytest.approx(-(1 - RIEGEL))
    for sex in ("M", "F"):
        for goal_min in (230, 290, 420):
            vk = ratio[sex] * goal_min
            vam = ZEGAMA_VK_M / (vk / 60) * K_15 * (vk / 30) ** RIEGEL
            assert s.factor[sex] * goal_min ** s.power == pytest.approx(vam, rel=0.002), (sex, goal_min)


def test_the_flat_10k_factor_is_ten_km_at_the_goals_effort_speed(rb):
    assert rb.parameters["flat_10k_time"].scale.factor["default"] == pytest.approx(10 / KM_EFFORT, abs=5e-5)


def test_the_sancti_spiritu_shares_are_the_splits_they_quote(rb):
    assert rb.constant("ss_share_front") == pytest.approx(JORNET_SS_2022 / JORNET_2022, abs=1e-4)
    assert rb.constant("ss_share_front_time") == pytest.approx(JORNET_2022, abs=0.01)
    assert rb.constant("ss_share_back") == pytest.approx(SS_CUTOFF / LAST_2013, abs=1e-4)
    assert rb.constant("ss_share_back_time") == pytest.approx(LAST_2013, abs=0.01)


def _arrival(rb, goal_min):
    return ss_arrival(goal_min, (rb.constant("ss_share_front_time"), rb.constant("ss_share_front")),
                             (rb.constant("ss_share_back_time"), rb.constant("ss_share_back")))


def test_the_finish_level_is_the_time_that_keeps_the_margin_at_sancti_spiritu(rb):
    # The slowest finish time with 15 minutes in hand at 3h15: about 7:03, and the pack rounds it down to 7:00.
    slowest = max(t for t in range(300, 481) if _arrival(rb, t) <= SS_CUTOFF - MARGIN)
    assert slowest == pytest.approx(423, abs=1)
    for sex in ("M", "F"):
        finish = rb.target("goal_time", {"goal": "finish", "sex": sex})
        assert finish <= slowest and slowest - finish < 10
        assert finish < 480  # inside the 8 h limit too


def test_the_barrier_vk_is_the_vk_of_a_runner_on_the_barrier(rb):
    on_barrier = max(t for t in range(300, 481) if _arrival(rb, t) <= SS_CUTOFF)
    assert on_barrier == pytest.approx(LAST_2013, abs=1)
    ratio = rb.parameters["vk_time"].scale.factor
    for sex in ("M", "F"):
        assert rb.target("cutoff_vk_time", {"sex": sex}) == pytest.approx(LAST_2013 * ratio[sex], abs=0.05)


def test_the_goal_levels_are_the_results_they_quote(rb):
    t = rb.level_table("goal_time")
    assert 3 * 60 + 45 <= t[("podium", "M")] <= 3 * 60 + 52             # 3rd man: 3:45:43 (2022), 3:51:40 (2025)
    assert t[("podium", "F")] == pytest.approx(t[("podium", "M")] * 1.18, abs=1)   # ranks 2-5: 1.16-1.21
    assert 4 * 60 + 37 <= t[("compete", "M")] <= 5 * 60 + 5            # ~105th: 4:37-4:53 (2024), 4:57-5:05 (2013-15)
    assert t[("compete", "F")] == pytest.approx(t[("compete", "M")] * 1.11, abs=1)
    assert t[("podium", "M")] < t[("compete", "M")] < t[("finish", "M")]


def test_the_cmj_norms_fall_about_nine_percent_a_decade_from_the_endurance_average(rb):
    t = rb.level_table("min_cmj_cm")
    for sex, young in (("M", 36), ("F", 28)):
        bands = [t[(sex, b)] for b in ("20-29", "30-39", "40-49", "50-59", "60-69")]
        assert bands[0] == young
        for a, b in zip(bands, bands[1:]):
            assert 0.05 < 1 - b / a < 0.12
