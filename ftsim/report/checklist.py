"""The article's five-point "Practical decision check", answered from a scenario and its summary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..distributions import Distribution
from ..format import format_count, format_money, format_months, format_probability
from ..scenario import Scenario

__all__ = ["STATUS_LABELS", "STATUS_COLORS", "ChecklistItem", "volume_band", "decision_checklist"]

STATUS_LABELS = {"ok": "OK", "warning": "WARNING", "blocker": "BLOCKER"}
STATUS_COLORS = {"ok": "#1a7f37", "warning": "#b35900", "blocker": "#c62828"}
_STATUS_RANK = {"ok": 0, "warning": 1, "blocker": 2}
# P(abandoned) from which the quality-gap check warns: one path in twenty sinks the build.
_ABANDON_WARNING = 0.05


@dataclass(frozen=True)
class ChecklistItem:
    """One question of the article's "Practical decision check", answered for this run."""

    number: int
    question: str
    answer: str
    status: str  # "ok" | "warning" | "blocker"


def _mean(dist: Distribution) -> float:
    return float(dist.mean)


def _is_zero(dist: Distribution) -> bool:
    return dist.is_fixed and _mean(dist) == 0.0


def _fmt_rate(x: float) -> str:
    return f"{x:.2g}"


def volume_band(tokens_per_month: float) -> str:
    """The article's volume band: "below 10M", "10–100M" (bounds included) or "above 100M"."""
    if tokens_per_month < 10e6:
        return "below 10M"
    if tokens_per_month <= 100e6:
        return "10–100M"
    return "above 100M"


_BAND_GUIDANCE = {
    "below 10M": ("prompting is usually cheaper", "warning"),
    "10–100M": ("fine-tuning may break even: the simulation above decides", "ok"),
    "above 100M": ("fine-tuning usually wins on volume", "ok"),
}


def _worst(statuses: Sequence[str]) -> str:
    return max(statuses, key=_STATUS_RANK.__getitem__, default="ok")


def _cadence(scenario: Scenario, option_id: str) -> tuple[float, bool, float, str]:
    """(scheduled interval K in months or 0, retrain_on_drift, detection lag D, in words)."""
    option = scenario.options[option_id]
    key = f"options.{option_id}.maintenance"
    k_dist = option.inputs[f"{key}.retrain_every_months"].dist
    lag = _mean(option.inputs[f"{key}.detection_lag_months"].dist)
    every = _mean(k_dist)
    parts = []
    if every > 0:
        parts.append(f"every {k_dist.describe()} months" if not k_dist.is_fixed
                     else f"every {format_months(every)}")
    if option.retrain_on_drift:
        parts.append(f"on drift detected {format_months(lag)} after an event" if lag > 0
                     else "on drift in the month it happens")
    return every, option.retrain_on_drift, lag, " and ".join(parts)


def _check_stability(summary: dict[str, Any], scenario: Scenario) -> ChecklistItem:
    drift = scenario.inputs["drift.events_per_year"].dist
    rate = _mean(drift)
    question = "Is the task pattern stable (drift vs planned retraining)?"
    if rate == 0:
        return ChecklistItem(1, question, "No drift events in the scenario: the task is "
                             "assumed stable.", "ok")
    increase = scenario.inputs["drift.error_increase"].dist.describe()
    parts = [f"Drift: {drift.describe()} events per year (mean {_fmt_rate(rate)}, one every "
             f"{12 / rate:.1f} months), each adding {increase} to the error rate until "
             "handled."]
    statuses = []
    for option_id, option in scenario.options.items():
        every, on_drift, _, text = _cadence(scenario, option_id)
        if on_drift:
            parts.append(f"{option.name} retrains {text}: keeps up.")
            statuses.append("ok")
        elif every > 0:
            per_cycle = rate * every / 12
            ok = per_cycle <= 1
            parts.append(f"{option.name} retrains {text}: {per_cycle:.1f} drift events per "
                         "cycle" + (" (keeps up)." if ok else
                                    ", the task changes faster than it is retrained."))
            statuses.append("ok" if ok else "warning")
        else:
            parts.append(f"{option.name} never retrains for drift: its errors build up to "
                         "the cap.")
            statuses.append("warning")
    return ChecklistItem(1, question, " ".join(parts), _worst(statuses))


def _check_volume(summary: dict[str, Any], scenario: Scenario) -> ChecklistItem:
    tokens = summary["volume"]["tokens_per_month"]
    if any(tokens[q] is None for q in ("p5", "p50", "p95")):
        return ChecklistItem(2, "Is the volume high enough?", "The baseline's tokens per month "
                             "are not finite numbers on every path: check the traffic inputs.",
                             "warning")
    band = volume_band(tokens["p50"])
    guidance, status = _BAND_GUIDANCE[band]
    answer = (f"Median {format_count(tokens['p50'])} tokens per month on the baseline "
              f"(P5 {format_count(tokens['p5'])}, P95 {format_count(tokens['p95'])}): the "
              f"{band} tokens/month band, where {guidance}.")
    low, high = volume_band(tokens["p5"]), volume_band(tokens["p95"])
    if low != high:
        answer += f" The P5–P95 range spans the {low} to {high} bands."
    return ChecklistItem(2, "Is the volume high enough?", answer, status)


def _check_evaluation(summary: dict[str, Any], scenario: Scenario) -> ChecklistItem:
    parts, statuses = [], []
    for option_id, option in scenario.options.items():
        eval_dist = option.inputs[f"options.{option_id}.build.eval_setup_cost"].dist
        missing = []
        if _is_zero(eval_dist):
            missing.append("no evaluation setup cost (test sets, metrics, baseline comparison)")
        if not option.retrain_on_drift:
            missing.append("no production monitoring (retrain_on_drift = false)")
        if missing:
            parts.append(f"{option.name}: BLOCKER, " + "; ".join(missing) + ".")
            statuses.append("blocker")
        else:
            parts.append(f"{option.name}: evaluation setup ({eval_dist.describe()}, mean "
                         f"{format_money(_mean(eval_dist), scenario.currency)}) and production "
                         "monitoring (retrain_on_drift) are in the scenario.")
            statuses.append("ok")
    if "blocker" in statuses:
        parts.append("Without automated regression testing nobody can tell whether the "
                     "fine-tune works in production.")
    return ChecklistItem(3, "Is evaluation infrastructure in place?", " ".join(parts),
                         _worst(statuses))


def _check_quality_gap(summary: dict[str, Any], scenario: Scenario) -> ChecklistItem:
    parts, statuses = [], []
    for option_id, option in scenario.options.items():
        gap = option.inputs[f"options.{option_id}.error_rate_gap"].dist
        limit = _mean(option.inputs[f"options.{option_id}.max_acceptable_gap"].dist)
        p_abandoned = summary["options"][option_id]["p_abandoned"]
        limit_text = (f"abandoned when above {limit:g}" if math.isfinite(limit)
                      else "no abandonment threshold")
        text = (f"{option.name}: error-rate gap vs baseline {gap.describe()}, "
                f"mean {_mean(gap):+.3g}, {limit_text}: P(abandoned) "
                f"{format_probability(p_abandoned)}.")
        status = "ok"
        if gap.is_fixed and _mean(gap) == 0:
            text += " The gap is assumed to be exactly zero: benchmark it before fine-tuning."
            status = "warning"
        elif p_abandoned is not None and p_abandoned >= _ABANDON_WARNING:
            text += " It often fails the quality bar, sinking the upfront cost."
            status = "warning"
        parts.append(text)
        statuses.append(status)
    return ChecklistItem(4, "Can a smaller model match the larger prompted model?",
                         " ".join(parts), _worst(statuses))


def _check_change_rate(summary: dict[str, Any], scenario: Scenario) -> ChecklistItem:
    rate = _mean(scenario.inputs["drift.events_per_year"].dist)
    years = summary["simulation"]["horizon_months"] / 12
    question = "How often does the data distribution change, compared with retraining?"
    parts = [f"The distribution changes {_fmt_rate(rate)} times a year on average; retraining "
             "(mean over all paths, all causes):"]
    statuses = []
    for option_id, option in scenario.options.items():
        result = summary["options"][option_id]
        retrains = result["mean_retrains"]
        per_year = retrains / years if retrains is not None else math.nan
        line = (f"{option.name}: retrained {per_year:.2g} times a year" if retrains is not None
                else f"{option.name}: retrained n/a times a year")
        rows = {row["input"]: row for row in result["sensitivity"]}
        if "drift.events_per_year" in rows:
            row = rows["drift.events_per_year"]
            line += (f", P(payback) {format_probability(row['p_payback_low'])} with the rarest "
                     f"vs {format_probability(row['p_payback_high'])} with the most frequent "
                     "drift")
        if rate == 0 or option.retrain_on_drift or per_year >= rate:
            statuses.append("ok")
        else:
            statuses.append("warning")
            line += ": the data changes more often than the model is retrained"
        parts.append(line + ".")
    return ChecklistItem(5, question, " ".join(parts), _worst(statuses))


def decision_checklist(summary: dict[str, Any], scenario: Scenario) -> list[ChecklistItem]:
    """Answer the article's five-point "Practical decision check" from scenario and results.

    1 stability: drift rate vs planned retraining; 2 volume band of the median baseline
    tokens per month; 3 evaluation: eval setup cost and production monitoring, a blocker
    when either is missing; 4 quality gap and P(abandoned); 5 realised retraining vs drift.
    The status of an item is the worst over the options.
    """
    return [check(summary, scenario) for check in (
        _check_stability, _check_volume, _check_evaluation, _check_quality_gap,
        _check_change_rate)]


