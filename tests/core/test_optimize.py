"""Retraining-policy optimisation (ftsim/core/studies/optimize.py) against hand calculations
(the constructed scenario and its closed forms are in tests/policy_case.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from policy_case import HAND, MU, H, closed_form_calendar, hand_npv

from ftsim.core.runner import simulate
from ftsim.core.studies.optimize import (
    Policy,
    apply_policy,
    optimize_policies,
    option_scenario,
    own_policy,
    paired_difference,
    policy_grid,
)
from ftsim.scenario import parse_scenario


def test_recursion_agrees_with_the_calendar_closed_form():
    for cadence in range(13):
        assert hand_npv(cadence, False, 0)[0] == pytest.approx(closed_form_calendar(cadence),
                                                              rel=1e-12)


@pytest.fixture(scope="module")
def hand_search():
    return optimize_policies(parse_scenario(HAND), "ft", cadences=range(13), lags=(0, 1, 2),
                             jobs=1)


def test_calendar_cadences_match_the_closed_form(hand_search):
    rows = [o for o in hand_search.outcomes if not o.policy.retrain_on_drift]
    assert [o.policy.retrain_every_months for o in rows] == list(range(13))
    for o in rows:
        k = o.policy.retrain_every_months
        assert o.npv_mean == pytest.approx(closed_form_calendar(k), abs=4 * o.npv_se)
        assert o.retrains_mean == (H // k if k else 0)  # the schedule, nothing random
    hand = {k: closed_form_calendar(k) for k in range(13)}
    best_k = max(hand, key=hand.__getitem__)
    assert best_k == 3  # the hand-best calendar cadence: 3 months
    found = max(rows, key=lambda o: o.npv_mean)
    assert found.policy.retrain_every_months == best_k


def test_every_policy_matches_the_hand_recursion(hand_search):
    assert len(hand_search.outcomes) == 13 + 13 * 3  # own policy (every 6 months) in the grid
    for o in hand_search.outcomes:
        p = o.policy
        npv, retrains = hand_npv(p.retrain_every_months, p.retrain_on_drift,
                                 p.detection_lag_months or 0)
        assert o.npv_mean == pytest.approx(npv, abs=4 * o.npv_se), p.label
        assert o.retrains_mean == pytest.approx(retrains, abs=0.15), p.label


def test_the_hand_best_policy_is_found_and_distinguishable(hand_search):
    hand = sorted(((hand_npv(o.policy.retrain_every_months, o.policy.retrain_on_drift,
                             o.policy.detection_lag_months or 0)[0], i)
                   for i, o in enumerate(hand_search.outcomes)), reverse=True)
    (best_value, best), (second_value, second) = hand[:2]
    assert hand_search.outcomes[best].policy == Policy(0, True, 1)  # on drift, lag 1
    assert hand_search.best_npv == best
    assert hand_search.runner_up == second
    diff = hand_search.best_vs_runner_up
    assert diff.mean == pytest.approx(best_value - second_value, abs=4 * diff.se)
    assert diff.distinguishable and diff.se < diff.unpaired_se / 2
    own = hand_search.outcomes[hand_search.own]
    assert own.policy == Policy(6, False, None)
    gain = hand_search.best_vs_own
    assert gain.mean == pytest.approx(best_value - hand_npv(6, False, 0)[0], abs=4 * gain.se)
    assert hand_search.split is not None and hand_search.split.chosen == Policy(0, True, 1)


def test_paired_difference_by_hand():
    a = np.array([1.0, 2.0, 3.0, 6.0])
    b = np.array([0.0, 1.0, 1.0, 4.0])
    mean, se, unpaired = paired_difference(a, b)
    d = a - b  # 1, 1, 2, 2: mean 1.5, sd sqrt(1/3)
    assert mean == 1.5
    assert se == pytest.approx(math.sqrt(1 / 3) / 2)
    assert unpaired == pytest.approx(math.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 4))
    assert d.std(ddof=1) / 2 == pytest.approx(se)


def _two_policy_gap(seed: int):
    """Every month against every 3 months (the option's own) on drift_heavy: the paired
    difference of the better minus the other."""
    search = optimize_policies("scenarios/drift_heavy.toml", "lora_8b_quarterly", cadences=(1,),
                               on_drift="off", paths=1500, seed=seed, jobs=1)
    assert len(search.outcomes) == 2
    diff = search.best_vs_runner_up
    sign = 1.0 if diff.a == Policy(1, False, None) else -1.0
    return sign * diff.mean, diff.se, diff.unpaired_se


def test_paired_se_is_far_smaller_than_unpaired_on_a_real_scenario():
    gap, se, unpaired = _two_policy_gap(seed=5)
    assert se < unpaired / 3
    # paired se is the right scale: another seed's estimate agrees within 4 combined se
    other_gap, other_se, _ = _two_policy_gap(seed=99)
    assert abs(gap - other_gap) < 4 * math.hypot(se, other_se)


RANDOM_LAG = HAND.replace("retrain_cost = ", "retrain_on_drift = true\ndetection_lag_months = "
                          "{ dist = \"uniform\", min = 0, max = 3 }\nretrain_cost = ").replace(
    "name = \"Fine-tune\"", "name = \"Fine-tune\"\nerror_rate_gap = { p5 = -0.01, p95 = 0.01 }")


def test_common_random_numbers_hold_when_a_policy_key_is_random():
    scenario = parse_scenario(RANDOM_LAG)
    own = own_policy(scenario, "ft")
    assert own == Policy(6, True, None)
    grid = policy_grid(scenario, "ft", cadences=(0, 6), on_drift="on", lags=(1,))
    assert grid == [Policy(0, True, 1), Policy(6, True, 1), own]
    runs = [simulate(apply_policy(scenario, "ft", p), paths=500, jobs=1) for p in grid]
    gap = "options.ft.error_rate_gap"
    for run in runs[1:]:  # the same option draws and the same world under every policy
        np.testing.assert_array_equal(run.inputs[gap], runs[0].inputs[gap])
        np.testing.assert_array_equal(run.requests_per_month, runs[0].requests_per_month)
    lag = "options.ft.maintenance.detection_lag_months"
    assert set(np.unique(runs[0].inputs[lag])) == {1.0}
    assert set(np.unique(runs[2].inputs[lag])) == {0.0, 1.0, 2.0, 3.0}
    # the own run is the scenario as written, path by path
    np.testing.assert_array_equal(runs[2].options["ft"].npv,
                                  simulate(scenario, paths=500, jobs=1).options["ft"].npv)


def test_the_reduced_scenario_keeps_the_option_paths():
    other = """
[options.other]
error_rate_gap = { p5 = 0.0, p95 = 0.02 }

[options.other.serving]
mode = "api"
price_input_per_mtok = { p5 = 0.3, p95 = 0.9 }
price_output_per_mtok = 1.0
"""
    scenario = parse_scenario(RANDOM_LAG.replace("requests_per_month = 1000000",
                                                 "requests_per_month = { p5 = 8e5, p95 = 1.2e6 }")
                              + other)
    assert scenario.inputs["traffic.requests_per_month"].is_random
    full = simulate(scenario, paths=400, jobs=1)
    alone = simulate(option_scenario(scenario, "ft"), paths=400, jobs=1)
    assert list(alone.options) == ["ft"]
    np.testing.assert_array_equal(full.options["ft"].npv, alone.options["ft"].npv)


def test_grid_defaults_and_refusals():
    scenario = parse_scenario(HAND)
    default = policy_grid(scenario, "ft")
    assert len(default) == 13 + 13 * 4  # lags 0..3 (own lag 0 and up to 3 more)
    no_drift = parse_scenario(HAND.replace(f"events_per_year = {12 * MU}", "events_per_year = 0"))
    assert all(not p.retrain_on_drift for p in policy_grid(no_drift, "ft"))
    assert len(policy_grid(scenario, "ft", cadences=(1, 2), on_drift="off")) == 3  # + own (6)
    for bad in [dict(cadences=()), dict(cadences=(-1,)), dict(cadences=(1.5,)),
                dict(lags=(601,)), dict(lags=()), dict(on_drift="sometimes")]:
        with pytest.raises(ValueError):
            policy_grid(scenario, "ft", **bad)
    with pytest.raises(ValueError, match="unknown option 'nope'"):
        option_scenario(scenario, "nope")


def test_json_and_frame(hand_search):
    data = hand_search.to_dict()
    assert len(data["policies"]) == len(hand_search.outcomes)
    assert data["best_npv"] == hand_search.best_npv
    assert data["policies"][data["own"]]["is_own"] is True
    assert data["best_vs_own"]["distinguishable"] is True
    frame = hand_search.frame()
    assert list(frame["npv_mean"]) == [o.npv_mean for o in hand_search.outcomes]
    assert frame["is_best_npv"].sum() == 1 and frame["is_own"].sum() == 1
    assert str(frame["detection_lag_months"].dtype) == "Int64"
    text = " ".join(hand_search.statements())
    assert "Best by E[NPV]: on drift, lag 1" in text and "Split-sample check" in text
