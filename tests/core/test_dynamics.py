"""Traffic and price-index paths against hand calculations (MODEL.md section 4)."""

from __future__ import annotations

import numpy as np
import pytest

from ftsim.core.dynamics import index_from_events, traffic_from_noise


def test_traffic_growth_and_noise_by_hand():
    # R_t = R0 (1+g)^(t-1) exp(sigma z_t - sigma^2/2): R0 = 1000, g = 0.1, sigma = 0.2,
    # z = (0, 1, -1): 1000 * e^-0.02, 1100 * e^0.18, 1210 * e^-0.22
    z = np.array([[0.0], [1.0], [-1.0]])  # (H, paths)
    out = traffic_from_noise(np.array([1000.0]), np.array([0.1]), np.array([0.2]), z)
    expected = [1000 * np.exp(-0.02), 1100 * np.exp(0.18), 1210 * np.exp(-0.22)]
    assert out[:, 0] == pytest.approx(expected, rel=1e-12)
    # sigma = 0 and g = 0: flat
    flat = traffic_from_noise(np.array([5.0]), np.array([0.0]), np.array([0.0]), np.ones((4, 1)))
    assert flat[:, 0].tolist() == pytest.approx([5.0] * 4)


def test_traffic_noise_has_mean_one():
    # E[exp(sigma z - sigma^2 / 2)] = 1; sd of the factor = sqrt(e^{sigma^2} - 1) = 0.1003 at
    # sigma = 0.1, so the SE of the mean of 1e6 draws is 1e-4: allow 4e-4.
    z = np.random.default_rng(1).standard_normal((1, 1_000_000))  # one month, 1e6 paths
    out = traffic_from_noise(np.ones(1_000_000), np.zeros(1_000_000), np.full(1_000_000, 0.1), z)
    assert abs(out.mean() - 1.0) < 4e-4


def test_price_index_with_a_forced_event():
    # d = 0.36 -> I_t = 0.64^((t-1)/12) before events: month 13 = 0.64, month 7 = 0.8.
    # One event with multiplier 0.5 in month 7 halves every month from 7 on; two events in
    # month 10 (x2 and x1.5) triple from 10 on.
    counts = np.zeros((13, 1), np.int64)  # (H, paths)
    counts[6, 0] = 1
    counts[9, 0] = 2
    out = index_from_events(np.array([0.36]), counts, np.array([0.5, 2.0, 1.5]))[:, 0]
    trend = 0.64 ** ((np.arange(1, 14) - 1) / 12)
    jumps = np.ones(13)
    jumps[6:] *= 0.5
    jumps[9:] *= 3.0
    assert out == pytest.approx(trend * jumps, rel=1e-12)
    assert out[6] == pytest.approx(0.8 * 0.5) and out[12] == pytest.approx(0.64 * 1.5)
    no_events = index_from_events(np.array([0.0]), np.zeros((3, 1), np.int64), np.array([]))
    assert no_events[:, 0].tolist() == [1.0, 1.0, 1.0]


def test_event_months_are_counted_per_path():
    # Path 0 owns the first 3 event months (0, 2, 2), path 1 none, path 2 the last 2 (1, 1):
    # counts are (H, paths) with month 3 of path 0 holding two events.
    from ftsim.core.dynamics import count_events

    counts = count_events(np.array([0, 2, 2, 1, 1]), np.array([3, 0, 2]), 3)
    assert counts.dtype == np.int64 and counts.shape == (3, 3)
    assert counts.T.tolist() == [[1, 0, 2], [0, 0, 0], [0, 2, 0]]


# --- safety clamps and large event rates (issue 9 item 3) -----------------------------------

def test_traffic_is_capped_at_1e15_requests_a_month():
    # R0 = 1e12 doubling every month (growth 1, sigma 0): 1e12 * 2^(t-1) up to month 10
    # (5.12e14), then capped at 1e15 instead of reaching 1e12 * 2^599 ~ 1e192. R0 = 1e-3
    # doubles for 59 months (5.8e14) and is capped from month 61 (1.15e15).
    z = np.zeros((600, 2))
    out = traffic_from_noise(np.array([1e12, 1e-3]), np.ones(2), np.zeros(2), z)
    months = np.arange(600)
    np.testing.assert_allclose(out[:10, 0], 1e12 * 2.0 ** months[:10], rtol=1e-12)
    assert (out[10:, 0] == 1e15).all()
    np.testing.assert_allclose(out[:60, 1], 1e-3 * 2.0 ** months[:60], rtol=1e-12)
    assert (out[60:, 1] == 1e15).all()
    # sigma 2 with extreme noise draws: finite, capped, no overflow warning
    noisy = traffic_from_noise(np.full(3, 1e12), np.ones(3), np.full(3, 2.0),
                               np.full((600, 3), [-40.0, 0.0, 40.0]))
    assert np.isfinite(noisy).all() and noisy.max() == 1e15 and noisy.min() >= 0


def test_poisson_counts_at_365_events_a_year_for_600_months():
    # The hard-range maximum: 18,250 events a path. Counts per path-month are Poisson(365/12):
    # mean 30.42, variance 30.42; per-path totals Poisson(18,250). Drawn directly per
    # path-month, memory stays at the size of the (H, paths) result -- one month index per
    # event would take 2,000 x 18,250 x 8 bytes = 292 MB here.
    import tracemalloc

    from ftsim.core.dynamics import poisson_counts

    rng = np.random.default_rng(4)
    n_paths, horizon = 2000, 600
    tracemalloc.start()
    counts = poisson_counts(rng, np.full(n_paths, 365.0), horizon)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * counts.nbytes, peak
    lam = 365 / 12
    cells = counts.size
    assert abs(counts.mean() - lam) < 4 * np.sqrt(lam / cells)
    # sample variance of 1.2e6 Poisson cells: SE ~ lam * sqrt(2 / cells) (+ the 4th cumulant)
    assert abs(counts.var() - lam) < 4 * np.sqrt((2 * lam**2 + lam) / cells)
    totals = counts.sum(axis=0)
    assert abs(totals.var(ddof=1) - lam * horizon) < 4 * lam * horizon * np.sqrt(2 / n_paths)


def _per_path_index(decline, counts, multipliers):
    """The index by hand, one path and one event at a time in Python floats."""
    horizon, n_paths = counts.shape
    step = np.exp(np.log1p(-decline) / 12.0)
    expected = np.empty((horizon, n_paths))
    k = 0
    for j in range(horizon):  # multipliers in row-major (month, path) order of the counts
        for i in range(n_paths):
            level = 1.0 if j == 0 else max(float(expected[j - 1, i] * step[i]), 1e-9)
            for _ in range(counts[j, i]):
                level = min(max(level * float(multipliers[k]), 1e-9), 1e9)
                k += 1
            expected[j, i] = level
    return expected


def test_price_index_equals_a_per_path_loop_bit_for_bit():
    # The vectorised index must do each path's operations in the loop's order: level =
    # max(previous * step, 1e-9), then per event level = min(max(level * m, 1e-9), 1e9).
    # Random counts (0-3 a month), multipliers from 1e-4 to 1e4 so that both clamps bind.
    rng = np.random.default_rng(9)
    horizon, n_paths = 30, 40
    counts = rng.integers(0, 4, size=(horizon, n_paths)) * (rng.random((horizon, n_paths)) < 0.4)
    multipliers = 10.0 ** rng.uniform(-4, 4, size=int(counts.sum()))
    decline = rng.uniform(0, 0.999, n_paths)
    out = index_from_events(decline, counts, multipliers)
    expected = _per_path_index(decline, counts, multipliers)
    assert (out == expected).all()
    assert out.min() == 1e-9 and out.max() == 1e9  # both clamps were exercised


def test_price_index_in_blocks_of_months_equals_one_pass():
    # price_index applies the multipliers a block of months at a time: rows first..end-1
    # continue from the rows before, with only those rows' multipliers
    from ftsim.core.dynamics import _index_rows, _monthly_step

    rng = np.random.default_rng(3)
    horizon, n_paths = 24, 50
    counts = rng.integers(0, 3, size=(horizon, n_paths))
    multipliers = rng.uniform(0.5, 1.5, size=int(counts.sum()))
    decline = rng.uniform(0, 0.5, n_paths)
    blocks = np.empty((horizon, n_paths))
    used = 0
    for first, end in ((0, 7), (7, 8), (8, 24)):
        n = int(counts[first:end].sum())
        _index_rows(_monthly_step(decline), counts, multipliers[used:used + n], blocks,
                    first, end)
        used += n
    assert (blocks == _per_path_index(decline, counts, multipliers)).all()


def test_a_nan_multiplier_propagates_as_numpys_maximum_and_minimum_do():
    # np.maximum/np.minimum keep NaN: a NaN factor leaves the path's index NaN from then on
    counts = np.array([[1, 0], [0, 1], [1, 0]])
    out = index_from_events(np.zeros(2), counts, np.array([np.nan, 2.0, 3.0]))
    assert np.isnan(out[:, 0]).all()
    assert out[:, 1].tolist() == [1.0, 2.0, 2.0]


def test_event_counts_equal_a_bincount_of_month_and_path():
    from ftsim.core.dynamics import count_events

    rng = np.random.default_rng(5)
    horizon, n_paths = 36, 1000
    totals = rng.poisson(2.5, n_paths)
    months = rng.integers(0, horizon, size=int(totals.sum()))
    owner = np.repeat(np.arange(n_paths), totals)
    expected = np.bincount(months * n_paths + owner,
                           minlength=horizon * n_paths).reshape(horizon, n_paths)
    out = count_events(months, totals, horizon)
    assert out.dtype == np.int64 and (out == expected).all()
    assert out.sum() == totals.sum() and (out.sum(axis=0) == totals).all()


def test_inputs_that_do_not_match_are_refused_not_read_past():
    from ftsim.core.dynamics import count_events

    with pytest.raises(ValueError, match="event months"):
        count_events(np.array([0, 5]), np.array([1, 1]), 5)  # month 5 of 0..4
    with pytest.raises(ValueError, match="event months"):
        count_events(np.array([0]), np.array([1, 1]), 5)  # two events, one month given
    with pytest.raises(ValueError, match="multipliers"):
        index_from_events(np.zeros(2), np.array([[1, 1]]), np.array([2.0]))
