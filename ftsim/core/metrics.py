"""Statistics of per-path arrays: Wilson intervals, payback quantiles, ranks, Spearman
sensitivity, the verdict (docs/model.md sections 11-12), and the NPV statistics of the report
(statistics table, quantile function, P(NPV < target), expected loss given a loss)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .summary_parts import NPV_PERCENTILES, NpvStatistics, Quantiles, TargetProbability

__all__ = [
    "Z95",
    "wilson_interval",
    "max_half_width",
    "payback_probability_by_month",
    "payback_month_quantile",
    "SortedSample",
    "CentredRanks",
    "centred_ranks",
    "spearman_centred",
    "sort_sample",
    "sorted_quantiles",
    "spearman_from_ranks",
    "by_importance",
    "verdict",
    "QUANTILE_LEVELS",
    "npv_statistics",
    "npv_quantiles",
    "target_probabilities",
    "expected_loss_given_loss",
]


Z95 = 1.959964


def wilson_interval(hits: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (better than Wald near 0 and 1).

    Mathematically lo <= p <= hi, with lo = 0 at hits = 0 and hi = 1 at hits = n, but
    ``centre +- half`` rounds (e.g. hi = 0.9999999999999999 at 4/4), so the bounds are
    clamped against the estimate itself: an interval never excludes its own estimate.
    """
    if n <= 0:
        return (0.0, 1.0)
    p = hits / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if hits <= 0 else max(0.0, min(p, centre - half))
    hi = 1.0 if hits >= n else min(1.0, max(p, centre + half))
    return (lo, hi)



def max_half_width(hits: Mapping[str, int], n_paths: int) -> float:
    """Largest Wilson 95% half-width over options with these payback counts."""
    return max((hi - lo) / 2.0 for lo, hi in (wilson_interval(h, n_paths) for h in hits.values()))


def payback_probability_by_month(payback_month: np.ndarray, horizon: int) -> np.ndarray:
    """P(payback <= t) for t = 1..H; ``payback_month`` uses 0 for never."""
    counts = np.bincount(payback_month.astype(np.int64), minlength=horizon + 1)[1:horizon + 1]
    return np.cumsum(counts) / payback_month.shape[0]


def payback_month_quantile(payback_month: np.ndarray, q: float, horizon: int) -> int | None:
    """Smallest month m with P(payback <= m) >= q/100, by exact counts; None if none within H."""
    n = payback_month.shape[0]
    counts = np.cumsum(np.bincount(payback_month.astype(np.int64), minlength=horizon + 1)[1:horizon + 1])
    reached = np.nonzero(100 * counts >= q * n)[0]
    return int(reached[0]) + 1 if reached.size else None


RANK_QUANTILES = (5, 10, 50, 90, 95)


def sorted_quantiles(sorted_values: np.ndarray, percentiles: Sequence[float]) -> np.ndarray:
    """numpy's default (linear) percentiles of already sorted values, along the last axis."""
    n = sorted_values.shape[-1]
    position = np.asarray(percentiles, float) / 100.0 * (n - 1)
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    a = sorted_values[..., lo].astype(float)
    b = sorted_values[..., hi].astype(float)
    return a + (b - a) * (position - lo)


@dataclass(frozen=True)
class SortedSample:
    """A per-path array sorted once: its stable ascending order and its sorted values.

    One sort serves Spearman's ranks, the percentiles, the decile sets (a prefix and a
    suffix of ``values``) and the equal-count bins of conditional.py.
    """

    order: np.ndarray
    values: np.ndarray

    def average_ranks(self) -> np.ndarray:
        """1-based ranks in path order, ties sharing their average rank."""
        from .radix import average_ranks

        return average_ranks(self.order, self.values)

    def percentiles(self, percentiles: Sequence[float]) -> dict[int, float]:
        """numpy's linear percentiles, keyed by percentile."""
        values = sorted_quantiles(self.values, percentiles)
        return {int(q): float(v) for q, v in zip(percentiles, values, strict=True)}

    def is_constant(self) -> bool:
        return bool(self.values.shape[0] == 0 or self.values[0] == self.values[-1])


def sort_sample(x: np.ndarray) -> SortedSample:
    """``x`` sorted once, stably (radix.py: linear time, without the GIL)."""
    from .radix import stable_sort  # numba: loaded by the first sort, not by importing

    order, values = stable_sort(np.asarray(x))
    return SortedSample(order, values)


@dataclass(frozen=True)
class CentredRanks:
    """Ranks minus their mean and their sum of squares: one side of Spearman's rho, made
    once when that side (an option's NPV) meets every input."""

    values: np.ndarray
    sum_of_squares: float


def centred_ranks(ranks: np.ndarray) -> CentredRanks:
    """Centre ``ranks`` in place (no copy of the run's length) and keep their sum of squares."""
    ranks -= ranks.mean()
    return CentredRanks(ranks, float(ranks @ ranks))


def spearman_centred(a: CentredRanks, b: CentredRanks) -> float | None:
    """Pearson correlation of two centred rank vectors; None when either is constant."""
    denom = math.sqrt(a.sum_of_squares * b.sum_of_squares)
    return None if denom == 0.0 else float(a.values @ b.values) / denom


def spearman_from_ranks(rank_a: np.ndarray, rank_b: np.ndarray) -> float | None:
    """Pearson correlation of two rank vectors; None when either is constant."""
    return spearman_centred(centred_ranks(np.array(rank_a, dtype=np.float64)),
                            centred_ranks(np.array(rank_b, dtype=np.float64)))


def by_importance(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Largest |Spearman| first; None (constant NPV) last; ties by name."""
    return sorted(rows, key=lambda r: (-abs(r["spearman"]) if r["spearman"] is not None else 1.0,
                                       r["input"]))


def verdict(interval: Sequence[float], required_probability: float) -> str:
    """go if the Wilson lower bound >= required, no-go if the upper bound < required."""
    lo, hi = interval
    if lo >= required_probability:
        return "go"
    if hi < required_probability:
        return "no-go"
    return "uncertain"


# The NPV quantile function's levels: 0, 0.01, ..., 1 (101 levels).
QUANTILE_LEVELS = tuple(i / 100 for i in range(101))


def _finite_part(sorted_values: np.ndarray) -> np.ndarray:
    """The finite values of a sorted array (a view: -inf sort first, inf and NaN last)."""
    lo = int(np.searchsorted(sorted_values, -np.inf, side="right"))
    hi = int(np.searchsorted(sorted_values, np.inf, side="left"))
    return sorted_values[lo:hi]


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def npv_statistics(values: np.ndarray, sorted_values: np.ndarray) -> NpvStatistics:
    """Mean, sample standard deviation (ddof = 1), min, max and NPV_PERCENTILES (numpy's
    default linear method, as the summary's ``npv`` spread) of per-path NPVs."""
    n = values.shape[0]
    if n == 0:
        return NpvStatistics(*([None] * (4 + len(NPV_PERCENTILES))))
    mean = float(np.mean(values))
    sd = float(np.std(values, ddof=1)) if n > 1 else math.nan
    percentiles = np.percentile(sorted_values, NPV_PERCENTILES)
    numbers = [mean, sd, float(sorted_values[0]), float(sorted_values[-1]),
               *(float(v) for v in percentiles)]
    return NpvStatistics(*(_finite_or_none(x) for x in numbers))


def npv_quantiles(sorted_values: np.ndarray) -> Quantiles:
    """The quantile function of the finite NPVs at QUANTILE_LEVELS (linear method);
    empty when none is finite."""
    finite = _finite_part(sorted_values)
    if finite.shape[0] == 0:
        return Quantiles((), ())
    values = sorted_quantiles(finite, [100.0 * q for q in QUANTILE_LEVELS])
    return Quantiles(QUANTILE_LEVELS, tuple(float(v) for v in values))


def target_probabilities(
    sorted_values: np.ndarray, targets: Sequence[float],
) -> tuple[TargetProbability, ...]:
    """P(NPV < t) for each target t, by exact counts, with its Wilson 95 % interval."""
    n = sorted_values.shape[0]
    rows = []
    for target in targets:
        below = int(np.searchsorted(sorted_values, target, side="left"))
        rows.append(TargetProbability(float(target), below / n if n else 0.0,
                                      wilson_interval(below, n)))
    return tuple(rows)


def expected_loss_given_loss(sorted_values: np.ndarray) -> float | None:
    """E[-NPV | NPV < 0] (positive money), None when no path loses money."""
    losses = sorted_values[:int(np.searchsorted(sorted_values, 0.0, side="left"))]
    if losses.shape[0] == 0:
        return None
    return _finite_or_none(-float(np.mean(losses)))
