"""MODEL.md section 4 arithmetic on sampled arrays: no randomness, so tests feed hand-made inputs.

Per-month arrays are month-major, shape (H, paths): a month is one contiguous row, so the
month loop and the cumulative sums walk memory in order, and a per-path (paths,) vector
broadcasts against them with no reshaping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .dynamics import cumsum_months
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
    cumulative: np.ndarray  # CS_t, (H, paths)
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
    """Baseline cost per request q_B,t and monthly cost C^B_t, each (H, paths).

    q_B,t = ((in + ctx + o_B (1 - h_B + h_B f_B)) pin_B + out pout_B) / 1e6 * I^B_t
    C^B_t = R_t q_B,t + rag_m + R_t e_B c_err                       (MODEL.md section 4)
    """
    billed_in = (static["traffic.input_tokens"] + static["rag.context_tokens"]
                 + static["baseline.prompt_overhead_tokens"]
                 * (1.0 - static["baseline.cached_share"]
                    + static["baseline.cached_share"] * static["baseline.cached_price_factor"]))
    per_request = (billed_in * static["baseline.price_input_per_mtok"]
                   + static["traffic.output_tokens"] * static["baseline.price_output_per_mtok"]) / 1e6
    q = per_request * price_index
    cost = requests * q
    cost += requests * (static["quality.baseline_error_rate"] * static["quality.cost_per_error"])
    cost += static["rag.monthly_cost"]
    return q, cost


def _serving_cost(
    option: OptionSpec, v: Mapping[str, np.ndarray], static: Mapping[str, np.ndarray],
    requests: np.ndarray, serving_index: np.ndarray,
) -> np.ndarray:
    """serve_t for api (per token, with caching) or gpu (ceil-sized rented GPUs), (H, paths)."""
    context = static["rag.context_tokens"] if option.uses_rag else 0.0
    out_tokens = v["output_token_ratio"] * static["traffic.output_tokens"]
    if option.serving.mode == "api":
        h, f = v["serving.cached_share"], v["serving.cached_price_factor"]
        billed_in = static["traffic.input_tokens"] + context + v["prompt_overhead_tokens"] * (1 - h + h * f)
        per_request = (billed_in * v["serving.price_input_per_mtok"]
                       + out_tokens * v["serving.price_output_per_mtok"]) / 1e6
        return requests * per_request * serving_index
    hours = v["serving.hours_per_month"]
    seconds_usable = 3600.0 * hours * v["serving.utilization"]
    if option.serving.capacity == "tokens":
        tokens = static["traffic.input_tokens"] + context + v["prompt_overhead_tokens"] + out_tokens
        capacity = v["serving.throughput_tokens_per_second"] * seconds_usable  # tokens/GPU-month
        needed = requests * (tokens / capacity)
    else:
        needed = requests / (v["serving.requests_per_second"] * seconds_usable)
    gpus = np.maximum(v["serving.min_gpus"], np.ceil(needed))
    return gpus * (v["serving.gpu_hourly_cost"] * hours) * serving_index


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
    count of base-model updates per month, (H, paths). The only loop is over months, for
    the drift state and the retrain rules, which depend on the previous month.
    """
    prefix = f"options.{option.id}."
    v = {k[len(prefix):]: a for k, a in static.items() if k.startswith(prefix)}
    requests, cost_b = world.requests, world.baseline_cost
    horizon, n_paths = requests.shape
    shape = (horizon, n_paths)
    months = np.arange(1, horizon + 1)[:, None]

    lead = np.clip(v["lead_time_months"], 0, horizon).astype(np.int64)
    start = lead + 1
    abandoned = v["error_rate_gap"] > v["max_acceptable_gap"]
    active = (months >= start) & ~abandoned

    serving = _serving_cost(option, v, static, requests,
                            index_or_one(world.indices, option.serving.price_index, shape))
    escalation = v["escalation_rate"] * requests
    escalation *= world.baseline_cost_per_request

    compute = _training_compute(option, v)
    trials, eval_run = v["build.trials"], v["build.eval_cost_per_run"]
    upfront = (v["build.examples"] * v["build.data_cost_per_example"] + trials * (compute + eval_run)
               + v["build.eval_setup_cost"] + v["build.engineering_cost"])

    def rebuild_cost() -> np.ndarray:  # only needed when a base-model update happens
        build_index = index_or_one(world.indices, option.build.price_index, shape)
        return trials * (compute * build_index + eval_run)

    errors, retraining, retrains = _drift_and_retrains(option, v, static, world, base_model_updates,
                                                       active, start, rebuild_cost)

    per_path = {"rag": static["rag.monthly_cost"], "maintenance": v["maintenance.monthly_cost"]}
    monthly = {"serving": serving, "escalation": escalation, "errors": errors,
               "retraining": retraining}
    cost_o = serving + escalation
    cost_o += errors
    cost_o += retraining
    cost_o += per_path["rag"] + per_path["maintenance"]
    np.copyto(cost_o, cost_b, where=~active)

    savings = cost_b - cost_o
    npv_paths = npv(savings, upfront, discount_rate_annual)
    cumulative = cumsum_months(savings)  # in place: savings are not needed after the NPV
    cumulative -= upfront
    payback = payback_months(cumulative, start, abandoned)
    negative = cumulative < 0
    # last month with CS < 0 (0 if none): a dip after payback means it comes after P
    last_negative = np.where(negative.any(axis=0), horizon - np.argmax(negative[::-1], axis=0), 0)
    dips = (payback > 0) & (last_negative > payback)

    # Sums over paths of each part in live months (einsum: no masked temporaries).
    live = active.astype(float)
    sums = {name: np.einsum("ij,ij->i", part, live) for name, part in monthly.items()}
    sums.update({name: live @ value for name, value in per_path.items()})
    sums["baseline"] = cost_b.sum(axis=1)
    sums["baseline_while_not_live"] = sums["baseline"] - np.einsum("ij,ij->i", cost_b, live)
    sums["baseline_api"] = np.einsum("ij,ij->i", requests, world.baseline_cost_per_request)
    sums["baseline_errors"] = requests @ (static["quality.baseline_error_rate"]
                                          * static["quality.cost_per_error"])
    sums["baseline_rag"] = np.full(horizon, static["rag.monthly_cost"].sum())
    return OptionPaths(
        upfront=upfront, abandoned=abandoned, start_month=start, cumulative=cumulative,
        payback_month=payback, npv=npv_paths,
        tco_baseline=cost_b.sum(axis=0), tco_option=upfront + cost_o.sum(axis=0),
        retrains=retrains, dips_after_payback=dips, monthly_cost_sums=sums,
    )


def _drift_and_retrains(
    option: OptionSpec, v: Mapping[str, np.ndarray], static: Mapping[str, np.ndarray],
    world: World, base_model_updates: np.ndarray, active: np.ndarray, start: np.ndarray,
    rebuild_cost: Callable[[], np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Error cost err_t, retrain cost retrain_t (both (H, paths)) and retrain counts (paths,).

    Drift state X_t = min(max_inc, X'_{t-1} + n_t inc), reset to 0 after a retrain in
    month t (after that month's error cost). Retrain when (a) the K schedule counted from S
    falls due, (b) monitoring sees an unhandled event at least D months old, or (c) a
    base-model update forces a rebuild (whose cost alone is paid then).

    Everything that does not depend on the previous month -- the schedule, forced rebuilds,
    the error cost given X -- is computed on whole arrays; the month loop keeps only the
    state and the detection of unhandled events.
    """
    horizon, n_paths = active.shape
    months = np.arange(1, horizon + 1, dtype=np.int32)[:, None]
    e_b = static["quality.baseline_error_rate"]
    inc, max_inc = static["drift.error_increase"], static["drift.max_error_increase"]
    esc = v["escalation_rate"]
    every = v["maintenance.retrain_every_months"].astype(np.int32)
    if np.any(every > 0):
        since_start = months - start.astype(np.int32) + 1
        scheduled = (every > 0) & (since_start > 0) & (since_start % np.maximum(every, 1) == 0)
    else:
        scheduled = np.zeros((horizon, n_paths), bool)
    forced = base_model_updates > 0
    planned = active & (scheduled | forced)  # retrains known without the drift state
    events = world.drift_counts

    # Drift steps only count in live months (active runs from S to H), so the state is
    # 0 before S without masking it month by month.
    steps = events * inc
    steps *= active
    state_by_month = np.zeros((horizon, n_paths))
    state = np.zeros(n_paths)
    if option.retrain_on_drift:
        lag = v["maintenance.detection_lag_months"]
        seen = (events > 0) & active
        retrain = np.empty((horizon, n_paths), bool)
        due = np.full(n_paths, np.inf)  # oldest unhandled event's month + D
        for j in range(horizon):
            month = j + 1
            state += steps[j]
            np.minimum(state, max_inc, out=state)
            state_by_month[j] = state
            due = np.where(seen[j] & (due == np.inf), lag + month, due)
            now = planned[j] | (due <= month)
            retrain[j] = now
            state *= ~now
            due = np.where(now, np.inf, due)
    else:
        retrain = planned
        if steps.any():
            for j in range(horizon):
                state += steps[j]
                np.minimum(state, max_inc, out=state)
                state_by_month[j] = state
                state *= ~planned[j]

    # err_t = R_t c_err ((1 - esc) clip(e_B + gap + X_t, 0, 1) + esc e_B), in place
    c_err = static["quality.cost_per_error"]
    errors = state_by_month
    errors += e_b + v["error_rate_gap"]
    np.clip(errors, 0.0, 1.0, out=errors)
    errors *= (1.0 - esc) * c_err
    errors += esc * e_b * c_err
    errors *= world.requests
    retraining = retrain * v["maintenance.retrain_cost"]
    rebuilt = retrain & forced
    if rebuilt.any():  # a rebuild replaces the retrain's cost
        np.copyto(retraining, rebuild_cost(), where=rebuilt)
    return errors, retraining, retrain.sum(axis=0)


def payback_months(cumulative: np.ndarray, start: np.ndarray, abandoned: np.ndarray) -> np.ndarray:
    """First month t in S..H with CS_t >= 0 (1-based), 0 when never or abandoned.

    ``cumulative`` is (H, paths); ``start`` and ``abandoned`` are (paths,).
    """
    months = np.arange(1, cumulative.shape[0] + 1)[:, None]
    crossed = (cumulative >= 0) & (months >= start) & ~abandoned
    first = np.argmax(crossed, axis=0) + 1
    return np.where(crossed.any(axis=0), first, 0)


def npv(savings: np.ndarray, upfront: np.ndarray, discount_rate_annual: float) -> np.ndarray:
    """NPV = -U + sum_t s_t / (1 + r_m)^t with r_m = (1 + r)^(1/12) - 1; savings (H, paths)."""
    monthly = (1.0 + discount_rate_annual) ** (1.0 / 12.0) - 1.0
    discount = (1.0 + monthly) ** -np.arange(1, savings.shape[0] + 1, dtype=float)
    return discount @ savings - upfront
