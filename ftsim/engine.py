"""MODEL.md section 4 arithmetic on sampled arrays: no randomness, so tests feed hand-made inputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .scenario import OptionSpec

__all__ = [
    "World",
    "OptionPaths",
    "COST_COMPONENTS",
    "BASELINE_COMPONENTS",
    "index_or_one",
    "baseline_costs",
    "simulate_option",
    "payback_months",
    "npv",
]

# Parts of the option's monthly cost, in the order the report stacks them.
COST_COMPONENTS = ("serving", "escalation", "errors", "rag", "maintenance", "retraining",
                   "baseline_while_not_live")
# Parts of the baseline's monthly cost C^B_t: tokens R q_B, errors R e_B c_err, rag_m.
BASELINE_COMPONENTS = ("baseline_api", "baseline_errors", "baseline_rag")


@dataclass(frozen=True)
class World:
    """The world's per-path, per-month quantities shared by every option (arrays (paths, H))."""

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
    cumulative: np.ndarray  # CS_t, (paths, H)
    payback_month: np.ndarray  # P in 1..H, 0 = never (int)
    npv: np.ndarray
    tco_baseline: np.ndarray
    tco_option: np.ndarray
    retrains: np.ndarray  # retrains of any kind over the horizon (int)
    dips_after_payback: np.ndarray  # bool: CS < 0 in some month after P
    # COST_COMPONENTS, "baseline" and BASELINE_COMPONENTS, summed over paths, (H,)
    monthly_cost_sums: Mapping[str, np.ndarray]


def index_or_one(indices: Mapping[str, np.ndarray], name: str, shape: tuple[int, int]) -> np.ndarray:
    """The named price index, or constant 1 for an undefined one (MODEL.md section 4)."""
    return indices[name] if name in indices else np.ones(shape)


def baseline_costs(
    static: Mapping[str, np.ndarray], requests: np.ndarray, price_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline cost per request q_B,t and monthly cost C^B_t, each (paths, H).

    q_B,t = ((in + ctx + o_B (1 - h_B + h_B f_B)) pin_B + out pout_B) / 1e6 * I^B_t
    C^B_t = R_t q_B,t + rag_m + R_t e_B c_err                       (MODEL.md section 4)
    """
    billed_in = (static["traffic.input_tokens"] + static["rag.context_tokens"]
                 + static["baseline.prompt_overhead_tokens"]
                 * (1.0 - static["baseline.cached_share"]
                    + static["baseline.cached_share"] * static["baseline.cached_price_factor"]))
    per_request = (billed_in * static["baseline.price_input_per_mtok"]
                   + static["traffic.output_tokens"] * static["baseline.price_output_per_mtok"]) / 1e6
    q = per_request[:, None] * price_index
    errors = requests * (static["quality.baseline_error_rate"]
                         * static["quality.cost_per_error"])[:, None]
    return q, requests * q + static["rag.monthly_cost"][:, None] + errors


def _serving_cost(
    option: OptionSpec, v: Mapping[str, np.ndarray], static: Mapping[str, np.ndarray],
    requests: np.ndarray, serving_index: np.ndarray,
) -> np.ndarray:
    """serve_t for api (per token, with caching) or gpu (ceil-sized rented GPUs), (paths, H)."""
    context = static["rag.context_tokens"] if option.uses_rag else 0.0
    out_tokens = v["output_token_ratio"] * static["traffic.output_tokens"]
    if option.serving.mode == "api":
        h, f = v["serving.cached_share"], v["serving.cached_price_factor"]
        billed_in = static["traffic.input_tokens"] + context + v["prompt_overhead_tokens"] * (1 - h + h * f)
        per_request = (billed_in * v["serving.price_input_per_mtok"]
                       + out_tokens * v["serving.price_output_per_mtok"]) / 1e6
        return requests * per_request[:, None] * serving_index
    hours = v["serving.hours_per_month"]
    seconds_usable = 3600.0 * hours * v["serving.utilization"]
    if option.serving.capacity == "tokens":
        tokens = static["traffic.input_tokens"] + context + v["prompt_overhead_tokens"] + out_tokens
        capacity = v["serving.throughput_tokens_per_second"] * seconds_usable  # tokens/GPU-month
        needed = requests * (tokens / capacity)[:, None]
    else:
        needed = requests / (v["serving.requests_per_second"] * seconds_usable)[:, None]
    gpus = np.maximum(v["serving.min_gpus"][:, None], np.ceil(needed))
    return gpus * (v["serving.gpu_hourly_cost"] * hours)[:, None] * serving_index


def _training_compute(option: OptionSpec, v: Mapping[str, np.ndarray]) -> np.ndarray:
    """One trial's compute at today's prices: gpu_hours * hourly cost, or trained tokens * price."""
    if option.build.training_mode == "gpu":
        hourly = (v["serving.gpu_hourly_cost"] if option.build.gpu_cost_from_serving
                  else v["build.training_gpu_hourly_cost"])
        return v["build.gpu_hours"] * hourly
    trained_mtok = v["build.examples"] * v["build.tokens_per_example"] * v["build.epochs"] / 1e6
    return trained_mtok * v["build.training_price_per_mtok"]


def simulate_option(
    option: OptionSpec, static: Mapping[str, np.ndarray], world: World,
    base_model_updates: np.ndarray, *, horizon_months: int, discount_rate_annual: float,
) -> OptionPaths:
    """Cash flows and outcomes of one option on every path (MODEL.md section 4).

    ``static`` maps key path -> (paths,) arrays; ``base_model_updates`` is the option's own
    count of base-model updates per month, (paths, H). The only loop is over months, for
    the drift state and the retrain rules, which depend on the previous month.
    """
    prefix = f"options.{option.id}."
    v = {k[len(prefix):]: a for k, a in static.items() if k.startswith(prefix)}
    requests, cost_b = world.requests, world.baseline_cost
    n_paths, horizon = requests.shape
    shape = (n_paths, horizon)
    months = np.arange(1, horizon + 1)

    lead = np.clip(v["lead_time_months"], 0, horizon).astype(np.int64)
    start = lead + 1
    abandoned = v["error_rate_gap"] > v["max_acceptable_gap"]
    active = (months[None, :] >= start[:, None]) & ~abandoned[:, None]

    serving = _serving_cost(option, v, static, requests,
                            index_or_one(world.indices, option.serving.price_index, shape))
    escalation = v["escalation_rate"][:, None] * requests * world.baseline_cost_per_request

    compute = _training_compute(option, v)
    trials, eval_run = v["build.trials"], v["build.eval_cost_per_run"]
    upfront = (v["build.examples"] * v["build.data_cost_per_example"] + trials * (compute + eval_run)
               + v["build.eval_setup_cost"] + v["build.engineering_cost"])
    build_index = index_or_one(world.indices, option.build.price_index, shape)
    rebuild = trials[:, None] * (compute[:, None] * build_index + eval_run[:, None])

    errors, retraining, retrains = _drift_and_retrains(option, v, static, world, base_model_updates,
                                                       active, start, rebuild)

    per_path = {"rag": static["rag.monthly_cost"], "maintenance": v["maintenance.monthly_cost"]}
    monthly = {"serving": serving, "escalation": escalation, "errors": errors,
               "retraining": retraining}
    cost_o = serving + escalation
    cost_o += errors
    cost_o += retraining
    cost_o += (per_path["rag"] + per_path["maintenance"])[:, None]
    np.copyto(cost_o, cost_b, where=~active)

    savings = cost_b - cost_o
    cumulative = np.cumsum(savings, axis=1) - upfront[:, None]
    payback = payback_months(cumulative, start, abandoned)
    after = months[None, :] > payback[:, None]
    dips = ((cumulative < 0) & after & (payback[:, None] > 0)).any(axis=1)

    # Sums over paths of each part in live months (einsum: no masked temporaries).
    live = active.astype(float)
    sums = {name: np.einsum("ij,ij->j", part, live) for name, part in monthly.items()}
    sums.update({name: value @ live for name, value in per_path.items()})
    sums["baseline"] = cost_b.sum(axis=0)
    sums["baseline_while_not_live"] = sums["baseline"] - np.einsum("ij,ij->j", cost_b, live)
    sums["baseline_api"] = np.einsum("ij,ij->j", requests, world.baseline_cost_per_request)
    sums["baseline_errors"] = (static["quality.baseline_error_rate"]
                               * static["quality.cost_per_error"]) @ requests
    sums["baseline_rag"] = np.full(horizon, static["rag.monthly_cost"].sum())
    return OptionPaths(
        upfront=upfront, abandoned=abandoned, start_month=start, cumulative=cumulative,
        payback_month=payback, npv=npv(savings, upfront, discount_rate_annual),
        tco_baseline=cost_b.sum(axis=1), tco_option=upfront + cost_o.sum(axis=1),
        retrains=retrains, dips_after_payback=dips, monthly_cost_sums=sums,
    )


def _drift_and_retrains(
    option: OptionSpec, v: Mapping[str, np.ndarray], static: Mapping[str, np.ndarray],
    world: World, base_model_updates: np.ndarray, active: np.ndarray, start: np.ndarray,
    rebuild: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Error cost err_t, retrain cost retrain_t (both (paths, H)) and retrain counts (paths,).

    Drift state X_t = min(max_inc, X'_{t-1} + n_t inc), reset to 0 after a retrain in
    month t (after that month's error cost). Retrain when (a) the K schedule counted from S
    falls due, (b) monitoring sees an unhandled event at least D months old, or (c) a
    base-model update forces a rebuild (whose cost alone is paid then).

    Everything that does not depend on the previous month -- the schedule, forced rebuilds,
    the error cost given X -- is computed on whole (paths, H) arrays; the month loop keeps
    only the state and the detection of unhandled events.
    """
    n_paths, horizon = active.shape
    months = np.arange(1, horizon + 1)
    e_b = static["quality.baseline_error_rate"][:, None]
    inc, max_inc = static["drift.error_increase"], static["drift.max_error_increase"]
    esc = v["escalation_rate"][:, None]
    every = v["maintenance.retrain_every_months"].astype(np.int32)[:, None]
    if np.any(every > 0):
        since_start = months.astype(np.int32)[None, :] - start.astype(np.int32)[:, None] + 1
        scheduled = (every > 0) & (since_start > 0) & (since_start % np.maximum(every, 1) == 0)
    else:
        scheduled = np.zeros((n_paths, horizon), bool)
    forced = base_model_updates > 0
    planned = active & (scheduled | forced)  # retrains known without the drift state
    events = world.drift_counts
    drift_steps = events * inc[:, None]

    # The loop walks months, so it works on month-major (H, paths) copies: each month is
    # then one contiguous row instead of a column strided across every path's cache line.
    steps_t = np.ascontiguousarray(drift_steps.T)
    live_t = np.ascontiguousarray(active.T).astype(float)
    state_t = np.zeros((horizon, n_paths))
    state = np.zeros(n_paths)
    if option.retrain_on_drift:
        lag = v["maintenance.detection_lag_months"]
        planned_t = np.ascontiguousarray(planned.T)
        seen_t = np.ascontiguousarray((events > 0).T) & (live_t > 0)
        retrain_t = np.empty((horizon, n_paths), bool)
        oldest_unhandled = np.full(n_paths, np.inf)
        for j in range(horizon):
            month = j + 1
            state += steps_t[j]
            np.minimum(state, max_inc, out=state)
            state *= live_t[j]
            state_t[j] = state
            np.copyto(oldest_unhandled, month, where=seen_t[j] & np.isinf(oldest_unhandled))
            now = planned_t[j] | (oldest_unhandled <= month - lag)
            retrain_t[j] = now
            np.copyto(state, 0.0, where=now)
            np.copyto(oldest_unhandled, np.inf, where=now)
        retrain = retrain_t.T
    else:
        retrain = planned
        if np.any(drift_steps > 0):
            keep_t = np.ascontiguousarray((active & ~planned).T).astype(float)  # 0 = reset after
            for j in range(horizon):
                state += steps_t[j]
                np.minimum(state, max_inc, out=state)
                state *= live_t[j]
                state_t[j] = state
                state *= keep_t[j]
    state_by_month = state_t.T

    # err_t = R_t c_err ((1 - esc) clip(e_B + gap + X_t, 0, 1) + esc e_B), in place
    c_err = static["quality.cost_per_error"]
    errors = state_by_month + (e_b[:, 0] + v["error_rate_gap"])[:, None]
    np.clip(errors, 0.0, 1.0, out=errors)
    errors *= ((1.0 - esc[:, 0]) * c_err)[:, None]
    errors += (esc[:, 0] * e_b[:, 0] * c_err)[:, None]
    errors *= world.requests
    retraining = retrain * v["maintenance.retrain_cost"][:, None]
    np.copyto(retraining, rebuild, where=retrain & forced)  # a rebuild replaces the retrain
    return errors, retraining, retrain.sum(axis=1)


def payback_months(cumulative: np.ndarray, start: np.ndarray, abandoned: np.ndarray) -> np.ndarray:
    """First month t in S..H with CS_t >= 0 (1-based), 0 when never or abandoned."""
    months = np.arange(1, cumulative.shape[1] + 1)
    crossed = (cumulative >= 0) & (months[None, :] >= start[:, None]) & ~abandoned[:, None]
    first = np.argmax(crossed, axis=1) + 1
    return np.where(crossed.any(axis=1), first, 0)


def npv(savings: np.ndarray, upfront: np.ndarray, discount_rate_annual: float) -> np.ndarray:
    """NPV = -U + sum_t s_t / (1 + r_m)^t with r_m = (1 + r)^(1/12) - 1."""
    monthly = (1.0 + discount_rate_annual) ** (1.0 / 12.0) - 1.0
    discount = (1.0 + monthly) ** -np.arange(1, savings.shape[1] + 1, dtype=float)
    return savings @ discount - upfront
