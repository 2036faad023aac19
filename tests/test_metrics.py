"""Summary statistics against independent derivations (quadratic roots, scipy, hand counts)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ftsim.metrics import (
    Z95,
    average_ranks,
    payback_month_quantile,
    payback_probability_by_month,
    sensitivity,
    sorted_quantiles,
    spearman_from_ranks,
    verdict,
    wilson_interval,
)


@pytest.mark.parametrize(("hits", "n"), [(63, 100), (0, 50), (50, 50), (1, 7), (6321, 10000)])
def test_wilson_interval_solves_the_score_equation(hits, n):
    # The Wilson bounds are the roots in p of (p_hat - p)^2 = z^2 p (1 - p) / n, i.e.
    # (1 + z^2/n) p^2 - (2 p_hat + z^2/n) p + p_hat^2 = 0.
    p_hat, z2 = hits / n, Z95**2
    roots = np.sort(np.roots([1 + z2 / n, -(2 * p_hat + z2 / n), p_hat**2]).real)
    assert wilson_interval(hits, n) == pytest.approx(tuple(np.clip(roots, 0, 1)), abs=1e-12)


def test_wilson_interval_reference_value():
    # 63/100: centre (0.63 + 1.920729/100) / 1.0384146 = 0.6252, half 0.0930 (hand, z = 1.959964)
    lo, hi = wilson_interval(63, 100)
    assert (lo, hi) == pytest.approx((0.5322, 0.7182), abs=1e-4)


def test_payback_by_month_and_quantiles_by_counts():
    # 10 paths, H = 5: paybacks 1, 1, 2, 3, 3, 3, 5, never x3
    payback = np.array([1, 1, 2, 3, 3, 3, 5, 0, 0, 0])
    assert payback_probability_by_month(payback, 5).tolist() == pytest.approx([0.2, 0.3, 0.6, 0.6, 0.7])
    # p10: 100 * 2 >= 10 * 10 at m = 1; p50: counts 2, 3, 6 -> 600 >= 500 at m = 3;
    # p60: 600 >= 600 at m = 3 (ties count as reached); p70 at m = 5; p90 never -> None
    assert payback_month_quantile(payback, 10, 5) == 1
    assert payback_month_quantile(payback, 50, 5) == 3
    assert payback_month_quantile(payback, 60, 5) == 3
    assert payback_month_quantile(payback, 70, 5) == 5
    assert payback_month_quantile(payback, 90, 5) is None


def test_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, 500).astype(float)  # many ties
    y = x + rng.normal(0, 2, 500)
    expected = stats.spearmanr(x, y).statistic
    assert spearman_from_ranks(average_ranks(x), average_ranks(y)) == pytest.approx(expected, rel=1e-12)
    assert spearman_from_ranks(average_ranks(x), average_ranks(np.ones(500))) is None


def test_sensitivity_ranks_by_absolute_rho_and_reads_outer_deciles():
    rng = np.random.default_rng(7)
    n = 10_000
    strong = rng.random(n)
    weak = rng.random(n)
    noise = rng.random(n)
    npv = -3.0 * strong + 0.3 * weak + rng.normal(0, 0.1, n)
    hit = strong < 0.5  # payback only when the strong (negative) driver is low
    rows = sensitivity({"noise": noise, "weak": weak, "strong": strong}, npv, hit)
    assert [r["input"] for r in rows] == ["strong", "weak", "noise"]
    assert rows[0]["spearman"] < -0.9
    # bottom decile of `strong` (<= its 10th percentile, all below 0.5) always pays back,
    # top decile never does.
    assert rows[0]["p_payback_low"] == 1.0 and rows[0]["p_payback_high"] == 0.0
    # `noise` is independent of hit: each decile holds ~1,000 paths, P(hit) = 0.5, SE = 0.016;
    # 4 SE = 0.064.
    noise_row = rows[2]
    assert abs(noise_row["p_payback_low"] - 0.5) < 0.064
    assert abs(noise_row["spearman"]) < 4 / np.sqrt(n)


def test_sensitivity_with_constant_npv_has_null_rho():
    rows = sensitivity({"x": np.arange(10.0)}, np.zeros(10), np.zeros(10, bool))
    assert rows[0]["spearman"] is None


@pytest.mark.parametrize(("interval", "expected"), [
    ((0.80, 0.85), "go"), ((0.81, 0.9), "go"), ((0.7, 0.79), "no-go"),
    ((0.75, 0.85), "uncertain"), ((0.7, 0.8), "uncertain"),
])
def test_verdict_thresholds(interval, expected):
    assert verdict(interval, 0.8) == expected


def test_ranks_match_scipy_average_ranks_with_and_without_ties():
    rng = np.random.default_rng(5)
    for x in (rng.random(1000), np.floor(rng.random(1000) * 7), np.array([3.0, 1.0, 3.0, 2.0])):
        np.testing.assert_array_equal(average_ranks(x), stats.rankdata(x, method="average"))


def test_sorted_quantiles_match_numpy_linear_percentiles():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 1001)).astype(np.float32)
    qs = [0, 5, 25, 50, 75, 95, 100]
    expected = np.percentile(x.astype(float), qs, axis=1).T
    np.testing.assert_allclose(sorted_quantiles(np.sort(x, axis=1), qs), expected, rtol=0, atol=1e-12)
