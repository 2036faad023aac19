"""What each scenario key may hold (docs/scenario.md): tables of defaults, kinds, units and
labels; the ranges live in `ranges` and are re-exported here."""

from __future__ import annotations

from ..distributions.forms import METADATA_KEYS  # source, as_of: in every table
from .ranges import (
    ALLOWED_RANGES,
    INF,
    PLAUSIBLE,
    PRICE_PLAUSIBLE,
    PRICE_RANGES,
    Bounds,
    hard_range,
    plausible_range,
)

__all__ = [
    "LABELS",
    "METADATA_KEYS",
    "AS_OF_YEARS",
    "REPORT_KEYS",
    "VOI_PLAIN",
    "VOI_GROUP_PLAIN",
    "PILOT_PLAIN",
    "MAX_VOI_GROUPS",
    "MAX_GROUP_INPUTS",
    "MAX_PILOTS",
    "NPV_TARGETS_MAX",
    "DEFAULT_NPV_TARGETS",
    "Bounds",
    "hard_range",
    "plausible_range",
    "PRICE_RANGES",
    "PLAUSIBLE",
    "PRICE_PLAUSIBLE",
    "UNITS",
    "TEXT_LIMITS",
    "MAX_ID",
    "COUNT_KEYS",
    "INF",
    "ALLOWED_RANGES",
    "CLIPPED_KEYS",
    "ENUMS",
    "REQUIRED",
    "WORLD_NUMERIC",
    "PRICE_NUMERIC",
    "OPTION_NUMERIC",
    "SERVING_NUMERIC",
    "CAPACITY_KEYS",
    "BUILD_NUMERIC",
    "TRAINING_NUMERIC",
    "MAINTENANCE_NUMERIC",
    "SERVING_MODE_KEYS",
    "TRAINING_MODE_KEYS",
    "Plain",
    "SCENARIO_PLAIN",
    "SIMULATION_PLAIN",
    "BASELINE_PLAIN",
    "OPTION_PLAIN",
    "SERVING_PLAIN",
    "BUILD_PLAIN",
    "MAINTENANCE_PLAIN",
    "MODEL_PLAIN",
    "CORRELATION_PLAIN",
    "TOP_LEVEL",
    "OPTION_SUBTABLES",
    "BUILTIN_INDICES",
]

# Keys whose sampled value is rounded with floor(x + 0.5) (docs/model.md section 10).
COUNT_KEYS = frozenset(
    {"lead_time_months", "retrain_every_months", "detection_lag_months", "trials",
     "min_gpus", "examples", "epochs"}
)

# Unit of each numeric key, for warnings and the docs' scenario reference.
_TOKENS = "tokens per request"
_MONEY = "currency units"
UNITS: dict[str, str] = {
    "horizon_months": "months", "payback_within_months": "months",
    "discount_rate_annual": "fraction per year: 0.08 = 8 %",
    "required_probability": "probability", "paths": "paths", "seed": "integer",
    "requests_per_month": "LLM calls per month (month 1)",
    "monthly_growth": "fraction per month: 0.02 = 2 %",
    "monthly_volatility": "sigma of lognormal month-to-month noise",
    "input_tokens": _TOKENS, "output_tokens": _TOKENS, "context_tokens": _TOKENS,
    "prompt_overhead_tokens": _TOKENS, "monthly_cost": f"{_MONEY} per month",
    "baseline_error_rate": "fraction of answers", "cost_per_error": f"{_MONEY} per wrong answer",
    "events_per_year": "events per year", "error_increase": "fraction (error-rate points)",
    "max_error_increase": "fraction (error-rate points)",
    "annual_decline": "fraction per year", "event_multiplier": "new price / old price",
    "price_input_per_mtok": f"{_MONEY} per million tokens",
    "price_output_per_mtok": f"{_MONEY} per million tokens",
    "cached_share": "fraction of overhead tokens", "cached_price_factor": "cached / full price",
    "model": "\"provider:model\" of the genai-prices catalog",
    "output_token_ratio": "option output / baseline output", "lead_time_months": "months",
    "error_rate_gap": "fraction: option minus baseline error rate",
    "max_acceptable_gap": "fraction (error-rate points)",
    "escalation_rate": "fraction of requests",
    "gpu_hourly_cost": f"{_MONEY} per GPU-hour",
    "training_gpu_hourly_cost": f"{_MONEY} per GPU-hour",
    "throughput_tokens_per_second": "tokens per second per GPU",
    "requests_per_second": "requests per second per GPU", "utilization": "fraction",
    "min_gpus": "GPUs", "hours_per_month": "hours per month", "examples": "examples",
    "tokens_per_example": "tokens", "epochs": "epochs", "trials": "training runs",
    "gpu_hours": "GPU-hours per trial",
    "training_price_per_mtok": f"{_MONEY} per million tokens trained",
    "data_cost_per_example": f"{_MONEY} per example", "eval_setup_cost": _MONEY,
    "eval_cost_per_run": f"{_MONEY} per trial", "engineering_cost": _MONEY,
    "retrain_every_months": "months (0 = no schedule)", "detection_lag_months": "months",
    "retrain_cost": f"{_MONEY} per retrain", "base_model_updates_per_year": "events per year",
    "rho": "Spearman rank correlation", "npv_targets": f"list of amounts in {_MONEY}",
    "noise_sd_per_example": "the measured input's unit (sd of one example's measurement)",
    "cost": _MONEY, "duration_months": "months", "inputs": "list of input key paths",
}

# A short human label per key, by the section it is written in ("option" is the
# [options.<id>] table itself). Reports name an input by it (scenario.labels.input_label
# adds the option's name or the price index); the docs' key tables print it as the meaning.
LABELS: dict[str, dict[str, str]] = {
    "scenario": {"name": "Scenario name", "currency": "Currency of every money key",
                 "horizon_months": "Horizon", "payback_within_months": "Payback deadline",
                 "discount_rate_annual": "Annual discount rate",
                 "required_probability": "Required probability of payback"},
    "simulation": {"paths": "Number of simulated paths", "seed": "Random seed",
                   "sampler": "Sampler of the uniforms"},
    "traffic": {"requests_per_month": "Requests per month",
                "monthly_growth": "Monthly traffic growth",
                "monthly_volatility": "Monthly traffic volatility",
                "input_tokens": "Input tokens per request",
                "output_tokens": "Output tokens per request"},
    "rag": {"context_tokens": "Retrieved context tokens per request",
            "monthly_cost": "Retrieval monthly cost"},
    "quality": {"baseline_error_rate": "Baseline error rate", "cost_per_error": "Cost per error"},
    "drift": {"events_per_year": "Drift events per year",
              "error_increase": "Error-rate increase per drift event",
              "max_error_increase": "Maximum drift error increase"},
    "baseline": {"name": "Baseline name", "price_index": "Baseline price index",
                 "price_input_per_mtok": "Baseline input price per MTok",
                 "price_output_per_mtok": "Baseline output price per MTok",
                 "prompt_overhead_tokens": "Baseline prompt overhead tokens",
                 "cached_share": "Baseline cached share of overhead",
                 "cached_price_factor": "Baseline cached price factor",
                 "model": "Baseline catalog model"},
    "prices": {"annual_decline": "Annual price decline", "events_per_year": "Price events per year",
               "event_multiplier": "Price event multiplier"},
    "option": {"name": "Option name", "uses_rag": "Uses retrieval",
               "prompt_overhead_tokens": "Prompt overhead tokens",
               "output_token_ratio": "Output token ratio", "lead_time_months": "Lead time",
               "error_rate_gap": "Error-rate gap", "max_acceptable_gap": "Maximum acceptable gap",
               "escalation_rate": "Escalation rate"},
    "serving": {"mode": "Serving mode", "price_index": "Serving price index",
                "gpu_hourly_cost": "GPU hourly cost",
                "throughput_tokens_per_second": "GPU throughput in tokens per second",
                "requests_per_second": "GPU throughput in requests per second",
                "utilization": "GPU utilization", "min_gpus": "Minimum GPUs",
                "hours_per_month": "GPU hours per month",
                "price_input_per_mtok": "Serving input price per MTok",
                "price_output_per_mtok": "Serving output price per MTok",
                "cached_share": "Serving cached share of overhead",
                "cached_price_factor": "Serving cached price factor",
                "model": "Serving catalog model"},
    "build": {"training_mode": "Training mode", "price_index": "Training price index",
              "examples": "Training examples", "tokens_per_example": "Tokens per example",
              "epochs": "Training epochs", "trials": "Training trials",
              "data_cost_per_example": "Data cost per example",
              "eval_setup_cost": "Evaluation setup cost",
              "eval_cost_per_run": "Evaluation cost per trial",
              "engineering_cost": "Engineering cost",
              "gpu_hours": "Training GPU-hours per trial",
              "training_gpu_hourly_cost": "Training GPU hourly cost",
              "training_price_per_mtok": "Training price per MTok"},
    "maintenance": {"monthly_cost": "Monthly maintenance cost",
                    "retrain_every_months": "Retraining interval",
                    "detection_lag_months": "Drift detection lag",
                    "retrain_cost": "Cost per retrain",
                    "base_model_updates_per_year": "Base-model updates per year",
                    "retrain_on_drift": "Retrain on drift"},
    "correlations": {"a": "First input", "b": "Second input", "rho": "Rank correlation"},
    "report": {"npv_targets": "NPV targets"},
    "voi": {"enabled": "Compute the value of information"},
    "voi_groups": {"name": "Group name", "inputs": "Inputs learnt together"},
    "pilots": {"name": "Pilot name", "input": "Input the pilot measures",
               "examples": "Examples measured", "noise_sd_per_example": "Noise per example",
               "cost": "Pilot cost", "duration_months": "Pilot duration"},
    "metadata": {"source": "Source of the figures", "as_of": "Date of the figures"},
}

# Texts: name keys -> most characters; at least one character, printable, no control
# characters (a newline would forge report headings or error lines).
TEXT_LIMITS: dict[str, int] = {"name": 120, "currency": 12, "source": 300}
# as_of: "YYYY-MM" or "YYYY-MM-DD", a real month in these years
AS_OF_YEARS = (1990, 2100)
MAX_ID = 64  # option ids and price index names (bare TOML keys)

# Keys the model clips (docs/model.md sections 4-9: e_O,t = clip(e_B + gap + X_t, 0, 1)), so a random
# law may spill past the range (the original contract's own example: an untruncated normal gap); its median
# must lie inside. Fixed values are checked against the range as usual.
CLIPPED_KEYS = frozenset({"error_rate_gap"})

ENUMS: dict[str, tuple[str, ...]] = {
    "sampler": ("random", "lhs", "sobol"),
    "mode": ("api", "gpu"),
    "training_mode": ("api", "gpu"),
}
_ENUM_LABEL = {"sampler": "sampler", "mode": "serving mode", "training_mode": "training mode"}


class _Required:
    """Default marker of a key that must be written."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()

# Numeric input keys (each may be a distribution) -> default (REQUIRED = must be written).
WORLD_NUMERIC: dict[str, dict[str, float | _Required]] = {
    "traffic": {"requests_per_month": REQUIRED, "monthly_growth": 0.0,
                "monthly_volatility": 0.0, "input_tokens": REQUIRED, "output_tokens": REQUIRED},
    "rag": {"context_tokens": 0.0, "monthly_cost": 0.0},
    "quality": {"baseline_error_rate": 0.0, "cost_per_error": 0.0},
    "drift": {"events_per_year": 0.0, "error_increase": 0.0, "max_error_increase": 1.0},
    "baseline": {"price_input_per_mtok": REQUIRED, "price_output_per_mtok": REQUIRED,
                 "prompt_overhead_tokens": 0.0, "cached_share": 0.0, "cached_price_factor": 1.0},
}
PRICE_NUMERIC: dict[str, float | _Required] = {"annual_decline": 0.0, "events_per_year": 0.0}
OPTION_NUMERIC: dict[str, float | _Required] = {
    "prompt_overhead_tokens": 0.0, "output_token_ratio": 1.0, "lead_time_months": 0.0,
    "error_rate_gap": 0.0, "max_acceptable_gap": INF, "escalation_rate": 0.0,
}
SERVING_NUMERIC: dict[str, dict[str, float | _Required]] = {
    "gpu": {"gpu_hourly_cost": REQUIRED, "utilization": 1.0, "min_gpus": 1.0,
            "hours_per_month": 730.0},
    "api": {"price_input_per_mtok": REQUIRED, "price_output_per_mtok": REQUIRED,
            "cached_share": 0.0, "cached_price_factor": 1.0},
}
# gpu serving takes exactly one of these -> ServingSpec.capacity
CAPACITY_KEYS = {"throughput_tokens_per_second": "tokens", "requests_per_second": "requests"}
BUILD_NUMERIC: dict[str, float | _Required] = {
    "examples": 0.0, "tokens_per_example": 0.0, "epochs": 1.0, "trials": 1.0,
    "data_cost_per_example": 0.0, "eval_setup_cost": 0.0, "eval_cost_per_run": 0.0,
    "engineering_cost": 0.0,
}
# training_gpu_hourly_cost (gpu) is handled apart: its default is the serving draw.
TRAINING_NUMERIC: dict[str, dict[str, float | _Required]] = {
    "gpu": {"gpu_hours": 0.0},
    "api": {"training_price_per_mtok": 0.0},
}
MAINTENANCE_NUMERIC: dict[str, float | _Required] = {
    "monthly_cost": 0.0, "retrain_every_months": 0.0, "detection_lag_months": 0.0,
    "retrain_cost": 0.0, "base_model_updates_per_year": 0.0,
}
# [baseline] and api serving: prices from the genai-prices catalog for the price keys the
# table does not write (ftsim/scenario/catalog.py)
MODEL_PLAIN: dict[str, tuple[str, object]] = {"model": ("string", None)}
SERVING_MODE_KEYS = {
    "gpu": (*SERVING_NUMERIC["gpu"], *CAPACITY_KEYS),
    "api": (*SERVING_NUMERIC["api"], *MODEL_PLAIN),
}
TRAINING_MODE_KEYS = {
    "gpu": (*TRAINING_NUMERIC["gpu"], "training_gpu_hourly_cost"),
    "api": tuple(TRAINING_NUMERIC["api"]),
}

# Plain-valued keys (never distributions): key -> (kind, default). A default of None is
# filled in by the parser (scenario name, option name, price indices, training mode).
Plain = dict[str, tuple[str, object]]
SCENARIO_PLAIN: Plain = {
    "name": ("string", None), "currency": ("string", "USD"),
    "horizon_months": ("integer", 36), "payback_within_months": ("integer", 12),
    "discount_rate_annual": ("number", 0.0), "required_probability": ("number", 0.8),
}
SIMULATION_PLAIN: Plain = {
    "paths": ("integer", 100_000), "seed": ("integer", 0), "sampler": ("string", "random"),
}
BASELINE_PLAIN: Plain = {"name": ("string", "Baseline"), "price_index": ("string", "api")}
OPTION_PLAIN: Plain = {"name": ("string", None), "uses_rag": ("boolean", True)}
SERVING_PLAIN: Plain = {"mode": ("string", REQUIRED), "price_index": ("string", None)}
BUILD_PLAIN: Plain = {"training_mode": ("string", None), "price_index": ("string", None)}
MAINTENANCE_PLAIN: Plain = {"retrain_on_drift": ("boolean", False)}
CORRELATION_PLAIN: Plain = {"a": ("string", REQUIRED), "b": ("string", REQUIRED),
                            "rho": ("number", REQUIRED)}

# [report]: npv_targets, a list of 1..NPV_TARGETS_MAX money amounts (each in the hard range
# of "npv_targets"); default (0,)
REPORT_KEYS = ("npv_targets",)
NPV_TARGETS_MAX = 12
DEFAULT_NPV_TARGETS = (0.0,)

# [voi] (value of information, issue 12): on or off, and [[voi.groups]] of inputs valued
# together; [[pilots]]: studies that measure one input before deciding (ftsim/scenario/voi_keys.py)
VOI_PLAIN: Plain = {"enabled": ("boolean", True)}
VOI_GROUP_PLAIN: Plain = {"name": ("string", REQUIRED)}  # and inputs, a list of key paths
PILOT_PLAIN: Plain = {"name": ("string", REQUIRED), "input": ("string", REQUIRED),
                      "examples": ("integer", REQUIRED),
                      "noise_sd_per_example": ("number", REQUIRED),
                      "cost": ("number", REQUIRED), "duration_months": ("number", 0.0)}
MAX_VOI_GROUPS = 20
MAX_GROUP_INPUTS = 20
MAX_PILOTS = 20

TOP_LEVEL = ("scenario", "simulation", "traffic", "rag", "quality", "drift", "prices",
             "baseline", "options", "correlations", "report", "voi", "pilots")
OPTION_SUBTABLES = ("serving", "build", "maintenance")
# Price indices the model knows without a [prices.<name>] table (constant 1 when undefined).
BUILTIN_INDICES = ("api", "gpu")

_KIND_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
}
_KIND_TEXT = {"string": "a string", "integer": "an integer", "number": "a number",
              "boolean": "true or false"}


def _world_homes() -> dict[str, str]:
    """Key -> the world table it belongs in, for "it belongs in [...]" hints."""
    homes: dict[str, str] = {}
    for table, keys in WORLD_NUMERIC.items():
        for key in keys:
            homes.setdefault(key, f"[{table}]")
    for table, plain in (("scenario", SCENARIO_PLAIN), ("simulation", SIMULATION_PLAIN)):
        for key in plain:
            homes.setdefault(key, f"[{table}]")
    for key in REPORT_KEYS:
        homes.setdefault(key, "[report]")
    return homes


_WORLD_HOMES = _world_homes()
