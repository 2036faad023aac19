"""docs/model.md sections 4-9 arithmetic on sampled arrays: no randomness, so tests feed hand-made inputs.

Per-month arrays are month-major, shape (H, paths): a month is one contiguous row, and a
per-path (paths,) vector broadcasts against them with no reshaping. The per-path
coefficients are numpy on (paths,) vectors; each option's month recursion runs compiled
in ``ftsim.core.kernel`` (one pass instead of some sixty numpy passes over (H, paths) arrays).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..scenario import OptionSpec
from .inputs import ApiServingDraws, GpuServingDraws, Inputs, OptionDraws

if TYPE_CHECKING:
    from .kernel import MonthInputs

__all__ = [
    "World",
    "OptionPaths",
    "COST_COMPONENTS",
    "BASELINE_COMPONENTS",
    "index_or_one",
    "baseline_costs",
    "simulate_option",
]

# Parts of the option's monthly cost, in the order the report stacks them.
COST_COMPONENTS = ("serving", "escalation", "errors", "rag", "maintenance", "retraining",
                   "baseline_while_not_live")
# Parts of the baseline's monthly cost C^B_t: tokens R q_B, errors R e_B c_err, rag_m.
BASELINE_COMPONENTS = ("baseline_api", "baseline_errors", "baseline_rag")


@dataclass(frozen=True)
class World:
    """The world's per-month, per-path quantities shared by every option (arrays (H, paths))."""

    requests: np.ndarray  # R_t
    baseline_cost_per_request: np.ndarray  # q_B,t
    baseline_cost: np.ndarray  # C^B_t
    drift_counts: np.ndarray  # world drift events per month (int)
    indices: Mapping[str, np.ndarray]  # defined price indices I_t


@dataclass(frozen=True)
class OptionPaths:
    """Per-path outcomes of one option. Arrays are (paths,) unless noted."""

    upfront: np.ndarray  # U, booked at t = 0
    abandoned: np.ndarray  # bool
    start_month: np.ndarray  # S = clip(L, 0, H) + 1 (int)
    cumulative: np.ndarray  # CS_t, (H, paths), float32 (payback is found in float64)
    payback_month: np.ndarray  # P in 1..H, 0 = never (int)
    npv: np.ndarray
    tco_baseline: np.ndarray
    tco_option: np.ndarray
    retrains: np.ndarray  # retrains of any kind over the horizon (int)
    dips_after_payback: np.ndarray  # bool: CS < 0 in some month after P
    # COST_COMPONENTS, "baseline" and BASELINE_COMPONENTS, summed over paths, (H,)
    monthly_cost_sums: Mapping[str, np.ndarray]


def index_or_one(indices: Mapping[str, np.ndarray], name: str, shape: tuple[int, int]) -> np.ndarray:
    """The named price index, or constant 1 for an undefined one (docs/model.md sections 4-9)."""
    return indices[name] if name in indices else np.ones(shape)


def baseline_costs(
    inputs: Inputs, requests: np.ndarray, price_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline cost per request q_B,t and monthly cost C^B_t, each (H, paths).

    q_B,t = ((in + ctx + o_B (1 - h_B + h_B f_B)) pin_B + out pout_B) / 1e6 * I^B_t
    C^B_t = R_t q_B,t + rag_m + R_t e_B c_err                       (docs/model.md sections 4-9)
    """
    traffic, base, quality = inputs.traffic, inputs.baseline, inputs.quality
    billed_in = (traffic.input_tokens + inputs.rag.context_tokens
                 + base.prompt_overhead_tokens
                 * (1.0 - base.cached_share + base.cached_share * base.cached_price_factor))
    per_request = (billed_in * base.price_input_per_mtok
                   + traffic.output_tokens * base.price_output_per_mtok) / 1e6
    q = per_request * price_index
    cost = requests * q
    cost += requests * (quality.baseline_error_rate * quality.cost_per_error)
    cost += inputs.rag.monthly_cost
    return q, cost


def _serving_coefficients(
    option: OptionSpec, v: OptionDraws, inputs: Inputs,
) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """How serving turns R_t into serve_t: (mode, a, min_gpus, gpu_month), each (paths,).

    api:          serve_t = R_t a I_t, a = $ per request at today's prices (with caching);
    gpu/tokens:   serve_t = max(min_gpus, ceil(R_t a)) gpu_month I_t, a = GPU-months per request;
    gpu/requests: serve_t = max(min_gpus, ceil(R_t / a)) gpu_month I_t, a = requests per GPU-month;
    with gpu_month = gpu_hourly_cost * hours_per_month (ceil-sized rented GPUs).
    """
    traffic = inputs.traffic
    context = inputs.rag.context_tokens if option.uses_rag else 0.0
    out_tokens = v.output_token_ratio * traffic.output_tokens
    zero = np.zeros_like(out_tokens)
    serving = v.serving
    if isinstance(serving, ApiServingDraws):
        h, f = serving.cached_share, serving.cached_price_factor
        billed_in = traffic.input_tokens + context + v.prompt_overhead_tokens * (1 - h + h * f)
        per_request = (billed_in * serving.price_input_per_mtok
                       + out_tokens * serving.price_output_per_mtok) / 1e6
        return "api", per_request, zero, zero
    hours = serving.hours_per_month
    seconds_usable = 3600.0 * hours * serving.utilization
    gpu_month = serving.gpu_hourly_cost * hours
    if option.serving.capacity == "tokens":
        tokens = traffic.input_tokens + context + v.prompt_overhead_tokens + out_tokens
        capacity = _present(serving.throughput_tokens_per_second) * seconds_usable  # tokens/GPU-month
        return "gpu_tokens", tokens / capacity, serving.min_gpus, gpu_month
    return ("gpu_requests", _present(serving.requests_per_second) * seconds_usable,
            serving.min_gpus, gpu_month)


def _present(a: np.ndarray | None) -> np.ndarray:
    """A mode-specific draw that ``inputs.option_draws`` has checked is there."""
    assert a is not None
    return a


def _training_compute(option: OptionSpec, v: OptionDraws) -> np.ndarray:
    """One trial's compute at today's prices: gpu_hours * hourly cost, or trained tokens * price."""
    build = v.build
    if option.build.training_mode == "gpu":
        if option.build.gpu_cost_from_serving:
            assert isinstance(v.serving, GpuServingDraws)
            hourly = v.serving.gpu_hourly_cost
        else:
            hourly = _present(build.training_gpu_hourly_cost)
        return _present(build.gpu_hours) * hourly
    trained_mtok = build.examples * build.tokens_per_example * build.epochs / 1e6
    return trained_mtok * _present(build.training_price_per_mtok)


def _coefficients(
    option: OptionSpec, v: OptionDraws, inputs: Inputs, n_paths: int, names: tuple[str, ...],
    build_index_now: np.ndarray | None = None,
) -> tuple[str, np.ndarray, np.ndarray]:
    """The serving mode, the upfront cost U, and the per-path coefficient matrix
    (len(names), paths) in the kernel's row order (``kernel.COEFFICIENTS``).

    ``build_index_now`` (paths,): the build's price index when the build starts later than
    today (a deferred decision); U's training compute is then priced with it."""
    compute = _training_compute(option, v)
    build, maint = v.build, v.maintenance
    trials, eval_run = build.trials, build.eval_cost_per_run
    compute_now = compute if build_index_now is None else compute * build_index_now
    upfront = (build.examples * build.data_cost_per_example + trials * (compute_now + eval_run)
               + build.eval_setup_cost + build.engineering_cost)

    mode, serve_a, min_gpus, gpu_month = _serving_coefficients(option, v, inputs)
    e_b, c_err, esc = (inputs.quality.baseline_error_rate, inputs.quality.cost_per_error,
                       v.escalation_rate)
    rows = {
        "serve_a": serve_a, "serve_min_gpus": min_gpus, "serve_gpu_month": gpu_month,
        "escalation_rate": esc, "error_level": e_b + v.error_rate_gap,
        "error_scale": (1.0 - esc) * c_err, "error_floor": esc * e_b * c_err,
        "drift_increase": inputs.drift.error_increase,
        "drift_max": inputs.drift.max_error_increase,
        "detection_lag": maint.detection_lag_months,
        "retrain_cost": maint.retrain_cost, "trials": trials,
        "trial_compute": compute, "eval_run": eval_run, "rag": inputs.rag.monthly_cost,
        "maintenance": maint.monthly_cost, "upfront": upfront,
        "baseline_error_cost": e_b * c_err,
    }
    coefficients = np.empty((len(names), n_paths))
    for row, name in enumerate(names):
        coefficients[row] = rows[name]
    return mode, upfront, coefficients


def simulate_option(
    option: OptionSpec, inputs: Inputs, world: World,
    base_model_updates: np.ndarray, *, horizon_months: int, discount_rate_annual: float,
    decision_month: int = 0,
) -> OptionPaths:
    """Cash flows and outcomes of one option on every path (docs/model.md sections 4-9).

    ``inputs`` holds the chunk's static draws (``inputs.build_inputs``, this option's
    among them); ``base_model_updates`` is the option's own
    count of base-model updates per month, (H, paths). Per path, with S = clip(L, 0, H) + 1
    and the option live in months S..H unless abandoned (gap > max_acceptable_gap):

    * C^O_t = serve_t + esc R_t q_B,t + err_t + retrain_t + rag_m + maint_m when live,
      else C^B_t; s_t = C^B_t - C^O_t; CS_t = sum_{u<=t} s_u - U; P = first t >= S with
      CS_t >= 0 (0 = never); NPV = -U + sum_t s_t / (1 + r_m)^t.
    * err_t = R_t c_err ((1 - esc) clip(e_B + gap + X_t, 0, 1) + esc e_B), with the drift
      state X_t = min(max_inc, X'_{t-1} + n_t inc), reset to 0 after a retrain in month t
      (after that month's error cost).
    * Retrain in month t when (a) the K schedule counted from S falls due, (b) with
      ``retrain_on_drift``, the oldest unhandled drift event is at least D months old, or
      (c) a base-model update forces a rebuild, whose cost trials (compute I^build_t +
      eval_run) replaces retrain_cost.

    ``decision_month`` k > 0: the decision is taken after month k instead of today (the
    option to wait, ``ftsim.core.studies.wait``). The baseline runs alone through month k;
    the build starts then: S = min(k + L, H) + 1, U's training compute is priced with the
    build's index I^build_k, and the NPV discounts U by (1 + r_m)^-k. CS_t and the TCO
    still count U (undiscounted) from month 1. k = 0 is today's decision, bit for bit.

    The per-path coefficients are computed here on (paths,) vectors; the month recursion
    runs in ``ftsim.core.kernel.option_months`` (compiled), one pass over each (H, paths) array.
    """
    from .kernel import (  # imports numba
        COEFFICIENTS,
        SERVING_MODES,
        SUM_ROWS,
        OptionOutputs,
        OptionRule,
        PathInputs,
        option_months,
    )

    v = inputs.options[option.id]
    requests = world.requests
    horizon, n_paths = requests.shape
    shape = (horizon, n_paths)

    if not 0 <= decision_month < horizon:
        raise ValueError(f"decision_month: expected 0 to {horizon - 1}, got {decision_month}")
    lead = np.clip(v.lead_time_months, 0, horizon).astype(np.int64)
    start = lead + 1
    build_index_now = None
    if decision_month:
        start = np.minimum(lead + decision_month, horizon) + 1
        build_index = index_or_one(world.indices, option.build.price_index, shape)
        build_index_now = build_index[decision_month - 1]
    abandoned = v.error_rate_gap > v.max_acceptable_gap

    mode, upfront, coefficients = _coefficients(option, v, inputs, n_paths, COEFFICIENTS,
                                                build_index_now)

    monthly_rate = (1.0 + discount_rate_annual) ** (1.0 / 12.0) - 1.0
    discount = (1.0 + monthly_rate) ** -np.arange(1, horizon + 1, dtype=float)
    out = OptionOutputs(
        cumulative=np.empty(shape, np.float32), sums=np.zeros((len(SUM_ROWS), horizon)),
        payback=np.empty(n_paths, np.int64), npv=np.empty(n_paths),
        tco_baseline=np.empty(n_paths), tco_option=np.empty(n_paths),
        retrains=np.empty(n_paths, np.int64), dips_after_payback=np.empty(n_paths, np.bool_))
    per_path = PathInputs(start=start,
                          retrain_every=v.maintenance.retrain_every_months.astype(np.int64),
                          abandoned=np.ascontiguousarray(abandoned), coefficients=coefficients)
    option_months(OptionRule(SERVING_MODES[mode], bool(option.retrain_on_drift), discount),
                  _month_inputs(option, world, base_model_updates), per_path, out)
    if decision_month:  # the kernel subtracts U at month 0: book it at month k instead
        out.npv[:] += upfront * (1.0 - discount[decision_month - 1])
    return OptionPaths(
        upfront=upfront, abandoned=abandoned, start_month=start,
        cumulative=out.cumulative, payback_month=out.payback, npv=out.npv,
        tco_baseline=out.tco_baseline, tco_option=out.tco_option, retrains=out.retrains,
        dips_after_payback=out.dips_after_payback,
        monthly_cost_sums=dict(zip(SUM_ROWS, out.sums, strict=True)),
    )


def _month_inputs(option: OptionSpec, world: World, base_model_updates: np.ndarray) -> MonthInputs:
    """The kernel's (H, paths) inputs, C-contiguous in the dtypes it was compiled for."""
    from .kernel import MonthInputs  # imports numba

    shape = world.requests.shape

    def matrix(a: np.ndarray, dtype: type) -> np.ndarray:
        # read-only whether or not it was copied (a full-shape input comes back as the
        # read-only view broadcast_to makes): the kernel only reads them, and one flag for
        # all means one compiled signature, the one load_option_kernel loads ahead
        m: np.ndarray = np.ascontiguousarray(np.broadcast_to(a, shape), dtype=dtype)
        m.flags.writeable = False
        return m

    return MonthInputs(
        requests=matrix(world.requests, np.float64),
        baseline_cost_per_request=matrix(world.baseline_cost_per_request, np.float64),
        baseline_cost=matrix(world.baseline_cost, np.float64),
        drift_counts=matrix(world.drift_counts, np.int64),
        base_model_updates=matrix(base_model_updates, np.int64),
        serving_index=matrix(index_or_one(world.indices, option.serving.price_index, shape),
                             np.float64),
        build_index=matrix(index_or_one(world.indices, option.build.price_index, shape),
                           np.float64))
