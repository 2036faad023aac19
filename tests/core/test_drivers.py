"""Driver rows (decile swing of P(payback), first-order shares, significance) against
closed forms and hand counts, and the calibration of the significance flag."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ftsim.core.drivers import (
    decile_swing,
    driver_row,
    effect_p_value,
    holm_significant,
    rank_drivers,
)
from ftsim.core.metrics import sort_sample
from ftsim.core.summary_types import DriverRow


def _row(x: np.ndarray, hit: np.ndarray, npv: np.ndarray | None = None, key: str = "x"):
    sample = sort_sample(x)
    p10, p90 = np.percentile(x, [10, 90])
    row = driver_row(key, key.upper(), sample, (float(p10), float(p90)), hit, npv, None)
    return rank_drivers([row])[0]  # significance is decided over the family: here of one


def test_a_step_swings_from_never_to_always():
    # X ~ U(0, 1), payback exactly when X > 0.3: the bottom decile (X <= ~0.1) never pays
    # back, the top one always: swing 1 with no Monte Carlo error; the indicator is a
    # function of X: first-order share 1 (up to the one bin straddling 0.3).
    rng = np.random.default_rng(1)
    x = rng.random(10_000)
    row = _row(x, x > 0.3, npv=np.where(x > 0.3, 5.0, -1.0))
    assert (row.p_payback_low, row.p_payback_high, row.swing, row.swing_se) == (0.0, 1.0, 1.0, 0.0)
    assert row.low_below == pytest.approx(np.percentile(x, 10))
    assert row.high_above == pytest.approx(np.percentile(x, 90))
    assert row.first_order is not None and row.first_order > 0.98
    assert row.npv_first_order is not None and row.npv_first_order > 0.98
    assert row.significant
    assert (row.input, row.label) == ("x", "X")


def test_swing_and_its_error_by_hand():
    # 20 paths, x = 0..19: P10 = 1.9, P90 = 17.1 (linear). Bottom decile x <= 1.9: paths 0, 1;
    # top x >= 17.1: paths 18, 19. Hits at 0, 18, 19 (and elsewhere, which must not count).
    x = np.arange(20.0)
    hit = np.zeros(20, bool)
    hit[[0, 5, 6, 18, 19]] = True
    row = _row(x, hit)
    assert (row.p_payback_low, row.p_payback_high) == (0.5, 1.0)
    assert row.swing == 0.5
    assert row.swing_se == pytest.approx(math.sqrt(0.5 * 0.5 / 2 + 0.0))


def test_ties_at_a_decile_threshold_all_join_the_decile():
    # a choice input: 0 on 30 % of paths, 1 on 50 %, 2 on 20 %: P10 = 0 and P90 = 2, so the
    # bottom "decile" is every 0 (30 % of paths) and the top every 2 (20 %)
    x = np.repeat([0.0, 1.0, 2.0], [300, 500, 200])
    hit = np.zeros(1000, bool)
    hit[:150] = True  # half of the zeros
    hit[800:] = True  # every 2
    sample = sort_sample(x)
    swing = decile_swing(sample, hit, 0.0, 2.0)
    assert (swing.n_low, swing.n_high, swing.p_low, swing.p_high) == (300, 200, 0.5, 1.0)
    # three values, three bins: P(hit | x) = 0.5, 0, 1 with weights 0.3, 0.5, 0.2
    row = _row(x, hit)
    p = 0.35
    var_e = 0.3 * (0.5 - p) ** 2 + 0.5 * p**2 + 0.2 * (1 - p) ** 2
    assert row.first_order == pytest.approx(var_e / (p * (1 - p)), abs=3 * row.first_order_se)


def test_pure_noise_is_within_two_errors_and_not_significant():
    rng = np.random.default_rng(2)
    x = rng.random(5000)
    hit = rng.random(5000) < 0.4
    row = _row(x, hit, npv=rng.normal(size=5000))
    assert row.swing is not None and row.swing_se is not None
    # each decile holds 500 paths: se = sqrt(2 * 0.24 / 500) = 0.031
    assert row.swing_se == pytest.approx(math.sqrt(2 * 0.4 * 0.6 / 500), rel=0.1)
    assert abs(row.swing) < 2 * row.swing_se
    assert not row.significant


def test_false_positive_rate_of_the_flag_over_200_seeds():
    # Under no effect |swing| > 2 se has probability ~4.6 % (two-sided normal), the
    # share test adds little (it is conservative): the flag fires on about 5 % of seeds.
    # Over 200 seeds the count of flags is ~Binomial(200, 0.05): mean 10, sd 3.1.
    flagged = 0
    for seed in range(200):
        rng = np.random.default_rng([3, seed])
        x = rng.random(2000)
        flagged += _row(x, rng.random(2000) < 0.3).significant
    assert flagged <= 18  # a rate of 9 %: 2.6 sd above the 5 % target


def test_a_real_effect_of_modest_size_is_flagged():
    # P(hit | x) = 0.3 + 0.2 x: deciles differ by ~0.16, se ~0.02 at 10k paths
    rng = np.random.default_rng(4)
    x = rng.random(10_000)
    row = _row(x, rng.random(10_000) < 0.3 + 0.2 * x)
    assert row.swing == pytest.approx(0.2 * (0.95 - 0.05), abs=3 * row.swing_se)
    assert row.significant


def test_a_constant_input_has_no_swing_and_no_share():
    rng = np.random.default_rng(5)
    hit = rng.random(400) < 0.5
    row = _row(np.full(400, 3.0), hit, npv=rng.normal(size=400))
    assert row.swing is None and row.swing_se is None
    assert row.p_payback_low == row.p_payback_high == pytest.approx(hit.mean())
    assert (row.first_order, row.first_order_se) == (0.0, 0.0)
    assert (row.npv_first_order, row.npv_first_order_se) == (0.0, 0.0)
    assert not row.significant


@pytest.mark.parametrize("outcome", ["always", "never"])
def test_degenerate_payback_gives_no_share_and_no_flag(outcome):
    rng = np.random.default_rng(6)
    x = rng.random(500)
    hit = np.full(500, outcome == "always")
    row = _row(x, hit, npv=None)  # NPV constant too (None)
    assert row.swing == 0.0 and row.swing_se == 0.0
    assert row.first_order is None and row.first_order_se is None
    assert row.npv_first_order is None and row.npv_first_order_se is None
    assert not row.significant
    values = [v for v in vars(row).values() if isinstance(v, float)]
    assert all(math.isfinite(v) for v in values)


def _hand_row(key: str, swing: float | None, swing_se: float | None) -> DriverRow:
    return DriverRow(key, key, swing, swing_se, None, None, None, None, None, None, None, None,
                     None, False)


def test_ranked_by_absolute_swing_significant_first():
    # z = |swing| / se: noise 0.09/0.06 = 1.5 (p 0.13), tiny 0.5, the others 8 to 30
    rows = [_hand_row("noise", -0.09, 0.06), _hand_row("constant", None, None),
            _hand_row("b_weak", 0.16, 0.02), _hand_row("strong", -0.63, 0.02),
            _hand_row("a_weak", -0.16, 0.02), _hand_row("tiny", 0.01, 0.02)]
    assert [r.input for r in rank_drivers(rows)] == [
        "strong", "a_weak", "b_weak", "noise", "tiny", "constant"]


def test_holm_rejects_step_down_against_hand_thresholds():
    # sorted p: 0.005 <= 0.05/4, 0.01 <= 0.05/3, 0.03 > 0.05/2: stop; 0.04 is not tested
    assert holm_significant([0.01, 0.04, 0.03, 0.005]) == [True, False, False, True]
    assert holm_significant([0.2]) == [False]
    assert holm_significant([]) == []


def test_effect_p_value_by_hand():
    # swing 0.1 with se 0.05: z = 2, two-sided p = 0.0455; doubled for the two tests
    row = _hand_row("x", 0.1, 0.05)
    assert effect_p_value(row) == pytest.approx(2 * math.erfc(2 / math.sqrt(2)), rel=1e-12)
    assert effect_p_value(_hand_row("x", 0.4, 0.0)) == 0.0  # perfectly separated deciles
    assert effect_p_value(_hand_row("x", None, None)) == 1.0


def test_a_family_of_pure_noise_inputs_is_flagged_on_at_most_about_5_percent_of_runs():
    # 20 inputs that do not enter the outcome: Holm keeps P(any flag) <= 5 %. Over 60 seeds
    # the number of runs with a flag is at most Binomial(60, 0.05): mean 3, P(>= 9) < 0.3 %.
    runs_flagged = 0
    for seed in range(60):
        rng = np.random.default_rng([9, seed])
        hit = rng.random(2000) < 0.3
        rows = []
        for i in range(20):
            x = rng.random(2000)
            sample = sort_sample(x)
            p10, p90 = np.percentile(x, [10, 90])
            rows.append(driver_row(f"x{i}", "X", sample, (float(p10), float(p90)), hit, None,
                                   None))
        runs_flagged += any(row.significant for row in rank_drivers(rows))
    assert runs_flagged <= 8


def test_drivers_of_a_real_mix_rank_the_strong_one_first():
    rng = np.random.default_rng(7)
    n = 5000
    strong, weak, constant = rng.random(n), rng.random(n), np.ones(n)
    hit = rng.random(n) < 0.1 + 0.6 * (strong < 0.5) + 0.2 * weak
    ranked = rank_drivers([_row(constant, hit, key="constant"), _row(weak, hit, key="weak"),
                           _row(strong, hit, key="strong")])
    assert [r.input for r in ranked] == ["strong", "weak", "constant"]
    # bottom decile of `strong` (< 0.1): P = 0.7 + 0.2 E[weak] = 0.8; top: 0.1 + 0.1 = 0.2
    assert ranked[0].swing == pytest.approx(-0.6, abs=3 * ranked[0].swing_se)


def test_a_driver_row_holds_at_most_one_float64_copy_of_npv():
    # numpy reports its buffers to tracemalloc: beyond its arguments, a row may hold the
    # NPV ordered by the input (8 bytes a path), the indicator so ordered (1 byte) and
    # temporaries of a block of paths (conditional._BLOCK), never a second copy.
    import tracemalloc

    n = 1_000_000
    rng = np.random.default_rng(8)
    x = rng.random(n)
    hit, npv = rng.random(n) < 0.3, rng.normal(size=n)
    sample = sort_sample(x)
    deciles = (float(np.percentile(x, 10)), float(np.percentile(x, 90)))
    tracemalloc.start()
    try:
        driver_row("x", "x", sample, deciles, hit, npv, None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 9 * n + 2_000_000
