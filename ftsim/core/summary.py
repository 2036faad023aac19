"""summarize(result): the MODEL.md section 5 summary of a run (plus documented extras), as
a typed, frozen `Summary` (summary_types.py); ``Summary.to_dict()`` is summary.json."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._version import __version__
from .engine import BASELINE_COMPONENTS, COST_COMPONENTS
from .metrics import (
    average_ranks,
    by_importance,
    payback_month_quantile,
    payback_probability_by_month,
    rank,
    sensitivity_row,
    sorted_quantiles,
    verdict,
    wilson_interval,
)
from .result import OptionResult, Result
from .sampling import WORLD
from .summary_types import (
    FanBands,
    Histogram,
    InputRow,
    MeanMedian,
    MonthlyCosts,
    OptionSummary,
    PaybackMonths,
    ScenarioInfo,
    SensitivityRow,
    SimulationInfo,
    Spread,
    Summary,
)

__all__ = ["CS_PERCENTILES", "Summary", "json_safe", "summarize"]

CS_PERCENTILES = (5, 25, 50, 75, 95)


def _f(x: Any) -> float | None:
    """A finite float, or None for inf / -inf / NaN (JSON has no such numbers)."""
    x = float(x)
    return x if math.isfinite(x) else None


def _fs(values: Any) -> tuple[float | None, ...]:
    return tuple(_f(v) for v in np.asarray(values).tolist())


def _spread(x: np.ndarray) -> Spread:
    p5, p50, p95 = np.percentile(x, (5, 50, 95))
    return Spread(_f(np.mean(x)), _f(p5), _f(p50), _f(p95))


def _mean_median(x: np.ndarray) -> MeanMedian:
    return MeanMedian(_f(np.mean(x)), _f(np.percentile(x, (50,))[0]))


def _histogram(x: np.ndarray, bins: int = 40) -> Histogram:
    """Counts over the central 99 % of ``x`` (finite values), edges strictly increasing.

    A (nearly) constant sample gets a range of +-1, widened to +-1e-9 of its magnitude when
    that is larger: a fixed +-1 around 1e15 is below the spacing of float64 (0.125 there
    and growing), so the edges would repeat and numpy refuses them.
    """
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return Histogram((), ())
    lo, hi = (float(v) for v in np.percentile(finite, [0.5, 99.5]))
    scale = max(abs(lo), abs(hi))
    if hi - lo <= 1e-9 * scale:
        mid, pad = lo + 0.5 * (hi - lo), max(1.0, 1e-9 * scale)
        lo, hi = mid - pad, mid + pad
    counts, edges = np.histogram(finite, bins=bins, range=(lo, hi))
    return Histogram(_fs(edges), tuple(counts.tolist()))  # type: ignore[arg-type]


def _sensitivity(row: Mapping[str, Any]) -> SensitivityRow:
    return SensitivityRow(row["input"], None if row["spearman"] is None else _f(row["spearman"]),
                          _f(row["p_payback_low"]), _f(row["p_payback_high"]))


def _option_summary(
    result: Result, option_id: str, option: OptionResult, sorted_cs: np.ndarray,
    sensitivity_rows: list[dict[str, Any]],
) -> OptionSummary:
    scenario = result.scenario
    n, horizon, within = result.n_paths, scenario.horizon_months, scenario.payback_within_months
    payback = option.payback_month
    hit = (payback > 0) & (payback <= within)
    hits = int(np.count_nonzero(hit))
    low, high = wilson_interval(hits, n)
    cs = sorted_quantiles(sorted_cs, CS_PERCENTILES).T
    monthly = {k: _fs(option.monthly_cost_sums[k] / n)
               for k in ("baseline", *COST_COMPONENTS, *BASELINE_COMPONENTS)}
    return OptionSummary(
        id=option_id,
        name=scenario.options[option_id].name,
        p_payback_within=hits / n,
        p_payback_within_ci95=(_f(low), _f(high)),  # type: ignore[arg-type]
        p_payback_by_month=_fs(payback_probability_by_month(payback, horizon)),  # type: ignore[arg-type]
        payback_month=PaybackMonths(*(payback_month_quantile(payback, q, horizon)
                                      for q in (10, 50, 90))),
        p_abandoned=float(np.mean(option.abandoned)),
        npv=_spread(option.npv),
        upfront_cost=_spread(option.upfront),
        tco_baseline=_mean_median(option.tco_baseline),
        tco_option=_mean_median(option.tco_option),
        cumulative_net_savings=FanBands(*(_fs(row.astype(float)) for row in cs)),  # type: ignore[arg-type]
        sensitivity=tuple(_sensitivity(r) for r in by_importance(sensitivity_rows)),
        verdict=verdict((low, high), scenario.required_probability),
        p_npv_negative=float(np.mean(option.npv < 0)),
        p_dips_below_zero_after_payback=float(np.mean(option.dips_after_payback)),
        mean_retrains=float(np.mean(option.retrains)),
        npv_histogram=_histogram(option.npv),
        monthly_mean_cost=MonthlyCosts(**monthly),  # type: ignore[arg-type]
    )


def _input_rows(result: Result, quantiles: Mapping[str, Mapping[int, float]]) -> tuple[InputRow, ...]:
    rows = []
    for key, item in result.scenario.all_inputs().items():
        owner = key.split(".")[1] if key.startswith("options.") else WORLD
        if key in quantiles:
            p5, p50, p95 = (quantiles[key][q] for q in (5, 50, 95))
        elif key in result.inputs:
            p5, p50, p95 = (float(v) for v in np.percentile(result.inputs[key], [5, 50, 95]))
        else:
            p5 = p50 = p95 = float(item.dist.ppf(np.array([0.5]))[0])
        rows.append(InputRow(key, item.dist.describe(), item.is_random, owner,
                             _f(p5), _f(p50), _f(p95)))
    return tuple(rows)


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (inf, -inf, NaN) replaced by None, recursively.

    JSON has no infinity or NaN (``json.dumps(allow_nan=False)`` refuses them and other
    readers reject the non-standard ``Infinity``), so the summary encodes "not finite / not
    defined" as null in one place, here, instead of at each value's source.
    """
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def _hits(result: Result) -> dict[str, np.ndarray]:
    within = result.scenario.payback_within_months
    return {oid: (o.payback_month > 0) & (o.payback_month <= within)
            for oid, o in result.options.items()}


def _heavy_statistics(
    result: Result, threads: int | None,
) -> tuple[dict[str, np.ndarray], dict[str, dict[int, float]], dict[str, list[dict[str, Any]]]]:
    """Sorted CS rows per option, input quantiles, and sensitivity rows per option.

    The heavy parts -- one argsort per random input and per option's NPV, one sort of each
    option's month-major CS rows -- run in a thread pool (numpy releases the GIL while
    sorting), and each input's ranks are used for every option and then dropped, so memory
    stays at one rank vector per worker thread.
    """
    hits = _hits(result)
    threads = threads or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        # cumulative is month-major (H, paths): sorting contiguous float32 rows is the
        # fastest exact way to per-month percentiles (numpy's SIMD sort).
        sorted_cs = {oid: pool.submit(np.sort, o.cumulative, axis=1)
                     for oid, o in result.options.items()}
        npv_futures = {oid: pool.submit(average_ranks, o.npv) for oid, o in result.options.items()}
        npv_ranks = {oid: None if np.all(o.npv == o.npv[0]) else npv_futures[oid].result()
                     for oid, o in result.options.items()}

        def input_statistics(key: str) -> tuple[dict[int, float], dict[str, dict[str, Any]]]:
            values = result.inputs[key]
            ranked = rank(values)
            owners = ([key.split(".")[1]] if key.startswith("options.") else list(result.options))
            rows = {oid: sensitivity_row(key, values, ranked, npv_ranks[oid], hits[oid])
                    for oid in owners}
            return ranked.quantiles, rows

        statistics = dict(zip(result.inputs, pool.map(input_statistics, result.inputs),
                              strict=True))
        sorted_cs = {oid: future.result() for oid, future in sorted_cs.items()}
    quantiles = {k: q for k, (q, _) in statistics.items()}
    rows_by_option: dict[str, list[dict[str, Any]]] = {oid: [] for oid in result.options}
    for _, rows in statistics.values():
        for oid, row in rows.items():
            rows_by_option[oid].append(row)
    return sorted_cs, quantiles, rows_by_option


def summarize(result: Result, threads: int | None = None) -> Summary:
    """The section 5 summary of a run, with extras used by the report (see README).

    JSON-safe: it holds only finite numbers or None (null in summary.json); None means not
    finite or not defined, e.g. an input's P50 of None is ``max_acceptable_gap = inf`` (the
    default: never abandoned), a Spearman of None means a constant NPV or input, a payback
    quantile of None means not reached within the horizon.
    """
    scenario = result.scenario
    sorted_cs, quantiles, rows_by_option = _heavy_statistics(result, threads)
    half_width = result.precision_half_width
    return Summary(
        ftsim_version=__version__,
        scenario=ScenarioInfo(scenario.name,
                              scenario.file.name if scenario.file is not None else None,
                              scenario.sha256, scenario.currency),
        simulation=SimulationInfo(
            paths=result.n_paths, seed=result.seed, sampler=result.sampler,
            horizon_months=scenario.horizon_months,
            payback_within_months=scenario.payback_within_months,
            chunk_size=result.chunk_size,
            required_probability=json_safe(scenario.required_probability),
            discount_rate_annual=json_safe(scenario.discount_rate_annual),
            precision_target=result.precision_target,
            precision_reached=result.precision_reached,
            precision_half_width=None if half_width is None else round(half_width, 6)),
        baseline_name=scenario.baseline_name,
        tokens_per_month=_spread(result.tokens_per_month),
        requests_per_month=_spread(result.requests_per_month),
        inputs=_input_rows(result, quantiles),
        options={oid: _option_summary(result, oid, option, sorted_cs[oid], rows_by_option[oid])
                 for oid, option in result.options.items()},
    )
