"""Per-path arrays -> the MODEL.md section 5 summary (Wilson, payback quantiles, NPV, sensitivity)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import __version__
from .engine import BASELINE_COMPONENTS, COST_COMPONENTS
from .sampling import WORLD

if TYPE_CHECKING:  # pragma: no cover
    from .result import OptionResult, Result

__all__ = [
    "Z95",
    "wilson_interval",
    "payback_probability_by_month",
    "payback_month_quantile",
    "Ranked",
    "rank",
    "sorted_quantiles",
    "average_ranks",
    "spearman_from_ranks",
    "sensitivity",
    "sensitivity_row",
    "by_importance",
    "verdict",
    "json_safe",
    "summarize",
]

Z95 = 1.959964
CS_PERCENTILES = (5, 25, 50, 75, 95)


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


@dataclass(frozen=True)
class Ranked:
    """An input's average ranks and a few of its quantiles, from one sort.

    Sorting once serves both Spearman's rho and the decile thresholds, which is what
    makes sensitivity cheap at a million paths (one argsort per input).
    """

    ranks: np.ndarray  # 1-based, ties share their average rank
    quantiles: dict[int, float]  # numpy's linear method, at RANK_QUANTILES


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


def rank(x: np.ndarray) -> Ranked:
    n = x.shape[0]
    order = np.argsort(x)
    ordered = x[order]
    new_group = np.empty(n, bool)
    new_group[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new_group[1:])
    ranks = np.empty(n)
    if new_group.all():
        ranks[order] = np.arange(1, n + 1)
    else:
        start = np.flatnonzero(new_group)
        end = np.append(start[1:], n)
        ranks[order] = np.repeat((start + end + 1) / 2.0, end - start)
    values = sorted_quantiles(ordered, RANK_QUANTILES)
    return Ranked(ranks, {q: float(v) for q, v in zip(RANK_QUANTILES, values, strict=True)})


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks with ties sharing their average rank (what Spearman's rho needs)."""
    return rank(x).ranks


def spearman_from_ranks(rank_a: np.ndarray, rank_b: np.ndarray) -> float | None:
    """Pearson correlation of two rank vectors; None when either is constant."""
    a = rank_a - rank_a.mean()
    b = rank_b - rank_b.mean()
    denom = math.sqrt(float(a @ a) * float(b @ b))
    return None if denom == 0.0 else float(a @ b) / denom


def sensitivity_row(
    key: str, values: np.ndarray, ranked: Ranked, npv_ranks: np.ndarray | None, hit: np.ndarray,
) -> dict[str, Any]:
    """One input's sensitivity entry: Spearman with NPV (None when NPV is constant, passed as
    ``npv_ranks=None``) and P(hit) at or below its 10th / at or above its 90th percentile."""
    rho = None if npv_ranks is None else spearman_from_ranks(ranked.ranks, npv_ranks)
    return {
        "input": key,
        "spearman": rho,
        "p_payback_low": float(hit[values <= ranked.quantiles[10]].mean()),
        "p_payback_high": float(hit[values >= ranked.quantiles[90]].mean()),
    }


def by_importance(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Largest |Spearman| first; None (constant NPV) last; ties by name."""
    return sorted(rows, key=lambda r: (-abs(r["spearman"]) if r["spearman"] is not None else 1.0,
                                       r["input"]))


def sensitivity(
    inputs: Mapping[str, np.ndarray], npv: np.ndarray, hit: np.ndarray,
) -> list[dict[str, Any]]:
    """Rank the random inputs by |Spearman| with NPV, with P(hit) in each input's outer deciles.

    ``hit`` is the per-path indicator of payback within N. ``p_payback_low`` uses paths at or
    below the input's 10th percentile, ``p_payback_high`` those at or above its 90th.
    """
    npv_ranks = None if np.all(npv == npv[0]) else average_ranks(npv)
    return by_importance([sensitivity_row(k, v, rank(v), npv_ranks, hit)
                          for k, v in inputs.items()])


def verdict(interval: Sequence[float], required_probability: float) -> str:
    """go if the Wilson lower bound >= required, no-go if the upper bound < required."""
    lo, hi = interval
    if lo >= required_probability:
        return "go"
    if hi < required_probability:
        return "no-go"
    return "uncertain"


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


def summarize(result: Result, threads: int | None = None) -> dict[str, Any]:
    """The section 5 summary of a run, with extras used by the report (see README).

    JSON-safe: it holds only finite numbers or null (``json_safe``); null means not finite
    or not defined, e.g. an input's P50 of null is ``max_acceptable_gap = inf`` (the
    default: never abandoned), a Spearman of null means a constant NPV or input, a payback
    quantile of null means not reached within the horizon.

    The heavy parts -- one argsort per random input and per option's NPV, one sort of each
    option's month-major CS rows -- run in a thread pool (numpy releases the GIL while
    sorting), and each input's ranks are used for every option and then dropped, so memory
    stays at one rank vector per worker thread.
    """
    scenario = result.scenario
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
