"""A run's value of information (summary.json ``value_of_information``, issue 12): the
estimators of voi.py and voi_group.py applied to the run's own paths, no second simulation.

The decision: keep the baseline (net benefit 0) or commit to one option (its NPV), the one
with the highest expected NPV. Per path, the net benefit of each decision is
``[0, NPV_1, ..., NPV_m]``. summarize() prepares it once, as the options' NPV minus the
baseline's 0 (``prepare``), values each random input with the sort it already made for the
drivers (``input_value``), then adds EVPI, the scenario's groups and pilots
(``value_of_information``).

A pilot's observation is drawn from its own random stream, keyed by the run's seed and
the pilot's name (``ftsim.rng.design_stream``): adding, removing or renaming another
pilot, or changing the number of threads, never changes its numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from ..rng import design_stream
from ..scenario import Pilot, Scenario, VoiGroup, input_label
from .drivers import holm_significant
from .metrics import SortedSample
from .result import Result
from .voi import (
    EvsiResult,
    NetBenefit,
    evpi,
    evppi_single,
    evsi_pilot,
    incremental_net_benefit,
)
from .voi_group import evppi_group
from .voi_types import (
    GroupFit,
    GroupValue,
    InputValue,
    PilotValue,
    ValueEstimate,
    ValueOfInformation,
)

__all__ = ["prepare", "input_value", "pilot_discount_factor",
           "group_value", "pilot_value", "value_of_information", "pilot_stream_name"]


def prepare(result: Result, enabled: bool | None = None) -> NetBenefit | None:
    """The prepared net benefit when the value of information is to be computed
    (``enabled``, default the scenario's ``[voi] enabled``) and is defined (an option, two
    paths, every NPV finite); else None."""
    if not (result.scenario.voi_enabled if enabled is None else enabled):
        return None
    if not result.options or result.n_paths < 2:
        return None
    # NPV_d - 0 (the baseline) is NPV_d bit for bit: the options' NPV side by side are the
    # incremental net benefit, without an (n, 1 + m) array with the baseline's zeros
    incremental = np.empty((result.n_paths, len(result.options)))
    for j, option in enumerate(result.options.values()):
        incremental[:, j] = option.npv
    return incremental_net_benefit(incremental) if np.isfinite(incremental).all() else None


def input_value(key: str, label: str, sorted_input: SortedSample | np.ndarray,
                sample: NetBenefit) -> InputValue:
    """EVPPI of one input, from its sort when the caller has one (the summary's)."""
    found = evppi_single(sorted_input, sample)
    return InputValue(key, label, found.value, found.se)


def _decision_id(decision: int, option_ids: Sequence[str]) -> str | None:
    return None if decision == 0 else option_ids[decision - 1]


def group_value(group: VoiGroup, result: Result, sample: NetBenefit,
                inputs: Mapping[str, np.ndarray] | None = None) -> GroupValue:
    """EVPPI of a [[voi.groups]] entry, with the fit check per option; its fixed inputs
    are constants (left out), a group of fixed inputs is worth 0. ``inputs``: the random
    inputs by key (default the result's; a summary that frees them hands them over)."""
    inputs = result.inputs if inputs is None else inputs
    labels = tuple(input_label(k, result.scenario) for k in group.inputs)
    varying = [k for k in group.inputs if k in inputs]  # fixed inputs: constants
    if not varying:
        return GroupValue(group.name, group.inputs, labels, 0.0, 0.0, 0.0, 0.0, ())
    xs = np.empty((result.n_paths, len(varying)))
    for j, key in enumerate(varying):  # column by column: no float64 copy of each input first
        xs[:, j] = inputs[key]
    found = evppi_group(xs, sample)
    option_ids = list(result.options)
    fits = tuple(GroupFit(option_ids[f.decision - 1], f.model, f.terms, f.r2, f.r2_cv)
                 for f in found.fits)
    return GroupValue(group.name, group.inputs, labels, found.value, found.se,
                      found.value_cross_fitted, found.se_cross_fitted, fits)


def pilot_discount_factor(scenario: Scenario, duration_months: float) -> float:
    """(1 + r)^(-duration / 12): what money at the decision is worth today when the pilot
    postpones the decision by ``duration_months`` (r the annual discount rate)."""
    return float((1.0 + scenario.discount_rate_annual) ** (-duration_months / 12.0))


def pilot_stream_name(pilot: Pilot) -> str:
    """The name of a pilot's random stream (with the run's seed: ``design_stream``)."""
    return f"voi.pilots.{pilot.name}"


def _best_now_se(sample: NetBenefit) -> float:
    """Standard error of the expected NPV of the decision best now (0 for the baseline)."""
    if sample.best == 0:
        return 0.0
    column = sample.centred[:, sample.best - 1]
    return math.sqrt(float(np.einsum("i,i->", column, column)) / (sample.n_paths - 1)
                     / sample.n_paths)


def pilot_value(pilot: Pilot, result: Result, sample: NetBenefit,
                inputs: Mapping[str, np.ndarray] | None = None) -> PilotValue:
    """A pilot priced: EVSI, its rule, the delay's cost and the net value (PilotValue); a
    pilot on a fixed input (say, fixed by --set) is worth 0. ``inputs`` as for
    `group_value`.

    Delay: the pilot postpones the decision by its duration d; the decision then plays
    out as it would now, d months later, so everything it is worth is discounted by f =
    (1 + r)^(-d/12). Net value = f (V0 + EVSI) - cost - V0 = f EVSI - cost - (1 - f) V0,
    V0 the expected NPV of the best decision now (0 when that is the baseline).
    """
    inputs = result.inputs if inputs is None else inputs
    if pilot.input in inputs:  # float32 inputs are read as they are (no float64 copy)
        rng = design_stream(result.seed, pilot_stream_name(pilot))
        found = evsi_pilot(inputs[pilot.input], pilot.noise_sd_per_example, pilot.examples,
                           sample, rng)
    else:  # a fixed input: the pilot can only confirm what is known, worth 0
        sd = pilot.noise_sd_per_example / math.sqrt(pilot.examples)
        found = EvsiResult(0.0, 0.0, None, None, (), (sample.best,), sd, ())
    option_ids = list(result.options)
    decisions = tuple(_decision_id(d, option_ids) for d in found.decisions)
    go_option = None
    if found.threshold is not None:
        i = found.switch_points.index(found.threshold)
        go_option = decisions[i] if found.go_when == "below" else decisions[i + 1]
    factor = pilot_discount_factor(result.scenario, pilot.duration_months)
    now = sample.best_mean()
    delay = (1.0 - factor) * now
    net_se = math.hypot(factor * found.se, (1.0 - factor) * _best_now_se(sample))
    return PilotValue(
        name=pilot.name, input=pilot.input, label=input_label(pilot.input, result.scenario),
        examples=pilot.examples, noise_sd_per_example=pilot.noise_sd_per_example,
        observation_sd=found.observation_sd, cost=pilot.cost,
        duration_months=pilot.duration_months, evsi=found.value, se=found.se,
        threshold=found.threshold, go_when=found.go_when, go_option=go_option,
        switch_points=found.switch_points, decisions=decisions, discount_factor=factor,
        delay_cost=delay, net_value=factor * found.value - pilot.cost - delay,
        net_value_se=net_se, source=pilot.source, as_of=pilot.as_of)


def _mark_worth_learning(rows: Sequence[InputValue], evpi_value: float
                         ) -> tuple[InputValue, ...]:
    """Flag the inputs worth learning: EVPPI beyond noise for the family of all inputs
    (one-sided normal p-value of value / se, Holm's step-down at a family-wise 5 %, as the
    drivers are judged: with 45 inputs a 2-se rule per input flags about one noise input a
    run) and at least 1 % of EVPI."""
    p_values = [1.0 if row.se <= 0 and row.value <= 0 else 0.0 if row.se <= 0 else
                0.5 * math.erfc(row.value / row.se / math.sqrt(2.0)) for row in rows]
    clear = holm_significant(p_values)
    return tuple(replace(row, worth_learning=ok and row.value >= 0.01 * evpi_value)
                 for row, ok in zip(rows, clear, strict=True))


def value_of_information(result: Result, sample: NetBenefit,
                         evppi: Mapping[str, InputValue],
                         groups: tuple[GroupValue, ...] | None = None,
                         pilots: tuple[PilotValue, ...] | None = None) -> ValueOfInformation:
    """EVPI, the inputs' EVPPI (``evppi``, ranked here: largest first), the scenario's
    groups and pilots (computed here unless given: summarize() runs them in its thread
    pool), and the decision that is best now."""
    scenario = result.scenario
    option_ids = list(result.options)
    decision = _decision_id(sample.best, option_ids)
    name = scenario.baseline_name if decision is None else scenario.options[decision].name
    total = evpi(sample)
    ranked = _mark_worth_learning(sorted(evppi.values(), key=lambda row: (-row.value, row.input)),
                                  total.value)
    return ValueOfInformation(
        decision_now=decision, decision_now_name=name, expected_npv_now=sample.best_mean(),
        evpi=ValueEstimate(total.value, total.se), evppi=ranked,
        groups=(tuple(group_value(g, result, sample) for g in scenario.voi_groups)
                if groups is None else groups),
        pilots=(tuple(pilot_value(p, result, sample) for p in scenario.pilots)
                if pilots is None else pilots))
