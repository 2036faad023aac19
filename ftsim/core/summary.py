"""summarize(result): the docs/model.md sections 11-12 summary of a run (plus documented extras), as
a typed, frozen `Summary` (summary_types.py); ``Summary.to_dict()`` is summary.json."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._version import __version__
from ..scenario import Scenario, input_label
from .drivers import driver_row, rank_drivers
from .metrics import (
    RANK_QUANTILES,
    CentredRanks,
    by_importance,
    centred_ranks,
    sort_sample,
    spearman_centred,
)
from .option_numbers import finite, floats, npv_numbers, option_outcomes, spread
from .result import (
    CUMULATIVE_PERCENTILES,
    RELEASABLE_OPTION_FIELDS,
    OptionResult,
    ReleasedError,
    Result,
)
from .sampling import WORLD
from .summary_types import (
    CorrelationRow,
    DriverRow,
    FanBands,
    InputRow,
    InputValue,
    OptionSummary,
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


def _sensitivity(row: Mapping[str, Any]) -> SensitivityRow:
    return SensitivityRow(row["input"], None if row["spearman"] is None else finite(row["spearman"]),
                          finite(row["p_payback_low"]), finite(row["p_payback_high"]))


def _option_summary(numbers: Mapping[str, Any], cs_percentiles: np.ndarray,
                    rows: _OptionRows) -> OptionSummary:
    return OptionSummary(
        **numbers,
        cumulative_net_savings=FanBands(*(floats(row) for row in cs_percentiles)),
        sensitivity=tuple(_sensitivity(r) for r in by_importance(rows.sensitivity)),
        drivers=rank_drivers(rows.drivers),
    )


def _input_rows(scenario: Scenario, quantiles: Mapping[str, Mapping[int, float]]
                ) -> tuple[InputRow, ...]:
    """Every input's row: a random one's quantiles (``quantiles``, from its sort), a fixed
    one's value."""
    rows = []
    for key, item in scenario.all_inputs().items():
        owner = key.split(".")[1] if key.startswith("options.") else WORLD
        if key in quantiles:
            p5, p50, p95 = (quantiles[key][q] for q in (5, 50, 95))
        else:
            p5 = p50 = p95 = float(item.dist.ppf(np.array([0.5]))[0])
        rows.append(InputRow(key, item.dist.describe(), item.is_random, owner,
                             finite(p5), finite(p50), finite(p95), label=input_label(key, scenario),
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
class _NpvRanks:
    """An option's NPV ranks, centred (None when NPV is constant): one side of every
    input's Spearman."""

    ranks: CentredRanks | None
    constant: bool


def _npv_statistics(scenario: Scenario, npv: np.ndarray) -> tuple[dict[str, Any], _NpvRanks]:
    """An option's numbers read from its NPV, and its NPV ranks: one sort, whose sorted
    copy goes with this task (it would otherwise stay through the groups and pilots)."""
    sample = sort_sample(npv)
    numbers = npv_numbers(scenario, npv, sample.values)
    constant = sample.is_constant()
    ranks = None if constant else centred_ranks(sample.average_ranks())
    return numbers, _NpvRanks(ranks, constant)


# an input's quantiles, sensitivity rows and driver rows by option, and EVPPI
_InputStatistics = tuple[dict[int, float], dict[str, dict[str, Any]], dict[str, DriverRow],
                         InputValue | None]


def _input_statistics(
    result: Result, key: str, values: np.ndarray, hits: Mapping[str, np.ndarray],
    npv: Mapping[str, _NpvRanks], voi: NetBenefit | None,
) -> _InputStatistics:
    """An input's quantiles, per owner option its sensitivity row and driver row, and its
    EVPPI (None without ``voi``, the run's prepared net benefit).

    One sort of the input ``values`` serves all; its ranks are dropped before the drivers,
    which hold one NPV copy ordered by the input at a time.
    """
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


def _traffic(result: Result) -> tuple[Spread, Spread]:
    return spread(result.tokens_per_month), spread(result.requests_per_month)


@dataclass(frozen=True)
class _Outcomes:
    """What the summary reads off the per-path arrays other than NPV and the inputs: per
    option its OptionSummary fields from its outcomes and its CS percentiles, and the
    spreads of tokens and requests per month."""

    options: dict[str, dict[str, Any]]
    cs: dict[str, np.ndarray]
    traffic: tuple[Spread, Spread]


@dataclass(frozen=True)
class _Statistics:
    """Everything the per-path arrays give the summary: option summaries, the inputs'
    quantiles, the value of information (None when not asked), tokens and requests."""

    options: dict[str, OptionSummary]
    quantiles: dict[str, dict[int, float]]
    value_of_information: ValueOfInformation | None
    traffic: tuple[Spread, Spread]


def _of(inputs: Mapping[str, np.ndarray], keys: Iterable[str]) -> dict[str, np.ndarray]:
    """The random inputs among ``keys`` (a fixed input has no per-path array)."""
    return {k: inputs[k] for k in keys if k in inputs}


def _outcomes(pool: ThreadPoolExecutor, result: Result, voi_enabled: bool | None,
              ) -> tuple[_Outcomes, NetBenefit | None]:
    """The first phase, in ``pool``: everything read from the outcomes but NPV, and the
    prepared net benefit of the value of information (None when not computed)."""
    voi = pool.submit(prepare, result, voi_enabled)
    options = {oid: pool.submit(option_outcomes, result.scenario, result.n_paths, oid, o)
               for oid, o in result.options.items()}
    cs = {oid: pool.submit(_cs_percentiles, o) for oid, o in result.options.items()}
    traffic = pool.submit(_traffic, result)
    return _Outcomes({oid: f.result() for oid, f in options.items()},
                     {oid: f.result() for oid, f in cs.items()}, traffic.result()), voi.result()


def _heavy_statistics(result: Result, threads: int | None, voi_enabled: bool | None,
                      release: bool) -> _Statistics:
    """The statistics of the per-path arrays, in a thread pool (the sorts and most numpy
    work release the GIL): first what the outcomes but NPV give (`_outcomes`), then the
    heavy part, its longest tasks (groups, pilots) first.

    Each input goes to its own tasks (the summary's references are popped as they are
    handed over). With ``release`` (`Result.take`: the caller holds none) the outcomes but
    NPV are freed before the heavy part, and each input once its statistics and the groups
    and pilots that read it are done. Memory in the heavy part stays at one sorted input
    (and one NPV ordered by it) per worker thread.
    """
    hits, scenario = _hits(result), result.scenario
    inputs = dict(result.inputs)
    if release:
        result.release(("inputs",))
    with ThreadPoolExecutor(max_workers=threads or min(8, os.cpu_count() or 1)) as pool:
        outcomes, voi = _outcomes(pool, result, voi_enabled)
        if release:
            _release_outcomes(result)
        npv_futures = [pool.submit(_npv_statistics, scenario, o.npv)
                       for o in result.options.values()]
        groups = [pool.submit(group_value, g, result, voi, _of(inputs, g.inputs))
                  for g in scenario.voi_groups if voi is not None]
        pilots = [pool.submit(pilot_value, p, result, voi, _of(inputs, [p.input]))
                  for p in scenario.pilots if voi is not None]
        numbers, ranks = {}, {}
        for oid, future in zip(result.options, npv_futures, strict=True):
            npv_numbers, ranks[oid] = future.result()
            numbers[oid] = {**outcomes.options[oid], **npv_numbers}
        input_futures = {key: pool.submit(_input_statistics, result, key, inputs.pop(key), hits,
                                          ranks, voi) for key in list(inputs)}
        statistics = {key: future.result() for key, future in input_futures.items()}
        found = None if voi is None else value_of_information(
            result, voi, {k: v for k, (*_, v) in statistics.items() if v is not None},
            tuple(f.result() for f in groups), tuple(f.result() for f in pilots))
    quantiles = {k: q for k, (q, _, _, _) in statistics.items()}
    return _Statistics(_option_summaries(result, numbers, outcomes.cs, statistics), quantiles,
                       found, outcomes.traffic)


def _release_outcomes(result: Result) -> None:
    """Free what `_Outcomes` has read: every per-path array but NPV and the inputs."""
    for option in result.options.values():
        option.release(name for name in RELEASABLE_OPTION_FIELDS if name != "npv")
    result.release(("tokens_per_month", "requests_per_month"))


def _option_summaries(result: Result, numbers: Mapping[str, Mapping[str, Any]],
                      cs: Mapping[str, np.ndarray], statistics: Mapping[str, _InputStatistics],
                      ) -> dict[str, OptionSummary]:
    """Each option's summary: its numbers, CS bands, and its inputs' rows in input order."""
    rows = {oid: _OptionRows([], []) for oid in result.options}
    for _, sensitivity, drivers, _ in statistics.values():
        for oid, row in sensitivity.items():
            rows[oid].sensitivity.append(row)
            rows[oid].drivers.append(drivers[oid])
    return {oid: _option_summary(numbers[oid], cs[oid], rows[oid]) for oid in result.options}


def _correlations(scenario: Scenario) -> tuple[CorrelationRow, ...]:
    return tuple(CorrelationRow(c.a, c.b, input_label(c.a, scenario), input_label(c.b, scenario),
                                float(c.rho), c.source, c.as_of)
                 for c in scenario.correlations)


def summarize(result: Result, threads: int | None = None, *,
              value_of_information: bool | None = None, release: bool = False) -> Summary:
    """The section 5 summary of a run, with extras used by the report (see README), and
    its value of information unless ``value_of_information`` is False (default: the
    scenario's ``[voi] enabled``; docs/model.md section 11.2).

    ``release``: the caller needs none of the result's per-path arrays afterwards (nothing
    else reads them, e.g. no per-path file is being written from them). The summary takes
    them (`Result.take`: ``result.released``; reading one raises ReleasedError) and frees
    each once read, before its heavy part where it can, so large runs peak lower (10M paths:
    GiB figures in memory.py). The numbers are the same either way.

    JSON-safe: it holds only finite numbers or None (null in summary.json); None means not
    finite or not defined, e.g. an input's P50 of None is ``max_acceptable_gap = inf`` (the
    default: never abandoned), a Spearman of None means a constant NPV or input, a payback
    quantile of None means not reached within the horizon, a driver's swing of None an
    input that never varies, a first-order share of None an output (the payback indicator
    or NPV) that never varies, an expected loss given a loss of None a run with no loss.
    """
    if result.released:
        raise ReleasedError("summarize: this result's per-path arrays were released by an "
                            "earlier summarize(result, release=True)")
    work = result.take() if release else result
    statistics = _heavy_statistics(work, threads, value_of_information, release)
    del work  # released: its last per-path arrays (the NPVs) go now
    scenario = result.scenario
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
        tokens_per_month=statistics.traffic[0],
        requests_per_month=statistics.traffic[1],
        inputs=_input_rows(scenario, statistics.quantiles),
        options=statistics.options,
        correlations=_correlations(scenario),
        value_of_information=statistics.value_of_information,
    )
