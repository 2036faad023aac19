"""The report's key sentences in plain words: why an option gets its verdict and what would
change it, from the significant drivers only. No matplotlib here: the terminal prints them.

An input's effect is read from its driver row: P(payback within N) among the paths where
the input lies in its bottom tenth (at or below its P10) against its top tenth (at or above
its P90). The "best tenth" is the one with the higher probability.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..format import format_count, format_money, format_number, format_points, format_probability

if TYPE_CHECKING:  # pragma: no cover
    from ..core.summary_types import DriverRow, OptionSummary, Summary

__all__ = ["p_equals", "input_value_text", "short_label", "significant_drivers", "Tenth", "best_tenth",
           "worst_tenth", "verdict_headline", "verdict_reason", "change_sentence"]

VERDICT_WORDS = {"go": "GO", "no-go": "NO-GO", "uncertain": "UNCERTAIN"}


def p_equals(p: float | None) -> str:
    """``P = 34.0%``, ``P < 0.1%``, ``P > 99.9%`` (never ``P = <0.1%``)."""
    text = format_probability(p)
    return f"P {text[0]} {text[1:]}" if text[0] in "<>" else f"P = {text}"


def _percent(x: float) -> str:
    return f"{format_number(100 * x)}%"


def _signed_percent(x: float) -> str:
    return ("+" if x > 0 else "") + _percent(x)


def _times(x: float) -> str:
    return f"{format_number(x)}×"


# The last part of an input's key -> how its values read in a sentence.
_VALUE_KINDS: dict[str, str] = {
    "error_rate_gap": "signed_pp", "error_increase": "pp", "max_error_increase": "pp",
    "max_acceptable_gap": "pp", "baseline_error_rate": "percent",
    "monthly_growth": "signed_percent", "monthly_volatility": "percent",
    "annual_decline": "percent", "cached_share": "percent", "utilization": "percent",
    "escalation_rate": "percent",
    "event_multiplier": "times", "output_token_ratio": "times", "cached_price_factor": "times",
    "cost_per_error": "money", "monthly_cost": "money", "gpu_hourly_cost": "money",
    "training_gpu_hourly_cost": "money", "price_input_per_mtok": "money_per_mtok",
    "price_output_per_mtok": "money_per_mtok", "training_price_per_mtok": "money_per_mtok",
    "data_cost_per_example": "money", "eval_setup_cost": "money", "eval_cost_per_run": "money",
    "engineering_cost": "money", "retrain_cost": "money",
    "lead_time_months": "months", "retrain_every_months": "months",
    "detection_lag_months": "months",
    "events_per_year": "per_year", "base_model_updates_per_year": "per_year",
    "requests_per_month": "count", "input_tokens": "tokens", "output_tokens": "tokens",
    "context_tokens": "tokens", "prompt_overhead_tokens": "tokens",
}


_COMPACT = {"money_per_mtok": "money", "tokens": "number", "months": "number",
            "per_year": "number", "count": "number"}


def input_value_text(key: str, value: float | None, currency: str,
                     compact: bool = False) -> str:
    """A value of the input ``key`` as it reads in a sentence: ``+0.3 pp`` for an error-rate
    gap, ``25%`` for a share, ``1.50 USD per MTok`` for a price, ``2 months``, ``2.7 a
    year``, ``220k`` for requests; never an exponent. ``compact`` (table cells whose label
    names the unit) drops unit words: ``1.50 USD``, ``2``, ``2.7``, ``220,000``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    kind = _VALUE_KINDS.get(key.rsplit(".", 1)[-1], "number")
    if compact:
        kind = _COMPACT.get(kind, kind)
    writers: dict[str, Callable[[float], str]] = {
        "signed_pp": format_points,
        "pp": lambda v: format_points(v, signed=False),
        "percent": _percent,
        "signed_percent": _signed_percent,
        "times": _times,
        "money": lambda v: format_money(v, currency),
        "money_per_mtok": lambda v: f"{format_money(v, currency)} per MTok",
        "months": lambda v: f"{format_number(v)} month{'' if v == 1 else 's'}",
        "per_year": lambda v: f"{format_number(v)} a year",
        "count": format_count,
        "tokens": lambda v: f"{format_number(v)} tokens",
        "number": format_number,
    }
    return writers[kind](value)


def short_label(row: DriverRow, option: OptionSummary) -> str:
    """The driver's label without the option's name (the sentence is about that option),
    starting lower case unless it starts with an acronym: "error-rate gap", "GPU hourly
    cost"."""
    label = row.label
    suffix = f", {option.name}"
    if label.endswith(suffix) and len(label) > len(suffix):
        label = label[: -len(suffix)]
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        label = label[0].lower() + label[1:]
    return label


def significant_drivers(option: OptionSummary) -> list[DriverRow]:
    """The option's drivers whose effect on P(payback) is beyond Monte Carlo noise, with a
    known swing and known probabilities in both tenths, in the summary's order (largest
    swing first)."""
    return [row for row in option.drivers
            if row.significant and row.swing is not None and row.p_payback_low is not None
            and row.p_payback_high is not None]


class Tenth:
    """One outer tenth of an input's draws: where it lies, and P(payback) there."""

    def __init__(self, row: DriverRow, option: OptionSummary, currency: str, top: bool):
        self.label = short_label(row, option)
        self.top = top
        bound = row.high_above if top else row.low_below
        self.bound_text = input_value_text(row.input, bound, currency)
        probability = row.p_payback_high if top else row.p_payback_low
        self.p = float(probability) if probability is not None else math.nan

    def where(self) -> str:
        """``above +2.8 pp`` / ``below +0.3 pp``."""
        return f"{'above' if self.top else 'below'} {self.bound_text}"


def best_tenth(row: DriverRow, option: OptionSummary, currency: str) -> Tenth:
    """The outer tenth with the higher P(payback) (the top one on a tie)."""
    low, high = row.p_payback_low or 0.0, row.p_payback_high or 0.0
    return Tenth(row, option, currency, top=high >= low)


def worst_tenth(row: DriverRow, option: OptionSummary, currency: str) -> Tenth:
    low, high = row.p_payback_low or 0.0, row.p_payback_high or 0.0
    return Tenth(row, option, currency, top=high < low)


def _flat(option: OptionSummary) -> bool:
    """True when no input moves P(payback) at all (every swing exactly 0 or unknown)."""
    return all(not row.swing for row in option.drivers)


def verdict_headline(option: OptionSummary) -> str:
    """``LoRA 8B provider: NO-GO``."""
    return f"{option.name}: {VERDICT_WORDS.get(option.verdict, option.verdict.upper())}"


def _probability_clause(option: OptionSummary, summary: Summary) -> str:
    low, high = option.p_payback_within_ci95
    required = format_probability(summary.simulation.required_probability)
    side = {"go": "above", "no-go": "below"}.get(option.verdict, "around")
    return (f"P(payback) = {format_probability(option.p_payback_within)} (95% interval "
            f"{format_probability(low)}–{format_probability(high)}), {side} the required "
            f"{required}")


def verdict_reason(option: OptionSummary, summary: Summary) -> str:
    """Why the option gets its verdict, in two or three sentences: the share of simulated
    futures that miss the deadline, the abandoned share when it matters, and the input that
    decides it (the significant driver with the largest swing) with its thresholds, e.g.
    "Where the error-rate gap is below +0.3 pp (its best tenth), P = 92.0%; where it is
    above +2.8 pp (its worst tenth), P = 0.0%." Non-significant drivers are never named."""
    deadline = summary.simulation.payback_within_months
    p = option.p_payback_within
    miss = format_probability(1 - p) if p is not None and math.isfinite(p) else "n/a"
    text = (f"{miss} of the simulated futures do not pay back within {deadline} months: "
            f"{_probability_clause(option, summary)}.")
    if option.p_abandoned is not None and option.p_abandoned >= 0.05:
        text += (f" {format_probability(option.p_abandoned)} of the builds are abandoned "
                 "(quality gap above the acceptable maximum).")
    drivers = significant_drivers(option)
    if not drivers:
        if not option.drivers:
            return text + " Every input is fixed, so no input's range can change it."
        if _flat(option):
            return text + " No input moves it: it is the same in every input's outer tenths."
        return (text + f" No input moves it beyond the Monte Carlo noise of "
                f"{summary.simulation.paths:,} paths.")
    row = drivers[0]
    currency = summary.scenario.currency
    best, worst = best_tenth(row, option, currency), worst_tenth(row, option, currency)
    label = best.label
    return (text + f" The {label} decides it most: where it is {best.where()} (its best tenth), "
            f"{p_equals(best.p)}; where it is {worst.where()} (its worst tenth), "
            f"{p_equals(worst.p)}.")


def _turning(drivers: list[DriverRow], option: OptionSummary, summary: Summary,
             upward: bool) -> list[Tenth]:
    """Tenths of significant drivers on the other side of the required probability by more
    than twice the Monte Carlo standard error of P in a tenth (sqrt(p (1 - p) / (n / 10))),
    so a tenth that merely grazes the bar is not offered as a way to change the verdict."""
    required = summary.simulation.required_probability
    in_tenth = max(summary.simulation.paths / 10, 1.0)
    out = []
    for row in drivers:
        pick = best_tenth if upward else worst_tenth
        tenth = pick(row, option, summary.scenario.currency)
        margin = 2 * math.sqrt(max(tenth.p * (1 - tenth.p), 0.0) / in_tenth)
        if (tenth.p - required > margin) if upward else (required - tenth.p > margin):
            out.append(tenth)
    return out


def change_sentence(option: OptionSummary, summary: Summary) -> str:
    """What would change the verdict, from significant drivers only: the inputs whose best
    (for a no-go or uncertain option) or worst (for a go) tenth lies on the other side of the
    required probability, with their thresholds; or that no single input does."""
    drivers = significant_drivers(option)
    required = summary.simulation.required_probability
    required_text = format_probability(required)
    currency = summary.scenario.currency
    if not drivers:
        if not option.drivers:
            return "Nothing in the scenario varies: only different input values would change it."
        if _flat(option):
            return ("No input's range changes it: only different values of the inputs (or a "
                    "different design) would.")
        return ("No input is identified as changing it: every effect is within Monte Carlo "
                "noise (more paths would sharpen the estimate).")
    upward = option.verdict != "go"
    turning = _turning(drivers, option, summary, upward)
    if turning:
        clauses = [f"the {t.label} were known to be {t.where()} ({p_equals(t.p)} in that "
                   "tenth of the draws)" for t in turning[:2]]
        move = "reach" if upward else "fall below"
        sentence = (f"P(payback) would {move} the required {required_text} if "
                    + ", or if ".join(clauses) + ".")
    else:
        row = drivers[0]
        tenth = (best_tenth if upward else worst_tenth)(row, option, currency)
        kind = "best" if upward else "worst"
        side = "short of" if upward else "still above"
        sentence = (f"No single input turns it: even in the {kind} tenth of the strongest "
                    f"driver, the {tenth.label} ({tenth.where()}), {p_equals(tenth.p)}, {side} "
                    f"the required {required_text}.")
    if option.verdict == "uncertain":
        sentence += (" The 95% interval straddles the required probability: more paths "
                     "would settle the Monte Carlo part.")
    return sentence
