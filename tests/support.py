"""Shared test data (not a test module): hand-made engine inputs, scenario snippets, the
table of rejected scenarios (also run through the CLI), and a random scenario."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ftsim.core.engine import World, baseline_costs
from ftsim.core.inputs import build_inputs
from ftsim.errors import ScenarioError
from ftsim.scenario import BuildSpec, OptionSpec, ServingSpec, parse_scenario

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
    q, cost = baseline_costs(build_inputs(static), requests, api)
    drift = (np.zeros(requests.shape, np.int64) if drift_counts is None
             else month_major(drift_counts))
    return World(requests=requests, baseline_cost_per_request=q, baseline_cost=cost,
                 drift_counts=drift, indices=indices)


# --------------------------------------------------------------------------------------
# Scenario snippets and the rejection table (tests/scenario, tests/cli)

WORLD = """\
[scenario]
name = "Test"
horizon_months = 24
payback_within_months = 12

[simulation]
paths = 1000
seed = 7

[traffic]
requests_per_month = 100000
monthly_growth = 0.02
input_tokens = 300
output_tokens = 200

[quality]
baseline_error_rate = 0.05

[baseline]
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0

[prices.api]
annual_decline = 0.3
"""

LORA = """
[options.lora]
error_rate_gap = 0.01

[options.lora.serving]
mode = "gpu"
gpu_hourly_cost = 2.5
throughput_tokens_per_second = 2000

[options.lora.build]
examples = 5000

[options.lora.maintenance]
monthly_cost = 500
"""

HOSTED = """
[options.hosted]
name = "Hosted fine-tune"

[options.hosted.serving]
mode = "api"
price_input_per_mtok = 0.5
price_output_per_mtok = 1.5
"""

BASE = WORLD + LORA + HOSTED
END = None  # edit target: append to the end of the file

# Turns four inputs into distributions whose support the keys allow (needs the full
# distributions module), so correlations have something to correlate.
RANDOM = [
    ("requests_per_month = 100000", "requests_per_month = { p5 = 50_000, p95 = 200_000 }"),
    ("monthly_growth = 0.02", "monthly_growth = { p5 = 0.01, p95 = 0.04 }"),
    ("annual_decline = 0.3",
     'annual_decline = { dist = "pert", min = 0.1, mode = 0.3, max = 0.6 }'),
    ("gpu_hourly_cost = 2.5", "gpu_hourly_cost = { p5 = 2, p95 = 4 }"),
]


def snippet(*edits: tuple[str | None, str]) -> str:
    """BASE with each (old, new) replacement applied; old must occur exactly once."""
    text = BASE
    for old, new in edits:
        if old is END:
            text += "\n" + new + "\n"
            continue
        assert text.count(old) == 1, f"edit target {old!r} must occur once"
        text = text.replace(old, new)
    return text


def correlation(a: str, b: str, rho: object) -> tuple[None, str]:
    return (END, f'[[correlations]]\na = "{a}"\nb = "{b}"\nrho = {rho}')


def issues_of(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text)
    return [(i.key_path, i.message) for i in caught.value.issues]


# (id, edits, expected key path, expected message substring (case-insensitive))
REJECTIONS = [
    # -- TOML syntax, unknown keys and tables -----------------------------------------
    ("toml-syntax", [("seed = 7", "seed = = 7")], "", "line 8"),
    ("unknown-key", [("monthly_growth = 0.02", "monthly_grwth = 0.02")],
     "traffic.monthly_grwth", "unknown key 'monthly_grwth' (found 0.02); did you mean "
     "'monthly_growth'?"),
    ("unknown-table", [("[quality]", "[qualty]")], "qualty", "did you mean 'quality'"),
    ("unknown-option-key", [("error_rate_gap = 0.01", "error_rate_gpa = 0.01")],
     "options.lora.error_rate_gpa", "did you mean 'error_rate_gap'"),
    ("unknown-option-subtable", [("[options.lora.maintenance]", "[options.lora.maintenence]")],
     "options.lora.maintenence", "unknown table 'maintenence'"),
    ("key-in-wrong-option-table", [("error_rate_gap = 0.01", "min_gpus = 2")],
     "options.lora.min_gpus", "(found 2); it belongs in [options.lora.serving]"),
    ("key-in-wrong-world-table", [("[scenario]", "paths = 5\n[scenario]")],
     "paths", "it belongs in [simulation]"),
    ("unknown-key-no-close-match", [("[quality]", "[quality]\nzzz = 1")],
     "quality.zzz", "allowed: baseline_error_rate, cost_per_error"),
    # -- missing required tables and keys ---------------------------------------------
    ("missing-scenario-table",
     [('[scenario]\nname = "Test"\nhorizon_months = 24\npayback_within_months = 12\n', "")],
     "scenario", "missing required table [scenario]"),
    ("missing-traffic-table",
     [("[traffic]\nrequests_per_month = 100000\nmonthly_growth = 0.02\ninput_tokens = 300\n"
       "output_tokens = 200\n", "")], "traffic", "missing required table"),
    ("missing-traffic-key", [("input_tokens = 300\n", "")], "traffic.input_tokens",
     "missing required key"),
    ("missing-baseline-price", [("price_output_per_mtok = 8.0\n", "")],
     "baseline.price_output_per_mtok", "missing required key"),
    ("missing-options", [(LORA, ""), (HOSTED, "")], "options", "missing required table"),
    ("empty-options", [(LORA, ""), (HOSTED, ""), ("[scenario]", "options = {}\n[scenario]")],
     "options", "at least one [options.<id>]"),
    ("missing-serving", [(HOSTED, '\n[options.hosted]\nname = "x"\n')],
     "options.hosted.serving", "missing required table"),
    ("missing-mode", [('mode = "api"\n', "")], "options.hosted.serving.mode",
     "missing required key"),
    ("missing-gpu-price", [("gpu_hourly_cost = 2.5\n", "")],
     "options.lora.serving.gpu_hourly_cost", "missing required key"),
    ("missing-api-price", [("price_output_per_mtok = 1.5\n", "")],
     "options.hosted.serving.price_output_per_mtok", "missing required key"),
    ("gpu-capacity-neither", [("throughput_tokens_per_second = 2000\n", "")],
     "options.lora.serving", "exactly one of throughput_tokens_per_second and "
     "requests_per_second, found neither"),
    ("gpu-capacity-both",
     [("throughput_tokens_per_second = 2000", "throughput_tokens_per_second = 2000\n"
                                              "requests_per_second = 3")],
     "options.lora.serving", "found throughput_tokens_per_second = 2000, requests_per_second = 3"),
    ("training-gpu-cost-required-with-api-serving",
     [(END, '[options.hosted.build]\ntraining_mode = "gpu"')],
     "options.hosted.build.training_gpu_hourly_cost", "missing required key"),
    # -- wrong types --------------------------------------------------------------------
    ("string-for-number", [("input_tokens = 300", 'input_tokens = "300"')],
     "traffic.input_tokens", "300"),
    ("boolean-for-number", [("monthly_growth = 0.02", "monthly_growth = true")],
     "traffic.monthly_growth", "true"),
    ("table-for-plain-key", [("horizon_months = 24", "horizon_months = { p5 = 12, p95 = 36 }")],
     "scenario.horizon_months", "got {p5 = 12, p95 = 36} (this key takes a plain value"),
    ("float-for-integer", [("paths = 1000", "paths = 1000.0")], "simulation.paths",
     "expected an integer, got 1000.0"),
    ("string-for-boolean", [('name = "Hosted fine-tune"', 'uses_rag = "yes"')],
     "options.hosted.uses_rag", 'expected true or false, got "yes"'),
    ("boolean-for-integer", [("seed = 7", "seed = true")], "simulation.seed",
     "expected an integer, got true"),
    ("number-for-string", [('name = "Test"', "name = 5")], "scenario.name",
     "expected a string, got 5"),
    ("number-for-price-index", [("price_output_per_mtok = 8.0", "price_output_per_mtok = 8.0\n"
                                                                "price_index = 1")],
     "baseline.price_index", "expected a string, got 1"),
    ("table-for-retrain-on-drift", [("monthly_cost = 500", "monthly_cost = 500\n"
                                                           "retrain_on_drift = { a = 1 }")],
     "options.lora.maintenance.retrain_on_drift", "expected true or false"),
    ("scalar-for-table", [("[scenario]", "rag = 5\n[scenario]")], "rag",
     "expected a table [rag], got 5"),
    ("scalar-for-price-index-table",
     [("[prices.api]\nannual_decline = 0.3", "[prices]\napi = 0.3")], "prices.api",
     "expected a table [prices.api], got 0.3"),
    ("correlations-not-array", [("[scenario]", "correlations = 5\n[scenario]")],
     "correlations", "expected an array of tables [[correlations]]"),
    # -- modes ----------------------------------------------------------------------------
    ("unknown-serving-mode", [('mode = "api"', 'mode = "cloud"')],
     "options.hosted.serving.mode", "unknown serving mode \"cloud\"; expected one of 'api', 'gpu'"),
    ("unknown-training-mode", [(END, '[options.hosted.build]\ntraining_mode = "gpuu"')],
     "options.hosted.build.training_mode", "did you mean 'gpu'"),
    ("unknown-sampler", [("seed = 7", 'seed = 7\nsampler = "sobel"')],
     "simulation.sampler", "unknown sampler \"sobel\""),
    ("api-key-in-gpu-serving",
     [("throughput_tokens_per_second = 2000", "throughput_tokens_per_second = 2000\n"
                                              "cached_share = 0.5")],
     "options.lora.serving.cached_share", "belongs to serving mode 'api', not 'gpu' (found 0.5)"),
    ("gpu-key-in-api-serving",
     [("price_output_per_mtok = 1.5", "price_output_per_mtok = 1.5\nmin_gpus = 2")],
     "options.hosted.serving.min_gpus", "belongs to serving mode 'gpu', not 'api'"),
    ("api-key-in-gpu-training",
     [("examples = 5000", "examples = 5000\ntraining_price_per_mtok = 3")],
     "options.lora.build.training_price_per_mtok", "belongs to training_mode 'api', not 'gpu'"),
    ("gpu-key-in-api-training", [(END, "[options.hosted.build]\ngpu_hours = 4")],
     "options.hosted.build.gpu_hours", "belongs to training_mode 'gpu', not 'api'"),
    # -- price indices --------------------------------------------------------------------
    ("undefined-baseline-index",
     [("price_output_per_mtok = 8.0", 'price_output_per_mtok = 8.0\nprice_index = "apii"')],
     "baseline.price_index", "price index \"apii\" is not defined"),
    ("undefined-serving-index",
     [("throughput_tokens_per_second = 2000", 'throughput_tokens_per_second = 2000\n'
                                              'price_index = "h100"')],
     "options.lora.serving.price_index", "add [prices.h100]"),
    ("undefined-build-index", [("examples = 5000", 'examples = 5000\nprice_index = "train"')],
     "options.lora.build.price_index", "\"train\" is not defined"),
    ("option-id-with-dot", [(END, '[options."a.b".serving]\nmode = "api"')],
     'options.a.b', "bare TOML keys"),
    # -- value rules, fixed values ----------------------------------------------------------
    ("negative-price", [("price_input_per_mtok = 2.0", "price_input_per_mtok = -2.0")],
     "baseline.price_input_per_mtok", "must be in [0, 1e6], got -2.0"),
    ("negative-cost", [("monthly_cost = 500", "monthly_cost = -500")],
     "options.lora.maintenance.monthly_cost", "must be in [0, 1e12], got -500"),
    ("infinite-cost", [("monthly_cost = 500", "monthly_cost = inf")],
     "options.lora.maintenance.monthly_cost", "must be in [0, 1e12], got inf"),
    ("negative-tokens", [("output_tokens = 200", "output_tokens = -1")],
     "traffic.output_tokens", "got -1"),
    ("negative-count", [("examples = 5000", "examples = -5")],
     "options.lora.build.examples", "must be in [0, 1e10], got -5"),
    ("negative-rate", [("annual_decline = 0.3", "annual_decline = 0.3\nevents_per_year = -1")],
     "prices.api.events_per_year", "must be in [0, 52], got -1"),
    ("negative-volatility", [("monthly_growth = 0.02", "monthly_volatility = -0.1")],
     "traffic.monthly_volatility", "got -0.1"),
    ("negative-lead-time", [("error_rate_gap = 0.01", "lead_time_months = -1")],
     "options.lora.lead_time_months", "got -1"),
    ("negative-output-ratio", [("error_rate_gap = 0.01", "output_token_ratio = -1")],
     "options.lora.output_token_ratio", "got -1"),
    ("error-rate-share-above-1", [("baseline_error_rate = 0.05", "baseline_error_rate = 1.5")],
     "quality.baseline_error_rate", "must be in [0, 1], got 1.5"),
    ("escalation-share-negative", [("error_rate_gap = 0.01", "escalation_rate = -0.1")],
     "options.lora.escalation_rate", "must be in [0, 1], got -0.1"),
    ("cached-share-above-1",
     [("price_output_per_mtok = 8.0", "price_output_per_mtok = 8.0\ncached_share = 1.2")],
     "baseline.cached_share", "must be in [0, 1], got 1.2"),
    ("max-error-increase-above-1", [(END, "[drift]\nmax_error_increase = 2")],
     "drift.max_error_increase", "must be in [0, 1], got 2"),
    ("drift-error-increase-negative", [(END, "[drift]\nerror_increase = -0.01")],
     "drift.error_increase", "got -0.01"),
    ("utilization-zero",
     [("gpu_hourly_cost = 2.5", "gpu_hourly_cost = 2.5\nutilization = 0")],
     "options.lora.serving.utilization", "must be in [0.001, 1], got 0"),
    ("utilization-above-1",
     [("gpu_hourly_cost = 2.5", "gpu_hourly_cost = 2.5\nutilization = 1.5")],
     "options.lora.serving.utilization", "must be in [0.001, 1], got 1.5"),
    ("zero-throughput",
     [("throughput_tokens_per_second = 2000", "throughput_tokens_per_second = 0")],
     "options.lora.serving.throughput_tokens_per_second", "must be in [0.001, 1e9], got 0"),
    ("zero-requests-per-second",
     [("throughput_tokens_per_second = 2000", "requests_per_second = 0")],
     "options.lora.serving.requests_per_second", "must be in [1e-6, 1e7], got 0"),
    ("zero-hours", [("gpu_hourly_cost = 2.5", "gpu_hourly_cost = 2.5\nhours_per_month = 0")],
     "options.lora.serving.hours_per_month", "must be in [1, 744], got 0"),
    ("hours-above-month", [("gpu_hourly_cost = 2.5", "gpu_hourly_cost = 2.5\n"
                                                      "hours_per_month = 800")],
     "options.lora.serving.hours_per_month", "got 800"),
    ("growth-minus-one", [("monthly_growth = 0.02", "monthly_growth = -1")],
     "traffic.monthly_growth", "must be in (-1, 1], got -1"),
    ("growth-nan", [("monthly_growth = 0.02", "monthly_growth = nan")],
     "traffic.monthly_growth", "got nan"),
    ("annual-decline-one", [("annual_decline = 0.3", "annual_decline = 1")],
     "prices.api.annual_decline", "must be in [0, 1), got 1"),
    ("annual-decline-negative", [("annual_decline = 0.3", "annual_decline = -0.1")],
     "prices.api.annual_decline", "got -0.1"),
    ("event-multiplier-zero", [("annual_decline = 0.3", "event_multiplier = 0")],
     "prices.api.event_multiplier", "must be in (0, 100], got 0"),
    ("cached-price-factor-above-1",
     [("price_output_per_mtok = 1.5", "price_output_per_mtok = 1.5\ncached_price_factor = 1.5")],
     "options.hosted.serving.cached_price_factor", "must be in [0, 1], got 1.5"),
    ("discount-rate-minus-one", [("horizon_months = 24", "horizon_months = 24\n"
                                                         "discount_rate_annual = -1")],
     "scenario.discount_rate_annual", "must be in [-0.5, 10], got -1"),
    ("required-probability-one", [("horizon_months = 24", "horizon_months = 24\n"
                                                          "required_probability = 1")],
     "scenario.required_probability", "must be in (0, 1), got 1"),
    ("required-probability-zero", [("horizon_months = 24", "horizon_months = 24\n"
                                                           "required_probability = 0")],
     "scenario.required_probability", "got 0"),
    ("horizon-zero", [("horizon_months = 24", "horizon_months = 0"),
                      ("payback_within_months = 12\n", "")],
     "scenario.horizon_months", "must be in [1, 600], got 0"),
    ("payback-above-horizon", [("payback_within_months = 12", "payback_within_months = 30")],
     "scenario.payback_within_months", "must be in [1, horizon_months = 24], got 30"),
    ("payback-zero", [("payback_within_months = 12", "payback_within_months = 0")],
     "scenario.payback_within_months", "must be in [1, 600], got 0"),
    ("paths-zero", [("paths = 1000", "paths = 0")], "simulation.paths", "must be in [1, 1e9], got 0"),
    ("seed-negative", [("seed = 7", "seed = -1")], "simulation.seed",
     "must be in [0, 9223372036854775807], got -1"),
    ("fixed-gap-outside", [("error_rate_gap = 0.01", "error_rate_gap = 1.5")],
     "options.lora.error_rate_gap", "must be in [-1, 1], got 1.5"),
    # -- hard ranges (issue 9, item 3): values that validated before and then overflowed --
    ("requests-1e40", [("requests_per_month = 100000", "requests_per_month = 1e40")],
     "traffic.requests_per_month", "must be in [0, 1e12], got 1e+40"),
    ("throughput-subnormal",
     [("throughput_tokens_per_second = 2000", "throughput_tokens_per_second = 5e-324")],
     "options.lora.serving.throughput_tokens_per_second", "must be in [0.001, 1e9], got 5e-324"),
    ("utilization-subnormal",
     [("gpu_hourly_cost = 2.5", "gpu_hourly_cost = 2.5\nutilization = 5e-324")],
     "options.lora.serving.utilization", "must be in [0.001, 1], got 5e-324"),
    ("event-multiplier-1e16", [("annual_decline = 0.3", "event_multiplier = 1e16")],
     "prices.api.event_multiplier", "must be in (0, 100], got 1e+16"),
    ("discount-rate-near-minus-one", [("horizon_months = 24", "horizon_months = 24\n"
                                                              "discount_rate_annual = -0.9999999")],
     "scenario.discount_rate_annual", "must be in [-0.5, 10], got -0.9999999"),
    ("drift-events-1e20", [(END, "[drift]\nevents_per_year = 1e20")],
     "drift.events_per_year", "must be in [0, 365], got 1e+20"),
    ("drift-events-1e9", [(END, "[drift]\nevents_per_year = 1e9")],
     "drift.events_per_year", "must be in [0, 365], got 1000000000.0"),
    ("price-events-1e6", [("annual_decline = 0.3", "annual_decline = 0.3\nevents_per_year = 1e6")],
     "prices.api.events_per_year", "must be in [0, 52], got 1000000.0"),
    ("growth-above-one", [("monthly_growth = 0.02", "monthly_growth = 2")],
     "traffic.monthly_growth", "must be in (-1, 1], got 2"),
    ("huge-integer", [("input_tokens = 300", "input_tokens = 1" + "0" * 400)],
     "traffic.input_tokens", "is out of range"),
    ("horizon-above-600",  # item 5: payback months are stored as int16
     [("horizon_months = 24", "horizon_months = 601")],
     "scenario.horizon_months", "must be in [1, 600], got 601"),
    ("horizon-int16-overflow", [("horizon_months = 24", "horizon_months = 40000")],
     "scenario.horizon_months", "got 40000"),
    ("lognormal-requests-reach-above-1e12",
     [("requests_per_month = 100000", "requests_per_month = { p5 = 1e9, p95 = 1e11 }")],
     "traffic.requests_per_month", "can take values above 1e12"),
    ("lognormal-multiplier-reach-above-100",
     [("annual_decline = 0.3", "event_multiplier = { p5 = 1e-10, p95 = 1e10 }")],
     "prices.api.event_multiplier", "add truncate = [0, 100]"),
    ("random-gap-infinite", [("error_rate_gap = 0.01",
                              'error_rate_gap = { dist = "normal", mean = 0, sd = 1e308 }')],
     "options.lora.error_rate_gap", "reaches non-finite values"),
    # -- laws that crashed the loader (item 4) ------------------------------------------
    ("gamma-sd-overflow",
     [("input_tokens = 300", 'input_tokens = { dist = "gamma", mean = 2, sd = 2e300 }')],
     "traffic.input_tokens", "shape (mean/sd)^2 = 0"),
    ("gamma-mean-underflow",
     [("input_tokens = 300", 'input_tokens = { dist = "gamma", mean = 1e-200, sd = 1 }')],
     "traffic.input_tokens", "both must be finite and positive"),
    ("lognormal-sd-overflow",
     [("input_tokens = 300", 'input_tokens = { dist = "lognormal", mean = 1, sd = 1e200 }')],
     "traffic.input_tokens", "has no finite sigma"),
    ("lognormal-sigma-zero",
     [("input_tokens = 300", 'input_tokens = { dist = "lognormal", mean = 36, sd = 1e-200 }')],
     "traffic.input_tokens", "sigma 0 in double precision"),
    ("pert-width-overflow",
     [("input_tokens = 300",
       'input_tokens = { dist = "pert", min = -1e308, mode = 0, max = 1e308 }')],
     "traffic.input_tokens", "not a usable law"),
    ("empirical-file-nul",
     [("input_tokens = 300",
       'input_tokens = { dist = "empirical", file = "a\\u0000b.csv", column = "c" }')],
     "traffic.input_tokens.file", "contains a NUL character"),
    # closed brackets: refused whether or not the parser reaches the recursion limit
    ("toml-nested-1000", [(END, "x = " + "[" * 1000 + "]" * 1000)], "", "nested too deeply"),
    ("toml-nested-300", [(END, "x = " + "[" * 300 + "]" * 300)], "", "nested too deeply"),
    # -- names and currency (item 9) ------------------------------------------------------
    ("scenario-name-newline", [('name = "Test"', 'name = "Test\\n# heading"')],
     "scenario.name", "without control characters, got \"Test\\n# heading\" (contains U+000A)"),
    ("scenario-name-too-long", [('name = "Test"', f'name = "{"x" * 121}"')],
     "scenario.name", "at most 120 characters, got 121"),
    ("option-name-tab", [('name = "Hosted fine-tune"', 'name = "Hosted\\tfine-tune"')],
     "options.hosted.name", "contains U+0009"),
    ("baseline-name-empty", [("price_output_per_mtok = 8.0", 'price_output_per_mtok = 8.0\n'
                                                             'name = ""')],
     "baseline.name", "must not be empty"),
    ("currency-too-long", [('name = "Test"', 'name = "Test"\ncurrency = "DOLLARSDOLLARS"')],
     "scenario.currency", "at most 12 characters, got 14"),
    ("currency-control", [('name = "Test"', 'name = "Test"\ncurrency = "US\\u001bD"')],
     "scenario.currency", "contains U+001B"),
    ("option-id-too-long", [(END, f'[options.{"o" * 65}.serving]\nmode = "api"')],
     f"options.{'o' * 65}", "at most 64 characters"),
    ("empty-top-level-key", [("[scenario]", '"" = nan\n[scenario]')], '""',
     "unknown key '' (found nan)"),
    # -- one mistake, one error ------------------------------------------------------------
    ("mistyped-option-id", [("[options.lora.serving]", "[options.lorra.serving]")],
     "options.lorra", "unknown option id \"lorra\" in [options.lorra.serving] (it holds no "
     "other keys); did you mean 'lora'?"),
    ("broken-option-no-follow-on-correlation-error",
     [*RANDOM, ("throughput_tokens_per_second = 2000\n", ""),
      correlation("traffic.monthly_growth", "options.lora.serving.gpu_hourly_cost", 0.3)],
     "options.lora.serving", "found neither"),
    # -- value rules, random inputs: checked on the support (full distributions module) ---
    ("normal-cost-untruncated",
     [("monthly_cost = 500", 'monthly_cost = { dist = "normal", mean = 500, sd = 300 }')],
     "options.lora.maintenance.monthly_cost",
     # reachable minimum 500 - 300 * 8.2095 (ndtri(2**-53) = -8.2095) = -1962.9
     "can take values below 0 (reachable -1962.86..2962.86, support -inf..inf); "
     "add truncate = [0, inf]"),
    ("uniform-utilization-above-1",
     [("gpu_hourly_cost = 2.5", 'gpu_hourly_cost = 2.5\n'
                                'utilization = { dist = "uniform", min = 0.5, max = 1.2 }')],
     "options.lora.serving.utilization", "can take values above 1"),
    ("lognormal-share-above-1",
     [("baseline_error_rate = 0.05", "baseline_error_rate = { p5 = 0.01, p95 = 0.1 }")],
     "quality.baseline_error_rate", "add truncate = [0, 1]"),
    ("choice-reaching-open-bound",
     [("throughput_tokens_per_second = 2000",
       'throughput_tokens_per_second = { dist = "choice", values = [0, 1000] }')],
     "options.lora.serving.throughput_tokens_per_second", "can take values below 0.001"),
    ("normal-event-multiplier",
     [("annual_decline = 0.3", 'event_multiplier = { dist = "normal", mean = 1, sd = 0.3 }')],
     "prices.api.event_multiplier", "below 0"),
    ("random-gap-median-outside",
     [("error_rate_gap = 0.01", 'error_rate_gap = { dist = "normal", mean = 2, sd = 0.1 }')],
     "options.lora.error_rate_gap", "median 2"),
    # -- correlations (random inputs need the full distributions module) ------------------
    ("correlation-rho-above-1",
     [*RANDOM, correlation("traffic.requests_per_month", "traffic.monthly_growth", 1.5)],
     "correlations[0].rho", "must be in [-1, 1], got 1.5"),
    ("correlation-unknown-input",
     [*RANDOM, correlation("traffic.requests_per_mnth", "traffic.monthly_growth", 0.3)],
     "correlations[0].a", "did you mean 'traffic.requests_per_month'"),
    ("correlation-fixed-input",
     [*RANDOM, correlation("traffic.input_tokens", "traffic.monthly_growth", 0.3)],
     "correlations[0].a", "\"traffic.input_tokens\" is fixed (300), not random"),
    ("correlation-event-multiplier",
     [*RANDOM, ("[prices.api]", "[prices.api]\nevent_multiplier = { p5 = 0.5, p95 = 1.2 }"),
      correlation("prices.api.event_multiplier", "traffic.monthly_growth", 0.3)],
     "correlations[0].a", "drawn afresh for every price event"),
    ("correlation-same-input",
     [*RANDOM, correlation("traffic.monthly_growth", "traffic.monthly_growth", 0.3)],
     "correlations[0]", "a and b name the same input"),
    ("correlation-duplicate-pair",
     [*RANDOM, correlation("traffic.monthly_growth", "prices.api.annual_decline", 0.3),
      correlation("prices.api.annual_decline", "traffic.monthly_growth", 0.2)],
     "correlations[1]", "duplicate pair"),
    ("correlation-missing-rho",
     [*RANDOM, (END, '[[correlations]]\na = "traffic.monthly_growth"\n'
                     'b = "prices.api.annual_decline"')],
     "correlations[0].rho", "missing required key"),
    ("correlation-unknown-key",
     [*RANDOM, (END, '[[correlations]]\na = "traffic.monthly_growth"\n'
                     'b = "prices.api.annual_decline"\nrho = 0.3\nrh = 0.3')],
     "correlations[0].rh", "did you mean 'rho'"),
    ("correlation-not-positive-definite",
     # Pearson r = 2 sin(pi * 0.9 / 6) = 0.908; the matrix [[1, r, r], [r, 1, -r], [r, -r, 1]]
     # has eigenvector (1, -1, -1) with eigenvalue 1 - 2r = -0.816 < 0.
     [*RANDOM,
      correlation("traffic.requests_per_month", "traffic.monthly_growth", 0.9),
      correlation("traffic.requests_per_month", "options.lora.serving.gpu_hourly_cost", 0.9),
      correlation("traffic.monthly_growth", "options.lora.serving.gpu_hourly_cost", -0.9)],
     "correlations", "not positive definite"),
]


# A scenario with random world and option inputs (tests/core/test_simulation, test_dask)
RANDOM_WORLD = """
[scenario]
horizon_months = 24
payback_within_months = 12

[traffic]
requests_per_month = { p5 = 50_000, p95 = 2_000_000 }
monthly_growth = { dist = "normal", mean = 0.02, sd = 0.02, truncate = [-0.5, 0.5] }
monthly_volatility = 0.1
input_tokens = { dist = "pert", min = 150, mode = 300, max = 800 }
output_tokens = 200

[quality]
baseline_error_rate = 0.05
cost_per_error = { p5 = 0.5, p95 = 5.0 }

[drift]
events_per_year = { dist = "pert", min = 0.5, mode = 2, max = 6 }
error_increase = 0.02

[prices.api]
annual_decline = { dist = "uniform", min = 0.1, max = 0.5 }
events_per_year = 1.0
event_multiplier = { p5 = 0.3, p95 = 1.5 }

[baseline]
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0
prompt_overhead_tokens = 1500

[options.a]
error_rate_gap = { dist = "normal", mean = 0.0, sd = 0.02 }
max_acceptable_gap = 0.03
[options.a.serving]
mode = "gpu"
gpu_hourly_cost = { dist = "pert", min = 1.8, mode = 2.5, max = 4.0 }
requests_per_second = { dist = "pert", min = 1, mode = 3, max = 8 }
utilization = 0.5
[options.a.build]
gpu_hours = { p5 = 2, p95 = 10 }
trials = { dist = "choice", values = [2, 4, 8] }
engineering_cost = { p5 = 5_000, p95 = 30_000 }
[options.a.maintenance]
monthly_cost = { p5 = 500, p95 = 3_000 }
retrain_on_drift = true
retrain_cost = 1000
base_model_updates_per_year = 1.0

[options.b]
[options.b.serving]
mode = "api"
price_input_per_mtok = 0.2
price_output_per_mtok = 0.2
[options.b.build]
engineering_cost = { p5 = 5_000, p95 = 30_000 }
"""


HEAVY_MODULES = ("matplotlib", "pandas", "typst", "jinja2")


def modules_after(*argv: str) -> tuple[int, dict[str, bool], str]:
    """Run the command line in a fresh interpreter: its exit code, which heavy modules it
    imported, and its stderr."""
    code = ("import json, sys\nfrom ftsim.cli import main\n"
            f"code = main({list(argv)!r})\n"
            f"print(json.dumps([code, {{m: m in sys.modules for m in {HEAVY_MODULES!r}}}]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    exit_code, loaded = json.loads(done.stdout.splitlines()[-1])
    return exit_code, loaded, done.stderr
