"""Hand-made static inputs and worlds for engine tests (no sampling, no scenario file)."""

from __future__ import annotations

import numpy as np

from ftsim.engine import World, baseline_costs
from ftsim.scenario import BuildSpec, OptionSpec, ServingSpec

WORLD_DEFAULTS = {
    "traffic.requests_per_month": 1000.0, "traffic.monthly_growth": 0.0,
    "traffic.monthly_volatility": 0.0, "traffic.input_tokens": 3500.0,
    "traffic.output_tokens": 270.0, "rag.context_tokens": 0.0, "rag.monthly_cost": 0.0,
    "quality.baseline_error_rate": 0.0, "quality.cost_per_error": 0.0,
    "drift.events_per_year": 0.0, "drift.error_increase": 0.0, "drift.max_error_increase": 1.0,
    "baseline.price_input_per_mtok": 2.0, "baseline.price_output_per_mtok": 8.0,
    "baseline.prompt_overhead_tokens": 0.0, "baseline.cached_share": 0.0,
    "baseline.cached_price_factor": 1.0,
}
OPTION_DEFAULTS = {
    "prompt_overhead_tokens": 0.0, "output_token_ratio": 1.0, "lead_time_months": 0.0,
    "error_rate_gap": 0.0, "max_acceptable_gap": np.inf, "escalation_rate": 0.0,
    "serving.price_input_per_mtok": 0.18, "serving.price_output_per_mtok": 0.18,
    "serving.cached_share": 0.0, "serving.cached_price_factor": 1.0,
    "serving.gpu_hourly_cost": 2.5, "serving.throughput_tokens_per_second": 1000.0,
    "serving.requests_per_second": 1.0, "serving.utilization": 1.0, "serving.min_gpus": 1.0,
    "serving.hours_per_month": 730.0,
    "build.examples": 0.0, "build.tokens_per_example": 0.0, "build.epochs": 1.0,
    "build.trials": 1.0, "build.data_cost_per_example": 0.0, "build.eval_setup_cost": 0.0,
    "build.eval_cost_per_run": 0.0, "build.engineering_cost": 0.0, "build.gpu_hours": 0.0,
    "build.training_gpu_hourly_cost": 0.0, "build.training_price_per_mtok": 0.0,
    "maintenance.monthly_cost": 0.0, "maintenance.retrain_every_months": 0.0,
    "maintenance.detection_lag_months": 0.0, "maintenance.retrain_cost": 0.0,
    "maintenance.base_model_updates_per_year": 0.0,
}


def make_static(n_paths: int = 1, option_id: str = "ft", **values: float) -> dict[str, np.ndarray]:
    """Every key as a (n_paths,) array. World keys by full path (use ``__`` for ``.``),
    option keys relative to ``options.<option_id>.``."""
    static = {k: np.full(n_paths, v) for k, v in WORLD_DEFAULTS.items()}
    static.update({f"options.{option_id}.{k}": np.full(n_paths, v) for k, v in OPTION_DEFAULTS.items()})
    for name, value in values.items():
        key = name.replace("__", ".")
        full = key if key in static else f"options.{option_id}.{key}"
        if full not in static:
            raise KeyError(name)
        static[full] = np.broadcast_to(np.asarray(value, float), (n_paths,)).copy()
    return static


def make_option(mode: str = "api", capacity: str | None = None, training_mode: str = "gpu",
                retrain_on_drift: bool = False, uses_rag: bool = True,
                gpu_cost_from_serving: bool = False, option_id: str = "ft") -> OptionSpec:
    return OptionSpec(
        id=option_id, name=option_id, uses_rag=uses_rag, retrain_on_drift=retrain_on_drift,
        serving=ServingSpec(mode=mode, price_index="api" if mode == "api" else "gpu",
                            capacity=capacity if mode == "gpu" else None),
        build=BuildSpec(training_mode=training_mode, price_index=training_mode,
                        gpu_cost_from_serving=gpu_cost_from_serving),
        inputs={},
    )


def month_major(rows: np.ndarray) -> np.ndarray:
    """Tests write one row per path (readable); the engine takes (H, paths)."""
    return np.ascontiguousarray(np.atleast_2d(np.asarray(rows)).T)


def make_world(static: dict[str, np.ndarray], requests: np.ndarray,
               drift_counts: np.ndarray | None = None,
               indices: dict[str, np.ndarray] | None = None) -> World:
    """A World from path-major rows (paths, H) of requests, drift counts and indices."""
    requests = month_major(np.asarray(requests, float))
    indices = {name: month_major(np.asarray(a, float)) for name, a in (indices or {}).items()}
    api = indices.get("api", np.ones(requests.shape))
    q, cost = baseline_costs(static, requests, api)
    drift = (np.zeros(requests.shape, np.int64) if drift_counts is None
             else month_major(drift_counts))
    return World(requests=requests, baseline_cost_per_request=q, baseline_cost=cost,
                 drift_counts=drift, indices=indices)
