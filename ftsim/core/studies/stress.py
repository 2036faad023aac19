"""Stress analysis: one random input confined to a percentile band, every other draw
unchanged (what @RISK calls stress analysis; issue 12 item 5).

The band [LO, HI] (percentiles, 0-100) rescales the input's uniform draw, u -> LO + u (HI -
LO) in percentile units, after the Gaussian copula. At a fixed seed, sampler and chunk size
every other input, every monthly draw and the stressed input's own uniform are those of the
unstressed run (common random numbers), so the difference between a band and the unstressed
run is the band's effect path by path, not noise. The bands of a partition of [0, 100],
weighted by their widths, average back to the unstressed probability in expectation (the
law of total probability over the input's uniform).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ...distributions import Distribution
from ...errors import ScenarioError, ScenarioIssue
from ...format import suggest
from ...rng import U_MIN
from ...scenario import Scenario, input_label
from ..metrics import wilson_interval
from ..result import Result
from ..summary_types import Summary
from ..supplied import PathValues, replace_inputs

__all__ = ["BandedDistribution", "StressBand", "DEFAULT_BANDS", "parse_band", "parse_stress",
           "check_stress", "stressed", "top_drivers", "OptionOutcome", "StressRow",
           "StressStudy", "option_outcomes", "stress_study"]

# The bands of `python -m ftsim stress`, in percentiles: the tails and the two middle halves.
DEFAULT_BANDS: tuple[tuple[float, float], ...] = ((0, 10), (10, 50), (50, 90), (90, 100))
_BAND = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*:\s*([0-9]+(?:\.[0-9]*)?)\s*$")
_MEAN_POINTS = 4096  # midpoint rule over the band's uniforms for the law's mean


class BandedDistribution(Distribution):
    """The law of ``inner`` confined to its quantiles in [low, high] (fractions of 1):
    ``ppf(u) = inner.ppf(low + u (high - low))``, so each path keeps its own uniform."""

    def __init__(self, inner: Distribution, low: float, high: float) -> None:
        if not 0.0 <= low < high <= 1.0:
            raise ValueError(f"need 0 <= low < high <= 1, got [{low!r}, {high!r}]")
        self.inner, self.low, self.high = inner, float(low), float(high)

    def _band(self, u: np.ndarray) -> np.ndarray:
        return self.low + u * (self.high - self.low)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(self.inner.ppf(self._band(u)), dtype=np.float64)

    def _ppf_exact(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(self.inner.ppf_exact(self._band(u)), dtype=np.float64)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        inner = np.asarray(self.inner.cdf(x), dtype=np.float64)
        return np.clip((inner - self.low) / (self.high - self.low), 0.0, 1.0)

    @property
    def support(self) -> tuple[float, float]:
        ends = self.inner.ppf_exact(np.array([max(self.low, U_MIN), min(self.high, 1 - U_MIN)]))
        return (float(ends[0]), float(ends[1]))

    @property
    def is_fixed(self) -> bool:
        return self.inner.is_fixed

    def describe(self) -> str:
        return (f"{self.inner.describe()} stressed to its P{100 * self.low:g}-"
                f"P{100 * self.high:g}")

    @property
    def mean(self) -> float:
        u = (np.arange(_MEAN_POINTS) + 0.5) / _MEAN_POINTS
        return float(np.mean(self._ppf(u)))


@dataclass(frozen=True)
class StressBand:
    """An input and its band in percentiles (0 <= low < high <= 100)."""

    input: str
    low: float
    high: float

    def text(self) -> str:
        return f"{self.input}={self.low:g}:{self.high:g}"

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "low": self.low, "high": self.high}


def parse_band(text: str) -> tuple[float, float]:
    """``LO:HI`` in percentiles, 0 <= LO < HI <= 100 (ValueError with a one-line reason)."""
    match = _BAND.match(text)
    if match is None:
        raise ValueError(f"expected LO:HI in percentiles (e.g. 0:10), got {text.strip()!r}")
    low, high = float(match.group(1)), float(match.group(2))
    if not 0 <= low < high <= 100:
        raise ValueError(f"need 0 <= LO < HI <= 100, got {text.strip()!r}")
    return low, high


def parse_stress(text: str) -> StressBand:
    """``KEY=LO:HI`` (``--stress``); ValueError with a one-line reason."""
    key, sep, band = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"expected KEY=LO:HI (e.g. traffic.monthly_growth=0:10), got "
                         f"{text.strip()!r}")
    low, high = parse_band(band)
    return StressBand(key.strip(), low, high)


def check_stress(scenario: Scenario, bands: Sequence[StressBand],
                 where: str = "--stress") -> list[ScenarioIssue]:
    """One line per band that cannot apply: an unknown key (with the closest random input),
    a fixed input, an input supplied by ``--inputs``, an input stressed twice."""
    inputs = scenario.all_inputs()
    random_keys = [k for k, item in inputs.items() if item.is_random]
    issues, seen = [], set()
    for band in bands:
        item = inputs.get(band.input)
        if item is None:
            issues.append(ScenarioIssue(where, f"{band.input!r} is not an input of the "
                                               f"scenario{suggest(band.input, random_keys)}"))
        elif not item.is_random:
            issues.append(ScenarioIssue(where, f"{band.input} is fixed "
                                               f"({item.dist.describe()}): only a random "
                                               "input has percentiles to confine"))
        elif isinstance(item.dist, PathValues):
            issues.append(ScenarioIssue(where, f"{band.input} is supplied by --inputs: its "
                                               "values are given, not drawn"))
        elif band.input in seen:
            issues.append(ScenarioIssue(where, f"{band.input} is stressed twice"))
        seen.add(band.input)
    return issues


def stressed(scenario: Scenario, bands: Sequence[StressBand]) -> Scenario:
    """The scenario with each band's input confined to it (`ScenarioError` if refused)."""
    issues = check_stress(scenario, bands)
    if issues:
        raise ScenarioError(issues)
    inputs = scenario.all_inputs()
    new = {}
    for band in bands:
        item = inputs[band.input]
        dist = BandedDistribution(item.dist, band.low / 100, band.high / 100)
        new[band.input] = replace(item, dist=dist, written=dist.describe())
    return replace_inputs(scenario, new)


def top_drivers(summary: Summary, top: int) -> list[str]:
    """The first ``top`` drivers of each option (the summary's ranking by the decile swing
    of P(payback)), merged rank by rank, without repeats."""
    ranked = [[row.input for row in option.drivers[:top]] for option in summary.options.values()]
    keys: list[str] = []
    for rank in range(top):
        for rows in ranked:
            if rank < len(rows) and rows[rank] not in keys:
                keys.append(rows[rank])
    return keys


@dataclass(frozen=True)
class OptionOutcome:
    """One option in one run: P(payback within N) with its Wilson interval, the paired
    change from the unstressed run and its standard error, and the median NPV."""

    p_payback: float
    ci95: tuple[float, float]
    change: float | None  # None for the unstressed run itself
    change_se: float | None
    npv_p50: float

    def to_dict(self) -> dict[str, Any]:
        return {"p_payback_within": self.p_payback, "p_payback_within_ci95": list(self.ci95),
                "change": self.change, "change_se": self.change_se, "npv_p50": self.npv_p50}


def _hits(result: Result) -> dict[str, np.ndarray]:
    within = result.scenario.payback_within_months
    return {oid: (o.payback_month > 0) & (o.payback_month <= within)
            for oid, o in result.options.items()}


def option_outcomes(result: Result, base: Result | None = None) -> dict[str, OptionOutcome]:
    """Per option, the outcome of ``result``; the change is paired path by path with
    ``base`` (mean of the indicator differences, se sqrt((k/n - d^2)/n), k paths that
    differ), which must be the same paths under common random numbers."""
    hits, base_hits = _hits(result), _hits(base) if base is not None else None
    n = result.n_paths
    out = {}
    for oid, hit in hits.items():
        k = int(np.count_nonzero(hit))
        change = se = None
        if base_hits is not None:
            diff = hit.astype(np.int8) - base_hits[oid].astype(np.int8)
            change = float(diff.mean())
            moved = int(np.count_nonzero(diff)) / n
            se = math.sqrt(max(moved - change * change, 0.0) / n)
        out[oid] = OptionOutcome(k / n, wilson_interval(k, n), change, se,
                                 float(np.median(result.options[oid].npv)))
    return out


@dataclass(frozen=True)
class StressRow:
    """One input at one band: the range its values took there, and each option's outcome
    (options that the input cannot affect, another option's own inputs, are left out)."""

    input: str
    label: str
    low: float
    high: float
    value_min: float
    value_max: float
    options: Mapping[str, OptionOutcome] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "label": self.label, "low": self.low, "high": self.high,
                "value_min": self.value_min, "value_max": self.value_max,
                "options": {oid: o.to_dict() for oid, o in self.options.items()}}


@dataclass(frozen=True)
class StressStudy:
    """The unstressed run's outcomes and every (input, band) row, with the run settings."""

    paths: int
    seed: int
    sampler: str
    chunk_size: int
    payback_within_months: int
    option_names: Mapping[str, str]
    base: Mapping[str, OptionOutcome]
    rows: tuple[StressRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"paths": self.paths, "seed": self.seed, "sampler": self.sampler,
                "chunk_size": self.chunk_size,
                "payback_within_months": self.payback_within_months,
                "options": dict(self.option_names),
                "unstressed": {oid: o.to_dict() for oid, o in self.base.items()},
                "rows": [row.to_dict() for row in self.rows]}


def _affects(key: str, option_id: str) -> bool:
    """Whether an input can move an option: a world input or the option's own."""
    return not key.startswith("options.") or key.startswith(f"options.{option_id}.")


def stress_study(scenario: Scenario, base: Result, keys: Iterable[str],
                 bands: Sequence[tuple[float, float]], run: Callable[[Scenario], Result],
                 on_point: Callable[[int, int], None] | None = None) -> StressStudy:
    """Every input of ``keys`` at every band, each band a run (``run``, which must use the
    seed, sampler, chunk size and paths of ``base``) compared path by path with ``base``."""
    keys = list(keys)
    issues = check_stress(scenario, [StressBand(k, lo, hi) for k in keys for lo, hi in bands[:1]],
                          where="--inputs")
    if issues:
        raise ScenarioError(issues)
    rows, total = [], len(keys) * len(bands)
    for key in keys:
        for low, high in bands:
            result = run(stressed(scenario, [StressBand(key, low, high)]))
            values = result.inputs[key]
            outcomes = option_outcomes(result, base)
            rows.append(StressRow(key, input_label(key, scenario), low, high,
                                  float(values.min()), float(values.max()),
                                  {oid: o for oid, o in outcomes.items() if _affects(key, oid)}))
            if on_point is not None:
                on_point(len(rows), total)
    return StressStudy(base.n_paths, base.seed, base.sampler, base.chunk_size,
                       scenario.payback_within_months,
                       {oid: o.name for oid, o in scenario.options.items()},
                       option_outcomes(base), tuple(rows))
