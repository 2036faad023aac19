"""The seed article's five-question "Practical decision check", judged per option as pass,
fail or unknown against a stated threshold, and consistent with the simulated verdict (the
volume question passes only when the simulated probability of payback does)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..core.summary_types import OptionSummary, Summary
from ..distributions import Distribution
from ..format import (
    format_count,
    format_money,
    format_months,
    format_number,
    format_probability,
    plain_numbers,
)
from ..scenario import OptionSpec, Scenario
from .sentences import best_tenth, input_value_text, p_equals, significant_drivers

__all__ = ["Status", "STATUS_LABELS", "STATUS_TONES", "CheckResult", "ChecklistItem",
           "volume_band", "decision_checklist", "option_statuses", "ABANDON_LIMIT"]

Status = Literal["pass", "fail", "unknown"]
STATUS_LABELS: dict[str, str] = {"pass": "PASS", "fail": "FAIL", "unknown": "UNKNOWN"}
STATUS_TONES: dict[str, Literal["good", "bad", "warn"]] = {
    "pass": "good", "fail": "bad", "unknown": "warn"}
# P(abandoned) from which the quality-gap question fails: one build in twenty sinks its cost.
ABANDON_LIMIT = 0.05
_DRIFT_KEYS = ("drift.events_per_year", "drift.error_increase")


@dataclass(frozen=True)
class CheckResult:
    """One option's answer to one question."""

    option_id: str
    status: Status
    answer: str


@dataclass(frozen=True)
class ChecklistItem:
    """One question of the article's decision check, its threshold, and each option's answer."""

    number: int
    question: str
    threshold: str
    results: tuple[CheckResult, ...]

    @property
    def status(self) -> Status:
        """The worst answer over the options (fail, then unknown, then pass)."""
        statuses = {r.status for r in self.results}
        return "fail" if "fail" in statuses else "unknown" if "unknown" in statuses else "pass"


def _mean(dist: Distribution) -> float:
    return float(dist.mean)


def volume_band(tokens_per_month: float) -> str:
    """The article's volume band: "below 10M", "10–100M" (bounds included) or "above 100M"."""
    if tokens_per_month < 10e6:
        return "below 10M"
    if tokens_per_month <= 100e6:
        return "10–100M"
    return "above 100M"


_BAND_GUIDANCE = {
    "below 10M": "prompting is cheaper",
    "10–100M": "fine-tuning may break even",
    "above 100M": "fine-tuning usually wins",
}


def _input(option: OptionSpec, option_id: str, key: str) -> Distribution:
    return option.inputs[f"options.{option_id}.{key}"].dist


def _cadence_text(option: OptionSpec, option_id: str) -> tuple[float, str]:
    """(scheduled interval in months or 0, the retraining policy in words)."""
    every = _mean(_input(option, option_id, "maintenance.retrain_every_months"))
    lag = _mean(_input(option, option_id, "maintenance.detection_lag_months"))
    parts = []
    if every > 0:
        parts.append(f"every {format_months(every)}")
    if option.retrain_on_drift:
        parts.append(f"on drift, detected {format_months(lag)} after it" if lag > 0
                     else "on drift, in the month it happens")
    return every, " and ".join(parts) or "never"


def _stability(summary: Summary, scenario: Scenario, option_id: str) -> CheckResult:
    option = scenario.options[option_id]
    rate = _mean(scenario.inputs["drift.events_per_year"].dist)
    every, policy = _cadence_text(option, option_id)
    if rate == 0:
        return CheckResult(option_id, "pass", "No drift events in the scenario: the task is "
                           f"taken as stable; retraining {policy}.")
    interval = f"one drift event every {format_number(12 / rate)} months on average"
    if option.retrain_on_drift:
        return CheckResult(option_id, "pass", f"{interval.capitalize()}; it retrains {policy}: "
                           "keeps up.")
    if every > 0:
        per_cycle = rate * every / 12
        status: Status = "pass" if per_cycle <= 1 else "fail"
        return CheckResult(option_id, status, f"{interval.capitalize()}; it retrains {policy}: "
                           f"{format_number(per_cycle)} drift events per cycle.")
    return CheckResult(option_id, "fail", f"{interval.capitalize()}; it never retrains for "
                       "drift, so its errors build up to the cap.")


def _volume(summary: Summary, scenario: Scenario, option_id: str) -> CheckResult:
    option = summary.options[option_id]
    tokens = summary.tokens_per_month
    required = format_probability(summary.simulation.required_probability)
    by_verdict: dict[str, Status] = {"go": "pass", "no-go": "fail"}
    status = by_verdict.get(option.verdict, "unknown")
    p_text = (f"simulated P(payback) {format_probability(option.p_payback_within)} against "
              f"the required {required}")
    if tokens.p50 is None:
        band_text = "Tokens per month are not finite on every path"
    else:
        band = volume_band(tokens.p50)
        band_text = (f"Median {format_count(tokens.p50)} tokens per month on the baseline "
                     f"(P5 {format_count(tokens.p5)}, P95 {format_count(tokens.p95)}): "
                     f"{band}, where the article says {_BAND_GUIDANCE[band]}")
    answer = f"{band_text}; {p_text}."
    volume_row = next((r for r in significant_drivers(option)
                       if r.input == "traffic.requests_per_month"), None)
    if volume_row is not None:
        tenth = best_tenth(volume_row, option, summary.scenario.currency)
        answer += (f" With the requests per month {tenth.where()} (its best tenth), "
                   f"{p_equals(tenth.p)}.")
    else:
        answer += " Volume is not a significant driver of payback here."
    return CheckResult(option_id, status, answer)


def _evaluation(summary: Summary, scenario: Scenario, option_id: str) -> CheckResult:
    option = scenario.options[option_id]
    setup = _input(option, option_id, "build.eval_setup_cost")
    missing = []
    if setup.is_fixed and _mean(setup) == 0:
        missing.append("no evaluation setup cost (test sets, metrics, baseline comparison)")
    if not option.retrain_on_drift:
        missing.append("no production monitoring (retrain_on_drift = false)")
    if missing:
        return CheckResult(option_id, "fail", "; ".join(missing).capitalize() + ": a blocker "
                           "per the article.")
    return CheckResult(option_id, "pass", f"Evaluation setup budgeted ({plain_numbers(setup.describe())}, "
                       f"mean {format_money(_mean(setup), scenario.currency)}) and production "
                       "monitoring on.")


def _quality_gap(summary: Summary, scenario: Scenario, option_id: str) -> CheckResult:
    option = summary.options[option_id]
    spec = scenario.options[option_id]
    gap = _input(spec, option_id, "error_rate_gap")
    limit = _mean(_input(spec, option_id, "max_acceptable_gap"))
    currency = summary.scenario.currency
    key = f"options.{option_id}.error_rate_gap"
    limit_text = (f"abandoned above {input_value_text(key, limit, currency)}"
                  if math.isfinite(limit) else "no abandonment threshold")
    mean = input_value_text(key, _mean(gap), currency)
    answer = (f"Error-rate gap {plain_numbers(gap.describe())} (mean {mean}), {limit_text}: "
              f"P(abandoned) {format_probability(option.p_abandoned)}.")
    drivers = significant_drivers(option)
    decides = bool(drivers) and drivers[0].input == key
    if gap.is_fixed and _mean(gap) == 0:
        return CheckResult(option_id, "unknown", answer + " The gap is assumed to be exactly "
                           "zero: benchmark it before fine-tuning.")
    if option.p_abandoned is not None and option.p_abandoned >= ABANDON_LIMIT:
        return CheckResult(option_id, "fail", answer + " Too many builds fail the quality bar.")
    if decides and option.verdict != "go":
        status: Status = "fail" if option.verdict == "no-go" else "unknown"
        return CheckResult(option_id, status, answer + " The gap is the input that decides "
                           "the verdict: benchmark it before building.")
    return CheckResult(option_id, "pass", answer)


def _change_rate(summary: Summary, scenario: Scenario, option_id: str) -> CheckResult:
    option = summary.options[option_id]
    spec = scenario.options[option_id]
    rate = _mean(scenario.inputs["drift.events_per_year"].dist)
    years = summary.simulation.horizon_months / 12
    retrains = option.mean_retrains
    per_year = retrains / years if retrains is not None else None
    answer = (f"The data changes {format_number(rate)} times a year on average; the option "
              f"is retrained {format_number(per_year)} times a year (mean over all paths, all "
              "causes).")
    drift_rows = [r for r in significant_drivers(option) if r.input in _DRIFT_KEYS]
    if drift_rows and option.verdict == "no-go":
        labels = " and ".join(r.label.lower() for r in drift_rows)
        return CheckResult(option_id, "fail", answer + f" The {labels} significantly lower "
                           "P(payback).")
    if rate == 0 or spec.retrain_on_drift or (per_year is not None and per_year >= rate):
        return CheckResult(option_id, "pass", answer)
    if per_year is None:
        return CheckResult(option_id, "unknown", answer)
    return CheckResult(option_id, "fail", answer + " The data changes more often than the "
                       "model is retrained.")


_Check = Callable[[Summary, Scenario, str], CheckResult]
_QUESTIONS: tuple[tuple[str, str, _Check], ...] = (
    ("Is the task pattern stable?",
     "Pass when the option retrains on detected drift, or its schedule sees at most one "
     "drift event per retraining cycle.", _stability),
    ("Is the volume high enough?",
     "Pass when the simulated P(payback) meets the required probability (verdict go); fail "
     "on no-go; unknown when uncertain. The article's bands are shown for reference.",
     _volume),
    ("Is evaluation infrastructure in place?",
     "Pass when an evaluation setup cost is budgeted and production is monitored "
     "(retrain on drift); fail otherwise: a blocker.", _evaluation),
    ("Can a smaller model match the larger prompted model?",
     f"Pass when P(abandoned) is below {format_probability(ABANDON_LIMIT)} and the error-rate "
     "gap does not decide a no-go; unknown when the gap is assumed exactly zero.",
     _quality_gap),
    ("How often does the data distribution change, compared with retraining?",
     "Pass when retraining (all causes) is at least as frequent as drift, and no drift input "
     "significantly lowers the payback of a no-go option.", _change_rate),
)


def decision_checklist(summary: Summary, scenario: Scenario) -> tuple[ChecklistItem, ...]:
    """Answer the article's five questions for every option of the run."""
    options: list[str] = [oid for oid in summary.options if oid in scenario.options]
    return tuple(
        ChecklistItem(number, question, threshold,
                      tuple(check(summary, scenario, oid) for oid in options))
        for number, (question, threshold, check) in enumerate(_QUESTIONS, start=1))


def option_statuses(items: tuple[ChecklistItem, ...], option: OptionSummary) -> list[Status]:
    """One option's five statuses in question order."""
    return [r.status for item in items for r in item.results if r.option_id == option.id]
