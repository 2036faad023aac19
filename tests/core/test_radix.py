"""The radix sort and its ranks against independent references: numpy's stable sort
(timsort) for the order, scipy.stats.rankdata for the average ranks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from ftsim.core.metrics import sort_sample, spearman_from_ranks
from ftsim.core.radix import average_ranks, stable_sort


def _no_negative_zero(x: np.ndarray) -> np.ndarray:
    return x + x.dtype.type(0.0)  # -0.0 + 0.0 is +0.0; every other value is unchanged


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float64, np.float32]), st.integers(0, 300),
                  elements=st.one_of(st.floats(allow_nan=True, width=32),
                                     st.sampled_from([0.0, 1.0, -1.0, 2.5, np.inf, -np.inf]))))
def test_order_is_numpys_stable_order(values):
    # any float, repeats, infinities and NaN: the same permutation as timsort's, the same
    # sorted values (NaN last, as numpy puts them)
    values = _no_negative_zero(values)
    order, sorted_values = stable_sort(values)
    expected = np.argsort(values, kind="stable")
    np.testing.assert_array_equal(order, expected)
    assert order.dtype == np.int64 and sorted_values.dtype == values.dtype
    np.testing.assert_array_equal(sorted_values, values[expected])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_large_array_with_ties_matches_numpy(dtype):
    # every radix pass runs (values spread over many exponents), ties in long runs
    rng = np.random.default_rng(3)
    values = (rng.standard_cauchy(200_000) * 1e3).astype(dtype)
    values[::5] = np.round(values[::5])
    values = _no_negative_zero(values)
    order, sorted_values = stable_sort(values)
    np.testing.assert_array_equal(order, np.argsort(values, kind="stable"))
    np.testing.assert_array_equal(sorted_values, np.sort(values, kind="stable"))


def test_negative_zero_sorts_before_positive_zero_and_keeps_its_sign():
    values = np.array([0.0, -0.0, 1.0, -0.0, -1.0])
    order, sorted_values = stable_sort(values)
    assert order.tolist() == [4, 1, 3, 0, 2]
    assert np.signbit(sorted_values).tolist() == [True, True, True, False, False]


def test_other_dtypes_use_numpys_stable_sort():
    values = np.array([3, 1, 2, 1], dtype=np.int64)
    order, sorted_values = stable_sort(values)
    assert order.tolist() == [1, 3, 2, 0] and sorted_values.tolist() == [1, 1, 2, 3]
    with pytest.raises(ValueError, match="1-D"):
        stable_sort(np.zeros((2, 2)))


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 300),
                  elements=st.one_of(st.floats(-1e6, 1e6), st.sampled_from([0.0, -0.0, 1.0]))))
def test_average_ranks_are_scipys(values):
    # scipy's rankdata (method "average") is the reference; -0.0 ties with +0.0 in both
    order, sorted_values = stable_sort(values)
    np.testing.assert_array_equal(average_ranks(order, sorted_values),
                                  stats.rankdata(values, method="average"))


def test_spearman_from_sorted_samples_is_scipys():
    rng = np.random.default_rng(8)
    x = rng.normal(size=5_000)
    y = np.round(x + rng.normal(size=5_000), 1)  # ties in y
    rho = spearman_from_ranks(sort_sample(x).average_ranks(), sort_sample(y).average_ranks())
    assert rho == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
