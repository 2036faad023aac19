"""Break-even traffic volumes: P(payback within N) against tokens per month, re-run under
common random numbers (every point scales the same draws of the traffic).

Common random numbers: every point of a sweep or of a break-even grid is simulated with the
same seed, sampler and chunk size, so the uniforms behind each path are the same at every
point and the differences between points are the effect of the value, not Monte Carlo noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ...distributions import Distribution
from ...errors import ScenarioError
from ...scenario import Input, Scenario
from ..runner import simulate
from ..summary import Summary, summarize
from .sweep import DEFAULT_PATHS

__all__ = ["ARTICLE_MARKS", "TRAFFIC_KEY", "ScaledDistribution", "scale_traffic", "crossing",
           "default_grid", "breakeven_curve"]

# The seed article's break-even band: "10-100M tokens/month: fine-tuning may break even".
ARTICLE_MARKS = (1e7, 1e8)
TRAFFIC_KEY = "traffic.requests_per_month"
# Default break-even grid: 1M .. 10B median tokens per month (widened by whole decades to
# reach a decade beyond the scenario's own volume), 4 points per decade.
DEFAULT_MIN_TOKENS, DEFAULT_MAX_TOKENS, POINTS_PER_DECADE = 1e6, 1e10, 4


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
    not, so a run at the same seed draws the same uniforms and each path's R_t (docs/model.md
    section 4) and hence its tokens per month are exactly ``factor`` times the original.
    """
    if factor == 1.0:
        return scenario
    item = scenario.inputs[TRAFFIC_KEY]
    inputs = dict(scenario.inputs)
    inputs[TRAFFIC_KEY] = Input(item.key_path, ScaledDistribution(item.dist, factor),
                                item.is_count, item.written)
    return replace(scenario, inputs=inputs)


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


def _check_grid_arguments(min_tokens: float | None, max_tokens: float | None,
                          points: int | None) -> None:
    for name, value in (("min_tokens", min_tokens), ("max_tokens", max_tokens)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be finite and above 0, got {value!r}")
    if min_tokens is not None and max_tokens is not None and not min_tokens < max_tokens:
        raise ValueError(f"min_tokens ({min_tokens!r}) must be below max_tokens ({max_tokens!r})")
    if points is not None and points < 2:
        raise ValueError(f"need at least 2 points, got {points!r}")


def _scaled_runs(scenario: Scenario, factors: Sequence[float], kwargs: dict[str, Any],
                 on_point: Callable[[int, int], None] | None) -> list[Summary]:
    """The summary at each traffic factor (the base run counts as point 1 of the progress)."""
    total = len(factors) + 1
    if on_point is not None:
        on_point(1, total)
    runs = []
    for done, factor in enumerate(factors, start=2):
        runs.append(summarize(simulate(scale_traffic(scenario, factor), **kwargs),
                              value_of_information=False))
        if on_point is not None:
            on_point(done, total)
    return runs


def _option_curves(base: Summary, runs: Sequence[Summary],
                   tokens: Sequence[float], required: float,
                   per_token: float) -> dict[str, Any]:
    """Per option: P, its interval and median NPV at each point, and the two break-evens."""
    options: dict[str, Any] = {}
    for option_id, option in base.options.items():
        p = [s.options[option_id].p_payback_within for s in runs]
        at_half = crossing(tokens, p, 0.5, per_token)
        at_required = crossing(tokens, p, required, per_token)
        options[option_id] = {
            "name": option.name,
            "p_payback_within": p,
            "p_payback_within_ci95": [list(s.options[option_id].p_payback_within_ci95)
                                      for s in runs],
            "npv_p50": [s.options[option_id].npv.p50 for s in runs],
            "breakeven_p50": at_half["tokens_per_month"],
            "breakeven_required": at_required["tokens_per_month"],
            "p50": at_half,
            "required": at_required,
        }
    return options


def _median(value: float | None) -> float:
    """A traffic median as a number: None (not finite) reads as 0, which the grid refuses."""
    return 0.0 if value is None else value


def _curve(scenario: Scenario, seed: int, base: Summary,
           runs: Sequence[Summary], factors: Sequence[float]) -> dict[str, Any]:
    """The JSON-ready curve of `breakeven_curve` from the base run and the scaled runs."""
    base_tokens = _median(base.tokens_per_month.p50)
    base_requests = _median(base.requests_per_month.p50)
    tokens = [_median(s.tokens_per_month.p50) for s in runs]
    required = scenario.required_probability
    options = _option_curves(base, runs, tokens, required, base_requests / base_tokens)
    return {
        "scenario": base.scenario.name,
        "currency": base.scenario.currency,
        "paths": base.simulation.paths,
        "seed": seed,
        "sampler": base.simulation.sampler,
        "payback_within_months": scenario.payback_within_months,
        "required_probability": required,
        "levels": [0.5, required],
        "scaling": f"{TRAFFIC_KEY} multiplied by a factor per point (same seed: common "
                   "random numbers); x = median over paths of the baseline's mean tokens "
                   "per month over the horizon",
        "factors": list(factors),
        "tokens_per_month": tokens,
        "requests_per_month": [s.requests_per_month.p50 for s in runs],
        "scenario_volume": {
            "tokens_per_month": base_tokens, "requests_per_month": base_requests,
            "p_payback_within": {oid: o.p_payback_within
                                 for oid, o in base.options.items()},
        },
        "marks": list(ARTICLE_MARKS),
        "options": options,
    }


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
    _check_grid_arguments(min_tokens, max_tokens, points)
    # a fixed number of paths per point: a precision target (run --precision) is dropped
    kwargs = {k: v for k, v in simulation_kwargs.items()
              if k not in ("progress", "precision", "max_paths")}
    if kwargs.get("paths") is None:
        kwargs["paths"] = min(scenario.paths, DEFAULT_PATHS)
    seed = scenario.seed if kwargs.get("seed") is None else int(kwargs["seed"])
    kwargs["seed"] = seed
    base = summarize(simulate(scenario, **kwargs), value_of_information=False)
    base_tokens = _median(base.tokens_per_month.p50)
    if not base_tokens > 0:
        raise ScenarioError.single(TRAFFIC_KEY, "the median tokens per month is 0 at the "
                                                "scenario's volume, so it cannot be scaled")
    min_tokens, max_tokens, points = default_grid(base_tokens, min_tokens, max_tokens, points)
    if not min_tokens < max_tokens:
        raise ValueError(f"min_tokens ({min_tokens!r}) must be below max_tokens ({max_tokens!r})")
    factors = [float(t / base_tokens) for t in np.geomspace(min_tokens, max_tokens, points)]
    runs = _scaled_runs(scenario, factors, kwargs, on_point)
    return _curve(scenario, seed, base, runs, factors)
