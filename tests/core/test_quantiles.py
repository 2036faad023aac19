"""Exact per-month percentiles from brackets and tallies (ftsim/core/quantiles.py), against
numpy's own percentile of the full rows."""

from __future__ import annotations

import numpy as np
import pytest

from ftsim.core.quantiles import Brackets, CumulativeStream, Tally, linear_percentiles
from ftsim.core.result import _kept_percentiles

LEVELS = (5, 25, 50, 75, 95)


def _rows(n: int, seed: int = 0) -> np.ndarray:
    """(3, n) float32 rows: a normal, a heavy-tailed one with many ties at 0 and -250.5,
    and a constant one (every order statistic tied)."""
    rng = np.random.default_rng(seed)
    rows = np.empty((3, n), np.float32)
    rows[0] = rng.standard_normal(n) * 1000
    rows[1] = rng.standard_t(2, n) * 1e5
    rows[1, rng.integers(0, n, n // 5)] = 0.0
    rows[1, rng.integers(0, n, n // 20)] = -250.5
    rows[2] = 7.25
    return rows


def _stream(rows: np.ndarray, pilot: np.ndarray, chunk: int, levels=LEVELS):
    brackets = Brackets.from_pilot(pilot, levels)
    stream = CumulativeStream(brackets, tuple(levels))
    for start in range(0, rows.shape[1], chunk):
        stream.add(Tally.of(rows[:, start:start + chunk], brackets))
    return stream.percentiles(rows.shape[1])


def test_streamed_percentiles_are_numpys_percentiles():
    # numpy's linear method: the order statistics at floor/ceil of q (n - 1) / 100,
    # interpolated. Same order statistics, so equal to rounding (numpy interpolates as
    # b - (b - a)(1 - t) above t = 1/2).
    rows = _rows(50_000)
    values, missed = _stream(rows, rows[:, ::5], chunk=4096)
    assert missed == []
    np.testing.assert_allclose(values, np.percentile(rows, LEVELS, axis=1), rtol=1e-12)
    assert (values[:, 2] == 7.25).all()  # the constant row
    # and bit for bit the values of the sorted rows, in metrics.sorted_quantiles arithmetic
    np.testing.assert_array_equal(values, linear_percentiles(np.sort(rows, axis=1), LEVELS))


def test_a_pilot_from_another_population_misses_and_says_where():
    # Brackets from a pilot shifted by +3000 cannot hold the true order statistics of the
    # normal row: those cells are reported missed (NaN), never answered wrongly.
    rows = _rows(20_000)
    pilot = rows[:, :4000].copy()
    pilot[0] += 3000.0
    values, missed = _stream(rows, pilot, chunk=3000)
    assert {(month, level) for month, level in missed} >= {(0, 0), (0, 2), (0, 4)}
    assert all(month == 0 for month, _ in missed)
    assert np.isnan(values[:, 0]).all()
    exact = linear_percentiles(np.sort(rows, axis=1), LEVELS)
    np.testing.assert_array_equal(values[:, 1:], exact[:, 1:])
    # collected again without bounds, the missed cells come out exact
    cells = sorted(missed)
    brackets = Brackets.from_pilot(pilot, LEVELS).only(cells)
    again = CumulativeStream(brackets, LEVELS)
    again.add(Tally.of(rows, brackets))
    redone, _ = again.percentiles(rows.shape[1])
    for month, level in cells:
        assert redone[level, month] == exact[level, month]


def test_overlapping_brackets_take_the_general_path():
    # Levels 50 and 50.1 give overlapping brackets: the one-pass histogram does not apply,
    # the level-by-level pass must give the same exact answer.
    levels = (50, 50.1, 90)
    rows = _rows(30_000, seed=3)
    values, missed = _stream(rows, rows[:, ::3], chunk=5000, levels=levels)
    assert missed == []
    np.testing.assert_array_equal(values, linear_percentiles(np.sort(rows, axis=1), levels))


@pytest.mark.parametrize("n", [1000, 19_999, 20_000, 100_000, 400_000])
def test_kept_rows_give_the_sorted_rows_percentiles(n):
    # Small runs partition each row; from 20,000 paths they take the bracket pass (pilot:
    # every k-th path, k >= 8) with a partition for any month it misses. Both exact.
    rows = _rows(n, seed=n)
    np.testing.assert_array_equal(_kept_percentiles(rows, LEVELS),
                                  linear_percentiles(np.sort(rows, axis=1), LEVELS))


def test_kept_rows_with_non_finite_values_give_the_sorted_rows_percentiles():
    # +-inf and NaN in some months (a degenerate scenario's CS): the bracket pass misses
    # where a wanted rank falls among them, and the partition it falls back to agrees
    # with sorting (NaN last, as numpy sorts it)
    rows = _rows(50_000, seed=4)
    rng = np.random.default_rng(4)
    for value, share in ((np.inf, 0.3), (-np.inf, 0.05), (np.nan, 0.2)):
        months = rng.choice(rows.shape[0], size=rows.shape[0] // 3, replace=False)
        cells = rng.random((months.size, rows.shape[1])) < share
        block = rows[months]
        block[cells] = value
        rows[months] = block
    with np.errstate(invalid="ignore"):  # inf - inf between two order statistics: NaN
        np.testing.assert_array_equal(_kept_percentiles(rows, LEVELS),
                                      linear_percentiles(np.sort(rows, axis=1), LEVELS))
