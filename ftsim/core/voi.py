"""Value of information from the paths a run already has: EVPI, EVPPI, EVSI (issue 12).

The decision: commit to one option or stay with the baseline, taking the highest expected
net benefit. ``net_benefit`` is (n_paths, n_decisions): column 0 the baseline (0 in ftsim),
one column per option (its NPV). Every estimate works on the options' net benefit minus the
baseline's (the incremental net benefit, m = n_decisions - 1 columns); each value is in the
net benefit's unit (the scenario's currency).

- EVPI = E[max_d NB_d] - max_d E[NB_d] (``evpi``).
- EVPPI of one input X = E_X[max_d E[NB_d | X]] - max_d E[NB_d] (``evppi_single``): paths
  sorted by X in equal-count bins (conditional.py), bin means smoothed (regression.py).
- EVPPI of a group of inputs (voi_group.py, ``evppi_group``): E[NB_d | X_1..X_k] by
  least squares on additive splines and pairwise products, the model chosen by
  cross-validation (Strong, Oakley & Brennan 2014, Medical Decision Making 34(3)).
- EVSI of a pilot (``evsi_pilot``): the EVPPI of the pilot's simulated observation (Strong
  et al. 2015, Medical Decision Making 35(5)), and the decision rule it implies.

Standard errors (all four): the delta method. Each estimate is the mean over paths of
L_i = NB_{i, d(x_i)} - NB_{i, d*}, the gain of the decision chosen knowing x_i over the
decision d* best now, up to terms of second order; its influence function is L_i - value,
so se = sd(L) / sqrt(n). It treats the chosen decisions as known: right to first order
when no decision is tied, conservative when E[NB | X] is smoothed by a line (its noise
then spreads over every path, not just those near the switch), and blind to bias, which is
the larger error near a tie (below). Over 100 seeds of 2,000 paths the estimates of
tests/core/test_voi.py land within 2 se of the exact value 98-99 % of the time.

Bias. The max of noisy conditional means over-states the value: at a tie, by 0.4 tau for a
bin mean with noise tau. With 100 raw bins at 100,000 paths an input that does not matter
would be worth 0.4 sqrt(100) sd(NB) / sqrt(n) (3.4 measured, several standard errors);
hence the smoothing, whose size is chosen per option (a constant when the input explains
nothing: value 0 exactly; 0.07 sd(NB) / sqrt(n) on average at a tie). EVPI's max over
decisions of the sample means under-states it, by up to 0.4 standard errors of the means
when two decisions tie (about -0.7 se measured at an exact tie).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .conditional import bin_means, equal_count_edges
from .metrics import SortedSample
from .regression import BinSmooth, smooth_bin_means

__all__ = ["Estimate", "NetBenefit", "net_benefit_sample", "incremental_net_benefit",
           "optimal_decision", "evpi",
           "SingleEvppi", "evppi_single", "EvsiResult", "pilot_observation", "evsi_pilot",
           "best_decisions", "gain_estimate", "gain_sums", "bin_sums_of_squares"]


@dataclass(frozen=True)
class Estimate:
    """A value in the net benefit's unit and its Monte Carlo standard error."""

    value: float
    se: float


@dataclass(frozen=True)
class NetBenefit:
    """Net benefit prepared once for many estimates: the incremental net benefit minus its
    mean, (n, m) row-major (a path's options side by side: sorting the paths gathers whole
    rows, 5x faster than column by column; no operation broadcasts along the short axis,
    which numpy does slowly), the means (m,), and d* (0 the baseline, d >= 1 option d)."""

    centred: np.ndarray
    means: np.ndarray
    best: int

    @property
    def n_paths(self) -> int:
        return self.centred.shape[0]

    @property
    def n_options(self) -> int:
        return self.centred.shape[1]

    def best_mean(self) -> float:
        """max_d E[incremental NB_d], the baseline's 0 included."""
        return max(0.0, float(self.means.max())) if self.means.size else 0.0

    def gains(self, rows: np.ndarray, decision: int) -> np.ndarray:
        """L on ``rows`` (r, m) of ``centred``: the incremental NB of ``decision`` minus
        that of d*, path by path."""
        if decision == self.best:
            return np.zeros(rows.shape[0])
        gain = rows[:, decision - 1] + self.means[decision - 1] if decision else np.zeros(rows.shape[0])
        if self.best:  # in place: one array of the rows' length, not two
            gain -= rows[:, self.best - 1]
            gain -= self.means[self.best - 1]
        return gain


def net_benefit_sample(net_benefit: np.ndarray | NetBenefit) -> NetBenefit:
    """Check ``net_benefit`` (n_paths >= 2, n_decisions >= 1, all finite) and prepare it."""
    if isinstance(net_benefit, NetBenefit):
        return net_benefit
    nb = np.asarray(net_benefit, dtype=np.float64)
    if nb.ndim != 2 or nb.shape[0] < 2 or nb.shape[1] < 1:
        raise ValueError(f"net_benefit: expected (n_paths >= 2, n_decisions >= 1), got {nb.shape}")
    if not np.isfinite(nb).all():
        raise ValueError("net_benefit: contains a value that is not finite")
    return incremental_net_benefit(nb[:, 1:] - nb[:, :1])


def incremental_net_benefit(incremental: np.ndarray) -> NetBenefit:
    """Prepare the options' net benefit minus the baseline's, (n, m) C-ordered float64
    (finite; centred in place): a caller whose baseline is 0 fills it without the
    (n, 1 + m) array ``net_benefit_sample`` takes."""
    means = incremental.mean(axis=0)
    best = int(np.argmax(means)) + 1 if means.size and means.max() > 0 else 0
    for j in range(means.size):  # column by column: see NetBenefit
        incremental[:, j] -= means[j]
    return NetBenefit(incremental, means, best)


def optimal_decision(net_benefit: np.ndarray | NetBenefit) -> int:
    """The decision with the highest mean net benefit now (0 the baseline; ties: lowest)."""
    return net_benefit_sample(net_benefit).best


def _sum_of_squares(values: np.ndarray) -> float:
    """sum(values^2) without BLAS: OpenBLAS's threaded dot product of a long vector took
    15 ms instead of 0.02 when its threads had to share two busy cores."""
    return float(np.einsum("i,i->", values, values))


def gain_estimate(sum_l: float, sum_l2: float, n: int) -> Estimate:
    """Mean of L and its standard error sd(L) / sqrt(n) from the sums of L and L^2."""
    mean = sum_l / n
    var = max(0.0, (sum_l2 - n * mean * mean) / (n - 1))
    return Estimate(mean, math.sqrt(var / n))


def gain_sums(gain: np.ndarray) -> tuple[float, float]:
    """Sums of L and L^2 (for ``gain_estimate``)."""
    return float(gain.sum()), _sum_of_squares(gain)


def evpi(net_benefit: np.ndarray | NetBenefit) -> Estimate:
    """Expected value of perfect information and its standard error.

    EVPI = mean_i max_d NB_id - max_d mean_i NB_id = mean_i L_i with L_i = max_d NB_id -
    NB_{i,d*}, the regret of d* on path i; se = sd(L) / sqrt(n), d* taken as known.
    """
    sample = net_benefit_sample(net_benefit)
    best_path = np.zeros(sample.n_paths)
    for j in range(sample.n_options):
        np.maximum(best_path, sample.centred[:, j] + sample.means[j], out=best_path)
    if sample.best:
        best_path -= sample.centred[:, sample.best - 1]
        best_path -= sample.means[sample.best - 1]
    return gain_estimate(*gain_sums(best_path), sample.n_paths)


@dataclass(frozen=True)
class SingleEvppi:
    """EVPPI of one input: value, standard error, the number of bins, and per option the
    basis size of the smoothed E[NB_d | X] (1 a constant: the input does not move that
    option's expected net benefit beyond noise)."""

    value: float
    se: float
    bins: int
    dof: tuple[int, ...]


def _sorted_input(x: np.ndarray | SortedSample, n: int,
                  order: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The input's argsort and its values in that order (float64), checked."""
    if isinstance(x, SortedSample):
        order, sorted_x = x.order, np.asarray(x.values, dtype=np.float64)
    else:
        x = np.asarray(x)
        if x.shape != (n,):
            raise ValueError(f"input: expected shape ({n},) like net_benefit's paths, got {x.shape}")
        if order is None:
            from .radix import stable_sort

            order, sorted_x = stable_sort(x)
            sorted_x = sorted_x.astype(np.float64, copy=False)
        else:
            sorted_x = np.take(x, order).astype(np.float64, copy=False)
    if sorted_x.shape != (n,) or order.shape != (n,):
        raise ValueError(f"input: expected {n} sorted values and their order, got {sorted_x.shape}")
    if not np.isfinite(sorted_x).all():
        raise ValueError("input: contains a value that is not finite")
    return order, sorted_x


def best_decisions(centred: np.ndarray, means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of centred incremental values (r, m) plus ``means``: the best value with the
    baseline's 0, and the decision taking it (0 the baseline; ties go to the lower one)."""
    top = np.zeros(centred.shape[0])
    decision = np.zeros(centred.shape[0], np.int64)
    for j in range(means.size):
        value = centred[:, j] + means[j]
        better = value > top
        np.maximum(top, value, out=top)
        decision[better] = j + 1
    return top, decision


@dataclass(frozen=True)
class _Curve:
    """E[incremental NB_d | X] along the sorted paths: bin edges (B + 1,) into them, the
    smooth of each option's bin means, and per path the decision it implies (n,) with the
    sum over paths of the best fitted value minus max_d E[NB_d] (the EVPPI times n; each
    term taken before summing, so a large common mean does not swamp it in rounding)."""

    edges: np.ndarray
    smooth: BinSmooth
    decisions: np.ndarray
    best_total: float


# Rows squared at once for the bins' sums of squares (whole bins: at least this many).
_SQUARE_ROWS = 1 << 16


def bin_sums_of_squares(rows: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.add.reduceat(rows * rows, edges[:-1], axis=0)`` bit for bit, squaring whole
    bins a block at a time: a bin's sum reads only that bin's squares, in the same order,
    so no (n, m) copy of ``rows`` is needed (160 MB for two options at 10M paths)."""
    out = np.empty((edges.size - 1, rows.shape[1]))
    largest = int(np.diff(edges).max(initial=0))
    scratch = np.empty((min(rows.shape[0], max(_SQUARE_ROWS, largest)), rows.shape[1]))
    first = 0
    while first < edges.size - 1:
        last = max(int(np.searchsorted(edges, edges[first] + _SQUARE_ROWS, side="right")) - 1,
                   first + 1)
        lo, hi = int(edges[first]), int(edges[last])
        block = scratch[:hi - lo]
        np.multiply(rows[lo:hi], rows[lo:hi], out=block)
        out[first:last] = np.add.reduceat(block, edges[first:last] - lo, axis=0)
        first = last
    return out


def _conditional_curve(sorted_x: np.ndarray, sorted_rows: np.ndarray, sample: NetBenefit,
                       bins: int | None) -> _Curve:
    """Bin the sorted paths, smooth each option's bin means, read the decisions off.
    sorted_rows (n, m): the centred incremental net benefit in the input's order."""
    edges = equal_count_edges(sorted_x, bins)
    counts = np.diff(edges)
    means = np.add.reduceat(sorted_rows, edges[:-1], axis=0) / counts[:, None]
    squares = bin_sums_of_squares(sorted_rows, edges)
    within = np.zeros_like(means)
    np.divide(squares - counts[:, None] * means**2, (counts - 1.0)[:, None], out=within,
              where=(counts > 1)[:, None])
    smooth = smooth_bin_means(bin_means(sorted_x, edges), means, counts, np.maximum(within, 0.0))
    best_bin, decision_bin = best_decisions(smooth.fitted, sample.means)
    # one byte a path (decisions are 0..m): int64 took 80 MB at 10M paths
    decisions = np.repeat(decision_bin.astype(np.min_scalar_type(sample.n_options)), counts)
    best_now = sample.best_mean()
    best_total = float(counts @ (best_bin - best_now))
    # Where the decision may change inside a bin (either side of a switch) and in the two
    # outer bins (the tails), the smooth is read at each path's input instead of at the
    # bin's mean: no value is lost to a bin straddling the switch or a long tail.
    switch = np.flatnonzero(np.diff(decision_bin))
    for b in np.unique(np.concatenate(([0, counts.size - 1], switch, switch + 1))):
        lo, hi = int(edges[b]), int(edges[b + 1])
        values = np.empty((hi - lo, sample.n_options))
        for j in range(sample.n_options):
            curve = smooth.evaluate(sorted_x[lo:hi], j)
            values[:, j] = smooth.fitted[b, j] if curve is None else curve
        best_path, decisions[lo:hi] = best_decisions(values, sample.means)
        best_total += float((best_path - best_now).sum()) - counts[b] * float(best_bin[b] - best_now)
    return _Curve(edges, smooth, decisions, best_total)


def _runs(decisions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the runs of equal decisions along the sorted paths."""
    change = np.flatnonzero(decisions[1:] != decisions[:-1]) + 1
    return np.append(0, change), np.append(change, decisions.size)


def _curve_estimate(curve: _Curve, sorted_rows: np.ndarray, sample: NetBenefit) -> Estimate:
    """Value from the fitted curve; se from L over the runs whose decision is not d*."""
    n = sample.n_paths
    value = curve.best_total / n
    sum_l = sum_l2 = 0.0
    for lo, hi in zip(*_runs(curve.decisions), strict=True):
        decision = int(curve.decisions[lo])
        if decision == sample.best:
            continue
        gain = sample.gains(sorted_rows[lo:hi], decision)
        sums = gain_sums(gain)
        sum_l, sum_l2 = sum_l + sums[0], sum_l2 + sums[1]
    return Estimate(max(float(value), 0.0), gain_estimate(sum_l, sum_l2, n).se)


def evppi_single(x: np.ndarray | SortedSample, net_benefit: np.ndarray | NetBenefit, *,
                 order: np.ndarray | None = None, bins: int | None = None) -> SingleEvppi:
    """EVPPI of one input ``x`` (n_paths,) by sorted equal-count binning.

    ``order`` (x's argsort) saves the sort when the caller has it already; a
    ``metrics.SortedSample`` (the summary's, per input) also saves gathering the sorted
    values (at 1M paths each random gather costs ~20 ms, a sort ~100 ms). Bins: about
    sqrt(n), at most 100 (conditional.bin_count), or ``bins``; runs of equal values never
    split, so a discrete input gets a bin per value. Per option, the bin means are smoothed
    by a constant, a line, a restricted cubic spline (3-20 knots) or left raw, whichever
    minimises Stein's unbiased risk estimate (regression.smooth_bin_means). The smoothing
    makes the bin count matter little: 100 bins give the smoother a fine grid and, where
    raw means win (a step), lose at most the one bin (1 % of paths) straddling the step.
    Near a switch of decision and in the outer bins the smooth is read path by path.
    """
    sample = net_benefit_sample(net_benefit)
    order, sorted_x = _sorted_input(x, sample.n_paths, order)
    if sample.n_options == 0:
        return SingleEvppi(0.0, 0.0, 1, ())
    sorted_rows = np.take(sample.centred, order, axis=0)
    curve = _conditional_curve(sorted_x, sorted_rows, sample, bins)
    estimate = _curve_estimate(curve, sorted_rows, sample)
    return SingleEvppi(estimate.value, estimate.se, int(curve.edges.size - 1), curve.smooth.dof)


@dataclass(frozen=True)
class EvsiResult:
    """Expected value of sample information of a pilot and the decision rule it implies.

    ``switch_points``: the observed estimates where the best decision changes (ascending);
    ``decisions``: the decision taken below the first, between each pair, above the last
    (0 the baseline). ``threshold`` g*: the one observed value where the rule switches
    between staying with the baseline and going ahead with an option, with ``go_when``
    "below" (go if the pilot observes less than g*) or "above"; both None when the pilot
    can never change the decision, or changes it at more than one place.
    ``observation_sd``: the pilot's measurement noise, sd / sqrt(n_examples).
    """

    value: float
    se: float
    threshold: float | None
    go_when: Literal["below", "above"] | None
    switch_points: tuple[float, ...]
    decisions: tuple[int, ...]
    observation_sd: float
    dof: tuple[int, ...]


def pilot_observation(true_value: np.ndarray, noise_sd_per_example: float, n_examples: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Each path's pilot estimate: its true value + Normal(0, sd / sqrt(n_examples))
    (the mean of n_examples independent measurements, each with noise sd), as float64.
    A float32 ``true_value`` is read as is (each value widens exactly in the sum): no
    float64 copy of it."""
    if not (math.isfinite(noise_sd_per_example) and noise_sd_per_example >= 0):
        raise ValueError(f"noise_sd_per_example: expected a finite number >= 0, got {noise_sd_per_example}")
    if isinstance(n_examples, bool) or not isinstance(n_examples, int | np.integer) or n_examples < 1:
        raise ValueError(f"n_examples: expected a whole number >= 1, got {n_examples!r}")
    true_value = np.asarray(true_value)
    if true_value.dtype not in (np.float32, np.float64):
        true_value = true_value.astype(np.float64)
    if true_value.ndim != 1 or not np.isfinite(true_value).all():
        raise ValueError("true_value: expected a one-dimensional array of finite values")
    observed = rng.normal(0.0, noise_sd_per_example / math.sqrt(n_examples), true_value.shape)
    return np.add(true_value, observed, out=observed)  # in place: one array, same sums


def _decision_rule(curve: _Curve, sorted_y: np.ndarray) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Switch points (midway between the neighbouring observations) and decisions."""
    starts, _ = _runs(curve.decisions)
    points = tuple(float(0.5 * (sorted_y[i - 1] + sorted_y[i])) for i in starts[1:])
    return points, tuple(int(curve.decisions[i]) for i in starts)


def evsi_pilot(true_value: np.ndarray, noise_sd_per_example: float, n_examples: int,
               net_benefit: np.ndarray | NetBenefit, rng: np.random.Generator, *,
               bins: int | None = None) -> EvsiResult:
    """EVSI of a pilot measuring ``true_value`` (n_paths,) on ``n_examples`` examples.

    Per path the pilot's observed estimate is simulated (``pilot_observation``); EVSI =
    E_Y[max_d E[NB_d | Y]] - max_d E[NB_d] is the EVPPI of that observation, estimated as
    ``evppi_single`` does (sorted bins of Y, smoothed per option: a spline regression of
    NB_d on Y). The rule: go with the decision best at the observed Y.
    """
    sample = net_benefit_sample(net_benefit)
    observed = pilot_observation(true_value, noise_sd_per_example, n_examples, rng)
    order, sorted_y = _sorted_input(observed, sample.n_paths, None)
    del observed  # the sort has it: free it before the curve's arrays
    sd = noise_sd_per_example / math.sqrt(n_examples)
    if sample.n_options == 0:
        return EvsiResult(0.0, 0.0, None, None, (), (0,), sd, ())
    sorted_rows = np.take(sample.centred, order, axis=0)
    curve = _conditional_curve(sorted_y, sorted_rows, sample, bins)
    estimate = _curve_estimate(curve, sorted_rows, sample)
    points, decisions = _decision_rule(curve, sorted_y)
    go = [i for i in range(len(points)) if (decisions[i] == 0) != (decisions[i + 1] == 0)]
    threshold: float | None = None
    go_when: Literal["below", "above"] | None = None
    if len(go) == 1:
        threshold = points[go[0]]
        go_when = "below" if decisions[go[0]] != 0 else "above"
    return EvsiResult(estimate.value, estimate.se, threshold, go_when, points, decisions, sd,
                      curve.smooth.dof)
