"""Hard and plausible ranges of the scenario keys (docs/scenario.md), by key name."""

from __future__ import annotations

import math

__all__ = ["INF", "Bounds", "ALLOWED_RANGES", "PRICE_RANGES", "PILOT_RANGES", "hard_range",
           "PLAUSIBLE", "PRICE_PLAUSIBLE", "PILOT_PLAUSIBLE", "plausible_range"]

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
    # [report]: each NPV target, money in the scenario currency
    "npv_targets": (-1e12, 1e12, False, False),
}
# [prices.<name>] keys whose range differs from the same key name elsewhere: a price index
# with more than weekly list-price events is not a price index any more.
PRICE_RANGES: dict[str, Bounds] = {"events_per_year": (0, 52, False, False)}
# [[pilots]] keys (pilots[i].<key>): their own table, so build.examples' range does not apply.
PILOT_RANGES: dict[str, Bounds] = {
    "examples": (1, 1e9, False, False),
    "noise_sd_per_example": (0, 1e12, False, False),  # 0: a perfect measurement
    "cost": (0, 1e12, False, False),
    "duration_months": (0, 600, False, False),
}


def hard_range(key_path: str) -> Bounds | None:
    """The hard range of a key, by its full dotted path (None: unrestricted)."""
    key = key_path.rsplit(".", 1)[-1]
    if key_path.startswith("pilots"):
        return PILOT_RANGES.get(key)
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


PILOT_PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "examples": (20, 1e5, "an evaluation set of a production LLM feature holds 200 / 500 / "
                          "2,000 labelled items (wavect.io layered-eval guidance, 2026-06-01)"),
    "duration_months": (0, 12, "a study longer than a year is a project, not a pilot"),
}


def plausible_range(key_path: str) -> tuple[float, float, str] | None:
    """The plausible range of a key, by its full dotted path (None: no warning applies)."""
    key = key_path.rsplit(".", 1)[-1]
    if key_path.startswith("pilots"):
        return PILOT_PLAUSIBLE.get(key)
    if key_path.startswith("prices.") and key in PRICE_PLAUSIBLE:
        return PRICE_PLAUSIBLE[key]
    return PLAUSIBLE.get(key)
