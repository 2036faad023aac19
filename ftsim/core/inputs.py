"""The sampled static inputs as named fields: what the engine reads instead of dotted strings.

``sampling.sample_static`` returns a flat dict, key path (docs/model.md names) -> (paths,)
float64 array. ``build_inputs`` turns it, once per chunk, into frozen dataclasses whose
field names *are* the schema keys: the key path of a field is its group's prefix plus the
field name (``baseline.cached_share`` is ``Inputs.baseline.cached_share``). A field that
names no key fails when the inputs are built, with the missing key path in the message,
instead of deep in a run; a misspelt attribute in the engine is caught by mypy.

Mode-specific keys live in their own classes (``ApiServingDraws``, ``GpuServingDraws``) or
are Optional and required only by the modes that use them (``BuildDraws``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ..scenario import OptionSpec

__all__ = [
    "TrafficDraws", "RagDraws", "QualityDraws", "DriftDraws", "BaselineDraws", "PriceDraws",
    "ApiServingDraws", "GpuServingDraws", "BuildDraws", "MaintenanceDraws", "OptionDraws",
    "Inputs", "build_inputs", "option_draws",
]

Array = np.ndarray
_OPTIONAL = None  # default of a field only some modes need


@dataclass(frozen=True)
class TrafficDraws:
    requests_per_month: Array  # R0
    monthly_growth: Array  # g
    monthly_volatility: Array  # sigma
    input_tokens: Array
    output_tokens: Array


@dataclass(frozen=True)
class RagDraws:
    context_tokens: Array
    monthly_cost: Array  # rag_m


@dataclass(frozen=True)
class QualityDraws:
    baseline_error_rate: Array  # e_B
    cost_per_error: Array  # c_err


@dataclass(frozen=True)
class DriftDraws:
    events_per_year: Array
    error_increase: Array  # inc
    max_error_increase: Array  # max_inc


@dataclass(frozen=True)
class BaselineDraws:
    price_input_per_mtok: Array
    price_output_per_mtok: Array
    prompt_overhead_tokens: Array  # o_B
    cached_share: Array  # h_B
    cached_price_factor: Array  # f_B


@dataclass(frozen=True)
class PriceDraws:
    annual_decline: Array  # d
    events_per_year: Array  # c


@dataclass(frozen=True)
class ApiServingDraws:
    price_input_per_mtok: Array
    price_output_per_mtok: Array
    cached_share: Array
    cached_price_factor: Array


@dataclass(frozen=True)
class GpuServingDraws:
    gpu_hourly_cost: Array
    hours_per_month: Array
    utilization: Array
    min_gpus: Array
    throughput_tokens_per_second: Array | None = _OPTIONAL  # capacity = "tokens"
    requests_per_second: Array | None = _OPTIONAL  # capacity = "requests"


@dataclass(frozen=True)
class BuildDraws:
    examples: Array
    tokens_per_example: Array
    epochs: Array
    trials: Array
    data_cost_per_example: Array
    eval_setup_cost: Array
    eval_cost_per_run: Array
    engineering_cost: Array
    gpu_hours: Array | None = _OPTIONAL  # training_mode = "gpu"
    training_gpu_hourly_cost: Array | None = _OPTIONAL  # gpu, unless gpu_cost_from_serving
    training_price_per_mtok: Array | None = _OPTIONAL  # training_mode = "api"


@dataclass(frozen=True)
class MaintenanceDraws:
    monthly_cost: Array  # maint_m
    retrain_every_months: Array  # K
    detection_lag_months: Array  # D
    retrain_cost: Array
    base_model_updates_per_year: Array


@dataclass(frozen=True)
class OptionDraws:
    prompt_overhead_tokens: Array
    output_token_ratio: Array
    lead_time_months: Array  # L
    error_rate_gap: Array  # gap
    max_acceptable_gap: Array
    escalation_rate: Array  # esc
    serving: ApiServingDraws | GpuServingDraws
    build: BuildDraws
    maintenance: MaintenanceDraws


@dataclass(frozen=True)
class Inputs:
    """One chunk's static inputs; ``prices`` and ``options`` are keyed by index and option id."""

    traffic: TrafficDraws
    rag: RagDraws
    quality: QualityDraws
    drift: DriftDraws
    baseline: BaselineDraws
    prices: Mapping[str, PriceDraws]
    options: Mapping[str, OptionDraws]


T = TypeVar("T")


def _take(cls: type[T], static: Mapping[str, Array], prefix: str,
          need: Iterable[str] = (), **nested: object) -> T:
    """``cls`` with each array field read from ``static[prefix + name]``.

    Fields without a default, and the Optional ones listed in ``need``, must be present
    (KeyError naming the key path otherwise); other Optional fields are None when absent.
    ``nested`` supplies the fields that are groups of their own.
    """
    needed = set(need)
    values: dict[str, object] = dict(nested)
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in nested:
            continue
        key = prefix + f.name
        if key in static:
            values[f.name] = static[key]
        elif f.default is dataclasses.MISSING or f.name in needed:
            raise KeyError(f"static input {key!r} is missing (needed by {cls.__name__}.{f.name})")
        else:
            values[f.name] = None
    return cls(**values)


def option_draws(option: OptionSpec, static: Mapping[str, Array]) -> OptionDraws:
    """One option's draws; which mode-specific keys are required follows its spec."""
    prefix = f"options.{option.id}."
    serving: ApiServingDraws | GpuServingDraws
    if option.serving.mode == "api":
        serving = _take(ApiServingDraws, static, prefix + "serving.")
    else:
        capacity = ("throughput_tokens_per_second" if option.serving.capacity == "tokens"
                    else "requests_per_second")
        serving = _take(GpuServingDraws, static, prefix + "serving.", need=(capacity,))
    if option.build.training_mode == "gpu":
        need = ("gpu_hours",) if option.build.gpu_cost_from_serving else (
            "gpu_hours", "training_gpu_hourly_cost")
    else:
        need = ("training_price_per_mtok",)
    build = _take(BuildDraws, static, prefix + "build.", need=need)
    maintenance = _take(MaintenanceDraws, static, prefix + "maintenance.")
    return _take(OptionDraws, static, prefix, serving=serving, build=build,
                 maintenance=maintenance)


def build_inputs(static: Mapping[str, Array], options: Iterable[OptionSpec] = (),
                 price_indices: Iterable[str] = ()) -> Inputs:
    """The named inputs of the given options and price indices, from the sampled dict."""
    return Inputs(
        traffic=_take(TrafficDraws, static, "traffic."),
        rag=_take(RagDraws, static, "rag."),
        quality=_take(QualityDraws, static, "quality."),
        drift=_take(DriftDraws, static, "drift."),
        baseline=_take(BaselineDraws, static, "baseline."),
        prices={name: _take(PriceDraws, static, f"prices.{name}.") for name in price_indices},
        options={option.id: option_draws(option, static) for option in options},
    )
