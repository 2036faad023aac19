"""Retraining-policy optimisation: one option's maintenance policy searched over a grid, every
policy simulated under common random numbers, the best chosen with paired standard errors.

A policy is a calendar cadence (``retrain_every_months``, 0 = no schedule), on-drift
retraining on or off (``retrain_on_drift``) and, with it on, the lag after the oldest
unhandled shift at which the retrain happens (``detection_lag_months``). Every policy is run
at the same seed, sampler and chunk size on the same scenario, reduced to the one option:
the policy keys draw no uniforms and consume no random numbers in the months, so each path
sees the same traffic, prices, drift events, base-model updates and option inputs under
every policy. The difference of two policies' NPVs on a path is then the policy's effect
alone, and the standard error of a mean difference is sd(NPV_a - NPV_b) / sqrt(n): far
smaller than that of two independent runs (docs/policy.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ...distributions.base import Fixed
from ...scenario import Input, Scenario, scenario_from
from ..runner import simulate
from .optimize_types import (
    PairedDifference,
    Policy,
    PolicyOptimization,
    PolicyOutcome,
    SplitCheck,
    outcome_of,
    paired_difference,
)
from .sweep import DEFAULT_PATHS

__all__ = ["DEFAULT_CADENCES", "ON_DRIFT_CHOICES", "MAX_MONTHS", "MIN_SPLIT_PATHS",
           "Policy", "PolicyOutcome", "PairedDifference", "SplitCheck", "PolicyOptimization",
           "PinnedDistribution", "policy_grid", "own_policy", "apply_policy",
           "option_scenario", "has_drift", "check_grid", "paired_difference",
           "optimize_policies"]

DEFAULT_CADENCES = tuple(range(13))  # 0 (no schedule) to 12 months
ON_DRIFT_CHOICES = ("both", "on", "off")
DEFAULT_EXTRA_LAGS = 3  # default lags: the scenario's own and up to 3 months longer
MAX_MONTHS = 600  # the loader's hard range of retrain_every_months and detection_lag_months
MIN_SPLIT_PATHS = 200  # the split-sample check needs at least 100 paths in each half

CADENCE_KEY, LAG_KEY = "maintenance.retrain_every_months", "maintenance.detection_lag_months"


class PinnedDistribution(Fixed):
    """A random input held at one value while keeping its column in the uniform design.

    Why: a random key turned into a plain number would leave the design (one column fewer),
    and every other draw of its owner would move; pinned, the draws stay the same, so a
    pinned run and the scenario's own run share their random numbers exactly. It is a
    `Fixed` law that the sampler still counts as random.
    """

    def __init__(self, value: float) -> None:
        super().__init__(value, f"{float(value):g} (pinned)")

    @property
    def is_fixed(self) -> bool:
        return False


def _pinned(item: Input, value: int) -> Input:
    dist = PinnedDistribution(value) if item.is_random else Fixed(value)
    return replace(item, dist=dist, written=value)


def _whole(item: Input) -> int | None:
    """A fixed count's value (rounded like the sampler), None for a random one."""
    if item.is_random:
        return None
    return int(math.floor(float(item.dist.ppf(np.array([0.5]))[0]) + 0.5))


def option_scenario(scenario: Scenario, option_id: str) -> Scenario:
    """The scenario with only ``option_id`` (and the correlations among what is left).

    A Gaussian copula's sub-matrix is the copula of the inputs kept, so the option's joint
    law with the world is unchanged; simulating one option instead of all saves their time.
    """
    if option_id not in scenario.options:
        known = ", ".join(scenario.options)
        raise ValueError(f"unknown option {option_id!r} (the scenario has: {known})")
    others = tuple(f"options.{oid}." for oid in scenario.options if oid != option_id)
    kept = tuple(c for c in scenario.correlations
                 if not c.a.startswith(others) and not c.b.startswith(others))
    return replace(scenario, options={option_id: scenario.options[option_id]},
                   correlations=kept)


def own_policy(scenario: Scenario, option_id: str) -> Policy:
    """The option's policy as written (None for a random cadence or lag: its law)."""
    option = scenario.options[option_id]
    prefix = f"options.{option_id}."
    cadence = _whole(option.inputs[prefix + CADENCE_KEY])
    lag = _whole(option.inputs[prefix + LAG_KEY]) if option.retrain_on_drift else None
    return Policy(cadence, option.retrain_on_drift, lag)


def has_drift(scenario: Scenario) -> bool:
    """Whether drift can cost anything on some path (else on-drift retraining never fires)."""
    def reaches_above_zero(key: str) -> bool:
        return scenario.inputs[key].dist.support[1] > 0

    return all(reaches_above_zero(f"drift.{k}")
               for k in ("events_per_year", "error_increase", "max_error_increase"))


def check_grid(cadences: Sequence[int], lags: Sequence[int] | None, on_drift: str | None) -> None:
    """Refuse a bad grid before anything runs (ValueError naming the argument)."""
    if not len(cadences):
        raise ValueError("cadences: at least one cadence is needed")
    for name, values in (("cadences", cadences), ("lags", lags or ())):
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | np.integer) \
                    or not 0 <= value <= MAX_MONTHS:
                raise ValueError(f"{name}: expected whole months from 0 to {MAX_MONTHS}, "
                                 f"got {value!r}")
    if lags is not None and not len(lags):
        raise ValueError("lags: at least one lag is needed")
    if on_drift is not None and on_drift not in ON_DRIFT_CHOICES:
        raise ValueError(f"on_drift: expected one of {', '.join(ON_DRIFT_CHOICES)}, "
                         f"got {on_drift!r}")


def policy_grid(scenario: Scenario, option_id: str, cadences: Sequence[int] = DEFAULT_CADENCES,
                on_drift: str | None = None, lags: Sequence[int] | None = None) -> list[Policy]:
    """The policies searched, in run order: on-drift off by cadence, then on by lag and cadence.

    ``on_drift`` None: both where the scenario has drift, else off only. ``lags`` None: the
    option's own detection lag and up to 3 months longer (waiting longer batches shifts
    into one retrain; a shorter lag than the monitoring allows is not a choice), or the
    scenario's law when its lag is random. The option's own policy is added when the grid
    does not hold it.
    """
    check_grid(cadences, lags, on_drift)
    choice = on_drift or ("both" if has_drift(scenario) else "off")
    option = scenario.options[option_id]
    own_lag = _whole(option.inputs[f"options.{option_id}.{LAG_KEY}"])
    if lags is None:
        lag_grid: list[int | None] = ([None] if own_lag is None else
                                      list(range(own_lag, own_lag + DEFAULT_EXTRA_LAGS + 1)))
    else:
        lag_grid = list(dict.fromkeys(int(v) for v in sorted(lags)))
    cadence_grid = list(dict.fromkeys(int(v) for v in sorted(cadences)))
    policies = []
    if choice in ("both", "off"):
        policies += [Policy(k, False, None) for k in cadence_grid]
    if choice in ("both", "on"):
        policies += [Policy(k, True, lag) for lag in lag_grid for k in cadence_grid]
    own = own_policy(scenario, option_id)
    return policies if own in policies else [*policies, own]


def apply_policy(scenario: Scenario, option_id: str, policy: Policy) -> Scenario:
    """The scenario with the option's maintenance policy set (None keeps the scenario's law)."""
    option = scenario.options[option_id]
    inputs = dict(option.inputs)
    prefix = f"options.{option_id}."
    if policy.retrain_every_months is not None:
        inputs[prefix + CADENCE_KEY] = _pinned(inputs[prefix + CADENCE_KEY],
                                               policy.retrain_every_months)
    if policy.retrain_on_drift and policy.detection_lag_months is not None:
        inputs[prefix + LAG_KEY] = _pinned(inputs[prefix + LAG_KEY], policy.detection_lag_months)
    changed = replace(option, retrain_on_drift=policy.retrain_on_drift, inputs=inputs)
    return replace(scenario, options={**scenario.options, option_id: changed})



def optimize_policies(
    source: Scenario | str | Path, option_id: str, *,
    cadences: Sequence[int] = DEFAULT_CADENCES, on_drift: str | None = None,
    lags: Sequence[int] | None = None, paths: int | None = None, seed: int | None = None,
    on_policy: Callable[[int, int], None] | None = None, **simulation_kwargs: Any,
) -> PolicyOptimization:
    """Search one option's retraining policy under common random numbers.

    Parameters
    ----------
    source : Scenario, str or Path
        A loaded scenario, a scenario file, or TOML text.
    option_id : str
        The option whose policy is searched (the others are not simulated).
    cadences, on_drift, lags
        The grid (`policy_grid`): cadences in whole months (0 = no schedule), "both" /
        "on" / "off", lags in whole months (used with on-drift retraining).
    paths : int, optional
        Paths per policy; default the scenario's, at most 20,000.
    seed : int, optional
        Default the scenario's; the same for every policy.
    on_policy : callable, optional
        ``on_policy(done, total)`` after each policy.
    **simulation_kwargs
        Passed to `ftsim.simulate` (``jobs``, ``sampler``, ``chunk_size``, ``backend``...).

    Returns
    -------
    PolicyOptimization
        Per policy E[NPV], P(payback within N), mean retrains; the best by each, paired
        differences to the scenario's own policy and to the runner-up, a split-sample check.

    Raises
    ------
    ValueError
        An unknown option or a bad grid, before anything runs.
    """
    scenario = scenario_from(source)
    reduced = option_scenario(scenario, option_id)
    policies = policy_grid(reduced, option_id, cadences, on_drift, lags)
    n = min(scenario.paths, DEFAULT_PATHS) if paths is None else int(paths)
    seed = scenario.seed if seed is None else int(seed)
    started = time.perf_counter()
    npvs, hits, retrains = [], [], []
    for done, policy in enumerate(policies, start=1):
        result = simulate(apply_policy(reduced, option_id, policy), paths=n, seed=seed,
                          **simulation_kwargs)
        option = result.options[option_id]
        npvs.append(np.array(option.npv, dtype=np.float64))
        within = scenario.payback_within_months
        hits.append((option.payback_month > 0) & (option.payback_month <= within))
        retrains.append(float(np.mean(option.retrains)))
        if on_policy is not None:
            on_policy(done, len(policies))
    own = own_policy(reduced, option_id)
    outcomes = tuple(outcome_of(p, p == own, npv, hit, r)
                     for p, npv, hit, r in zip(policies, npvs, hits, retrains, strict=True))
    return _compare(scenario, option_id, outcomes, npvs, hits, seed=seed,
                    sampler=simulation_kwargs.get("sampler") or scenario.sampler,
                    seconds=time.perf_counter() - started,
                    drift=has_drift(reduced), on_drift=on_drift)


def _ranked(npvs: Sequence[np.ndarray], rows: slice = slice(None)) -> list[int]:
    """Policy indices by mean NPV over ``rows``, highest first (ties: grid order)."""
    means = [float(np.mean(npv[rows])) for npv in npvs]
    return sorted(range(len(means)), key=lambda i: -means[i])


def _split(outcomes: Sequence[PolicyOutcome], npvs: Sequence[np.ndarray], own: int,
           best: int) -> SplitCheck | None:
    """Choose on the first half of the paths, measure the gain on the second half."""
    n = npvs[0].shape[0]
    if n < MIN_SPLIT_PATHS or len(npvs) < 2:
        return None
    half = n // 2
    chosen, runner_up = _ranked(npvs, slice(0, half))[:2]
    second = slice(half, None)

    def diff(a: int, b: int) -> PairedDifference:
        return PairedDifference.of(outcomes[a].policy, outcomes[b].policy, "npv",
                                   npvs[a][second], npvs[b][second])

    return SplitCheck(outcomes[chosen].policy, chosen == best, half, n - half,
                      None if chosen == own else diff(chosen, own), diff(chosen, runner_up))


def _compare(scenario: Scenario, option_id: str, outcomes: tuple[PolicyOutcome, ...],
             npvs: Sequence[np.ndarray], hits: Sequence[np.ndarray], *, seed: int,
             sampler: str, seconds: float, drift: bool,
             on_drift: str | None) -> PolicyOptimization:
    own = next(i for i, o in enumerate(outcomes) if o.is_own)
    ranked = _ranked(npvs)
    best = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    by_payback = max(range(len(outcomes)), key=lambda i: (outcomes[i].p_payback_within,
                                                          outcomes[i].npv_mean, -i))

    def npv_diff(a: int, b: int | None) -> PairedDifference | None:
        if b is None or a == b:
            return None
        return PairedDifference.of(outcomes[a].policy, outcomes[b].policy, "npv",
                                   npvs[a], npvs[b])

    payback_vs_own = None if by_payback == own else PairedDifference.of(
        outcomes[by_payback].policy, outcomes[own].policy, "p_payback_within",
        hits[by_payback].astype(np.float64), hits[own].astype(np.float64))
    notes: list[str] = []
    if not drift and on_drift is None:
        notes.append("The scenario has no drift (no shift can raise the error rate), so "
                     "on-drift retraining would never fire: only calendar cadences are "
                     "searched.")
    if not outcomes[own].policy.retrain_on_drift and any(
            o.policy.retrain_on_drift for o in outcomes):
        notes.append("On-drift policies assume monitoring that notices every shift within "
                     "the lag, at the option's maintenance cost as written; if monitoring "
                     "would cost more, raise maintenance.monthly_cost with --set and rerun "
                     "(its cost is not part of the search).")
    option = scenario.options[option_id]
    return PolicyOptimization(
        scenario=scenario.name, option_id=option_id, option_name=option.name,
        currency=scenario.currency, paths=int(npvs[0].shape[0]), seed=seed, sampler=sampler,
        horizon_months=scenario.horizon_months,
        payback_within_months=scenario.payback_within_months,
        discount_rate_annual=scenario.discount_rate_annual, seconds=seconds,
        outcomes=outcomes, own=own, best_npv=best, runner_up=runner_up,
        best_payback=by_payback, best_vs_own=npv_diff(best, own),
        best_vs_runner_up=npv_diff(best, runner_up), payback_vs_own=payback_vs_own,
        split=_split(outcomes, npvs, own, best), notes=tuple(notes))
