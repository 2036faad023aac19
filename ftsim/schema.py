"""What each scenario key may hold (MODEL.md section 3): tables of defaults, kinds and ranges; key checks."""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .distributions import U_EDGE, Distribution, Fixed, safe_ppf
from .errors import ScenarioIssue
from .format import show_value

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
    "REFERENCE_BEGIN",
    "REFERENCE_END",
    "render_reference_tables",
    "update_reference",
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


# --------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------


def _show(value: object) -> str:
    """The value found, as TOML text, shortened for messages."""
    return show_value(value)


def _num(x: float) -> str:
    """A bound or value for messages: integers in full (seed's 2**63 - 1), else %g as 1e12."""
    if isinstance(x, int) and not isinstance(x, bool):
        if abs(x) < 10**19:
            return str(x)
        x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:g}"
    if "e" in text:  # 1e+06 -> 1e6, 1e-06 -> 1e-6
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _within(x: float, bounds: Bounds) -> bool:
    lo, hi, lo_open, hi_open = bounds
    above_lo = x > lo if lo_open else x >= lo
    below_hi = x < hi if hi_open else x <= hi
    return above_lo and below_hi  # False for nan


def _range_text(bounds: Bounds) -> str:
    lo, hi, lo_open, hi_open = bounds
    if hi == INF and not math.isinf(lo) and hi_open:
        return f"{'>' if lo_open else '>='} {_num(lo)}"
    return f"in {'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _join(prefix: str, key: str) -> str:
    """``prefix.key``, the key quoted as in TOML unless bare (an empty or dotted key written
    in quotes must not read as another path, or as no path at all)."""
    if not _BARE.fullmatch(key):
        key = json.dumps(key)
    return f"{prefix}.{key}" if prefix else key


# --------------------------------------------------------------------------------------
# Key-level checks against the tables above
# --------------------------------------------------------------------------------------


class _SchemaReader:
    """Generic readers: a key's table, type, enum, range and support checked against the schema,
    every issue recorded with its key path (the scenario parser builds on these)."""

    def __init__(self) -> None:
        self.issues: list[ScenarioIssue] = []
        self.warnings: list[ScenarioIssue] = []

    def issue(self, key_path: str, message: str) -> None:
        self.issues.append(ScenarioIssue(key_path, message))

    def warn(self, key_path: str, message: str) -> None:
        self.warnings.append(ScenarioIssue(key_path, message))

    # -- generic readers ---------------------------------------------------------------

    def table(self, parent: Mapping[str, object], key: str, path: str,
              required: bool = False) -> dict[str, object] | None:
        """``parent[key]`` if it is a table; None (with an issue if it is required) otherwise."""
        if key not in parent:
            if required:
                self.issue(path, f"missing required table [{path}]")
            return None
        value = parent[key]
        if not isinstance(value, dict):
            self.issue(path, f"expected a table [{path}], got {_show(value)}")
            return None
        return value

    def check_keys(self, table: Mapping[str, object], prefix: str, allowed: Iterable[str],
                   foreign: Mapping[str, str] | None = None,
                   homes: Mapping[str, str] | None = None) -> None:
        """Report every key not in ``allowed``.

        ``foreign`` maps keys of the other serving/training mode to the reason; ``homes``
        maps keys that live in another table to that table, for the hint.
        """
        allowed = tuple(allowed)
        for key, value in table.items():
            if key in allowed:
                continue
            path = _join(prefix, key)
            if foreign and key in foreign:
                self.issue(path, f"{foreign[key]} (found {_show(value)})")
                continue
            what = "table" if isinstance(value, dict) else "key"
            if homes and key in homes:
                hint = f"; it belongs in {homes[key]}"
            else:
                hint = _suggest(key, allowed) or f"; allowed: {', '.join(sorted(allowed))}"
            self.issue(path, f"unknown {what} {key!r} (found {_show(value)}){hint}")

    def plain(self, table: Mapping[str, object], prefix: str, key: str, kind: str,
              default: object, quiet: bool = False) -> Any:
        """A plain-valued key, type-, enum- and range-checked; None when invalid or missing.

        Typed ``Any``: the value has the Python type of ``kind`` (checked here) or is None.
        """
        path = _join(prefix, key)
        if key not in table:
            if isinstance(default, _Required):
                if not quiet:
                    self.issue(path, "missing required key")
                return None
            return default
        value = table[key]
        ok = isinstance(value, _KIND_TYPES[kind])
        if kind != "boolean" and isinstance(value, bool):
            ok = False
        if not ok:
            note = ""
            if isinstance(value, dict):
                note = " (this key takes a plain value, not a table or distribution)"
            self.issue(path, f"expected {_KIND_TEXT[kind]}, got {_show(value)}{note}")
            return None
        if kind == "number":
            if isinstance(value, int) and not -1e308 < value < 1e308:
                self.issue(path, f"number {_show(value)} is out of range")
                return None
            value = float(value)
        if key in ENUMS and value not in ENUMS[key]:
            choices = ", ".join(repr(c) for c in ENUMS[key])
            self.issue(path, f"unknown {_ENUM_LABEL[key]} {_show(value)}; expected one of "
                             f"{choices}{_suggest(str(value), ENUMS[key])}")
            return None
        if kind == "string" and key in TEXT_LIMITS and not self.check_text(path, value,
                                                                           TEXT_LIMITS[key]):
            return None
        bounds = hard_range(path)
        if bounds is not None and kind in ("integer", "number"):
            if not self.check_value(path, bounds, value, table[key]):
                return None
            self.check_plausible(path, Fixed(value), table[key])
        return value

    def check_text(self, path: str, value: str, limit: int) -> bool:
        """A name or currency: 1..limit printable characters, no control characters."""
        if not value:
            self.issue(path, "must not be empty")
        elif len(value) > limit:
            self.issue(path, f"must be at most {limit} characters, got {len(value)}: "
                             f"{_show(value)}")
        elif not value.isprintable():
            bad = next(c for c in value if not c.isprintable())
            self.issue(path, f"must be printable text without control characters, got "
                             f"{_show(value)} (contains U+{ord(bad):04X})")
        else:
            return True
        return False

    def check_value(self, path: str, bounds: Bounds, x: float, written: object = None) -> bool:
        if _within(x, bounds):
            return True
        shown = _show(x if written is None else written)
        text = _range_text(bounds)
        if math.isinf(x) and x in (bounds[0], bounds[1]):
            text = f"finite and {text}"
        self.issue(path, f"must be {text}, got {shown}")
        return False

    def check_support(self, path: str, key: str, dist: Distribution, written: object) -> bool:
        """Reject a law whose reachable values the key does not allow; True when accepted.

        Reachable = between its quantiles at 2**-53 and 1 - 2**-53 (the sampler's extreme
        uniforms), after truncation. A law whose support lies inside the range is accepted
        without evaluating it; others are evaluated there (overflow to inf is a value).
        """
        bounds = hard_range(path)
        if bounds is None:
            return True
        if dist.is_fixed:
            return self.check_value(path, bounds, dist.support[0], written)
        lo, hi, lo_open, hi_open = bounds
        desc = dist.describe()
        if key in CLIPPED_KEYS:
            q = safe_ppf(dist, (U_EDGE, 0.5, 1 - U_EDGE))
            if q is None or not np.isfinite(q).all():
                self.issue(path, f"{desc} reaches non-finite values; the key must be "
                                 f"{_range_text(bounds)} (values beyond are clipped)")
                return False
            if not _within(float(q[1]), bounds):
                self.issue(path, f"{desc} has median {_num(float(q[1]))}; the key must be "
                                 f"{_range_text(bounds)}")
                return False
            return True
        s_lo, s_hi = dist.support
        if _within(s_lo, bounds) and _within(s_hi, bounds):
            return True
        q = safe_ppf(dist, (U_EDGE, 1 - U_EDGE))
        if q is None:
            self.issue(path, f"{desc} cannot be evaluated at its extreme quantiles")
            return False
        r_lo, r_hi = float(q[0]), float(q[1])
        low_bad = not (r_lo > lo if lo_open else r_lo >= lo)
        high_bad = not (r_hi < hi if hi_open else r_hi <= hi)
        if not (low_bad or high_bad):
            return True
        sides = []
        if low_bad:
            sides.append(f"the value {_num(lo)}" if r_lo == lo else f"values below {_num(lo)}")
        if high_bad:
            sides.append(f"the value {_num(hi)}" if r_hi == hi else f"values above {_num(hi)}")
        # the suggestion cuts only the offending side(s); the other keeps the law's own end
        t_lo = _num(lo) if low_bad else _num(s_lo)
        t_hi = _num(hi) if high_bad else _num(s_hi)
        if low_bad and lo_open or high_bad and hi_open:
            advice = f"the key must be {_range_text(bounds)}"
        else:
            advice = f"add truncate = [{t_lo}, {t_hi}]"
        self.issue(path, f"{desc} can take {' and '.join(sides)} (reachable "
                         f"{_num(r_lo)}..{_num(r_hi)}, support {_num(s_lo)}..{_num(s_hi)}); "
                         f"{advice}")
        return False

    def check_plausible(self, path: str, dist: Distribution, written: object) -> None:
        """One warning when a written value (or a random law's P5 or P95) is implausible."""
        found = plausible_range(path)
        if found is None:
            return
        lo, hi, _why = found
        unit = UNITS.get(path.rsplit(".", 1)[-1], "")
        unit_text = f" ({unit})" if unit else ""
        if dist.is_fixed:
            x = dist.support[0]
            if math.isinf(x) or lo <= x <= hi:  # inf: a sentinel (max_acceptable_gap)
                return
            what = f"{_show(written)} is"
        else:
            q = safe_ppf(dist, (0.05, 0.95))
            if q is None or (lo <= q[0] and q[1] <= hi):
                return
            what = f"{dist.describe()} has P5..P95 = {_num(float(q[0]))}..{_num(float(q[1]))},"
        self.warn(path, f"{what} outside the plausible range [{_num(lo)}, {_num(hi)}]"
                        f"{unit_text}; kept, but check the value and its unit")

    def price_ref(self, path: str, name: object, defined: Iterable[str]) -> None:
        """An index that is neither defined nor built in ("api", "gpu") is an error."""
        known = {*BUILTIN_INDICES, *defined}
        if isinstance(name, str) and name not in known:
            self.issue(path, f"price index {_show(name)} is not defined: add [prices.{name}] or "
                             f"use one of {', '.join(sorted(known))}{_suggest(name, known)}")


# --------------------------------------------------------------------------------------
# The reference tables of docs/scenario-reference.md, rendered from the tables above
# --------------------------------------------------------------------------------------

REFERENCE_BEGIN = "<!-- BEGIN KEY TABLES: generated by ftsim.schema.render_reference_tables -->"
REFERENCE_END = "<!-- END KEY TABLES -->"

_PLAIN_DEFAULTS = {
    ("scenario", "name"): "the file name without .toml",
    ("options.<id>", "name"): "the option id",
    ("options.<id>.serving", "price_index"): "the serving mode (\"api\" or \"gpu\")",
    ("options.<id>.build", "training_mode"): "the serving mode",
    ("options.<id>.build", "price_index"): "the training mode (\"api\" or \"gpu\")",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _default_text(table: str, key: str, default: object) -> str:
    if isinstance(default, _Required):
        return "required"
    if (table, key) in _PLAIN_DEFAULTS:
        return _PLAIN_DEFAULTS[(table, key)]
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, str):
        return f'"{default}"'
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return _num(default) if isinstance(default, int | float) else str(default)


def _hard_text(table: str, key: str) -> str:
    if key in TEXT_LIMITS:
        lo = 1
        return f"{lo}-{TEXT_LIMITS[key]} printable characters, no control characters"
    if key in ENUMS:
        return " or ".join(f'"{c}"' for c in ENUMS[key])
    if table == "correlations" and key in ("a", "b"):
        return "the full key path of a random input"
    if key == "price_index":
        return "a defined [prices.<name>], or \"api\" / \"gpu\""
    bounds = hard_range(f"{table}.{key}")
    if bounds is None:
        return ""
    text = _range_text(bounds).removeprefix("in ")
    if key in CLIPPED_KEYS:
        text += " (a random law: its median; values beyond are clipped)"
    if key == "payback_within_months":
        text += " and <= horizon_months"
    if key == "max_acceptable_gap":
        text += " (inf = never abandoned)"
    return text


def _row(table: str, key: str, default: object, kind: str) -> str:
    plausible = plausible_range(f"{table}.{key}")
    p_text, why = ("", "")
    if plausible is not None:
        p_text, why = f"[{_num(plausible[0])}, {_num(plausible[1])}]", plausible[2]
    unit = UNITS.get(key, kind)
    default_text = (default if kind == "number or distribution" and isinstance(default, str)
                    else _default_text(table, key, default))
    cells = [f"`{key}`", str(default_text), unit, _hard_text(table, key), p_text, why]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _section(title: str, table: str, rows: Iterable[tuple[str, object, str]]) -> list[str]:
    out = [f"#### {title}", "",
           "| Key | Default | Unit | Hard range | Plausible range | Why this plausible range |",
           "|---|---|---|---|---|---|"]
    out += [_row(table, key, default, kind) for key, default, kind in rows]
    return [*out, ""]


def _numeric(spec: Mapping[str, object]) -> list[tuple[str, object, str]]:
    return [(k, d, "number or distribution") for k, d in spec.items()]


def _plain(spec: Plain) -> list[tuple[str, object, str]]:
    return [(k, d, kind) for k, (kind, d) in spec.items()]


def render_reference_tables() -> str:
    """Markdown tables of every key: default, unit, hard range, plausible range and why.

    docs/scenario-reference.md holds this text between REFERENCE_BEGIN and REFERENCE_END;
    a test checks it equals this rendering, so the document cannot drift from the code.
    """
    gpu_training = [*_numeric(TRAINING_NUMERIC["gpu"]),
                    ("training_gpu_hourly_cost", "the serving gpu_hourly_cost draw",
                     "number or distribution")]
    sections = [
        ("[scenario]", "scenario", _plain(SCENARIO_PLAIN)),
        ("[simulation]", "simulation", _plain(SIMULATION_PLAIN)),
        ("[traffic] (required)", "traffic", _numeric(WORLD_NUMERIC["traffic"])),
        ("[rag]", "rag", _numeric(WORLD_NUMERIC["rag"])),
        ("[quality]", "quality", _numeric(WORLD_NUMERIC["quality"])),
        ("[drift]", "drift", _numeric(WORLD_NUMERIC["drift"])),
        ("[prices.<name>]", "prices.<name>",
         [*_numeric(PRICE_NUMERIC), ("event_multiplier", 1.0, "number or distribution")]),
        ("[baseline] (required)", "baseline",
         [*_numeric(WORLD_NUMERIC["baseline"]), *_plain(BASELINE_PLAIN)]),
        ("[options.<id>]", "options.<id>", [*_plain(OPTION_PLAIN), *_numeric(OPTION_NUMERIC)]),
        ('[options.<id>.serving], mode = "gpu"', "options.<id>.serving",
         [*_plain(SERVING_PLAIN), *_numeric(SERVING_NUMERIC["gpu"]),
          *[(k, "exactly one of the two", "number or distribution") for k in CAPACITY_KEYS]]),
        ('[options.<id>.serving], mode = "api"', "options.<id>.serving",
         _numeric(SERVING_NUMERIC["api"])),
        ("[options.<id>.build]", "options.<id>.build",
         [*_plain(BUILD_PLAIN), *_numeric(BUILD_NUMERIC)]),
        ('[options.<id>.build], training_mode = "gpu"', "options.<id>.build", gpu_training),
        ('[options.<id>.build], training_mode = "api"', "options.<id>.build",
         _numeric(TRAINING_NUMERIC["api"])),
        ("[options.<id>.maintenance]", "options.<id>.maintenance",
         [*_numeric(MAINTENANCE_NUMERIC), *_plain(MAINTENANCE_PLAIN)]),
        ("[[correlations]]", "correlations", _plain(CORRELATION_PLAIN)),
    ]
    lines: list[str] = []
    for title, table, rows in sections:
        lines += _section(title, table, rows)
    return "\n".join(lines).rstrip("\n") + "\n"


def update_reference(path: str) -> None:
    """Rewrite the generated tables of the scenario reference at ``path`` in place."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    head, rest = text.split(REFERENCE_BEGIN, 1)
    _, tail = rest.split(REFERENCE_END, 1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"{head}{REFERENCE_BEGIN}\n\n{render_reference_tables()}\n{REFERENCE_END}{tail}")
