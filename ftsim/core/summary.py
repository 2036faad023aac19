"""summarize(result): the docs/model.md sections 11-12 summary of a run (plus documented extras), as
a typed, frozen `Summary` (summary_types.py); ``Summary.to_dict()`` is summary.json."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._version import __version__
from ..scenario import Scenario, input_label
from .drivers import driver_row, rank_drivers
from .engine import BASELINE_COMPONENTS, COST_COMPONENTS
from .metrics import (
    RANK_QUANTILES,
    CentredRanks,
    by_importance,
    centred_ranks,
    expected_loss_given_loss,
    npv_quantiles,
    npv_statistics,
    payback_month_quantile,
    payback_probability_by_month,
    sort_sample,
    spearman_centred,
    target_probabilities,
    verdict,
    wilson_interval,
)
from .result import CUMULATIVE_PERCENTILES, OptionResult, Result
from .sampling import WORLD
from .summary_types import (
    CorrelationRow,
    DriverRow,
    FanBands,
    Histogram,
    InputRow,
    InputValue,
    MeanMedian,
    MonthlyCosts,
    OptionSummary,
    PaybackMonths,
    ScenarioInfo,
    SensitivityRow,
    SimulationInfo,
    Spread,
    Summary,
    ValueOfInformation,
)
from .voi import NetBenefit
from .voi_summary import group_value, input_value, pilot_value, prepare, value_of_information

__all__ = ["CS_PERCENTILES", "Summary", "json_safe", "summarize"]

CS_PERCENTILES = CUMULATIVE_PERCENTILES  # 5, 25, 50, 75, 95


def _f(x: Any) -> float | None:
    """A finite float, or None for inf / -inf / NaN (JSON has no such numbers)."""
    x = float(x)
    return x if math.isfinite(x) else None


def _floats(values: np.ndarray) -> tuple[float, ...]:
    """Values finite by construction (probabilities, percentiles of finite money) as floats."""
    return tuple(float(v) for v in np.asarray(values, dtype=float).tolist())


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
    return Histogram(_floats(edges), tuple(int(c) for c in counts.tolist()))


def _sensitivity(row: Mapping[str, Any]) -> SensitivityRow:
    return SensitivityRow(row["input"], None if row["spearman"] is None else _f(row["spearman"]),
                          _f(row["p_payback_low"]), _f(row["p_payback_high"]))


def _option_numbers(result: Result, option_id: str, option: OptionResult,
                    sorted_npv: np.ndarray) -> dict[str, Any]:
    """An option's OptionSummary fields but its CS bands, sensitivity and drivers: the
    per-path statistics, computed in the summary's thread pool beside the inputs."""
    scenario = result.scenario
    n, horizon, within = result.n_paths, scenario.horizon_months, scenario.payback_within_months
    payback = option.payback_month
    hit = (payback > 0) & (payback <= within)
    hits = int(np.count_nonzero(hit))
    low, high = wilson_interval(hits, n)
    monthly = {k: _floats(option.monthly_cost_sums[k] / n)
               for k in ("baseline", *COST_COMPONENTS, *BASELINE_COMPONENTS)}
    return dict(
        id=option_id,
        name=scenario.options[option_id].name,
        p_payback_within=hits / n,
        p_payback_within_ci95=(low, high),
        p_payback_by_month=_floats(payback_probability_by_month(payback, horizon)),
        payback_month=PaybackMonths(*(payback_month_quantile(payback, q, horizon)
                                      for q in (10, 50, 90))),
        p_abandoned=float(np.mean(option.abandoned)),
        npv=_spread(option.npv),
        upfront_cost=_spread(option.upfront),
        tco_baseline=_mean_median(option.tco_baseline),
        tco_option=_mean_median(option.tco_option),
        verdict=verdict((low, high), scenario.required_probability),
        p_npv_negative=float(np.mean(option.npv < 0)),
        p_dips_below_zero_after_payback=float(np.mean(option.dips_after_payback)),
        mean_retrains=float(np.mean(option.retrains)),
        npv_histogram=_histogram(option.npv),
        monthly_mean_cost=MonthlyCosts(**monthly),
        npv_statistics=npv_statistics(option.npv, sorted_npv),
        npv_quantiles=npv_quantiles(sorted_npv),
        expected_loss_given_loss=expected_loss_given_loss(sorted_npv),
        npv_targets=target_probabilities(sorted_npv, scenario.npv_targets),
    )


def _option_summary(numbers: Mapping[str, Any], cs_percentiles: np.ndarray,
                    rows: _OptionRows) -> OptionSummary:
    return OptionSummary(
        **numbers,
        cumulative_net_savings=FanBands(*(_floats(row) for row in cs_percentiles)),
        sensitivity=tuple(_sensitivity(r) for r in by_importance(rows.sensitivity)),
        drivers=rank_drivers(rows.drivers),
    )


def _input_rows(result: Result, quantiles: Mapping[str, Mapping[int, float]]) -> tuple[InputRow, ...]:
    rows = []
    scenario = result.scenario
    for key, item in scenario.all_inputs().items():
        owner = key.split(".")[1] if key.startswith("options.") else WORLD
        if key in quantiles:
            p5, p50, p95 = (quantiles[key][q] for q in (5, 50, 95))
        elif key in result.inputs:
            p5, p50, p95 = (float(v) for v in np.percentile(result.inputs[key], [5, 50, 95]))
        else:
            p5 = p50 = p95 = float(item.dist.ppf(np.array([0.5]))[0])
        rows.append(InputRow(key, item.dist.describe(), item.is_random, owner,
                             _f(p5), _f(p50), _f(p95), label=input_label(key, scenario),
                             source=item.source, as_of=item.as_of))
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


@dataclass(frozen=True)
class _OptionRows:
    """One option's per-input rows: sensitivity dicts and drivers, in input order."""

    sensitivity: list[dict[str, Any]]
    drivers: list[DriverRow]


@dataclass(frozen=True)
class _NpvOrder:
    """An option's sorted NPV, and its centred ranks (None when NPV is constant)."""

    sorted: np.ndarray
    ranks: CentredRanks | None
    constant: bool


def _npv_order(npv: np.ndarray) -> _NpvOrder:
    sample = sort_sample(npv)
    constant = sample.is_constant()
    ranks = None if constant else centred_ranks(sample.average_ranks())
    return _NpvOrder(sample.values, ranks, constant)


def _input_statistics(
    result: Result, key: str, hits: Mapping[str, np.ndarray], npv: Mapping[str, _NpvOrder],
    voi: NetBenefit | None,
) -> tuple[dict[int, float], dict[str, dict[str, Any]], dict[str, DriverRow], InputValue | None]:
    """An input's quantiles, per owner option its sensitivity row and driver row, and its
    EVPPI (None without ``voi``, the run's prepared net benefit).

    One sort of the input serves all; its ranks are dropped before the drivers, which hold
    one NPV copy ordered by the input at a time.
    """
    values = result.inputs[key]
    sample = sort_sample(values)
    quantiles = sample.percentiles(RANK_QUANTILES)
    deciles = (quantiles[10], quantiles[90])
    owners = [key.split(".")[1]] if key.startswith("options.") else list(result.options)
    ranks = centred_ranks(sample.average_ranks())
    rhos: dict[str, float | None] = {}
    for oid in owners:
        npv_ranks = npv[oid].ranks
        rhos[oid] = None if npv_ranks is None else spearman_centred(ranks, npv_ranks)
    del ranks
    label = input_label(key, result.scenario)
    drivers = {oid: driver_row(key, label, sample, deciles, hits[oid],
                               None if npv[oid].constant else result.options[oid].npv, rhos[oid])
               for oid in owners}
    sensitivity = {oid: {"input": key, "spearman": rhos[oid],
                         "p_payback_low": row.p_payback_low, "p_payback_high": row.p_payback_high}
                   for oid, row in drivers.items()}
    value = None if voi is None else input_value(key, label, sample, voi)
    return quantiles, sensitivity, drivers, value


def _cs_percentiles(option: OptionResult) -> np.ndarray:
    """Per-month CS_PERCENTILES of CS_t, (5, H), exact also for a run that streamed CS."""
    return option.cumulative_percentiles(CS_PERCENTILES)


def _heavy_statistics(
    result: Result, threads: int | None, voi: NetBenefit | None,
) -> tuple[dict[str, OptionSummary], dict[str, dict[int, float]], ValueOfInformation | None]:
    """Every option's summary, the input quantiles, and the value of information when
    ``voi`` (the prepared net benefit) is given.

    The heavy parts -- one sort per random input and per option's NPV, the CS percentiles
    and per-path statistics of each option, the groups' and pilots' values -- run in a
    thread pool (the sorts and most numpy work release the GIL), and each input's sort is
    used for every option and then dropped, so memory stays at one sorted input (and one
    NPV ordered by it) per worker thread.
    """
    hits = _hits(result)
    threads = threads or min(8, os.cpu_count() or 1)
    scenario = result.scenario
    with ThreadPoolExecutor(max_workers=threads) as pool:
        npv_futures = {oid: pool.submit(_npv_order, o.npv) for oid, o in result.options.items()}
        # the longest single tasks go first, so no thread is left with one at the end
        groups = [pool.submit(group_value, g, result, voi) for g in scenario.voi_groups
                  if voi is not None]
        pilots = [pool.submit(pilot_value, p, result, voi) for p in scenario.pilots
                  if voi is not None]
        cs_futures = {oid: pool.submit(_cs_percentiles, o)
                      for oid, o in result.options.items()}
        npv = {oid: future.result() for oid, future in npv_futures.items()}
        number_futures = {oid: pool.submit(_option_numbers, result, oid, o, npv[oid].sorted)
                          for oid, o in result.options.items()}
        inputs = pool.map(lambda k: _input_statistics(result, k, hits, npv, voi), result.inputs)
        statistics = dict(zip(result.inputs, inputs, strict=True))
        cs = {oid: future.result() for oid, future in cs_futures.items()}
        numbers = {oid: future.result() for oid, future in number_futures.items()}
    quantiles = {k: q for k, (q, _, _, _) in statistics.items()}
    rows = {oid: _OptionRows([], []) for oid in result.options}
    for _, sensitivity, drivers, _ in statistics.values():
        for oid, row in sensitivity.items():
            rows[oid].sensitivity.append(row)
            rows[oid].drivers.append(drivers[oid])
    values = {k: v for k, (_, _, _, v) in statistics.items() if v is not None}
    found = None if voi is None else value_of_information(
        result, voi, values, tuple(f.result() for f in groups), tuple(f.result() for f in pilots))
    options = {oid: _option_summary(numbers[oid], cs[oid], rows[oid]) for oid in result.options}
    return options, quantiles, found


def _correlations(scenario: Scenario) -> tuple[CorrelationRow, ...]:
    return tuple(CorrelationRow(c.a, c.b, input_label(c.a, scenario), input_label(c.b, scenario),
                                float(c.rho), c.source, c.as_of)
                 for c in scenario.correlations)


def summarize(result: Result, threads: int | None = None, *,
              value_of_information: bool | None = None) -> Summary:
    """The section 5 summary of a run, with extras used by the report (see README), and
    its value of information unless ``value_of_information`` is False (default: the
    scenario's ``[voi] enabled``; docs/model.md section 11.2).

    JSON-safe: it holds only finite numbers or None (null in summary.json); None means not
    finite or not defined, e.g. an input's P50 of None is ``max_acceptable_gap = inf`` (the
    default: never abandoned), a Spearman of None means a constant NPV or input, a payback
    quantile of None means not reached within the horizon, a driver's swing of None an
    input that never varies, a first-order share of None an output (the payback indicator
    or NPV) that never varies, an expected loss given a loss of None a run with no loss.
    """
    scenario = result.scenario
    voi = prepare(result, value_of_information)
    options, quantiles, found = _heavy_statistics(result, threads, voi)
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
        options=options,
        correlations=_correlations(scenario),
        value_of_information=found,
    )
