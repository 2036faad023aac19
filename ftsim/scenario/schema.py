"""What each scenario key may hold (MODEL.md section 3): tables of defaults, kinds and ranges."""

from __future__ import annotations

import math

__all__ = [
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
    "CORRELATION_PLAIN",
    "TOP_LEVEL",
    "OPTION_SUBTABLES",
    "BUILTIN_INDICES",
]

# Keys whose sampled value is rounded with floor(x + 0.5) (MODEL.md section 2).
COUNT_KEYS = frozenset(
    {"lead_time_months", "retrain_every_months", "detection_lag_months", "trials",
     "min_gpus", "examples", "epochs"}
)

INF = math.inf

Bounds = tuple[float, float, bool, bool]

# Hard range per key name: (lo, hi, lo_open, hi_open). A fixed value outside is refused; so
# is a random input whose reachable extremes (its quantiles at 2**-53 and 1 - 2**-53, the
# sampler's extreme uniforms, after `truncate`) cross a bound. The maxima are physically
# meaningful limits that keep the engine's money finite (the contract in the docs'
# scenario reference); `payback_within_months` is further bounded by `horizon_months`.
# Keys under [prices.<name>] look in PRICE_RANGES first.
ALLOWED_RANGES: dict[str, Bounds] = {
    # [scenario], [simulation]
    "horizon_months": (1, 600, False, False),  # payback months are stored as int16
    "payback_within_months": (1, 600, False, False),  # and <= horizon_months
    "discount_rate_annual": (-0.5, 10, False, False),
    "required_probability": (0, 1, True, True),
    "paths": (1, 1e9, False, False),
    "seed": (0, 2**63 - 1, False, False),  # numpy.random.SeedSequence: non-negative integers
    # [traffic], [rag], [quality], [drift]
    "requests_per_month": (0, 1e12, False, False),
    "monthly_growth": (-1, 1, True, False),
    "monthly_volatility": (0, 2, False, False),
    "input_tokens": (0, 1e7, False, False),
    "output_tokens": (0, 1e7, False, False),
    "context_tokens": (0, 1e7, False, False),
    "monthly_cost": (0, 1e12, False, False),  # [rag] and [options.*.maintenance]
    "baseline_error_rate": (0, 1, False, False),
    "cost_per_error": (0, 1e12, False, False),
    "events_per_year": (0, 365, False, False),  # [drift]; [prices.*] in PRICE_RANGES
    "error_increase": (0, 1, False, False),  # an error-rate increment
    "max_error_increase": (0, 1, False, False),
    # [prices.*]
    "annual_decline": (0, 1, False, True),
    "event_multiplier": (0, 100, True, False),
    # [baseline], api serving
    "price_input_per_mtok": (0, 1e6, False, False),
    "price_output_per_mtok": (0, 1e6, False, False),
    "prompt_overhead_tokens": (0, 1e7, False, False),
    "cached_share": (0, 1, False, False),
    "cached_price_factor": (0, 1, False, False),
    # [options.*]
    "output_token_ratio": (0, 100, False, False),
    "lead_time_months": (0, 600, False, False),
    "error_rate_gap": (-1, 1, False, False),  # see CLIPPED_KEYS
    "max_acceptable_gap": (-1, INF, False, False),  # inf (the default) = never abandoned
    "escalation_rate": (0, 1, False, False),
    # gpu serving
    "gpu_hourly_cost": (0, 1e5, False, False),
    "throughput_tokens_per_second": (1e-3, 1e9, False, False),
    "requests_per_second": (1e-6, 1e7, False, False),
    "utilization": (1e-3, 1, False, False),
    "min_gpus": (0, 1e6, False, False),
    # A month has at most 31 * 24 hours; under one GPU-hour a month the serving cost
    # (GPUs x hourly cost x hours) divides by a vanishing capacity and overflows.
    "hours_per_month": (1, 744, False, False),
    # [options.*.build]
    "examples": (0, 1e10, False, False),
    "tokens_per_example": (0, 1e7, False, False),
    "epochs": (0, 1e4, False, False),
    "trials": (0, 1e4, False, False),
    "gpu_hours": (0, 1e9, False, False),
    "training_gpu_hourly_cost": (0, 1e5, False, False),
    "training_price_per_mtok": (0, 1e6, False, False),
    "data_cost_per_example": (0, 1e12, False, False),
    "eval_setup_cost": (0, 1e12, False, False),
    "eval_cost_per_run": (0, 1e12, False, False),
    "engineering_cost": (0, 1e12, False, False),
    # [options.*.maintenance]
    "retrain_every_months": (0, 600, False, False),
    "detection_lag_months": (0, 600, False, False),
    "retrain_cost": (0, 1e12, False, False),
    "base_model_updates_per_year": (0, 52, False, False),
    # [[correlations]]
    "rho": (-1, 1, False, False),
}
# [prices.<name>] keys whose range differs from the same key name elsewhere: a price index
# with more than weekly list-price events is not a price index any more.
PRICE_RANGES: dict[str, Bounds] = {"events_per_year": (0, 52, False, False)}


def hard_range(key_path: str) -> Bounds | None:
    """The hard range of a key, by its full dotted path (None: unrestricted)."""
    key = key_path.rsplit(".", 1)[-1]
    if key_path.startswith("prices.") and key in PRICE_RANGES:
        return PRICE_RANGES[key]
    return ALLOWED_RANGES.get(key)


# Plausible range per key name: (lo, hi, why). Inside the hard range but outside this,
# a written value (or a random law whose P5 or P95 falls outside) is kept and gives one
# warning: it is most likely a unit slip (monthly_growth = 2 written for 2 %). The why
# texts name the source of the figure; the docs' scenario reference prints them.
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "horizon_months": (3, 120, "a payback decision over more than 10 years outruns every "
                               "price and model-lifecycle figure the model rests on"),
    "discount_rate_annual": (-0.05, 0.5, "costs of capital are a few percent to a few tens of "
                                         "percent a year; 8 written for 8 % is 800 %"),
    "requests_per_month": (1, 1e10, "an internal tool sees about 1k-50k LLM calls a month, a "
                                    "high-volume extraction pipeline up to ~500M (16M a day, "
                                    "Method / OpenPipe talk, 2025)"),
    "monthly_growth": (-0.2, 0.3, "a fraction per month: +30 % a month is 23x a year; 2 "
                                  "written for 2 % is +200 % a month"),
    "monthly_volatility": (0, 0.5, "sigma of the month-to-month lognormal noise: 0.5 already "
                                   "moves a month's traffic by -40 %..+65 % one time in three"),
    "input_tokens": (1, 1e6, "the largest context windows hold about 1M tokens (2025-26)"),
    "output_tokens": (1, 1e5, "a support reply is 100-800 tokens (aicostnest.com, 2026); "
                              "model output limits are ~1e5 tokens"),
    "context_tokens": (0, 1e6, "retrieved context is 1,000-6,000 tokens a request "
                               "(aicostnest.com, theneuralbase.com, 2026); windows hold ~1M"),
    "monthly_cost": (0, 1e6, "a month of monitoring or a vector store costs hundreds to a few "
                             "thousand; 0.5-4 engineer-days a month at $600-1,200 a day (BLS "
                             "OEWS 2023-24 wages, loaded)"),
    "baseline_error_rate": (0, 0.5, "a prompted model wrong on more than half its answers "
                                    "would not be in production"),
    "cost_per_error": (0, 1e4, "a live-agent contact costs $3.8-26 (ContactBabel; Gartner, "
                               "2016-2024); a manual correction cents to a dollar"),
    "events_per_year": (0, 52, "more than weekly input shifts is continuous change, not "
                               "discrete drift events"),
    "error_increase": (0, 0.2, "an unhandled shift costing 20 points of error rate at once "
                               "is a broken model, not drift"),
    "annual_decline": (0, 0.95, "list prices at constant capability fell ~10x a year (a16z "
                                "'LLMflation', 2024-11-12), i.e. a decline of 0.9"),
    "event_multiplier": (0.05, 5, "in-place list-price changes were 0.10-2.73 new/old over "
                                  "16 events in 2024-2026, successor ratios up to 4.9 "
                                  "(LiteLLM / pydantic genai-prices / simonw llm-prices tables)"),
    "price_input_per_mtok": (0, 1000, "list prices run from cents to $15 in / $75 out per "
                                      "MTok (Claude Opus 4, 2025); a per-1k price written "
                                      "as per-million is 1000x"),
    "price_output_per_mtok": (0, 1000, "as price_input_per_mtok"),
    "prompt_overhead_tokens": (0, 1e5, "system prompt, policies and few-shot examples are "
                                       "300-4,000 tokens (practitioner write-ups, 2025-26)"),
    "output_token_ratio": (0.1, 10, "an option answering 10x longer or shorter than the "
                                    "baseline for the same task suggests a slip"),
    "lead_time_months": (0, 36, "a fine-tune that takes three years to go live outlives its "
                                "base model (API models live 12-40 months)"),
    "error_rate_gap": (-0.3, 0.3, "a fraction, option minus baseline: fine-tunes land within "
                                  "about 10 points of a prompted frontier model (LoRA Land, "
                                  "Zhao et al., arXiv 2405.00732, 2024); 1.5 for 1.5 points is "
                                  "150 points"),
    "max_acceptable_gap": (-0.3, 0.3, "as error_rate_gap (inf, never abandoned, is allowed)"),
    "gpu_hourly_cost": (0.05, 200, "$0.29 (L4 spot) to $12.3 (hyperscaler H100) per GPU-hour "
                                   "(AWS, Lambda, Modal, RunPod price pages, 2025-26)"),
    "training_gpu_hourly_cost": (0.05, 200, "as gpu_hourly_cost"),
    "throughput_tokens_per_second": (1, 1e6, "an 8B model serves 44-12,500 tokens/s per GPU "
                                             "under vLLM (Koyeb benchmarks, 2025-12)"),
    "requests_per_second": (0.01, 1e4, "0.1-10 requests/s per GPU for support and extraction "
                                       "shapes (vLLM benchmarks, 2025-26)"),
    "utilization": (0.05, 1, "provisioned capacity is used 25-80 % on average"),
    "min_gpus": (0, 1000, "a fine-tuned small model fits on a handful of GPUs"),
    "hours_per_month": (24, 744, "730 is a full month, ~170 business hours; under a day a "
                                 "month suggests a slip"),
    "examples": (0, 1e7, "narrow production tasks use 500-20,000 training examples (LoRA Land; "
                         "OpenAI fine-tuning guide, 2025-26)"),
    "tokens_per_example": (0, 1e5, "chat-format examples are 500-5,000 tokens"),
    "epochs": (0, 50, "OpenAI allows 1-50 epochs; 3-4 is common advice"),
    "trials": (0, 100, "a few checkpoints or hyper-parameter runs, not hundreds"),
    "gpu_hours": (0, 1e5, "a LoRA on an 8B model takes 1-6 GPU-hours per run"),
    "training_price_per_mtok": (0, 1000, "$0.46-25 per MTok trained (Together, Fireworks, "
                                         "OpenAI price pages, 2024-26)"),
    "data_cost_per_example": (0, 1000, "human labelling is $0.25-150 per item (eval.qa, "
                                       "2026)"),
    "eval_setup_cost": (0, 1e7, "an evaluation set costs $500-50,000 to build"),
    "eval_cost_per_run": (0, 1e6, "an LLM-judge pass over 1k samples is $5-500"),
    "engineering_cost": (0, 1e7, "10-60 engineer-days at $600-1,200 a day (BLS OEWS 2023-24 "
                                 "wages, loaded)"),
    "retrain_every_months": (0, 60, "a schedule beyond five years never fires in practice"),
    "detection_lag_months": (0, 24, "a shift noticed after two years is not monitored"),
    "retrain_cost": (0, 1e7, "2-12 engineer-days plus evaluation per retrain"),
    "base_model_updates_per_year": (0, 12, "open-weight model families refresh every 2-12 "
                                           "months (Llama 3 to 4, 2024-25)"),
}
PRICE_PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "events_per_year": (0, 12, "0.3-1.5 in-place list-price events a year per provider tier "
                               "(2024-06..2026-09 price histories)"),
}


def plausible_range(key_path: str) -> tuple[float, float, str] | None:
    """The plausible range of a key, by its full dotted path (None: no warning applies)."""
    key = key_path.rsplit(".", 1)[-1]
    if key_path.startswith("prices.") and key in PRICE_PLAUSIBLE:
        return PRICE_PLAUSIBLE[key]
    return PLAUSIBLE.get(key)


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
    "rho": "Spearman rank correlation",
}

# Texts: name keys -> most characters; at least one character, printable, no control
# characters (a newline would forge report headings or error lines).
TEXT_LIMITS: dict[str, int] = {"name": 120, "currency": 12}
MAX_ID = 64  # option ids and price index names (bare TOML keys)

# Keys the model clips (MODEL.md section 4: e_O,t = clip(e_B + gap + X_t, 0, 1)), so a random
# law may spill past the range (MODEL.md's own example: an untruncated normal gap); its median
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
SERVING_MODE_KEYS = {
    "gpu": (*SERVING_NUMERIC["gpu"], *CAPACITY_KEYS),
    "api": tuple(SERVING_NUMERIC["api"]),
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

TOP_LEVEL = ("scenario", "simulation", "traffic", "rag", "quality", "drift", "prices",
             "baseline", "options", "correlations")
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
    return homes


_WORLD_HOMES = _world_homes()
