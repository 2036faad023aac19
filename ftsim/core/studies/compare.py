"""Two runs compared (``python -m ftsim compare RUN_A RUN_B``): per option, the change in
P(payback within N), in NPV and in the top drivers, and the scenario diff.

Two runs with the same seed, sampler, chunk size and path count simulate the same futures
path by path (common random numbers: path i draws the same inputs in both, except those
whose law changed), so the change is estimated from the per-path differences, whose
spread is far smaller than that of two independent samples. Otherwise the runs are two
independent samples. Pure: summaries and per-path arrays in, frozen dataclasses out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..summary_types import DriverRow, OptionSummary, SimulationInfo, Summary
from .compare_scenario import ScenarioDiff, scenario_diff

__all__ = ["Z95", "PathOutcomes", "Method", "PaybackChange", "StatisticChange", "PathDifferences",
           "NpvChange", "DriverChange", "OptionComparison", "OptionRef", "Comparison",
           "wilson_interval", "newcombe_interval", "comparison_method", "paired_payback",
           "two_sample_payback", "npv_change", "driver_changes", "compare_runs"]

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile
TOP_DRIVERS = 5


@dataclass(frozen=True)
class PathOutcomes:
    """One option's per-path outcomes, ordered by path number: ``payback_month`` NaN where
    the path never paid back within the horizon."""

    path: np.ndarray
    payback_month: np.ndarray
    npv: np.ndarray


@dataclass(frozen=True)
class Method:
    """Paired (path by path) or two-sample, and why."""

    paired: bool
    reason: str


@dataclass(frozen=True)
class PaybackChange:
    """P(payback within N) in A and B, B - A with its standard error and 95 % interval.

    Paired: ``b_only`` / ``a_only`` count the paths that paid back in one run only.
    Fields are None when a run's horizon is shorter than N.
    """

    within: int
    p_a: float | None
    p_b: float | None
    difference: float | None
    se: float | None
    low: float | None
    high: float | None
    paired: bool
    b_only: int | None = None
    a_only: int | None = None


@dataclass(frozen=True)
class StatisticChange:
    """One NPV statistic in A and B and B - A; an interval for the mean only."""

    name: str
    a: float | None
    b: float | None
    difference: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class PathDifferences:
    """NPV_B - NPV_A path by path: mean, P5/P50/P95 and the share of paths where B's NPV is
    higher (paired comparisons only)."""

    mean: float
    p5: float
    p50: float
    p95: float
    share_higher: float
    share_lower: float


@dataclass(frozen=True)
class NpvChange:
    statistics: tuple[StatisticChange, ...]  # mean, P5, P50, P95
    paths: PathDifferences | None


@dataclass(frozen=True)
class DriverChange:
    """An input in either run's top five drivers: its rank (1 = first; None when the run
    has no such input) and swing in each run, and whether it entered or left the top."""

    input: str
    label: str
    rank_a: int | None
    rank_b: int | None
    swing_a: float | None
    swing_b: float | None
    significant_a: bool | None  # None when the run has no such input
    significant_b: bool | None
    status: str  # "entered", "left" or "kept"


@dataclass(frozen=True)
class OptionComparison:
    option_id: str
    name: str
    verdict_a: str
    verdict_b: str
    payback: PaybackChange
    npv: NpvChange
    drivers: tuple[DriverChange, ...]
    note: str | None = None  # why this option fell back to two-sample, if it did


@dataclass(frozen=True)
class OptionRef:
    option_id: str
    name: str


@dataclass(frozen=True)
class Comparison:
    scenario: ScenarioDiff
    method: Method
    within: int
    currency: str
    options: tuple[OptionComparison, ...]
    added: tuple[OptionRef, ...]
    removed: tuple[OptionRef, ...]


def wilson_interval(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of a proportion ``p`` observed on ``n`` trials."""
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(p_a: float, n_a: int, p_b: float, n_b: int,
                      z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of p_b - p_a for independent samples (Newcombe
    1998, method 10): Wilson's limits of each proportion combined. Unlike the Wald interval
    it does not collapse to a point when both proportions are 0 or 1."""
    low_a, high_a = wilson_interval(p_a, n_a, z)
    low_b, high_b = wilson_interval(p_b, n_b, z)
    d = p_b - p_a
    return (d - math.sqrt((p_b - low_b) ** 2 + (high_a - p_a) ** 2),
            d + math.sqrt((high_b - p_b) ** 2 + (p_a - low_a) ** 2))


def comparison_method(a: SimulationInfo, b: SimulationInfo, has_paths_a: bool,
                      has_paths_b: bool) -> Method:
    """Paired when both runs drew the same futures (same seed, sampler, chunk size and
    path count) and both kept their per-path file; else two-sample, saying what differs."""
    differ = [f"{what} ({x} vs {y})" for what, x, y in (
        ("seed", a.seed, b.seed), ("sampler", a.sampler, b.sampler),
        ("chunk size", f"{a.chunk_size:,}", f"{b.chunk_size:,}"),
        ("paths", f"{a.paths:,}", f"{b.paths:,}")) if x != y]
    missing = [run for run, has in (("A", has_paths_a), ("B", has_paths_b)) if not has]
    if not differ and not missing:
        return Method(True, f"both runs have seed {a.seed}, the {a.sampler} sampler, chunk "
                      f"size {a.chunk_size:,} and {a.paths:,} paths, so path i is the same "
                      "future in both (common random numbers) except for the inputs whose law "
                      "changed; changes and their intervals come from the per-path differences")
    why = []
    if differ:
        why.append("the runs differ in " + ", ".join(differ))
    if missing:
        why.append(" and ".join(f"run {r}" for r in missing) + " kept no per-path file")
    return Method(False, "; ".join(why) + ", so they are two independent samples (Newcombe's "
                  "hybrid score interval for the change in P(payback), a normal interval for "
                  "the change in mean NPV)")


def _p_within(option: OptionSummary, within: int) -> float | None:
    by_month = option.p_payback_by_month
    return by_month[within - 1] if 1 <= within <= len(by_month) else None


def two_sample_payback(p_a: float | None, n_a: int, p_b: float | None, n_b: int,
                       within: int) -> PaybackChange:
    """B - A for independent samples: Newcombe's interval, the Wald standard error."""
    if p_a is None or p_b is None:
        return PaybackChange(within, p_a, p_b, None, None, None, None, paired=False)
    low, high = newcombe_interval(p_a, n_a, p_b, n_b)
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    return PaybackChange(within, p_a, p_b, p_b - p_a, se, low, high, paired=False)


def paired_payback(a: PathOutcomes, b: PathOutcomes, within: int) -> PaybackChange:
    """B - A from the per-path indicators 1{payback month <= N}: the mean difference d and
    its standard error sqrt((k/n - d^2)/n), k the paths that differ (the differences are
    -1, 0 or 1, so their mean square is k/n)."""
    paid_a = a.payback_month <= within  # NaN (never) compares False
    paid_b = b.payback_month <= within
    n = paid_a.size
    b_only = int(np.count_nonzero(paid_b & ~paid_a))
    a_only = int(np.count_nonzero(paid_a & ~paid_b))
    d = (b_only - a_only) / n
    se = math.sqrt(max((b_only + a_only) / n - d * d, 0.0) / n)
    return PaybackChange(within, float(np.mean(paid_a)), float(np.mean(paid_b)), d, se,
                         d - Z95 * se, d + Z95 * se, paired=True, b_only=b_only, a_only=a_only)


def _statistic(option: OptionSummary, name: str) -> float | None:
    value = getattr(option.npv_statistics, name, None)
    return value if value is not None else getattr(option.npv, name, None)


def _minus(x: float | None, y: float | None) -> float | None:
    return None if x is None or y is None else x - y


def npv_change(a: OptionSummary, b: OptionSummary, n_a: int, n_b: int,
               paths: tuple[PathOutcomes, PathOutcomes] | None = None) -> NpvChange:
    """Mean, P5, P50, P95 of NPV in A and B and their change; the mean's 95 % interval is
    paired (per-path differences' standard error) when ``paths`` are given, else from the
    two runs' standard deviations."""
    rows = []
    for name in ("mean", "p5", "p50", "p95"):
        x, y = _statistic(a, name), _statistic(b, name)
        rows.append(StatisticChange(name, x, y, _minus(y, x)))
    mean = rows[0]
    differences = None
    se: float | None = None
    if paths is not None:
        delta = paths[1].npv - paths[0].npv
        se = float(np.std(delta) / math.sqrt(delta.size))
        p5, p50, p95 = (float(v) for v in np.percentile(delta, [5, 50, 95]))
        differences = PathDifferences(float(np.mean(delta)), p5, p50, p95,
                                      float(np.mean(delta > 0)), float(np.mean(delta < 0)))
    else:
        sd_a, sd_b = a.npv_statistics.sd, b.npv_statistics.sd
        if sd_a is not None and sd_b is not None:
            se = math.sqrt(sd_a * sd_a / n_a + sd_b * sd_b / n_b)
    if mean.difference is not None and se is not None:
        rows[0] = StatisticChange("mean", mean.a, mean.b, mean.difference,
                                  mean.difference - Z95 * se, mean.difference + Z95 * se)
    return NpvChange(tuple(rows), differences)


def driver_changes(a: Sequence[DriverRow], b: Sequence[DriverRow],
                   top: int = TOP_DRIVERS) -> tuple[DriverChange, ...]:
    """The inputs in either run's top ``top`` drivers (each run's order: by |swing|,
    significant ones first), B's top first, then those that left it."""
    rank_a = {row.input: i + 1 for i, row in enumerate(a)}
    rank_b = {row.input: i + 1 for i, row in enumerate(b)}
    rows_a = {row.input: row for row in a}
    rows_b = {row.input: row for row in b}
    keys = [row.input for row in b[:top]] + [row.input for row in a[:top]
                                             if rank_b.get(row.input, top + 1) > top]
    out = []
    for key in keys:
        in_a, in_b = rank_a.get(key, top + 1) <= top, rank_b.get(key, top + 1) <= top
        row = rows_b.get(key) or rows_a[key]
        out.append(DriverChange(key, row.label, rank_a.get(key), rank_b.get(key),
                                getattr(rows_a.get(key), "swing", None),
                                getattr(rows_b.get(key), "swing", None),
                                getattr(rows_a.get(key), "significant", None),
                                getattr(rows_b.get(key), "significant", None),
                                "kept" if in_a and in_b else "entered" if in_b else "left"))
    return tuple(out)


def _paired(paths: tuple[PathOutcomes | None, PathOutcomes | None] | None
            ) -> tuple[tuple[PathOutcomes, PathOutcomes] | None, str | None]:
    """The two options' outcomes if they can be paired, else None and why not."""
    if paths is None:
        return None, None
    a, b = paths
    if a is None or b is None:
        return None, "missing from a per-path file"
    if a.path.shape != b.path.shape or not np.array_equal(a.path, b.path):
        return None, "the per-path files hold different path numbers"
    return (a, b), None


def _option(option_a: OptionSummary, option_b: OptionSummary, a: Summary, b: Summary,
            within: int, paths: tuple[PathOutcomes | None, PathOutcomes | None] | None
            ) -> OptionComparison:
    n_a, n_b = a.simulation.paths, b.simulation.paths
    pair, note = _paired(paths)
    p_a, p_b = _p_within(option_a, within), _p_within(option_b, within)
    if pair is not None and p_a is not None and p_b is not None:
        payback = paired_payback(pair[0], pair[1], within)
    else:  # two samples, or N beyond a run's horizon (then no change is given)
        payback = two_sample_payback(p_a, n_a, p_b, n_b, within)
    return OptionComparison(
        option_b.id, option_b.name, option_a.verdict, option_b.verdict, payback,
        npv_change(option_a, option_b, n_a, n_b, pair),
        driver_changes(option_a.drivers, option_b.drivers),
        None if note is None else f"compared as two samples: {note}")


def compare_runs(a: Summary, b: Summary, *, paths_a: Mapping[str, PathOutcomes] | None = None,
                 paths_b: Mapping[str, PathOutcomes] | None = None,
                 file_a: Mapping[str, Any] | None = None, file_b: Mapping[str, Any] | None = None,
                 scenario_note: str | None = None, method: Method | None = None) -> Comparison:
    """Run B against run A.

    ``paths_a`` / ``paths_b``: per option, the per-path outcomes (None when a run kept no
    per-path file); ``file_a`` / ``file_b``: the parsed scenario.toml copies (None when a
    run has none, ``scenario_note`` saying why). ``method``: `comparison_method`'s answer
    when the caller decided it before reading the per-path files (it reads them only to
    pair), else decided from the paths given. P(payback within N) uses run A's N.
    """
    if method is None:
        method = comparison_method(a.simulation, b.simulation, paths_a is not None,
                                   paths_b is not None)
    within = a.simulation.payback_within_months
    options = []
    for option_id, option_a in a.options.items():
        if option_id not in b.options:
            continue
        paths = None
        if method.paired and paths_a is not None and paths_b is not None:
            paths = (paths_a.get(option_id), paths_b.get(option_id))
        options.append(_option(option_a, b.options[option_id], a, b, within, paths))
    return Comparison(
        scenario=scenario_diff(a, b, file_a, file_b, scenario_note), method=method,
        within=within, currency=b.scenario.currency, options=tuple(options),
        added=tuple(OptionRef(k, o.name) for k, o in b.options.items() if k not in a.options),
        removed=tuple(OptionRef(k, o.name) for k, o in a.options.items() if k not in b.options))
