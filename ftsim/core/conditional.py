"""Conditional means of an output given one input, from the paths a run already has.

Sort the paths by the input, cut them into equal-count bins (about sqrt(n) of them, at most
MAX_BINS; a run of equal input values is never split), and the per-bin means of an output
estimate E[Y | X]. From them: the first-order variance share Var(E[Y | X]) / Var(Y) with a
bias correction and a standard error (``first_order``). The report's driver ranking uses it
for the payback indicator and NPV; value of information reuses ``bin_means`` (per decision,
E_X[max_d E[NB_d | X]]).

Estimator: Hays' omega squared of a one-way analysis of variance over the bins,
``(SSB - (B - 1) MSW) / (SST + MSW)``. The between-bin sum of squares SSB over-states
n Var(E[Y | bin]) by about (B - 1) times the within-bin variance MSW: that is the
correction. (Binning itself loses the variation of E[Y | X] inside a bin: a small
downward bias, of order 1 / B for a step in E[Y | X], far less for a smooth one.)

Standard error, by the delta method: the estimator's linearisation per path (the influence
function of V_m - share * V_y, with V_m the variance of the bin means and V_y that of Y)
gives the first term; the second, 2 sum_b s_b^4 / n^2, is the variance of the squared
noise of the bin means, which dominates when the input has no effect (there the
linearisation is zero). Checked against the spread of the estimate over many seeds in
tests/core/test_conditional.py; it is conservative for rare indicators and heavy tails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_BINS", "BinMoments", "FirstOrder", "bin_count", "equal_count_edges",
           "bin_means", "bin_moments", "indicator_bin_moments", "first_order",
           "first_order_share"]

MAX_BINS = 100
# Paths handled at once when summing central powers: temporaries of 128 kB stay in cache
# and are reused from block to block (blocks of 1M paths were 2.4x slower at 100k paths:
# each fresh 800 kB temporary costs its page faults).
_BLOCK = 1 << 14
# A total sum of squares below (this * |mean|)^2 per path is rounding, not variation.
_CONSTANT_RELATIVE = 1e-12


def bin_count(n_paths: int, max_bins: int = MAX_BINS) -> int:
    """About sqrt(n) bins, at least 1, at most ``max_bins``: bins of sqrt(n) paths balance
    the noise of each bin's mean against the detail of E[Y | X]."""
    return max(1, min(max_bins, math.isqrt(max(n_paths, 0))))


def equal_count_edges(sorted_x: np.ndarray, bins: int | None = None) -> np.ndarray:
    """Bin edges as positions in ``sorted_x``: 0 = e_0 < e_1 < ... < e_B = n, bin b holding
    sorted_x[e_b:e_b+1] (about n / B paths each).

    An edge that falls inside a run of equal values moves to the nearer end of the run, so
    paths with the same input value always share a bin: a discrete input (a choice law)
    gets at most one bin per value, a constant one a single bin.
    """
    n = sorted_x.shape[0]
    if n == 0:
        return np.zeros(1, np.int64)
    wanted = bin_count(n) if bins is None else max(1, min(int(bins), n))
    edges = np.round(np.linspace(0, n, wanted + 1)).astype(np.int64)
    inner = edges[1:-1]
    at = sorted_x[inner]
    run_start = np.searchsorted(sorted_x, at, side="left")
    run_end = np.searchsorted(sorted_x, at, side="right")
    inner = np.where(inner - run_start <= run_end - inner, run_start, run_end)
    return np.unique(np.concatenate(([0], inner, [n])))


def bin_means(sorted_y: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Mean of ``sorted_y`` (ordered by the input) in each bin: the estimate of E[Y | X]."""
    return np.add.reduceat(sorted_y, edges[:-1], dtype=np.float64) / np.diff(edges)


@dataclass(frozen=True)
class BinMoments:
    """Per bin: path count, mean of Y, and the central sums sum (y - mean_b)^k, k = 2, 3, 4."""

    counts: np.ndarray
    means: np.ndarray
    m2: np.ndarray
    m3: np.ndarray
    m4: np.ndarray


def bin_moments(sorted_y: np.ndarray, edges: np.ndarray) -> BinMoments:
    """Moments of a numeric output per bin, about _BLOCK paths at a time (whole bins, or a
    part of one large bin), so the temporaries stay small at any run size and no copy of
    ``sorted_y`` is made."""
    counts = np.diff(edges).astype(np.float64)
    means = bin_means(sorted_y, edges)
    sums = np.zeros((3, means.size))
    n = int(edges[-1])
    position = int(edges[0])
    while position < n:
        first = int(np.searchsorted(edges, position, side="right")) - 1  # bin at `position`
        last = max(int(np.searchsorted(edges, position + _BLOCK, side="right")) - 1, first + 1)
        end = min(int(edges[last]), position + _BLOCK)  # whole bins, or part of bin `first`
        starts = np.maximum(edges[first:last], position)
        _add_central_powers(sorted_y[position:end], means[first:last],
                            np.diff(np.append(starts, end)), sums[:, first:last])
        position = end
    return BinMoments(counts, means, sums[0], sums[1], sums[2])


def _add_central_powers(y: np.ndarray, means: np.ndarray, sizes: np.ndarray,
                        sums: np.ndarray) -> None:
    """Add sum e^2, e^3, e^4 (e = y - its bin's mean) of consecutive runs of ``y`` (one
    run per bin, of ``sizes``) into the rows of ``sums``."""
    starts = np.concatenate(([0], np.cumsum(sizes[:-1])))
    e = np.repeat(means, sizes)
    np.subtract(y, e, out=e)
    power = e * e
    sums[0] += np.add.reduceat(power, starts)
    e *= power
    sums[1] += np.add.reduceat(e, starts)
    power *= power
    sums[2] += np.add.reduceat(power, starts)


def indicator_bin_moments(sorted_hit: np.ndarray, edges: np.ndarray) -> BinMoments:
    """Moments of a 0/1 output per bin, in closed form from the bin's hit count k of c:
    with p = k / c, sum e^2 = c p q, sum e^3 = c p q (q - p), sum e^4 = c p q (1 - 3 p q)."""
    counts = np.diff(edges).astype(np.float64)
    p = bin_means(sorted_hit, edges)
    pq = counts * p * (1.0 - p)
    return BinMoments(counts, p, pq, pq * (1.0 - 2.0 * p), pq * (1.0 - 3.0 * p * (1.0 - p)))


@dataclass(frozen=True)
class FirstOrder:
    """Var(E[Y | X]) / Var(Y), bias-corrected (may fall slightly below 0 when X has no
    effect; it is unbiased there, so it is not clipped here), and its standard error.
    Both None when Y does not vary."""

    share: float | None
    se: float | None


def first_order(moments: BinMoments) -> FirstOrder:
    """The first-order share and its delta-method standard error from per-bin moments."""
    counts, means = moments.counts, moments.means
    n = float(counts.sum())
    bins = int(np.count_nonzero(counts))
    if n < 2:
        return FirstOrder(None, None)
    mu = float(counts @ means) / n
    gap = means - mu
    ssb = float(counts @ (gap * gap))
    ssw = float(moments.m2.sum())
    sst = ssb + ssw
    scale = max(abs(mu), float(np.max(np.abs(means))))
    if not math.isfinite(sst) or sst <= n * (_CONSTANT_RELATIVE * scale) ** 2:
        return FirstOrder(None, None)
    if bins < 2:  # one bin: the input never varies, so it explains nothing
        return FirstOrder(0.0, 0.0)
    if n <= bins:  # one path per bin: no within-bin variance to correct with
        return FirstOrder(None, None)
    msw = ssw / (n - bins)
    share = (ssb - (bins - 1) * msw) / (sst + msw)
    return FirstOrder(share, _first_order_se(moments, share, n, mu, sst))


def _first_order_se(moments: BinMoments, share: float, n: float, mu: float, sst: float) -> float:
    """Delta-method standard error (module docstring).

    Per path i in bin b, with g_b = mean_b - mu and e_i = y_i - mean_b, the linearised
    estimator is T_i = a g_b^2 + 2 a g_b e_i - share e_i^2 (a = 1 - share), over V_y.
    g_b^2 is replaced by its unbiased d_b = g_b^2 - s_b^2 / c_b, so the noise of the bin
    means is not counted twice (it is the quadratic term).
    """
    counts, m2, m3, m4 = moments.counts, moments.m2, moments.m3, moments.m4
    gap = moments.means - mu
    within = np.divide(m2, counts - 1.0, out=np.zeros_like(m2), where=counts > 1)
    d = gap * gap - within / counts
    a = 1.0 - share
    mean_t = float((a * counts * d - share * m2).sum()) / n
    sum_t2 = float((counts * a * a * d * d + 4.0 * a * a * d * m2 + share * share * m4
                    - 2.0 * a * share * d * m2 - 4.0 * a * share * gap * m3).sum())
    linear = max(0.0, sum_t2 / n - mean_t * mean_t) / n
    quadratic = 2.0 * float((within * within).sum()) / (n * n)
    return math.sqrt(linear + quadratic) / (sst / n)


def first_order_share(x: np.ndarray, y: np.ndarray, bins: int | None = None) -> FirstOrder:
    """First-order share of ``y`` explained by ``x`` from unsorted per-path arrays (sorts
    once; a boolean ``y`` is treated as an indicator)."""
    from .radix import stable_sort

    order, sorted_x = stable_sort(np.asarray(x))
    edges = equal_count_edges(sorted_x, bins)
    sorted_y = y[order]
    if sorted_y.dtype == np.bool_:
        return first_order(indicator_bin_moments(sorted_y, edges))
    return first_order(bin_moments(sorted_y.astype(np.float64, copy=False), edges))
