"""The option to wait (ftsim/core/studies/wait.py) against hand calculations: a world with no
uncertainty (waiting costs exactly the delay), a single binary-like world uncertainty
revealed by month k (the decision tree), and the perfect-information bound; the engine's
deferred start against the hand formula (constructed scenarios in tests/wait_case.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from wait_case import (
    EVENTS_PER_YEAR,
    RATE,
    H,
    L,
    constant_npv,
    constant_value,
    event_npv,
    event_tree_value,
    pilot_text,
    pilot_value,
    scenario_text,
)

from ftsim.core.chunk import draw_chunk
from ftsim.core.dynamics import poisson_counts
from ftsim.core.engine import simulate_option
from ftsim.core.runner import simulate
from ftsim.core.studies.wait import (
    check_months,
    decide_after_waiting,
    history_features,
    simulate_waiting,
    wait_analysis,
)
from ftsim.rng import stream
from ftsim.scenario import load_scenario, parse_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
UPFRONT_EVENT = 45_000.0  # deciding now keeps the baseline; waiting is worth it


# --- (a) no uncertainty at all: the value of waiting is the discounted cost of the delay ---

@pytest.mark.parametrize("upfront", [3_000.0, 5_000.0, 40_000.0])
def test_without_uncertainty_waiting_costs_exactly_the_delay(upfront):
    analysis = wait_analysis(parse_scenario(scenario_text(upfront)), (1, 3, 6, 12, 20),
                             paths=200)
    now = constant_npv(upfront, 0)
    assert analysis.rows[0].npv_mean == pytest.approx(max(now, 0.0), rel=1e-12, abs=1e-9)
    for row in analysis.rows[1:]:
        hand = constant_value(upfront, row.month)
        assert hand <= 0.0
        assert row.value <= 1e-9  # never worth more than deciding now
        assert row.value == pytest.approx(hand, rel=1e-12, abs=1e-9), row.month
        assert row.p_commit == float(constant_npv(upfront, row.month) > 0)
        assert row.value == pytest.approx(row.perfect_bound, rel=1e-12, abs=1e-9)
    assert analysis.rows[analysis.best].month == 0


def test_the_hand_cases_cover_every_branch():
    """3,000: committing stays worth it through month 12 (value = NPV_k - NPV_0); 5,000:
    not after month 6 (value = -NPV_0, the option is never taken); 40,000: never worth it."""
    assert all(constant_npv(3_000.0, k) > 0 for k in (0, 3, 6, 12))
    assert constant_npv(5_000.0, 3) > 0 > constant_npv(5_000.0, 6)
    assert constant_value(5_000.0, 12) == pytest.approx(-constant_npv(5_000.0, 0))
    assert constant_npv(40_000.0, 0) < 0 and constant_value(40_000.0, 6) == 0.0


def test_deferred_start_matches_the_hand_formula_path_by_path():
    upfront = 3_000.0
    scenario = parse_scenario(scenario_text(upfront))
    draws = draw_chunk(scenario, 0, 50, seed=1, sampler="random", chunk_size=50)
    option = scenario.options["ft"]
    for k in (0, 1, 5, H - L - 1, H - 1):
        paths = simulate_option(option, draws.inputs, draws.world, draws.base_model_updates["ft"],
                                horizon_months=H, discount_rate_annual=RATE, decision_month=k)
        np.testing.assert_allclose(paths.npv, constant_npv(upfront, k), rtol=1e-12)
        assert (paths.start_month == min(k + L, H) + 1).all()
    with pytest.raises(ValueError, match="decision_month"):
        simulate_option(option, draws.inputs, draws.world, draws.base_model_updates["ft"],
                        horizon_months=H, discount_rate_annual=RATE, decision_month=H)


def test_deferred_build_pays_its_compute_at_the_build_index_of_month_k():
    """Training compute 4 trials x 100 GPU-hours x 3.00 on a "gpu" index falling 30 % a
    year (the option served on the undefined, constant "api" index): committed after
    month k it costs 1,200 (0.7)^((k - 1) / 12), 1,200 today, discounted k months."""
    text = scenario_text(3_000.0).replace('price_index = "gpu"', 'price_index = "api"')
    text = text.replace("[options.ft.build]", "\n".join([
        "[prices.gpu]", "annual_decline = 0.3", "", "[options.ft.build]",
        'training_mode = "gpu"', "trials = 4", "gpu_hours = 100",
        "training_gpu_hourly_cost = 3.0", 'price_index = "gpu"']))
    scenario = parse_scenario(text)
    draws = draw_chunk(scenario, 0, 20, seed=2, sampler="random", chunk_size=20)
    v = (1 + RATE) ** (-1 / 12)
    for k in (0, 3, 13):
        paths = simulate_option(scenario.options["ft"], draws.inputs, draws.world,
                                draws.base_model_updates["ft"], horizon_months=H,
                                discount_rate_annual=RATE, decision_month=k)
        upfront = 3_000.0 + 1_200.0 * (0.7 ** ((k - 1) / 12) if k else 1.0)
        np.testing.assert_allclose(paths.upfront, upfront, rtol=1e-12)
        np.testing.assert_allclose(paths.npv, -upfront * v**k + constant_npv(0.0, k),
                                   rtol=1e-12)


# --- (b) one world uncertainty revealed by month k: the decision tree ---

@pytest.fixture(scope="module")
def price_event_analysis():
    scenario = parse_scenario(scenario_text(UPFRONT_EVENT, events_per_year=EVENTS_PER_YEAR))
    return wait_analysis(scenario, (3, 6, 12), paths=20_000, seed=7)


def test_price_event_value_matches_the_decision_tree(price_event_analysis):
    upfront = UPFRONT_EVENT
    assert event_npv(upfront, 0, 0) < 0  # deciding now: keep the baseline
    # every branch with some probability is far from a tie (> 5,000 either side)
    assert min(abs(event_npv(upfront, k, j)) for k in (3, 6, 12) for j in range(4)) > 5_000
    assert price_event_analysis.now_option is None
    for row in price_event_analysis.rows[1:]:
        hand = event_tree_value(upfront, row.month)
        assert hand > 0
        assert row.value == pytest.approx(hand, abs=4 * row.value_se), row.month
        # commit exactly when a change that makes the option pay has been seen
        mean = EVENTS_PER_YEAR / 12 * row.month
        p_go = sum(math.exp(-mean) * mean**j / math.factorial(j) for j in range(40)
                   if event_npv(upfront, row.month, j) > 0)
        assert row.p_commit == pytest.approx(p_go, abs=4 * math.sqrt(p_go * (1 - p_go) / 20_000))


def test_committed_npv_matches_its_hand_expectation():
    scenario = parse_scenario(scenario_text(UPFRONT_EVENT, events_per_year=EVENTS_PER_YEAR))
    sample = simulate_waiting(scenario, (3, 12), paths=20_000, seed=8, sampler="random")
    lam = EVENTS_PER_YEAR / 12
    for i, k in enumerate(sample.months):
        hand = sum(math.exp(-lam * k) * (lam * k)**j / math.factorial(j)
                   * event_npv(UPFRONT_EVENT, k, j) for j in range(40))
        npv = sample.npv[i, :, 0]
        assert npv.mean() == pytest.approx(hand, abs=4 * npv.std() / math.sqrt(npv.size)), k


@pytest.mark.parametrize("upfront", [1_000.0, 3_000.0])
def test_waiting_for_a_pilot_matches_the_normal_preposterior(upfront):
    """Nothing in the world is random; the pilot measures the quality gap. Deciding on its
    measurement is worth s phi(M/s) + M Phi(M/s) less its cost (tests/wait_case.py), for
    deciding now committing (1,000) or not (3,000)."""
    analysis = wait_analysis(parse_scenario(pilot_text(upfront)), (1, 3, 12), paths=20_000,
                             seed=1, pilot="Pilot")
    assert [f.key for f in analysis.features] == ["pilot.Pilot"]
    assert analysis.pilot == "Pilot" and analysis.pilot_cost == 500.0
    for row in analysis.rows[1:]:
        assert row.value == pytest.approx(pilot_value(upfront, row.month), abs=4 * row.value_se)


def test_a_pilot_is_checked_before_anything_runs():
    text = pilot_text(1_000.0)
    with pytest.raises(ValueError, match="^pilot: unknown pilot 'Nope'"):
        wait_analysis(parse_scenario(text), (3,), paths=200, pilot="Nope")
    with pytest.raises(ValueError, match="^months: the pilot 'Pilot' takes 2 months"):
        wait_analysis(parse_scenario(text.replace("duration_months = 1", "duration_months = 2")),
                      (1, 3), paths=200, pilot="Pilot")
    with pytest.raises(ValueError, match="^pilot: .*an option not weighed"):
        wait_analysis(SCENARIOS / "support_bot.toml", (3,), paths=200,
                      options=["lora_8b_selfhosted"], pilot="Pilot, 200 labelled tickets")


# --- (c) never above the perfect-information bound ---

def test_value_never_exceeds_the_perfect_information_bound(price_event_analysis):
    support = wait_analysis(SCENARIOS / "support_bot.toml", (1, 3, 6, 12, 24), paths=1_000)
    for analysis in (price_event_analysis, support):
        for row in analysis.rows:
            assert row.value <= row.perfect_bound + 1e-9 * (1 + abs(row.perfect_bound))
        assert analysis.rows[0].perfect_bound == pytest.approx(analysis.evpi_now)


def test_rule_earns_at_most_the_best_of_each_path():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (4_000, 2))
    npv = np.column_stack([x[:, 0] + rng.normal(0, 1, 4_000), x[:, 1] - 0.2])
    decision = decide_after_waiting(x, npv)
    assert (decision.earned <= np.maximum(npv.max(axis=1), 0) + 1e-12).all()
    assert set(np.unique(decision.decisions)) <= {0, 1, 2}


def test_cross_fitted_rule_finds_the_known_threshold():
    """NPV = x + noise, x uniform on (-1, 1): the best rule commits when x > 0 and earns
    E[x 1(x > 0)] = 1/4; the cross-fitted rule earns that within Monte Carlo error."""
    rng = np.random.default_rng(11)
    n = 20_000
    x = rng.uniform(-1, 1, (n, 1))
    npv = x[:, :1] + rng.normal(0, 0.5, (n, 1))
    decision = decide_after_waiting(x, npv)
    se = decision.earned.std() / math.sqrt(n)
    assert decision.earned.mean() == pytest.approx(0.25, abs=4 * se)
    assert np.mean((decision.decisions == 1) == (x[:, 0] > 0)) > 0.98
    assert decision.r2_out_of_sample[0] == pytest.approx(1 / 3 / (1 / 3 + 0.25), abs=0.02)


def test_uninformative_history_is_not_mistaken_for_information():
    """Features unrelated to the NPV (mean -0.1): cross-validation keeps a constant, the
    rule never commits, the value is 0, not fitted noise."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(10_000, 4))
    npv = rng.normal(-0.1, 1.0, (10_000, 1))
    decision = decide_after_waiting(x, npv)
    assert decision.models == (("constant", "constant"),)
    assert (decision.decisions == 0).all() and (decision.earned == 0).all()


# --- the machinery: today's NPVs are the run's, features are the history ---

def test_todays_npvs_are_the_runs_bit_for_bit():
    scenario = load_scenario(SCENARIOS / "support_bot.toml")
    sample = simulate_waiting(scenario, (3,), paths=2_500, seed=9, sampler="random",
                              chunk_size=1_024)
    run = simulate(scenario, paths=2_500, seed=9, jobs=1, sampler="random", chunk_size=1_024)
    for j, option_id in enumerate(sample.option_ids):
        assert np.array_equal(sample.npv[0, :, j], run.options[option_id].npv)
    threaded = simulate_waiting(scenario, (3,), paths=2_500, seed=9, sampler="random",
                                jobs=2, chunk_size=1_024)
    assert np.array_equal(threaded.npv, sample.npv)
    assert all(np.array_equal(a, b) for a, b in zip(threaded.features, sample.features,
                                                     strict=True))


def test_history_features_are_what_happened_through_month_k():
    scenario = load_scenario(SCENARIOS / "support_bot.toml")
    draws = draw_chunk(scenario, 0, 3_000, seed=4, sampler="random", chunk_size=3_000)
    world = draws.world
    for k in (1, 6):
        seen = history_features(scenario, draws, k)
        assert np.array_equal(seen["traffic.requests_at_k"], world.requests[k - 1])
        assert np.array_equal(seen["drift.events_to_k"], world.drift_counts[:k].sum(axis=0))
        assert ("traffic.growth_to_k" in seen) == (k > 1)
        for name in scenario.price_indices:
            assert np.array_equal(seen[f"prices.{name}.index_at_k"], world.indices[name][k - 1])
            # the months with a change, from the index alone, are the months the events fell in
            counts = poisson_counts(stream(4, 0, f"world.prices.{name}"),
                                    draws.inputs.prices[name].events_per_year, H + 12)
            months_with_events = (counts[:k] > 0).sum(axis=0)
            assert np.array_equal(seen[f"prices.{name}.changes_to_k"], months_with_events)
            assert months_with_events.sum() > 0


def test_bad_months_are_refused_with_the_argument_named():
    assert check_months([12, 3, 3, 6], 36) == (3, 6, 12)
    for bad in ([], [0], [36], [2.5], [True]):
        with pytest.raises(ValueError, match="^months: "):
            check_months(bad, 36)
    with pytest.raises(ValueError, match="^months: at most 24"):
        check_months(list(range(1, 30)), 36)
    with pytest.raises(ValueError, match="^paths: "):
        wait_analysis(SCENARIOS / "support_bot.toml", (3,), paths=50)
    with pytest.raises(ValueError, match="^options: unknown option 'nope'"):
        wait_analysis(SCENARIOS / "support_bot.toml", (3,), options=["nope"], paths=200)


def test_results_as_json_and_frame():
    analysis = wait_analysis(SCENARIOS / "support_bot.toml", (3, 6), paths=400,
                             options=["lora_8b_provider"])
    data = analysis.to_dict()
    assert [r["month"] for r in data["rows"]] == [0, 3, 6]
    assert data["best_month"] == analysis.rows[analysis.best].month
    assert [o["id"] for o in data["options"]] == ["lora_8b_provider"]
    frame = analysis.frame()
    assert list(frame["month"]) == [0, 3, 6]
    assert frame["value_of_waiting"].iloc[0] == 0.0
    assert "p_commit.lora_8b_provider" in frame.columns
    statements = analysis.statements()
    assert any(text.startswith("Best: ") for text in statements)
    assert statements[-1].startswith("With fewer than 10,000 paths")  # 400 paths: noisy rules
