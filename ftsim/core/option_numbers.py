"""An option's summary numbers read from its per-path outcomes and NPV (summarize() runs
them in its thread pool), and the conversions to JSON-safe floats they share."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..scenario import Scenario
from .engine import BASELINE_COMPONENTS, COST_COMPONENTS
from .metrics import (
    expected_loss_given_loss,
    npv_quantiles,
    npv_statistics,
    payback_month_quantile,
    payback_probability_by_month,
    target_probabilities,
    verdict,
    wilson_interval,
)
from .result import OptionResult
from .summary_types import Histogram, MeanMedian, MonthlyCosts, PaybackMonths, Spread

__all__ = ["finite", "floats", "spread", "mean_median", "histogram", "option_outcomes",
           "npv_numbers"]


def finite(x: Any) -> float | None:
    """A finite float, or None for inf / -inf / NaN (JSON has no such numbers)."""
    x = float(x)
    return x if math.isfinite(x) else None


def floats(values: np.ndarray) -> tuple[float, ...]:
    """Values finite by construction (probabilities, percentiles of finite money) as floats."""
    return tuple(float(v) for v in np.asarray(values, dtype=float).tolist())


def spread(x: np.ndarray) -> Spread:
    p5, p50, p95 = np.percentile(x, (5, 50, 95))
    return Spread(finite(np.mean(x)), finite(p5), finite(p50), finite(p95))


def mean_median(x: np.ndarray) -> MeanMedian:
    return MeanMedian(finite(np.mean(x)), finite(np.percentile(x, (50,))[0]))


def histogram(x: np.ndarray, bins: int = 40) -> Histogram:
    """Counts over the central 99 % of ``x`` (finite values), edges strictly increasing.

    A (nearly) constant sample gets a range of +-1, widened to +-1e-9 of its magnitude when
    that is larger: a fixed +-1 around 1e15 is below the spacing of float64 (0.125 there
    and growing), so the edges would repeat and numpy refuses them.
    """
    values = x[np.isfinite(x)]
    if values.size == 0:
        return Histogram((), ())
    lo, hi = (float(v) for v in np.percentile(values, [0.5, 99.5]))
    scale = max(abs(lo), abs(hi))
    if hi - lo <= 1e-9 * scale:
        mid, pad = lo + 0.5 * (hi - lo), max(1.0, 1e-9 * scale)
        lo, hi = mid - pad, mid + pad
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    return Histogram(floats(edges), tuple(int(c) for c in counts.tolist()))


def option_outcomes(scenario: Scenario, n: int, option_id: str,
                     option: OptionResult) -> dict[str, Any]:
    """An option's OptionSummary fields read from its outcomes but NPV (payback, costs,
    abandonment, retrains): a releasing summary frees those arrays right after."""
    horizon, within = scenario.horizon_months, scenario.payback_within_months
    payback = option.payback_month
    hits = int(np.count_nonzero((payback > 0) & (payback <= within)))
    low, high = wilson_interval(hits, n)
    monthly = {k: floats(option.monthly_cost_sums[k] / n)
               for k in ("baseline", *COST_COMPONENTS, *BASELINE_COMPONENTS)}
    return dict(
        id=option_id,
        name=scenario.options[option_id].name,
        p_payback_within=hits / n,
        p_payback_within_ci95=(low, high),
        p_payback_by_month=floats(payback_probability_by_month(payback, horizon)),
        payback_month=PaybackMonths(*(payback_month_quantile(payback, q, horizon)
                                      for q in (10, 50, 90))),
        p_abandoned=float(np.mean(option.abandoned)),
        upfront_cost=spread(option.upfront),
        tco_baseline=mean_median(option.tco_baseline),
        tco_option=mean_median(option.tco_option),
        verdict=verdict((low, high), scenario.required_probability),
        p_dips_below_zero_after_payback=float(np.mean(option.dips_after_payback)),
        mean_retrains=float(np.mean(option.retrains)),
        monthly_mean_cost=MonthlyCosts(**monthly),
    )


def npv_numbers(scenario: Scenario, npv: np.ndarray, sorted_npv: np.ndarray) -> dict[str, Any]:
    """An option's OptionSummary fields read from its NPV, in path order and sorted."""
    return dict(
        npv=spread(npv),
        p_npv_negative=float(np.mean(npv < 0)),
        npv_histogram=histogram(npv),
        npv_statistics=npv_statistics(npv, sorted_npv),
        npv_quantiles=npv_quantiles(sorted_npv),
        expected_loss_given_loss=expected_loss_given_loss(sorted_npv),
        npv_targets=target_probabilities(sorted_npv, scenario.npv_targets),
    )
