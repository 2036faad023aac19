"""Sweeps of one scenario key and break-even traffic volumes, re-run under common random numbers.

The pure core (``sweep``, ``scale_traffic``, ``breakeven_curve``, ``crossing``) takes scenarios
and returns a DataFrame or a JSON-ready dict. ``python -m ftsim sweep|breakeven`` reaches the
shell (ftsim/sweep_cli.py: options, tables, run folders) through the four small functions at
the end, which are the names ftsim/cli.py imports.

Common random numbers: every point of a sweep or of a break-even grid is simulated with the
same seed, sampler and chunk size, so the uniforms behind each path are the same at every
point and the differences between points are the effect of the value, not Monte Carlo noise.
"""

from __future__ import annotations

import argparse
import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .distributions import Distribution
from .errors import ScenarioError, ScenarioIssue
from .scenario import Input, Scenario, load_scenario, parse_scenario

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "ARTICLE_MARKS",
    "DEFAULT_PATHS",
    "TRAFFIC_KEY",
    "default_grid",
    "ScaledDistribution",
    "scale_traffic",
    "parse_values",
    "value_grid",
    "sweep",
    "load_points",
    "crossing",
    "breakeven_curve",
    "format_tokens",
    "add_sweep_arguments",
    "add_breakeven_arguments",
    "run_sweep",
    "run_breakeven",
]

# The seed article's break-even band: "10-100M tokens/month: fine-tuning may break even".
ARTICLE_MARKS = (1e7, 1e8)
# Paths per point when neither --paths nor the caller gives one and the scenario asks for
# more: a sweep runs the scenario once per point. 20,000 paths put the Wilson 95% half-width
# of a probability at <= 0.007.
DEFAULT_PATHS = 20_000
TRAFFIC_KEY = "traffic.requests_per_month"
# Default break-even grid: 1M .. 10B median tokens per month (widened by whole decades to
# reach a decade beyond the scenario's own volume), 4 points per decade.
DEFAULT_MIN_TOKENS, DEFAULT_MAX_TOKENS, POINTS_PER_DECADE = 1e6, 1e10, 4


# --------------------------------------------------------------------------------------
# Traffic scaling
# --------------------------------------------------------------------------------------


class ScaledDistribution(Distribution):
    """The law of ``factor * X`` for ``X ~ inner`` and ``factor > 0``.

    ``ppf(u) = factor * inner.ppf(u)``, so at a fixed seed every path's draw is the original
    draw times ``factor`` (the same uniform, hence common random numbers), whatever the form
    (lognormal, PERT, empirical file, truncated, correlated through the copula: rank
    correlations are unchanged by a positive scale).
    """

    def __init__(self, inner: Distribution, factor: float) -> None:
        if not (math.isfinite(factor) and factor > 0):
            raise ValueError(f"factor must be finite and above 0, got {factor!r}")
        self.inner, self.factor = inner, float(factor)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self.factor * self.inner.ppf(u)

    def _isf(self, q: np.ndarray) -> np.ndarray:
        return self.factor * self.inner.isf(q)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return self.inner.cdf(np.asarray(x, dtype=np.float64) / self.factor)

    def sf(self, x: np.ndarray) -> np.ndarray:
        return self.inner.sf(np.asarray(x, dtype=np.float64) / self.factor)

    @property
    def support(self) -> tuple[float, float]:
        lo, hi = self.inner.support
        return (self.factor * lo, self.factor * hi)

    @property
    def is_fixed(self) -> bool:
        return self.inner.is_fixed

    def describe(self) -> str:
        return f"{self.inner.describe()} x {self.factor:.6g}"

    @property
    def mean(self) -> float:
        return self.factor * self.inner.mean


def scale_traffic(scenario: Scenario, factor: float) -> Scenario:
    """The scenario with ``traffic.requests_per_month`` multiplied by ``factor`` (> 0).

    Only R0's law changes; the set of random inputs, their order and the correlations do
    not, so a run at the same seed draws the same uniforms and each path's R_t (MODEL.md
    section 4) and hence its tokens per month are exactly ``factor`` times the original.
    """
    if factor == 1.0:
        return scenario
    item = scenario.inputs[TRAFFIC_KEY]
    inputs = dict(scenario.inputs)
    inputs[TRAFFIC_KEY] = Input(item.key_path, ScaledDistribution(item.dist, factor),
                                item.is_count, item.written)
    return replace(scenario, inputs=inputs)


# --------------------------------------------------------------------------------------
# Sweep of one key
# --------------------------------------------------------------------------------------


def _number(text: str) -> int | float:
    """A TOML number literal (``3``, ``0.5``, ``200_000``, ``inf``, ``1e7``)."""
    try:
        value = tomllib.loads(f"v = {text.strip()}").get("v")
    except tomllib.TOMLDecodeError:
        value = None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {text.strip()!r}")
    return value


def _tidy(x: float) -> int | float:
    """Grid values that are whole numbers become ints (integer keys accept nothing else)."""
    rounded = round(x)
    return int(rounded) if math.isfinite(x) and abs(x - rounded) <= 1e-9 * max(1.0, abs(x)) \
        else float(f"{x:.12g}")


def parse_values(text: str) -> list[int | float]:
    """``--values a,b,c``: comma-separated TOML numbers, in the order given."""
    values = [_number(part) for part in text.split(",") if part.strip()]
    if not values:
        raise ValueError(f"expected numbers separated by commas, got {text!r}")
    return values


def value_grid(text: str, log: bool = False) -> list[int | float]:
    """``--range LO:HI:N``: N evenly spaced values from LO to HI (geometric with ``log``)."""
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(f"expected LO:HI:N, got {text!r}")
    lo, hi = float(_number(parts[0])), float(_number(parts[1]))
    count = _number(parts[2])
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"N must be a whole number >= 1, got {parts[2]!r}")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"LO and HI must be finite, got {text!r}")
    if log and not (lo > 0 and hi > 0):
        raise ValueError(f"--log needs LO and HI above 0, got {text!r}")
    grid = np.geomspace(lo, hi, count) if log else np.linspace(lo, hi, count)
    return [_tidy(float(x)) for x in grid]


def _load(source: str | Path, overrides: Sequence[tuple[str, object]],
          allow_files_outside: bool = False) -> Scenario:
    if isinstance(source, Path) or "\n" not in source:
        return load_scenario(source, overrides=overrides, allow_files_outside=allow_files_outside)
    return parse_scenario(source, overrides=overrides, allow_files_outside=allow_files_outside)


def load_points(
    source: str | Path, param: str, values: Sequence[object], *,
    overrides: Sequence[tuple[str, object]] = (), allow_files_outside: bool = False,
    on_warning: Callable[[ScenarioIssue], None] | None = None,
) -> list[Scenario]:
    """The scenario at each value of ``param``, all validated before anything runs.

    Raises `ScenarioError` with the first issue found at each key path over all the values
    (a bad key is named once); ``on_warning`` gets each distinct plausibility warning once.
    """
    if not len(values):
        raise ValueError("a sweep needs at least one value")
    scenarios, issues = [], {}
    for value in values:
        try:
            scenarios.append(_load(source, [*overrides, (param, value)], allow_files_outside))
        except ScenarioError as error:  # one issue per key path: an unknown key once
            for issue in error.issues:
                issues.setdefault(issue.key_path, issue)
    if issues:
        raise ScenarioError(issues.values())
    if on_warning is not None:
        for warning in dict.fromkeys(w for s in scenarios for w in s.warnings):
            on_warning(warning)
    return scenarios


def _option_row(value: object, option_id: str, option: dict[str, Any],
                volume: dict[str, Any]) -> dict[str, Any]:
    lo, hi = option["p_payback_within_ci95"]
    return {
        "value": value, "option": option_id, "name": option["name"],
        "p_payback_within": option["p_payback_within"],
        "p_payback_within_ci95_low": lo, "p_payback_within_ci95_high": hi,
        "npv_p50": option["npv"]["p50"], "npv_mean": option["npv"]["mean"],
        "npv_p5": option["npv"]["p5"], "npv_p95": option["npv"]["p95"],
        "payback_month_p50": option["payback_month"]["p50"],
        "p_abandoned": option["p_abandoned"], "verdict": option["verdict"],
        "tokens_per_month_p50": volume["tokens_per_month"]["p50"],
    }


def sweep(
    source: str | Path, param: str, values: Sequence[object], *,
    overrides: Sequence[tuple[str, object]] = (),
    on_point: Callable[[int, int], None] | None = None, allow_files_outside: bool = False,
    on_warning: Callable[[ScenarioIssue], None] | None = None,
    preloaded: Sequence[Scenario] | None = None, **simulation_kwargs: Any,
) -> pd.DataFrame:
    """Re-run a scenario once per value of one key, at the same seed (common random numbers).

    Parameters
    ----------
    source : str or Path
        A scenario file (a Path, or a str without a newline) or TOML text.
    param : str
        Dotted key path (``drift.events_per_year``, ``options.lora_7b.build.engineering_cost``);
        any key ``--set`` accepts. Each value is applied as an override after ``overrides``
        and validated like a written key.
    values : sequence
        The values, in the order they are run (numbers, or any TOML value).
    overrides : sequence of (key path, value)
        Applied at every point (``--set``, ``--within``...).
    on_point : callable, optional
        ``on_point(done, total)`` after each point.
    allow_files_outside : bool
        Passed to `ftsim.load_scenario` (empirical files outside the scenario's folder).
    on_warning : callable, optional
        Called once per distinct plausibility warning over all the points, before any runs.
    preloaded : sequence of Scenario, optional
        The points as `load_points` returned them (the command line loads them first, to
        refuse bad values before it claims a run folder).
    **simulation_kwargs
        Passed to `ftsim.simulate` (``paths``, ``seed``, ``jobs``, ``sampler``, ...). A
        ``seed`` of None means the scenario's seed, the same at every point.

    Returns
    -------
    pandas.DataFrame
        One row per value x option, in run order: value, option, name, p_payback_within,
        p_payback_within_ci95_low/high, npv_p50, npv_mean, npv_p5, npv_p95,
        payback_month_p50 (nullable Int64; missing = not within the horizon), p_abandoned,
        verdict, tokens_per_month_p50.

    Raises
    ------
    ScenarioError
        Before anything runs, with the first issue found at each key path over all the
        values (a bad key is named once).
    ValueError
        When ``values`` is empty.
    """
    import pandas as pd

    from .runner import simulate

    scenarios = (list(preloaded) if preloaded is not None else
                 load_points(source, param, values, overrides=overrides,
                             allow_files_outside=allow_files_outside, on_warning=on_warning))
    rows = []
    for done, (value, scenario) in enumerate(zip(values, scenarios, strict=True), start=1):
        summary = simulate(scenario, **simulation_kwargs).summary()
        rows += [_option_row(value, oid, option, summary["volume"])
                 for oid, option in summary["options"].items()]
        if on_point is not None:
            on_point(done, len(scenarios))
    frame = pd.DataFrame(rows)
    frame["payback_month_p50"] = frame["payback_month_p50"].astype("Int64")
    return frame


# --------------------------------------------------------------------------------------
# Break-even volume
# --------------------------------------------------------------------------------------


def crossing(tokens: Sequence[float], probabilities: Sequence[float], level: float,
             requests_per_token: float = 0.0) -> dict[str, Any]:
    """Where P(payback within N) first reaches ``level`` on a grid of tokens per month.

    The first grid interval with ``p_i < level <= p_{i+1}`` is interpolated linearly in
    log(tokens). ``status`` is "crossed", "below_grid" (already reached at the first point:
    the break-even is at or below it) or "not_reached"; ``crossings`` counts the upward
    crossings (more than one means P is not monotone in volume, or noise at a plateau).

    Returns
    -------
    dict
        level, tokens_per_month (float or None), requests_per_month (tokens_per_month x
        ``requests_per_token``, or None), status, bracket (the two grid points around it:
        ``[{"tokens_per_month", "p"}, {...}]`` or None), crossings.
    """
    x = np.asarray(tokens, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    up = np.flatnonzero((p[:-1] < level) & (p[1:] >= level))
    out: dict[str, Any] = {"level": level, "tokens_per_month": None, "requests_per_month": None,
                           "status": "not_reached", "bracket": None, "crossings": int(up.size)}
    if p.size and p[0] >= level:
        out["status"] = "below_grid"
        return out
    if not up.size:
        return out
    i = int(up[0])
    share = (level - p[i]) / (p[i + 1] - p[i])
    value = float(math.exp(math.log(x[i]) + share * (math.log(x[i + 1]) - math.log(x[i]))))
    out.update(tokens_per_month=value, status="crossed",
               requests_per_month=value * requests_per_token if requests_per_token else None,
               bracket=[{"tokens_per_month": float(x[i]), "p": float(p[i])},
                        {"tokens_per_month": float(x[i + 1]), "p": float(p[i + 1])}])
    return out


def default_grid(own_tokens: float, min_tokens: float | None = None,
                 max_tokens: float | None = None, points: int | None = None
                 ) -> tuple[float, float, int]:
    """The break-even grid: what is given, else 1M .. 10B tokens/month widened by whole
    decades so it reaches a decade below and above ``own_tokens`` (the scenario's median),
    and 4 points per decade."""
    if min_tokens is None:
        min_tokens = min(DEFAULT_MIN_TOKENS, 10.0 ** math.floor(math.log10(own_tokens / 10)))
    if max_tokens is None:
        max_tokens = max(DEFAULT_MAX_TOKENS, 10.0 ** math.ceil(math.log10(own_tokens * 10)))
    if points is None:
        points = max(2, round(POINTS_PER_DECADE * math.log10(max_tokens / min_tokens)) + 1)
    return float(min_tokens), float(max_tokens), int(points)


def breakeven_curve(
    scenario: Scenario, *, min_tokens: float | None = None,
    max_tokens: float | None = None, points: int | None = None,
    on_point: Callable[[int, int], None] | None = None, **simulation_kwargs: Any,
) -> dict[str, Any]:
    """P(payback within N) of every option against median tokens per month, and its break-evens.

    ``traffic.requests_per_month`` is scaled by a factor (`scale_traffic`) so that the
    median over paths of the baseline's tokens per month (``summary["volume"]
    ["tokens_per_month"]["p50"]``: the path's mean over the horizon of R_t times tokens per
    baseline request, growth included) runs over ``points`` log-spaced values from
    ``min_tokens`` to ``max_tokens`` (defaults: `default_grid`). A first run at the
    scenario's own volume gives the median to scale from. Every run uses the same seed
    (common random numbers), so the curve is smooth and, where savings per request are
    positive on every path, exactly non-decreasing.

    ``simulation_kwargs`` go to `ftsim.simulate`; ``paths`` None means the scenario's paths
    capped at `DEFAULT_PATHS`; ``precision`` and ``max_paths`` are ignored (every point has
    the same paths) and so is ``progress`` (``on_point(done, total)`` reports runs instead).

    Returns
    -------
    dict (JSON-ready)
        ``tokens_per_month`` (grid medians), ``requests_per_month`` (their median requests),
        ``factors``, ``marks`` ([1e7, 1e8], the article's band), ``levels`` ([0.5,
        required_probability]), ``scenario_volume`` (the unscaled run: medians and each
        option's P), run settings (paths, seed, sampler, payback_within_months,
        required_probability, currency, scenario name), and ``options``: per id ``name``,
        ``p_payback_within``, ``p_payback_within_ci95`` ([lo, hi] per point), ``npv_p50``,
        ``breakeven_p50`` and ``breakeven_required`` (tokens per month or None), ``p50`` and
        ``required`` (the `crossing` dicts, with the bracketing grid points).
    """
    from .runner import simulate

    for name, value in (("min_tokens", min_tokens), ("max_tokens", max_tokens)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be finite and above 0, got {value!r}")
    if min_tokens is not None and max_tokens is not None and not min_tokens < max_tokens:
        raise ValueError(f"min_tokens ({min_tokens!r}) must be below max_tokens ({max_tokens!r})")
    if points is not None and points < 2:
        raise ValueError(f"need at least 2 points, got {points!r}")
    # a fixed number of paths per point: a precision target (run --precision) is dropped
    kwargs = {k: v for k, v in simulation_kwargs.items()
              if k not in ("progress", "precision", "max_paths")}
    if kwargs.get("paths") is None:
        kwargs["paths"] = min(scenario.paths, DEFAULT_PATHS)
    seed = scenario.seed if kwargs.get("seed") is None else int(kwargs["seed"])
    kwargs["seed"] = seed
    base = simulate(scenario, **kwargs).summary()
    base_tokens = base["volume"]["tokens_per_month"]["p50"]
    base_requests = base["volume"]["requests_per_month"]["p50"]
    if not base_tokens > 0:
        raise ScenarioError.single(TRAFFIC_KEY, "the median tokens per month is 0 at the "
                                                "scenario's volume, so it cannot be scaled")
    min_tokens, max_tokens, points = default_grid(base_tokens, min_tokens, max_tokens, points)
    if not min_tokens < max_tokens:
        raise ValueError(f"min_tokens ({min_tokens!r}) must be below max_tokens ({max_tokens!r})")
    total = points + 1
    if on_point is not None:
        on_point(1, total)
    targets = np.geomspace(min_tokens, max_tokens, points)
    factors = [float(t / base_tokens) for t in targets]
    runs = []
    for done, factor in enumerate(factors, start=2):
        runs.append(simulate(scale_traffic(scenario, factor), **kwargs).summary())
        if on_point is not None:
            on_point(done, total)
    tokens = [s["volume"]["tokens_per_month"]["p50"] for s in runs]
    required = scenario.required_probability
    per_token = base_requests / base_tokens
    options: dict[str, Any] = {}
    for option_id, option in base["options"].items():
        p = [s["options"][option_id]["p_payback_within"] for s in runs]
        at_half = crossing(tokens, p, 0.5, per_token)
        at_required = crossing(tokens, p, required, per_token)
        options[option_id] = {
            "name": option["name"],
            "p_payback_within": p,
            "p_payback_within_ci95": [s["options"][option_id]["p_payback_within_ci95"]
                                      for s in runs],
            "npv_p50": [s["options"][option_id]["npv"]["p50"] for s in runs],
            "breakeven_p50": at_half["tokens_per_month"],
            "breakeven_required": at_required["tokens_per_month"],
            "p50": at_half,
            "required": at_required,
        }
    return {
        "scenario": base["scenario"]["name"],
        "currency": base["scenario"]["currency"],
        "paths": base["simulation"]["paths"],
        "seed": seed,
        "sampler": base["simulation"]["sampler"],
        "payback_within_months": scenario.payback_within_months,
        "required_probability": required,
        "levels": [0.5, required],
        "scaling": f"{TRAFFIC_KEY} multiplied by a factor per point (same seed: common "
                   "random numbers); x = median over paths of the baseline's mean tokens "
                   "per month over the horizon",
        "factors": factors,
        "tokens_per_month": tokens,
        "requests_per_month": [s["volume"]["requests_per_month"]["p50"] for s in runs],
        "scenario_volume": {
            "tokens_per_month": base_tokens, "requests_per_month": base_requests,
            "p_payback_within": {oid: o["p_payback_within"]
                                 for oid, o in base["options"].items()},
        },
        "marks": list(ARTICLE_MARKS),
        "options": options,
    }


def format_tokens(x: float) -> str:
    """``1M``, ``17.8M``, ``3.16B``, ``562k``: three significant digits and a suffix."""
    rounded = float(f"{x:.3g}")  # 999.99M rounds to 1B, not "1e+03M"
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(rounded) >= limit:
            return f"{rounded / limit:.3g}{suffix}"
    return f"{rounded:.3g}"


# --------------------------------------------------------------------------------------
# Command line: ftsim/cli.py imports these four names; the shell lives in sweep_cli.py
# --------------------------------------------------------------------------------------


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """``sweep``'s own options (--param, --values | --range, --log)."""
    from .sweep_cli import add_sweep_arguments as add

    add(parser)


def add_breakeven_arguments(parser: argparse.ArgumentParser) -> None:
    """``breakeven``'s own options (--min-tokens, --max-tokens, --points)."""
    from .sweep_cli import add_breakeven_arguments as add

    add(parser)


def run_sweep(args: argparse.Namespace, command: str) -> int:
    """``python -m ftsim sweep``: see `ftsim.sweep_cli.run_sweep`."""
    from .sweep_cli import run_sweep as run

    return run(args, command)


def run_breakeven(args: argparse.Namespace, command: str) -> int:
    """``python -m ftsim breakeven``: see `ftsim.sweep_cli.run_breakeven`."""
    from .sweep_cli import run_breakeven as run

    return run(args, command)
