"""summarize(result): the MODEL.md section 5 summary of a run (plus documented extras), as
the JSON-ready dict written to summary.json."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
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

__all__ = ["CS_PERCENTILES", "json_safe", "summarize"]

CS_PERCENTILES = (5, 25, 50, 75, 95)


def _stats(x: np.ndarray, percentiles: Sequence[int] = (5, 50, 95), mean: bool = True) -> dict[str, float]:
    out = {"mean": float(np.mean(x))} if mean else {}
    values = np.percentile(x, percentiles)
    out.update({f"p{q}": float(v) for q, v in zip(percentiles, values, strict=True)})
    return out


def _histogram(x: np.ndarray, bins: int = 40) -> dict[str, list[float] | list[int]]:
    """Counts over the central 99 % of ``x`` (finite values), edges strictly increasing.

    A (nearly) constant sample gets a range of +-1, widened to +-1e-9 of its magnitude when
    that is larger: a fixed +-1 around 1e15 is below the spacing of float64 (0.125 there
    and growing), so the edges would repeat and numpy refuses them.
    """
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return {"edges": [], "counts": []}
    lo, hi = (float(v) for v in np.percentile(finite, [0.5, 99.5]))
    scale = max(abs(lo), abs(hi))
    if hi - lo <= 1e-9 * scale:
        mid, pad = lo + 0.5 * (hi - lo), max(1.0, 1e-9 * scale)
        lo, hi = mid - pad, mid + pad
    counts, edges = np.histogram(finite, bins=bins, range=(lo, hi))
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def _option_summary(
    result: Result, option_id: str, option: OptionResult, sorted_cs: np.ndarray,
    sensitivity_rows: list[dict[str, Any]],
) -> dict[str, Any]:
    scenario = result.scenario
    n, horizon, within = result.n_paths, scenario.horizon_months, scenario.payback_within_months
    payback = option.payback_month
    hit = (payback > 0) & (payback <= within)
    hits = int(np.count_nonzero(hit))
    interval = wilson_interval(hits, n)
    cs = sorted_quantiles(sorted_cs, CS_PERCENTILES).T
    monthly = {k: (option.monthly_cost_sums[k] / n).tolist()
               for k in ("baseline", *COST_COMPONENTS, *BASELINE_COMPONENTS)}
    return {
        "name": scenario.options[option_id].name,
        "p_payback_within": hits / n,
        "p_payback_within_ci95": list(interval),
        "p_payback_by_month": payback_probability_by_month(payback, horizon).tolist(),
        "payback_month": {f"p{q}": payback_month_quantile(payback, q, horizon) for q in (10, 50, 90)},
        "p_abandoned": float(np.mean(option.abandoned)),
        "npv": _stats(option.npv),
        "upfront_cost": _stats(option.upfront),
        "tco": {"baseline": _stats(option.tco_baseline, (50,)),
                "option": _stats(option.tco_option, (50,))},
        "cumulative_net_savings": {f"p{q}": row.astype(float).tolist()
                                   for q, row in zip(CS_PERCENTILES, cs, strict=True)},
        "sensitivity": by_importance(sensitivity_rows),
        "verdict": verdict(interval, scenario.required_probability),
        "p_npv_negative": float(np.mean(option.npv < 0)),
        "p_dips_below_zero_after_payback": float(np.mean(option.dips_after_payback)),
        "mean_retrains": float(np.mean(option.retrains)),
        "npv_histogram": _histogram(option.npv),
        "monthly_mean_cost": monthly,
    }


def _input_rows(result: Result, quantiles: Mapping[str, Mapping[int, float]]) -> list[dict[str, Any]]:
    rows = []
    for key, item in result.scenario.all_inputs().items():
        owner = key.split(".")[1] if key.startswith("options.") else WORLD
        if key in quantiles:
            p5, p50, p95 = (quantiles[key][q] for q in (5, 50, 95))
        elif key in result.inputs:
            p5, p50, p95 = (float(v) for v in np.percentile(result.inputs[key], [5, 50, 95]))
        else:
            p5 = p50 = p95 = float(item.dist.ppf(np.array([0.5]))[0])
        rows.append({"input": key, "written": item.dist.describe(), "random": item.is_random,
                     "owner": owner, "p5": p5, "p50": p50, "p95": p95})
    return rows


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


def summarize(result: Result, threads: int | None = None) -> dict[str, Any]:
    """The section 5 summary of a run, with extras used by the report (see README).

    JSON-safe: it holds only finite numbers or null (``json_safe``); null means not finite
    or not defined, e.g. an input's P50 of null is ``max_acceptable_gap = inf`` (the
    default: never abandoned), a Spearman of null means a constant NPV or input, a payback
    quantile of null means not reached within the horizon.
    """
    scenario = result.scenario
    sorted_cs, quantiles, rows_by_option = _heavy_statistics(result, threads)
    return json_safe({
        "ftsim_version": __version__,
        "scenario": {
            "name": scenario.name,
            "file": scenario.file.name if scenario.file is not None else None,
            "sha256": scenario.sha256,
            "currency": scenario.currency,
        },
        "simulation": {
            "paths": result.n_paths,
            "seed": result.seed,
            "sampler": result.sampler,
            "horizon_months": scenario.horizon_months,
            "payback_within_months": scenario.payback_within_months,
            "chunk_size": result.chunk_size,
            "required_probability": scenario.required_probability,
            "discount_rate_annual": scenario.discount_rate_annual,
        },
        "baseline": {"name": scenario.baseline_name},
        "volume": {"tokens_per_month": _stats(result.tokens_per_month),
                   "requests_per_month": _stats(result.requests_per_month)},
        "inputs": _input_rows(result, quantiles),
        "options": {oid: _option_summary(result, oid, option, sorted_cs[oid], rows_by_option[oid])
                    for oid, option in result.options.items()},
    })
