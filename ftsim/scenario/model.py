"""The scenario's data model: frozen dataclasses with every default applied (docs/scenario.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..distributions import Distribution
from ..errors import ScenarioIssue
from .schema import DEFAULT_NPV_TARGETS

__all__ = ["Input", "PriceIndexSpec", "ServingSpec", "BuildSpec", "OptionSpec", "Correlation",
           "VoiGroup", "Pilot", "Scenario"]


@dataclass(frozen=True)
class Input:
    """One numeric input key: its full dotted path, its law, whether it is a count, and where
    its figure comes from (``source``, ``as_of``: its distribution table's, else its table's)."""

    key_path: str
    dist: Distribution
    is_count: bool = False
    written: object = None  # the TOML value as written (number or table), for the report
    source: str | None = None  # who published the figure (one line, at most 300 characters)
    as_of: str | None = None  # when: "YYYY-MM" or "YYYY-MM-DD" as written

    @property
    def is_random(self) -> bool:
        return not self.dist.is_fixed


@dataclass(frozen=True)
class PriceIndexSpec:
    """A ``[prices.<name>]`` table.

    ``annual_decline`` and ``events_per_year`` are static inputs found in
    ``Scenario.inputs`` under ``prices.<name>.annual_decline`` / ``.events_per_year``.
    ``event_multiplier`` is drawn afresh per event (not a static input).
    """

    name: str
    event_multiplier: Distribution


@dataclass(frozen=True)
class ServingSpec:
    mode: str  # "gpu" | "api"
    price_index: str  # name of a price index ("api"/"gpu" may be undefined -> constant 1)
    capacity: str | None  # gpu only: "tokens" (throughput_tokens_per_second) | "requests"


@dataclass(frozen=True)
class BuildSpec:
    training_mode: str  # "gpu" | "api"
    price_index: str
    # gpu training without training_gpu_hourly_cost: use the same per-path draw as
    # options.<id>.serving.gpu_hourly_cost.
    gpu_cost_from_serving: bool


@dataclass(frozen=True)
class OptionSpec:
    """An ``[options.<id>]`` table.

    ``inputs`` maps full key paths (``options.<id>.serving.gpu_hourly_cost``) to Inputs and
    holds every numeric key of the option that applies to its modes, defaults applied:
    options.<id>.{prompt_overhead_tokens, output_token_ratio, lead_time_months,
    error_rate_gap, max_acceptable_gap, escalation_rate}
    options.<id>.serving.{gpu_hourly_cost, throughput_tokens_per_second | requests_per_second,
    utilization, min_gpus, hours_per_month}                          (mode gpu)
    options.<id>.serving.{price_input_per_mtok, price_output_per_mtok, cached_share,
    cached_price_factor}                                              (mode api)
    options.<id>.build.{examples, tokens_per_example, epochs, trials, data_cost_per_example,
    eval_setup_cost, eval_cost_per_run, engineering_cost}
    + gpu_hours and (unless gpu_cost_from_serving) training_gpu_hourly_cost   (training gpu)
    + training_price_per_mtok                                                  (training api)
    options.<id>.maintenance.{monthly_cost, retrain_every_months, detection_lag_months,
    retrain_cost, base_model_updates_per_year}
    """

    id: str
    name: str
    uses_rag: bool
    retrain_on_drift: bool
    serving: ServingSpec
    build: BuildSpec
    inputs: Mapping[str, Input]


@dataclass(frozen=True)
class Correlation:
    a: str  # full key path of a random static input
    b: str
    rho: float  # Spearman rank correlation as written
    source: str | None = None  # the entry's source and as_of, if written
    as_of: str | None = None


@dataclass(frozen=True)
class VoiGroup:
    """A ``[[voi.groups]]`` entry: random inputs whose value of information is asked
    together (learning all of them at once, e.g. every price), by full key path."""

    name: str
    inputs: tuple[str, ...]
    source: str | None = None
    as_of: str | None = None


@dataclass(frozen=True)
class Pilot:
    """A ``[[pilots]]`` entry: a study that measures one random input before deciding.

    It observes the input's true value on a path plus Normal(0, noise_sd_per_example /
    sqrt(examples)) noise (the mean of ``examples`` measurements), costs ``cost`` (money,
    paid at month 0) and postpones the decision by ``duration_months``.
    """

    name: str
    input: str
    examples: int
    noise_sd_per_example: float
    cost: float
    duration_months: float
    source: str | None = None
    as_of: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    ``inputs`` holds the world's numeric keys (full key paths), defaults applied:
    traffic.{requests_per_month, monthly_growth, monthly_volatility, input_tokens,
    output_tokens}, rag.{context_tokens, monthly_cost} (0 without [rag]),
    quality.{baseline_error_rate, cost_per_error},
    drift.{events_per_year, error_increase, max_error_increase} (0, 0, 1 without [drift]),
    baseline.{price_input_per_mtok, price_output_per_mtok, prompt_overhead_tokens,
    cached_share, cached_price_factor},
    prices.<name>.{annual_decline, events_per_year} for each defined index.
    """

    name: str
    file: Path | None
    sha256: str  # of the file's bytes ("" when built from a string)
    currency: str
    horizon_months: int
    payback_within_months: int
    discount_rate_annual: float
    required_probability: float
    paths: int
    seed: int
    sampler: str  # "random" | "lhs" | "sobol"
    has_rag: bool
    baseline_name: str
    baseline_price_index: str
    price_indices: Mapping[str, PriceIndexSpec]
    inputs: Mapping[str, Input]
    options: Mapping[str, OptionSpec]  # in file order
    correlations: tuple[Correlation, ...] = field(default_factory=tuple)
    # Plausibility warnings (a value inside its hard range but outside its plausible
    # range, e.g. monthly_growth = 2 written for 2 %): the run goes on, the CLI prints
    # each as one line and the report lists them.
    warnings: tuple[ScenarioIssue, ...] = ()
    # [report] npv_targets: money thresholds t for P(NPV < t), sorted ascending, no duplicates
    npv_targets: tuple[float, ...] = DEFAULT_NPV_TARGETS
    # [voi]: whether summaries compute the value of information, the groups it values
    # together ([[voi.groups]]), and the pilots it prices ([[pilots]])
    voi_enabled: bool = True
    voi_groups: tuple[VoiGroup, ...] = ()
    pilots: tuple[Pilot, ...] = ()

    def all_inputs(self) -> dict[str, Input]:
        """World inputs then each option's, by full key path."""
        merged: dict[str, Input] = dict(self.inputs)
        for option in self.options.values():
            merged.update(option.inputs)
        return merged
