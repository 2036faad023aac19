"""Compiled inner loops (numba): one pass over memory where numpy would need many.

``option_months`` is one option's month recursion on every path; ``tally_months``
streams CS_t rows into exact percentiles (``ftsim.core.quantiles``); ``index_rows`` and
``event_counts`` are the per-event loops of ``ftsim.core.dynamics`` (price indices, event
counts per month), whose numpy forms were month-by-month loops of small array operations
holding the GIL: 8 ms of a chunk's 39 ms of draws (8,192 support_bot paths).

The numpy form of docs/model.md sections 4-9 needs some sixty passes over (H, paths) arrays per
option (serving, escalation, error cost, drift state, retrains, savings, NPV, CS_t,
payback, monthly sums), each streaming megabytes through the cache; two workers then
share one memory bus. Here each path's months are walked once with the state in
registers. ``ftsim.engine.simulate_option`` prepares the per-path coefficients on
(paths,) vectors with numpy and is where the formulas are documented; this module only
evaluates them, in the same floating-point order, so the two agree to the last bit
except for sums over paths and months (NPV, monthly sums), whose order differs.

Compiled on first use and cached next to this file (``cache=True``), so later processes
and loky workers load machine code instead of compiling.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

__all__ = ["COEFFICIENTS", "SERVING_MODES", "SUM_ROWS", "CS_LIMIT",
           "OptionRule", "MonthInputs", "PathInputs", "OptionOutputs",
           "option_months", "tally_months", "index_rows", "event_counts",
           "load_option_kernel", "load_dynamics_kernels"]

# Safety clamp (notes/ranges.md, engine safety): it never binds in a plausible scenario,
# and a clamp that does not bind changes no bit (the price index's is in dynamics.py).
# CS_t is stored as float32 (largest finite 3.4e38); beyond it a stored value saturates at
# +-CS_LIMIT instead of becoming +-inf, whose percentiles would be NaN. Only reachable at
# the far corners of the hard ranges (e.g. GPU serving at 1e-3 tokens/s and 1e-3
# utilisation for 1e15 requests a month of 1e9 tokens); payback and NPV use float64.
CS_LIMIT = float(np.finfo(np.float32).max)

# Rows of the per-path coefficient matrix (len(COEFFICIENTS), paths), float64.
COEFFICIENTS = (
    "serve_a",  # api: $ per request; gpu/tokens: GPU-months per request; gpu/requests: requests per GPU-month
    "serve_min_gpus",
    "serve_gpu_month",  # gpu_hourly_cost * hours_per_month
    "escalation_rate",
    "error_level",  # e_B + gap
    "error_scale",  # (1 - esc) c_err
    "error_floor",  # esc e_B c_err
    "drift_increase",
    "drift_max",
    "detection_lag",
    "retrain_cost",
    "trials",
    "trial_compute",  # one trial's compute at today's prices
    "eval_run",
    "rag",
    "maintenance",
    "upfront",
    "baseline_error_cost",  # e_B c_err
)
(_SERVE_A, _SERVE_MIN, _SERVE_GPU_MONTH, _ESC, _ERR_LEVEL, _ERR_SCALE, _ERR_FLOOR, _INC,
 _MAX_INC, _LAG, _RETRAIN_COST, _TRIALS, _COMPUTE, _EVAL_RUN, _RAG, _MAINT, _UPFRONT,
 _BASE_ERR) = range(len(COEFFICIENTS))

# How serve_a turns requests into a cost: R a I; ceil(R a) GPUs; ceil(R / a) GPUs.
SERVING_MODES = {"api": 0, "gpu_tokens": 1, "gpu_requests": 2}

# Rows of the monthly sums (len(SUM_ROWS), H): engine.COST_COMPONENTS, "baseline",
# engine.BASELINE_COMPONENTS.
SUM_ROWS = ("serving", "escalation", "errors", "rag", "maintenance", "retraining",
            "baseline_while_not_live", "baseline", "baseline_api", "baseline_errors",
            "baseline_rag")
(_S_SERVING, _S_ESC, _S_ERRORS, _S_RAG, _S_MAINT, _S_RETRAIN, _S_NOT_LIVE, _S_BASELINE,
 _S_BASE_API, _S_BASE_ERR, _S_BASE_RAG) = range(len(SUM_ROWS))


# The kernel's arguments, four typed bundles (numba compiles a namedtuple of arrays as a
# heterogeneous tuple: field access is resolved at compile time, nothing is looked up).
class OptionRule(NamedTuple):
    """How the option behaves (scalars) and the discount factors."""

    serving_mode: int  # SERVING_MODES value
    retrain_on_drift: bool
    discount: np.ndarray  # (H,) 1 / (1 + r_m)^t


class MonthInputs(NamedTuple):
    """Per-month, per-path inputs, each (H, paths), C-contiguous."""

    requests: np.ndarray  # R_t
    baseline_cost_per_request: np.ndarray  # q_B,t
    baseline_cost: np.ndarray  # C^B_t
    drift_counts: np.ndarray  # int64
    base_model_updates: np.ndarray  # int64
    serving_index: np.ndarray
    build_index: np.ndarray


class PathInputs(NamedTuple):
    """Per-path inputs, each (paths,), and the coefficient matrix (len(COEFFICIENTS), paths)."""

    start: np.ndarray  # int64, month S
    retrain_every: np.ndarray  # int64, K
    abandoned: np.ndarray  # bool
    coefficients: np.ndarray


class OptionOutputs(NamedTuple):
    """What ``option_months`` fills: (paths,) arrays unless noted."""

    cumulative: np.ndarray  # (H, paths) float32
    sums: np.ndarray  # (len(SUM_ROWS), H), added to
    payback: np.ndarray  # int64
    npv: np.ndarray
    tco_baseline: np.ndarray
    tco_option: np.ndarray
    retrains: np.ndarray  # int64
    dips_after_payback: np.ndarray  # bool


@numba.njit(cache=True, nogil=True)
def option_months(
    rule, months, per_path, out,
):  # pragma: no cover - compiled; exercised through ftsim.engine.simulate_option
    """Fill ``out`` (an ``OptionOutputs``) for every path.

    ``rule``: ``OptionRule``; ``months``: ``MonthInputs`` (H, paths); ``per_path``:
    ``PathInputs``. The bundles only name the arrays: the loop below is the same
    arithmetic in the same order as when they were 22 positional arguments.
    """
    serving_mode, retrain_on_drift, discount = rule
    (requests, baseline_cost_per_request, baseline_cost, drift_counts, base_model_updates,
     serving_index, build_index) = months
    start, retrain_every, abandoned, coefficients = per_path
    (cumulative, sums, payback, npv, tco_baseline, tco_option, retrains,
     dips_after_payback) = out
    horizon, n_paths = requests.shape
    c = coefficients
    for i in range(n_paths):
        s, every, off = start[i], retrain_every[i], abandoned[i]
        serve_a, min_gpus, gpu_month = c[_SERVE_A, i], c[_SERVE_MIN, i], c[_SERVE_GPU_MONTH, i]
        esc, err_level, err_scale = c[_ESC, i], c[_ERR_LEVEL, i], c[_ERR_SCALE, i]
        err_floor, inc, max_inc, lag = c[_ERR_FLOOR, i], c[_INC, i], c[_MAX_INC, i], c[_LAG, i]
        retrain_cost, trials = c[_RETRAIN_COST, i], c[_TRIALS, i]
        compute, eval_run = c[_COMPUTE, i], c[_EVAL_RUN, i]
        rag, maint, upfront, base_err = c[_RAG, i], c[_MAINT, i], c[_UPFRONT, i], c[_BASE_ERR, i]
        state = 0.0  # drift state X
        due = np.inf  # oldest unhandled drift event's month + D
        to_schedule = every  # live months left until the K schedule falls due
        running = 0.0  # sum of savings so far
        present = 0.0
        total_baseline = 0.0
        total_option = 0.0
        paid_back = 0
        last_negative = 0
        n_retrains = 0
        for j in range(horizon):
            month = j + 1
            r = requests[j, i]
            cost_b = baseline_cost[j, i]
            sums[_S_BASELINE, j] += cost_b
            sums[_S_BASE_API, j] += r * baseline_cost_per_request[j, i]
            sums[_S_BASE_ERR, j] += r * base_err
            sums[_S_BASE_RAG, j] += rag
            total_baseline += cost_b
            live = month >= s and not off
            if live:
                events = drift_counts[j, i]
                state += events * inc
                state = min(state, max_inc)
                forced = base_model_updates[j, i] > 0
                # (t - S + 1) % K == 0, counted down instead of divided
                to_schedule -= 1
                scheduled = to_schedule == 0
                if scheduled:
                    to_schedule = every
                retrain = forced or scheduled
                if retrain_on_drift:
                    if events > 0 and due == np.inf:
                        due = lag + month
                    if due <= month:
                        retrain = True
                if serving_mode == 0:
                    serving = r * serve_a * serving_index[j, i]
                else:
                    needed = r * serve_a if serving_mode == 1 else r / serve_a
                    serving = max(min_gpus, np.ceil(needed)) * gpu_month * serving_index[j, i]
                escalation = esc * r * baseline_cost_per_request[j, i]
                errors = min(max(state + err_level, 0.0), 1.0) * err_scale + err_floor
                errors *= r
                retraining = 0.0
                if retrain:
                    n_retrains += 1
                    if forced:  # a rebuild replaces the retrain's cost
                        retraining = trials * (compute * build_index[j, i] + eval_run)
                    else:
                        retraining = retrain_cost
                    state = 0.0
                    due = np.inf
                cost_o = serving + escalation
                cost_o += errors
                cost_o += retraining
                cost_o += rag + maint
                sums[_S_SERVING, j] += serving
                sums[_S_ESC, j] += escalation
                sums[_S_ERRORS, j] += errors
                sums[_S_RETRAIN, j] += retraining
                sums[_S_RAG, j] += rag
                sums[_S_MAINT, j] += maint
            else:
                cost_o = cost_b
                sums[_S_NOT_LIVE, j] += cost_b
            saving = cost_b - cost_o
            present += discount[j] * saving
            running += saving
            cs = running - upfront
            cumulative[j, i] = min(max(cs, -CS_LIMIT), CS_LIMIT)
            total_option += cost_o
            if cs < 0.0:
                last_negative = month
            elif cs >= 0.0 and paid_back == 0 and live:
                paid_back = month
        payback[i] = paid_back
        npv[i] = present - upfront
        tco_baseline[i] = total_baseline
        tco_option[i] = upfront + total_option
        retrains[i] = n_retrains
        dips_after_payback[i] = paid_back > 0 and last_negative > paid_back


@numba.njit(cache=True, nogil=True)
def tally_months(block, low, high, below, counts, kept):  # pragma: no cover - compiled
    """One chunk's CS rows against the percentile brackets (``quantiles.Tally``).

    ``block`` (H, n) float32; ``low``/``high`` (H, L): per month and level, count the
    values below ``low`` into ``below`` (H, L), and copy those within [low, high] into row
    l of ``kept`` (L, >= H n), month after month, their number into ``counts`` (L, H).
    Returns how many values each level kept. Brackets that are disjoint and increasing
    (the usual case) take one histogram pass: a value's count k of lows at or below it
    says which brackets it is below (levels >= k) and which one it may lie in (k - 1).
    """
    horizon, n_paths = block.shape
    levels = low.shape[1]
    filled = np.zeros(levels, np.int64)
    below_k = np.zeros(levels + 1, np.int64)
    for j in range(horizon):
        lo, hi = low[j], high[j]
        start = filled.copy()
        if _ordered(lo, hi):
            below_k[:] = 0
            for i in range(n_paths):
                v = block[j, i]
                k = 0
                for column in range(levels):
                    k += v >= lo[column]
                below_k[k] += 1
                if k > 0 and v <= hi[k - 1]:
                    kept[k - 1, filled[k - 1]] = v
                    filled[k - 1] += 1
            total = 0
            for column in range(levels):  # v < lo[l] exactly when k <= l
                total += below_k[column]
                below[j, column] = total
        else:
            for column in range(levels):
                n_below = 0
                for i in range(n_paths):
                    v = block[j, i]
                    if v < lo[column]:
                        n_below += 1
                    elif v <= hi[column]:
                        kept[column, filled[column]] = v
                        filled[column] += 1
                below[j, column] = n_below
        for column in range(levels):
            counts[column, j] = filled[column] - start[column]
    return filled


@numba.njit(cache=True, nogil=True)
def _ordered(lo, hi):  # pragma: no cover - compiled
    """Whether brackets [lo, hi] are non-empty, disjoint and increasing."""
    for column in range(lo.shape[0]):
        if not lo[column] <= hi[column]:
            return False
        if column > 0 and not hi[column - 1] < lo[column]:
            return False
    return True


def load_option_kernel() -> None:
    """Call ``option_months`` once on one path, so numba loads its cached machine code now
    (the dtypes and layouts are those ``engine.simulate_option`` passes)."""
    h = 1
    f64, i64 = np.zeros((h, 1)), np.zeros((h, 1), np.int64)
    f64.flags.writeable = i64.flags.writeable = False  # as engine._month_inputs makes them
    option_months(
        OptionRule(0, False, np.ones(h)),
        MonthInputs(f64, f64, f64, i64, i64, f64, f64),
        PathInputs(np.ones(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.bool_),
                   np.ones((len(COEFFICIENTS), 1))),
        OptionOutputs(np.empty((h, 1), np.float32), np.zeros((len(SUM_ROWS), h)),
                      np.empty(1, np.int64), np.empty(1), np.empty(1), np.empty(1),
                      np.empty(1, np.int64), np.empty(1, np.bool_)))


@numba.njit(cache=True, nogil=True)
def index_rows(step, counts, multipliers, index, first, end, lowest, highest):  # pragma: no cover - compiled
    """Rows first..end-1 of a price index (``dynamics.index_from_events``): per path,
    I_1 = 1 (month 0) or max(I_{t-1} step, lowest), then each of the month's events in
    turn: I = min(max(I m, lowest), highest); ``multipliers`` are these rows' events in
    row-major (month, path) order. Each path's operations in that order, as np.maximum
    and np.minimum would clamp them (NaN included: ``x < lowest`` is false for NaN, which
    np.maximum keeps)."""
    n_paths = counts.shape[1]
    offset = 0
    for j in range(first, end):
        for p in range(n_paths):
            if j == 0:
                level = 1.0
            else:
                level = index[j - 1, p] * step[p]
                if level < lowest:
                    level = lowest
            for _ in range(counts[j, p]):
                level = level * multipliers[offset]
                if level < lowest:
                    level = lowest
                if level > highest:
                    level = highest
                offset += 1
            index[j, p] = level


@numba.njit(cache=True, nogil=True)
def event_counts(event_months, totals, horizon):  # pragma: no cover - compiled
    """Events per (month, path), (H, paths) int64: path i owns the next ``totals[i]``
    entries of ``event_months`` (0-based months)."""
    n_paths = totals.shape[0]
    counts = np.zeros((horizon, n_paths), np.int64)
    k = 0
    for i in range(n_paths):
        for _ in range(totals[i]):
            counts[event_months[k], i] += 1
            k += 1
    return counts


def load_dynamics_kernels() -> None:
    """Load ``index_rows`` and ``event_counts`` now (tiny calls typed as
    ``ftsim.core.dynamics`` passes its arguments)."""
    index_rows(np.ones(1), np.zeros((1, 1), np.int64), np.ones(0), np.empty((1, 1)), 0, 1,
               1e-9, 1e9)
    event_counts(np.zeros(0, np.int64), np.zeros(1, np.int64), 1)
