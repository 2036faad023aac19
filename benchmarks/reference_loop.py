"""A plain per-path, per-month Python implementation of MODEL.md section 4.

What an analyst writes by hand: for each path, draw the static inputs one scalar at a
time, draw the month-by-month events with the ``random`` module, then loop over the
months with Python floats and ``math``. It serves twice:

* the baseline of ``bench_compare.py`` (ftsim's vectorised engine vs this loop), and
* an independent cross-check of ftsim's engine (``check_reference.py``).

It takes ftsim's parsed ``Scenario`` (``ftsim.load_scenario``) only for the *parameters*:
every static input is drawn as ``Input.dist.ppf(np.array([u]))`` of one scalar uniform,
so both implementations sample exactly the same laws. Nothing else of ftsim is used
(no engine, dynamics, sampling or metrics code), so a formula error in ftsim does not
repeat here.

Run by hand::

    python benchmarks/reference_loop.py [--paths 2000] [--seed 1] [--scenario FILE]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = ROOT / "scenarios" / "support_bot.toml"

# Keep uniforms strictly inside (0, 1) so unbounded laws never return +-inf.
U_EPS = 2.0**-53
_STD_NORMAL = statistics.NormalDist()


def _clip_u(u: float) -> float:
    return min(max(u, U_EPS), 1.0 - U_EPS)


def poisson(rnd: random.Random, lam: float) -> int:
    """Poisson(lam) by sequential inverse transform (textbook; fast for the small monthly rates)."""
    if lam <= 0.0:
        return 0
    u = rnd.random()
    k = 0
    p = math.exp(-lam)
    cdf = p
    while u > cdf:
        k += 1
        p *= lam / k
        cdf += p
        if p == 0.0:  # far tail, rounding: stop rather than loop forever
            break
    return k


@dataclass
class PathEvents:
    """The dynamic draws of one path (MODEL.md section 1: drawn month by month)."""

    z: list[float]  # traffic noise z_t, t = 1..H
    index_events: dict[str, list[list[float]]]  # price index -> per month, the event multipliers
    drift_counts: list[int]  # world drift events per month
    updates: dict[str, list[int]]  # option id -> base-model updates per month


@dataclass
class PathOutcome:
    """One option's outcome on one path."""

    payback_month: int  # 1..H, 0 = never
    npv: float
    upfront: float
    tco_baseline: float
    tco_option: float
    abandoned: bool
    retrains: int


class ReferenceModel:
    """MODEL.md sections 2 and 4 for one scenario, one path at a time."""

    def __init__(self, scenario) -> None:
        self.scenario = scenario
        self.horizon = int(scenario.horizon_months)
        self.within = int(scenario.payback_within_months)
        inputs = scenario.all_inputs()
        # MODEL.md section 2: counts are rounded with floor(x + 0.5) after sampling.
        self.random_inputs = [(key, item.dist, item.is_count)
                              for key, item in sorted(inputs.items()) if item.is_random]
        self.fixed: dict[str, float] = {}
        for key, item in inputs.items():
            if not item.is_random:
                x = float(item.dist.ppf(np.array([0.5]))[0])
                self.fixed[key] = float(math.floor(x + 0.5)) if item.is_count else x
        # Gaussian copula for [[correlations]]: Spearman rho -> Pearson 2 sin(pi rho / 6).
        keys = sorted({c.a for c in scenario.correlations} | {c.b for c in scenario.correlations})
        self.corr_keys = keys
        self.chol: list[list[float]] = []
        if keys:
            pos = {k: i for i, k in enumerate(keys)}
            matrix = np.eye(len(keys))
            for c in scenario.correlations:
                r = 2.0 * math.sin(math.pi * c.rho / 6.0)
                matrix[pos[c.a], pos[c.b]] = matrix[pos[c.b], pos[c.a]] = r
            self.chol = np.linalg.cholesky(matrix).tolist()
        self.index_names = list(scenario.price_indices)
        self.multiplier = {name: spec.event_multiplier
                           for name, spec in scenario.price_indices.items()}
        self.options = list(scenario.options.values())
        self.monthly_rate = (1.0 + scenario.discount_rate_annual) ** (1.0 / 12.0) - 1.0

    # ------------------------------------------------------------------ draws
    def draw_static(self, rnd: random.Random) -> dict[str, float]:
        """Every numeric input of one path: fixed values, then ppf of one uniform per random key."""
        u = {key: _clip_u(rnd.random()) for key, _, _ in self.random_inputs}
        if self.corr_keys:
            z = [_STD_NORMAL.inv_cdf(u[k]) for k in self.corr_keys]
            for i, key in enumerate(self.corr_keys):
                row = self.chol[i]
                zi = 0.0
                for j in range(i + 1):
                    zi += row[j] * z[j]
                u[key] = _clip_u(_STD_NORMAL.cdf(zi))
        values = dict(self.fixed)
        for key, dist, is_count in self.random_inputs:
            x = float(dist.ppf(np.array([u[key]]))[0])
            values[key] = float(math.floor(x + 0.5)) if is_count else x
        return values

    def draw_events(self, static: dict[str, float], rnd: random.Random) -> PathEvents:
        """Traffic noise, price-index events (fresh multiplier each), drift and base-model updates."""
        h = self.horizon
        z = [rnd.gauss(0.0, 1.0) for _ in range(h)]
        index_events: dict[str, list[list[float]]] = {}
        for name in self.index_names:
            lam = static[f"prices.{name}.events_per_year"] / 12.0
            dist = self.multiplier[name]
            months = []
            for _ in range(h):
                n = poisson(rnd, lam)
                months.append([float(dist.ppf(np.array([_clip_u(rnd.random())]))[0])
                               for _ in range(n)] if n else [])
            index_events[name] = months
        lam_d = static["drift.events_per_year"] / 12.0
        drift = [poisson(rnd, lam_d) for _ in range(h)]
        updates = {}
        for option in self.options:
            lam_u = static[f"options.{option.id}.maintenance.base_model_updates_per_year"] / 12.0
            updates[option.id] = [poisson(rnd, lam_u) for _ in range(h)]
        return PathEvents(z=z, index_events=index_events, drift_counts=drift, updates=updates)

    # ------------------------------------------------------------------ one path
    def simulate_path(self, s: dict[str, float], ev: PathEvents) -> dict[str, PathOutcome]:
        """MODEL.md section 4 for one path: the world's months, then each option's months."""
        h = self.horizon
        # Traffic: R_t = R0 (1+g)^(t-1) exp(sigma z_t - sigma^2/2)
        r0, g = s["traffic.requests_per_month"], s["traffic.monthly_growth"]
        sigma = s["traffic.monthly_volatility"]
        requests = [r0 * (1.0 + g) ** (t - 1) * math.exp(sigma * ev.z[t - 1] - 0.5 * sigma * sigma)
                    for t in range(1, h + 1)]
        # Price indices: I_t = (1-d)^((t-1)/12) * product of multipliers of events in 1..t
        indices: dict[str, list[float]] = {}
        for name in self.index_names:
            d = s[f"prices.{name}.annual_decline"]
            jumps = 1.0
            series = []
            for t in range(1, h + 1):
                for k in ev.index_events[name][t - 1]:
                    jumps *= k
                series.append((1.0 - d) ** ((t - 1) / 12.0) * jumps)
            indices[name] = series
        ones = [1.0] * h

        ctx, rag_m = s["rag.context_tokens"], s["rag.monthly_cost"]
        tok_in, tok_out = s["traffic.input_tokens"], s["traffic.output_tokens"]
        e_b, c_err = s["quality.baseline_error_rate"], s["quality.cost_per_error"]
        inc, max_inc = s["drift.error_increase"], s["drift.max_error_increase"]

        # Baseline: q_B,t and C^B_t = R_t q_B,t + rag_m + R_t e_B c_err
        o_b, h_b, f_b = (s["baseline.prompt_overhead_tokens"], s["baseline.cached_share"],
                         s["baseline.cached_price_factor"])
        per_request_b = ((tok_in + ctx + o_b * (1.0 - h_b + h_b * f_b)) * s["baseline.price_input_per_mtok"]
                         + tok_out * s["baseline.price_output_per_mtok"]) / 1e6
        index_b = indices.get(self.scenario.baseline_price_index, ones)
        q_b = [per_request_b * index_b[t] for t in range(h)]
        cost_b = [requests[t] * q_b[t] + rag_m + requests[t] * e_b * c_err for t in range(h)]
        tco_b = sum(cost_b)

        discount = [(1.0 + self.monthly_rate) ** -t for t in range(1, h + 1)]
        outcomes = {}
        for option in self.options:
            p = f"options.{option.id}."
            lead = int(min(max(s[p + "lead_time_months"], 0.0), float(h)))
            start = lead + 1
            gap = s[p + "error_rate_gap"]
            abandoned = gap > s[p + "max_acceptable_gap"]

            # Upfront U at t = 0, at today's prices
            if option.build.training_mode == "gpu":
                hourly = (s[p + "serving.gpu_hourly_cost"] if option.build.gpu_cost_from_serving
                          else s[p + "build.training_gpu_hourly_cost"])
                compute = s[p + "build.gpu_hours"] * hourly
            else:
                compute = (s[p + "build.examples"] * s[p + "build.tokens_per_example"]
                           * s[p + "build.epochs"] / 1e6 * s[p + "build.training_price_per_mtok"])
            trials, eval_run = s[p + "build.trials"], s[p + "build.eval_cost_per_run"]
            upfront = (s[p + "build.examples"] * s[p + "build.data_cost_per_example"]
                       + trials * (compute + eval_run)
                       + s[p + "build.eval_setup_cost"] + s[p + "build.engineering_cost"])

            index_s = indices.get(option.serving.price_index, ones)
            index_t = indices.get(option.build.price_index, ones)
            ctx_o = ctx if option.uses_rag else 0.0
            out_o = s[p + "output_token_ratio"] * tok_out
            overhead_o = s[p + "prompt_overhead_tokens"]
            api = option.serving.mode == "api"
            if api:
                h_o, f_o = s[p + "serving.cached_share"], s[p + "serving.cached_price_factor"]
                per_request_o = ((tok_in + ctx_o + overhead_o * (1.0 - h_o + h_o * f_o))
                                 * s[p + "serving.price_input_per_mtok"]
                                 + out_o * s[p + "serving.price_output_per_mtok"]) / 1e6
            else:
                hours = s[p + "serving.hours_per_month"]
                usable = 3600.0 * hours * s[p + "serving.utilization"]
                if option.serving.capacity == "tokens":
                    per_gpu = s[p + "serving.throughput_tokens_per_second"] * usable
                    load = tok_in + ctx_o + overhead_o + out_o  # tokens per request
                else:
                    per_gpu = s[p + "serving.requests_per_second"] * usable
                    load = 1.0
                min_gpus = s[p + "serving.min_gpus"]
                gpu_month = s[p + "serving.gpu_hourly_cost"] * hours
            esc = s[p + "escalation_rate"]
            maintenance = s[p + "maintenance.monthly_cost"]
            every = int(s[p + "maintenance.retrain_every_months"])
            lag = s[p + "maintenance.detection_lag_months"]
            retrain_cost = s[p + "maintenance.retrain_cost"]
            on_drift = option.retrain_on_drift
            updates = ev.updates[option.id]

            state = 0.0  # X'_{t-1}
            oldest = 0  # month of the oldest event not handled by a retrain (0 = none)
            cumulative = -upfront
            npv = -upfront
            tco_o = upfront
            payback = 0
            retrains = 0
            for t in range(1, h + 1):
                cb = cost_b[t - 1]
                if abandoned or t < start:
                    co = cb  # building or abandoned: traffic stays on the baseline
                else:
                    r = requests[t - 1]
                    if api:
                        serve = r * per_request_o * index_s[t - 1]
                    else:
                        gpus = max(min_gpus, math.ceil(r * load / per_gpu))
                        serve = gpus * gpu_month * index_s[t - 1]
                    escalation = esc * r * q_b[t - 1]
                    events = ev.drift_counts[t - 1]
                    state = min(max_inc, state + events * inc)
                    e_o = min(max(e_b + gap + state, 0.0), 1.0)
                    errors = r * ((1.0 - esc) * e_o + esc * e_b) * c_err
                    if events > 0 and oldest == 0:
                        oldest = t
                    scheduled = every > 0 and (t - start + 1) % every == 0
                    detected = on_drift and oldest > 0 and oldest <= t - lag
                    forced = updates[t - 1] > 0
                    retrain = 0.0
                    if forced:  # a rebuild at month-t prices; alone paid if (a)/(b) coincide
                        retrain = trials * (compute * index_t[t - 1] + eval_run)
                    elif scheduled or detected:
                        retrain = retrain_cost
                    if forced or scheduled or detected:
                        retrains += 1
                        state = 0.0  # after this month's error cost
                        oldest = 0
                    co = serve + escalation + rag_m + errors + maintenance + retrain
                saving = cb - co
                cumulative += saving
                npv += saving * discount[t - 1]
                tco_o += co
                if payback == 0 and not abandoned and t >= start and cumulative >= 0.0:
                    payback = t
            outcomes[option.id] = PathOutcome(payback, npv, upfront, tco_b, tco_o, abandoned, retrains)
        return outcomes


@dataclass
class LoopResult:
    """Per-path outcomes of a loop run as arrays, plus where the time went."""

    n_paths: int
    horizon: int
    within: int
    options: dict[str, dict[str, np.ndarray]]  # option id -> field -> (paths,)
    seconds: float
    seconds_static: float  # drawing the static inputs (scalar ppf calls)
    seconds_events: float  # drawing the dynamic events
    seconds_months: float  # the month loops


def collect(outcomes: list[dict[str, PathOutcome]],
            option_ids: list[str]) -> dict[str, dict[str, np.ndarray]]:
    """Per-path outcomes -> option id -> field -> array."""
    fields = ("payback_month", "npv", "upfront", "tco_baseline", "tco_option", "abandoned", "retrains")
    return {oid: {f: np.array([getattr(o[oid], f) for o in outcomes]) for f in fields}
            for oid in option_ids}


def run(scenario, paths: int, seed: int = 1) -> LoopResult:
    """Simulate ``paths`` paths one at a time with one ``random.Random(seed)`` stream."""
    model = ReferenceModel(scenario)
    rnd = random.Random(seed)
    clock = time.perf_counter
    t_static = t_events = t_months = 0.0
    outcomes = []
    started = clock()
    for _ in range(paths):
        a = clock()
        static = model.draw_static(rnd)
        b = clock()
        events = model.draw_events(static, rnd)
        c = clock()
        outcomes.append(model.simulate_path(static, events))
        d = clock()
        t_static += b - a
        t_events += c - b
        t_months += d - c
    seconds = clock() - started
    return LoopResult(paths, model.horizon, model.within,
                      collect(outcomes, [o.id for o in model.options]),
                      seconds, t_static, t_events, t_months)


def summarize(options: dict[str, dict[str, np.ndarray]], within: int) -> dict[str, dict[str, float]]:
    """P(payback <= N) and mean NPV with their standard errors, and a few other means, per option."""
    out = {}
    for oid, f in options.items():
        n = f["npv"].size
        pm = f["payback_month"]
        hit = (pm > 0) & (pm <= within)
        p = float(hit.mean())
        out[oid] = {
            "n": n,
            "p_payback_within": p,
            "p_payback_within_se": math.sqrt(max(p * (1.0 - p), 1e-300) / n),
            "npv_mean": float(f["npv"].mean()),
            "npv_mean_se": float(f["npv"].std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan"),
        }
    return out



def print_estimates(options: dict[str, dict[str, np.ndarray]], within: int) -> None:
    """One line per option: P(payback <= N) and mean NPV with their standard errors."""
    for oid, row in summarize(options, within).items():
        print(f"  {oid}: P(payback <= {within}) = {row['p_payback_within']:.4f} "
              f"+- {row['p_payback_within_se']:.4f}, mean NPV = {row['npv_mean']:,.0f} "
              f"+- {row['npv_mean_se']:,.0f}")

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--paths", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="200 paths")
    args = parser.parse_args(argv)
    import ftsim

    scenario = ftsim.load_scenario(args.scenario)
    paths = 200 if args.quick else args.paths
    res = run(scenario, paths, args.seed)
    pm = paths * res.horizon
    print(f"reference loop: {paths:,} paths x {res.horizon} months x {len(res.options)} options "
          f"in {res.seconds:.2f} s = {pm / res.seconds:,.0f} path-months/s "
          f"(static draws {res.seconds_static:.2f} s, events {res.seconds_events:.2f} s, "
          f"month loops {res.seconds_months:.2f} s)")
    print_estimates(res.options, res.within)
    return 0


if __name__ == "__main__":
    sys.exit(main())
