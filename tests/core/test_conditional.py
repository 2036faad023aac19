"""Equal-count bins and the first-order variance share against closed forms.

Each expected share is derived by hand from the test model's own law (Var(E[Y | X]) and
Var(Y) in closed form); the standard error is checked against the spread of the estimate
over independent seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ftsim.core import conditional
from ftsim.core.conditional import (
    MAX_BINS,
    bin_count,
    bin_means,
    bin_moments,
    equal_count_edges,
    first_order,
    first_order_share,
    indicator_bin_moments,
)


def test_bin_count_is_about_sqrt_n_at_most_100():
    assert [bin_count(n) for n in (0, 1, 3, 4, 99, 100, 2500, 10_000, 10**7)] == [
        1, 1, 1, 2, 9, 10, 50, 100, 100]
    assert MAX_BINS == 100


def test_edges_cut_equal_counts_of_distinct_values():
    x = np.arange(1000.0)
    edges = equal_count_edges(x)  # 31 bins of 1000 / 31 = 32.26 paths
    assert edges[0] == 0 and edges[-1] == 1000 and edges.size == 32
    assert set(np.diff(edges).tolist()) <= {32, 33}


def test_edges_never_split_a_run_of_equal_values():
    # 3 values with 500, 300, 200 copies: any edge lands on a value boundary
    x = np.repeat([1.0, 2.0, 3.0], [500, 300, 200])
    edges = equal_count_edges(x)
    assert set(edges.tolist()) <= {0, 500, 800, 1000}
    assert edges.tolist() == [0, 500, 800, 1000]
    assert equal_count_edges(np.full(50, 7.0)).tolist() == [0, 50]  # constant: one bin
    # a big run in the middle: the edges inside it move to its nearer end
    y = np.sort(np.concatenate([np.linspace(0, 1, 400), np.full(600, 0.5)]))
    edges = equal_count_edges(y)
    start, end = np.searchsorted(y, 0.5, "left"), np.searchsorted(y, 0.5, "right")
    assert not np.any((edges > start) & (edges < end))
    assert start in edges and end in edges


def test_bin_means_are_the_per_bin_averages():
    y = np.array([1.0, 3.0, 2.0, 4.0, 6.0, 10.0])
    assert bin_means(y, np.array([0, 2, 5, 6])).tolist() == [2.0, 4.0, 10.0]
    hit = np.array([True, False, True, True])
    assert bin_means(hit, np.array([0, 2, 4])).tolist() == [0.5, 1.0]


def test_indicator_moments_match_the_numeric_ones():
    rng = np.random.default_rng(2)
    hit = rng.random(997) < 0.3
    edges = equal_count_edges(np.arange(997.0))
    closed, numeric = indicator_bin_moments(hit, edges), bin_moments(hit.astype(float), edges)
    for name in ("counts", "means", "m2", "m3", "m4"):
        assert getattr(closed, name) == pytest.approx(getattr(numeric, name), rel=1e-9, abs=1e-9)


def test_moments_in_blocks_equal_moments_in_one_pass(monkeypatch):
    rng = np.random.default_rng(3)
    y = rng.normal(5.0, 2.0, 4000)
    edges = equal_count_edges(np.arange(4000.0))
    whole = bin_moments(y, edges)
    monkeypatch.setattr(conditional, "_BLOCK", 100)  # 63-path bins: one or two bins a block
    blocked = bin_moments(y, edges)
    monkeypatch.setattr(conditional, "_BLOCK", 10)  # a block smaller than a bin
    tiny = bin_moments(y, edges)
    for name in ("m2", "m3", "m4"):
        assert getattr(blocked, name) == pytest.approx(getattr(whole, name), rel=1e-12)
        assert getattr(tiny, name) == pytest.approx(getattr(whole, name), rel=1e-12)
    # by hand for the first bin
    first = y[:edges[1]] - y[:edges[1]].mean()
    assert whole.m3[0] == pytest.approx(np.sum(first**3), rel=1e-12)


def test_a_step_is_explained_entirely():
    # X ~ U(0, 1), Y = 1[X > 0.3]: E[Y | X] = Y, share 1. Only the bin that straddles 0.3
    # mixes both outcomes: at most 1 / B of the variance is lost (B = 100 here).
    rng = np.random.default_rng(4)
    x = rng.random(20_000)
    result = first_order_share(x, x > 0.3)
    assert result.share is not None and result.se is not None
    assert 0.98 < result.share <= 1.0
    assert result.share > 2 * result.se


@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0), (2.0, 1.0), (1.0, 3.0)])
def test_linear_normal_shares_are_a2_over_a2_plus_b2(a, b):
    rng = np.random.default_rng(5)
    n = 40_000
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = a * x1 + b * x2
    for x, coefficient in ((x1, a), (x2, b)):
        expected = coefficient**2 / (a * a + b * b)
        result = first_order_share(x, y)
        assert result.share is not None and result.se is not None
        # 100 normal-quantile bins keep all but ~0.3 % of Var(X) (the tail bins' spread)
        assert abs(result.share - expected) < 3 * result.se + 0.004 * expected


def test_x_plus_noise_and_a_bernoulli_line():
    rng = np.random.default_rng(6)
    n = 30_000
    x = rng.random(n)
    # Var(X) = 1/12, noise variance 1/4: share = (1/12) / (1/12 + 1/4) = 1/4
    result = first_order_share(x, x + rng.normal(0.0, 0.5, n))
    assert result.share == pytest.approx(0.25, abs=3 * result.se)
    # P(hit | x) = 0.2 + 0.6 x: Var(E) = 0.36 / 12 = 0.03, Var(hit) = 0.5 * 0.5: share 0.12
    result = first_order_share(x, rng.random(n) < 0.2 + 0.6 * x)
    assert result.share == pytest.approx(0.12, abs=3 * result.se)


def test_a_discrete_input_is_binned_by_value_without_loss():
    # X uniform on {0, 1, 2} (Var 2/3), Y = X + N(0, 1): share (2/3) / (5/3) = 0.4 exactly,
    # with one bin per value (no binning loss)
    rng = np.random.default_rng(7)
    x = rng.integers(0, 3, 20_000).astype(float)
    result = first_order_share(x, x + rng.normal(size=x.size))
    assert result.share == pytest.approx(0.4, abs=3 * result.se)
    assert equal_count_edges(np.sort(x)).size == 4


def test_pure_noise_is_zero_within_error():
    rng = np.random.default_rng(8)
    x = rng.random(10_000)
    for y in (rng.normal(size=10_000), rng.random(10_000) < 0.3):
        result = first_order_share(x, y)
        assert result.share is not None and result.se is not None
        assert abs(result.share) < 3 * result.se
        # under no effect the estimate is ~ (chi2_{B-1} - (B-1)) / n: sd sqrt(2 (B-1)) / n
        assert result.se == pytest.approx(math.sqrt(2 * 99) / 10_000, rel=0.25)


@pytest.mark.parametrize("kind", ["noise", "linear", "bernoulli"])
def test_standard_error_matches_the_spread_over_seeds(kind):
    estimates, errors = [], []
    for seed in range(200):
        rng = np.random.default_rng([9, seed])
        x = rng.random(2000)
        if kind == "noise":
            y = rng.normal(size=2000)
        elif kind == "linear":
            y = x + rng.normal(0.0, 0.5, 2000)
        else:
            y = rng.random(2000) < 0.2 + 0.6 * x
        result = first_order_share(x, y)
        assert result.share is not None and result.se is not None
        estimates.append(result.share)
        errors.append(result.se)
    spread, typical = float(np.std(estimates, ddof=1)), float(np.mean(errors))
    # 200 seeds measure the spread within about +-10 % (sd of a sample sd: 1 / sqrt(400))
    assert 0.75 < typical / spread < 1.3
    expected = {"noise": 0.0, "linear": 0.25, "bernoulli": 0.12}[kind]
    # unbiased up to the binning loss (45 bins: a smooth line loses ~1 / 45^2 of Var(E))
    assert abs(np.mean(estimates) - expected) < 4 * spread / math.sqrt(200) + 0.002


def test_degenerate_samples():
    rng = np.random.default_rng(10)
    x = rng.random(300)
    assert first_order_share(x, np.full(300, 2.5)) == conditional.FirstOrder(None, None)
    assert first_order_share(x, np.ones(300, bool)) == conditional.FirstOrder(None, None)
    assert first_order_share(x, np.zeros(300, bool)) == conditional.FirstOrder(None, None)
    # a constant input explains nothing: exactly 0 with no error
    assert first_order_share(np.full(300, 4.0), rng.normal(size=300)) == conditional.FirstOrder(
        0.0, 0.0)
    assert first_order_share(x[:1], x[:1]) == conditional.FirstOrder(None, None)
    # a large constant is still constant (rounding of its bin means is not variation)
    assert first_order_share(x, np.full(300, 1.2345e9)).share is None
    moments = indicator_bin_moments(np.array([True, False]), np.array([0, 1, 2]))
    # two paths in two bins: no within-bin variance to correct with
    assert first_order(moments) == conditional.FirstOrder(None, None)
