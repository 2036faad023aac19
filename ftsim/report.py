"""Summary + Scenario -> the run's report: figures/*.png, report.md and report.pdf (written last).

What the report says is decided here, once, as a list of blocks (headings, paragraphs,
tables, figure pages); ``render_markdown`` turns them into Markdown and
``typeset.render_pdf`` typesets the same blocks on A4 pages, so the two never disagree.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import plots, typeset
from .distributions import Distribution
from .output import atomic_path, atomic_write_text
from .plots import format_money, format_probability
from .scenario import Scenario
from .typeset import Block, Cell, FigurePage, Heading, PageBreak, Paragraph, Table

__all__ = [
    "ChecklistItem",
    "decision_checklist",
    "volume_band",
    "driver_sentence",
    "report_blocks",
    "render_markdown",
    "write_report",
]

STATUS_LABELS = {"ok": "OK", "warning": "WARNING", "blocker": "BLOCKER"}
_STATUS_COLORS = {"ok": "#1a7f37", "warning": "#b35900", "blocker": "#c62828"}
_STATUS_RANK = {"ok": 0, "warning": 1, "blocker": 2}
_VERDICT_COLORS = {"go": "#1a7f37", "no-go": "#c62828", "uncertain": "#b35900"}
_ARTICLE = "Fine-tuning economics: when training a custom model pays back"
# P(abandoned) from which the quality-gap check warns: one path in twenty sinks the build.
_ABANDON_WARNING = 0.05


@dataclass(frozen=True)
class ChecklistItem:
    """One question of the article's "Practical decision check", answered for this run."""

    number: int
    question: str
    answer: str
    status: str  # "ok" | "warning" | "blocker"


# ---------------------------------------------------------------------------------------------
# Small formatting helpers


def _mean(dist: Distribution) -> float:
    return float(dist.mean)


def _is_zero(dist: Distribution) -> bool:
    return dist.is_fixed and _mean(dist) == 0.0


def _fmt_number(x: float | None) -> str:
    """Input values in the assumptions table: compact, thousands separators, 3-4 digits."""
    if x is None:
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if math.isnan(x):
        return "n/a"
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 1e6:
        return _fmt_count(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 1:
        return f"{x:.4g}"
    return f"{x:.3g}"


def _fmt_count(x: float | None) -> str:
    """Token and request volumes: 770M, 3.1B, 12.3k; None (not finite) as n/a."""
    if x is None or not math.isfinite(x):
        return "n/a"
    a = abs(x)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def _fmt_rate(x: float) -> str:
    return f"{x:.2g}"


def _month_text(month: int | None, horizon: int) -> str:
    return f"month {month}" if month is not None else f"after month {horizon}"


def _short_month(month: int | None, horizon: int) -> str:
    return str(month) if month is not None else f">{horizon}"


# ---------------------------------------------------------------------------------------------
# The decision checklist (pure)


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


def _months(x: float) -> str:
    return f"{x:g} month" if x == 1 else f"{x:g} months"


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
                     else f"every {_months(every)}")
    if option.retrain_on_drift:
        parts.append(f"on drift detected {_months(lag)} after an event" if lag > 0
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
    answer = (f"Median {_fmt_count(tokens['p50'])} tokens per month on the baseline "
              f"(P5 {_fmt_count(tokens['p5'])}, P95 {_fmt_count(tokens['p95'])}): the "
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


# ---------------------------------------------------------------------------------------------
# Report content (pure)


def driver_sentence(row: dict[str, Any]) -> str:
    """A sensitivity row in plain words, e.g. "higher traffic.requests_per_month → payback more
    likely (P 21.0% at bottom decile vs 86.0% at top)"."""
    low, high = row["p_payback_low"], row["p_payback_high"]
    direction = ("likely or not: unknown" if low is None or high is None
                 else "more likely" if high > low else "less likely" if high < low
                 else "neither more nor less likely")
    return (f"higher {row['input']} → payback {direction} (P {format_probability(low)} at "
            f"bottom decile vs {format_probability(high)} at top)")


def _question(summary: dict[str, Any]) -> str:
    names = [option["name"] for option in summary["options"].values()]
    deadline = summary["simulation"]["payback_within_months"]
    subject = names[0] if len(names) == 1 else f"each option ({'; '.join(names)})"
    return (f"Probability that {subject} pays back within {deadline} months vs "
            f"{summary['baseline']['name']}")


def _verdict_cell(verdict: str, required: float) -> Cell:
    meaning = {
        "go": f"95% interval above {format_probability(required)}",
        "no-go": f"95% interval below {format_probability(required)}",
        "uncertain": f"95% interval straddles {format_probability(required)}",
    }[verdict]
    return Cell(f"{verdict.upper()}: {meaning}", color=_VERDICT_COLORS[verdict], bold=True)


def _summary_tables(summary: dict[str, Any]) -> list[Block]:
    sim = summary["simulation"]
    currency = summary["scenario"]["currency"]
    horizon, deadline = sim["horizon_months"], sim["payback_within_months"]
    labels = (
        "Verdict", f"P(payback within {deadline} months)", "Median payback month",
        "NPV P5 / P50 / P95", "Expected upfront cost", "P(abandoned: quality gap)",
        "Dips below zero after payback", f"Mean total cost ({horizon} months)",
        "Three biggest drivers",
    )

    def column(option: dict[str, Any]) -> list[str | Cell]:
        lo, hi = option["p_payback_within_ci95"]
        months = option["payback_month"]
        npv, upfront, tco = option["npv"], option["upfront_cost"], option["tco"]
        rows = option["sensitivity"]
        if rows and all(row["spearman"] is None for row in rows):
            top3 = "NPV does not vary across paths: no drivers."
        elif not rows:
            top3 = "no random inputs"
        else:
            top3 = "\n".join(f"{i}. {driver_sentence(row)}" for i, row in
                             enumerate(rows[:3], start=1))
        return [
            _verdict_cell(option["verdict"], sim["required_probability"]),
            Cell(f"{format_probability(option['p_payback_within'])} (95% interval "
                 f"{format_probability(lo)}–{format_probability(hi)})", bold=True),
            f"{_month_text(months['p50'], horizon)} (P10 {_short_month(months['p10'], horizon)}"
            f", P90 {_short_month(months['p90'], horizon)})",
            " / ".join(format_money(npv[q], currency) for q in ("p5", "p50", "p95"))
            + f"\nP(loss: NPV < 0) {format_probability(option['p_npv_negative'])}",
            f"{format_money(upfront['mean'], currency)} (P5–P95 "
            f"{format_money(upfront['p5'], currency)}–{format_money(upfront['p95'], currency)})",
            format_probability(option["p_abandoned"]),
            f"{format_probability(option['p_dips_below_zero_after_payback'])} of paths",
            f"baseline {format_money(tco['baseline']['mean'], currency)}, option "
            f"{format_money(tco['option']['mean'], currency)}",
            top3,
        ]

    options = list(summary["options"].values())
    blocks: list[Block] = []
    for start in range(0, len(options), 3):  # at most three options side by side
        group = options[start:start + 3]
        columns = [column(option) for option in group]
        rows = tuple(tuple([label, *(col[i] for col in columns)])
                     for i, label in enumerate(labels))
        first = 0.26
        widths = (first, *([(1 - first) / len(group)] * len(group)))
        blocks.append(Table(("", *(option["name"] for option in group)), rows, widths,
                            size=8.0))
    return blocks


def _checklist_blocks(summary: dict[str, Any], scenario: Scenario) -> list[Block]:
    items = decision_checklist(summary, scenario)
    rows = tuple(
        (str(item.number), item.question,
         Cell(STATUS_LABELS[item.status], color=_STATUS_COLORS[item.status], bold=True),
         item.answer)
        for item in items)
    return [
        Heading("Decision checklist", 2),
        Paragraph(f"The “Practical decision check” of the article “{_ARTICLE}”, each item "
                  "answered from this scenario and its results.", size=8.5, color="0.3"),
        Table(("#", "Check", "Status", "Answer"), rows, (0.035, 0.18, 0.11, 0.675), size=7.5),
    ]


_READING_NOTES = (
    "Payback curve (above): the share of paths that have paid back by each month; the "
    "label at N is the headline probability, the dotted line the required probability.",
    "Fan chart: cumulative net savings (baseline cost minus option cost, upfront included). "
    "Half of the paths lie in the dark band, 90% in the light band; the option has paid back "
    "where a path crosses zero.",
    "NPV distribution: discounted net savings over the horizon; the red region is a loss.",
    "Drivers: left, the rank correlation of each input with NPV; right, P(payback within N) "
    "when the input is in its lowest vs highest tenth of sampled values. The wider the gap, "
    "the more the decision hinges on pinning that input down.",
    "Where the money goes: the option's mean monthly cost by component, stacked, against "
    "the baseline's (line).",
)


def _figure_blocks(summary: dict[str, Any]) -> list[Block]:
    specs = plots.figure_specs(summary)
    blocks: list[Block] = [FigurePage((specs[0].stem,), (
        Heading("Reading the figures", 3),
        *(Paragraph(note, size=8.5, bullet=True) for note in _READING_NOTES)))]
    rest = [spec.stem for spec in specs[1:] if spec.kind != "breakeven"]
    blocks += [FigurePage(tuple(rest[i:i + 2])) for i in range(0, len(rest), 2)]
    if "breakeven" in summary:
        blocks.append(FigurePage(("breakeven",), _breakeven_notes(summary["breakeven"])))
    return blocks


def _assumption_blocks(summary: dict[str, Any]) -> list[Block]:
    sim = summary["simulation"]
    groups: dict[str, list[dict[str, Any]]] = {"world": []}
    for option_id in summary["options"]:
        groups[option_id] = []
    for row in summary["inputs"]:
        groups[row["owner"]].append(row)
    blocks: list[Block] = [
        PageBreak(),
        Heading("Assumptions", 2),
        Paragraph(f"Every input with its distribution as written in the scenario (defaults "
                  f"applied) and its sampled P5 / P50 / P95 over {sim['paths']:,} paths; "
                  "counts are rounded. Fixed inputs show the same value three times.",
                  size=8.5, color="0.3"),
    ]
    for owner, rows in groups.items():
        if not rows:
            continue
        title = ("World: shared by every option" if owner == "world" else
                 f"Option: {summary['options'][owner]['name']} ({owner})")
        table_rows = tuple(
            (row["input"], row["written"] if row["random"] else Cell(row["written"], "0.4"),
             _fmt_number(row["p5"]), _fmt_number(row["p50"]), _fmt_number(row["p95"]))
            for row in rows)
        blocks += [Heading(title, 3),
                   Table(("Input", "Distribution as written", "P5", "P50", "P95"), table_rows,
                         (0.4, 0.3, 0.1, 0.1, 0.1), align="llrrr", size=7.5)]
    return blocks


def _methodology_blocks(summary: dict[str, Any]) -> list[Block]:
    sim = summary["simulation"]
    currency = summary["scenario"]["currency"]
    simulated = (
        f"{sim['paths']:,} Monte Carlo paths ({sim['sampler']} sampling) over months 1 to "
        f"{sim['horizon_months']}. Each path draws every static input once (the assumptions "
        "table) and, month by month, traffic noise, price-index jump events, drift events and "
        "base-model updates.",
        "Monthly costs follow MODEL.md section 4: the baseline's API cost, RAG and the business "
        "cost of errors; each option's serving (whole GPUs, or per-token API prices), "
        "escalations to the baseline, errors (with drift), maintenance, retraining and "
        "rebuilds, and the upfront build cost at month 0. While an option is built (lead time) "
        "or once it is abandoned (quality gap above the acceptable maximum), traffic stays on "
        "the baseline.",
        "Options are compared under common random numbers: the world's draws (traffic, prices, "
        "drift events, quality) are shared by every option.",
        "Payback is the first month in which cumulative net savings reach zero; NPV discounts "
        f"monthly at {sim['discount_rate_annual']:.1%} a year.",
        "The 95% interval of P(payback) is Wilson's and covers Monte Carlo error only, not "
        "whether the input distributions are right. Drivers are Spearman rank correlations "
        "with NPV and payback probabilities in each input's bottom and top decile: "
        "associations under the declared correlations, not proof of cause.",
    )
    limits = (
        "No forced API migrations or deprecations of the baseline model, no change of "
        "provider.",
        "No serving-policy changes: routing, caching, batching and escalation shares stay as "
        "entered for the whole horizon.",
        "Static inputs are drawn once per path and stay fixed: nothing is learnt or revised "
        "during a path.",
        "Monthly granularity: no timing within a month; GPUs are paid for whole months.",
        "Events (drift, price jumps, base-model updates) are Poisson with constant yearly "
        "rates; drift acts only on the error rate.",
        "A price index only declines smoothly, plus jump events; there are no gradual price "
        "rises.",
        "Inputs are independent apart from the declared rank correlations.",
        f"Money is nominal {currency}: no taxes, financing or exchange rates, and no value "
        "after the horizon.",
    )
    return [
        Heading("Methodology and limits", 2),
        Heading("What is simulated", 3),
        *(Paragraph(text, size=8.5, bullet=True) for text in simulated),
        Heading("What is not simulated", 3),
        *(Paragraph(text, size=8.5, bullet=True) for text in limits),
    ]


def _reproducibility_blocks(summary: dict[str, Any], *, command: str, seconds: float,
                            generated_at: datetime) -> list[Block]:
    sim, scen = summary["simulation"], summary["scenario"]
    rows = (
        ("ftsim version", summary["ftsim_version"]),
        ("scenario file", scen["file"] if scen["file"] is not None else "(built in memory)"),
        ("scenario SHA-256", scen["sha256"] or "(none)"),
        ("seed", str(sim["seed"])),
        ("paths", f"{sim['paths']:,} (chunk size {sim['chunk_size']:,})"),
        ("sampler", sim["sampler"]),
        ("command", command),
        ("date", generated_at.isoformat(timespec="seconds")),
        ("simulation run time", f"{seconds:.1f} s"),
    )
    return [
        Heading("Reproducibility", 2),
        Paragraph("The same scenario file (same SHA-256), seed, paths, sampler and chunk size "
                  "reproduce every number, whatever the number of workers.", size=8.5,
                  color="0.3"),
        Table(("item", "value"), rows, (0.22, 0.78), size=8.0, mono_columns=(1,)),
    ]


def _crossing_text(crossing: dict[str, Any], grid: Sequence[float]) -> str:
    if crossing["status"] == "crossed":
        return f"{_fmt_count(crossing['tokens_per_month'])} tokens/month"
    if crossing["status"] == "below_grid":
        return f"at or below {_fmt_count(grid[0])}"
    return f"not reached up to {_fmt_count(grid[-1])}"


def _breakeven_notes(curve: dict[str, Any]) -> tuple[Heading | Paragraph | Table, ...]:
    """Below the break-even figure: where each option's P(payback) reaches 50% and the
    required probability, by median baseline tokens per month."""
    grid = curve["tokens_per_month"]
    own = _fmt_count(curve["scenario_volume"]["tokens_per_month"])
    required = format_probability(curve["required_probability"])
    rows = tuple(
        (option["name"],
         format_probability(curve["scenario_volume"]["p_payback_within"][option_id]),
         _crossing_text(option["p50"], grid), _crossing_text(option["required"], grid))
        for option_id, option in curve["options"].items())
    return (
        Heading("Break-even volume", 3),
        Paragraph(f"Traffic scaled so that the median baseline volume runs from "
                  f"{_fmt_count(grid[0])} to {_fmt_count(grid[-1])} tokens per month "
                  f"({len(grid)} points, {curve['paths']:,} paths each, same seed); the "
                  f"scenario's own median is {own}. The article puts break-even at 10M–100M "
                  "tokens per month.",
                  size=8.5, color="0.3"),
        Table(("Option", "P(payback) at the scenario's volume", "P(payback) reaches 50% at",
               f"P(payback) reaches {required} at"), rows, (0.34, 0.2, 0.23, 0.23), size=8.0),
    )


def _warning_blocks(scenario: Scenario) -> list[Block]:
    """The scenario's plausibility warnings ("key path: message"), first page, before the
    verdicts they may invalidate (a growth of 2 written for 2 % turns a no-go into a go)."""
    if not scenario.warnings:
        return []
    count = len(scenario.warnings)
    return [
        Heading("Warnings", 2),
        Paragraph(f"{count} value{'s' if count > 1 else ''} in the scenario "
                  f"{'lie' if count > 1 else 'lies'} outside the plausible range (a unit slip?). "
                  "The run went ahead; check these before trusting the results below.",
                  size=8.5, bold=True, color=_STATUS_COLORS["warning"]),
        *(Paragraph(str(issue), size=8.5, bullet=True, color=_STATUS_COLORS["warning"])
          for issue in scenario.warnings),
    ]


def report_blocks(summary: dict[str, Any], scenario: Scenario, *, command: str, seconds: float,
                  generated_at: datetime) -> list[Block]:
    """The whole report as blocks, in page order: decision summary and checklist, figures
    (and the break-even curve when ``summary["breakeven"]`` holds one), assumptions,
    methodology and limits, reproducibility. The scenario's plausibility warnings, if any,
    come first, under the question."""
    sim = summary["simulation"]
    intro = (f"Go when the 95% interval of this probability lies above the required "
             f"{format_probability(sim['required_probability'])}, no-go when it lies below, "
             f"uncertain otherwise. {sim['paths']:,} simulated paths, {sim['horizon_months']}-"
             f"month horizon, money in {summary['scenario']['currency']}, NPV discounted at "
             f"{sim['discount_rate_annual']:.1%} a year.")
    return [
        Paragraph("ftsim · fine-tuning payback risk report", size=8.5, color="0.4"),
        Heading(summary["scenario"]["name"], 1),
        Paragraph(_question(summary) + "?", size=10.5, bold=True),
        Paragraph(intro, size=8.5, color="0.3"),
        *_warning_blocks(scenario),
        Heading("Decision summary", 2),
        *_summary_tables(summary),
        *_checklist_blocks(summary, scenario),
        *_figure_blocks(summary),
        *_assumption_blocks(summary),
        *_methodology_blocks(summary),
        *_reproducibility_blocks(summary, command=command, seconds=seconds,
                                 generated_at=generated_at),
    ]


# ---------------------------------------------------------------------------------------------
# Markdown


# Markdown specials escaped with a backslash wherever they appear ("#" too: an ATX heading
# drops trailing "#"s); "<", ">" and "&" become HTML entities so no tag or entity gets through.
_MD_SPECIALS = re.compile(r"([\\`*_\[\]|$#~])")
# At a line's start, "- ", "+ ", "1. " and "1) " open a list and "=" underlines a heading.
_MD_LINE_START = re.compile(r"^(?:\d+[.)]|[-+])(?=\s|$)|^=")
_MD_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x85|\x0b|\x0c")
_MD_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _md_escape(text: str, newline: str = " ") -> str:
    """Any report text, names and file names included, as inert Markdown: shown as written,
    never as markup, HTML, a heading, a list or a table separator.

    Line breaks in ``text`` become ``newline`` (a space in headings, captions and link
    text, ``<br>`` in table cells, a hard break in paragraphs), so a name can never end a
    table row or start a block of its own. This is the one escaping function of report.md.
    """
    lines = []
    for line in _MD_NEWLINES.split(_MD_CONTROL.sub(" ", text)):
        line = _MD_SPECIALS.sub(r"\\\1", html.escape(line.lstrip(), quote=False))
        lines.append(_MD_LINE_START.sub(lambda m: f"{m[0][:-1]}\\{m[0][-1]}", line))
    return newline.join(lines)


def _md_cell(cell: str | Cell, header: bool = False) -> str:
    text = cell.text if isinstance(cell, Cell) else cell
    out = _md_escape(text, newline="<br>")
    bold = isinstance(cell, Cell) and cell.bold and not header
    return f"**{out}**" if bold and out else out


def _md_table(table: Table) -> str:
    align = table.align or "l" * len(table.header)
    lines = ["| " + " | ".join(_md_cell(h, header=True) for h in table.header) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def _blocks_to_markdown(blocks: Sequence[Block], figure_files: Sequence[str],
                        captions: dict[str, str]) -> str:
    files = {Path(f).stem: f for f in figure_files}
    chunks: list[str] = []
    figure_number = 0
    shown: set[str] = set()
    figures_heading = False
    for block in blocks:
        if isinstance(block, Heading):
            chunks.append("#" * block.level + " " + _md_escape(block.text))
        elif isinstance(block, Paragraph):
            text = _md_escape(block.text, newline="  \n")
            text = f"**{text}**" if block.bold else text
            chunks.append(f"- {text}" if block.bullet else text)
        elif isinstance(block, Table):
            chunks.append(_md_table(block))
        elif isinstance(block, FigurePage):
            if not figures_heading:
                chunks.append("## Figures")
                figures_heading = True
            for stem in block.stems:
                if stem not in files:
                    continue
                figure_number += 1
                shown.add(stem)
                caption = _md_escape(captions.get(stem, stem))
                chunks.append(f"![{caption}]({files[stem]})\n\n*Figure {figure_number}. "
                              f"{caption}*")
            chunks.append(_blocks_to_markdown(block.notes, (), captions))
        elif isinstance(block, PageBreak):
            continue
        else:
            raise TypeError(f"not a report block: {block!r}")
    extra = [f for stem, f in files.items() if stem not in shown]
    if extra and blocks and any(isinstance(b, FigurePage) for b in blocks):
        chunks.append("### Other figures")
        chunks += [f"![{_md_escape(Path(f).stem)}]({f})" for f in extra]
    return "\n\n".join(c for c in chunks if c) + "\n"


def render_markdown(summary: dict[str, Any], scenario: Scenario, *, command: str,
                    seconds: float, figure_files: list[str],
                    generated_at: datetime | None = None) -> str:
    """The report as Markdown, linking ``figure_files`` (paths relative to the run folder,
    e.g. ``figures/fan_lora_8b.png``). Pure apart from the clock when ``generated_at`` is None.
    """
    generated_at = generated_at or datetime.now().astimezone()
    blocks = report_blocks(summary, scenario, command=command, seconds=seconds,
                           generated_at=generated_at)
    captions = {spec.stem: spec.caption for spec in plots.figure_specs(summary)}
    return _blocks_to_markdown(blocks, figure_files, captions)


# ---------------------------------------------------------------------------------------------
# Files


def write_report(run_dir: Path, summary: dict[str, Any], scenario: Scenario, *, command: str,
                 seconds: float, breakeven: dict[str, Any] | None = None,
                 before_pdf: Callable[[], object] | None = None) -> dict[str, Path]:
    """Write ``figures/*.png``, ``report.md`` and, last, ``report.pdf`` into ``run_dir``.

    Every file goes through a temporary name and is moved into place, and report.pdf is
    written last, so its presence means the report is complete (an older report.pdf is
    removed first). ``breakeven`` (``ftsim.sweep.breakeven_curve``'s dict, from ``ftsim run
    --breakeven``), when given, adds the break-even figure and table. Returns the written
    paths keyed by their path relative to ``run_dir``. ``before_pdf`` is called just before
    report.pdf is moved into place (the CLI waits there for files written in parallel).
    """
    run_dir = Path(run_dir)
    pdf_path = run_dir / "report.pdf"
    pdf_path.unlink(missing_ok=True)
    if breakeven is not None:
        summary = {**summary, "breakeven": breakeven}
    written: dict[str, Path] = {}
    figures = plots.figure_set(summary)
    for stem, fig in figures:
        rel = f"figures/{stem}.png"
        with atomic_path(run_dir / rel) as tmp:
            plots.save_png(fig, tmp)
        written[rel] = run_dir / rel
    generated_at = datetime.now().astimezone()
    blocks = report_blocks(summary, scenario, command=command, seconds=seconds,
                           generated_at=generated_at)
    captions = {spec.stem: spec.caption for spec in plots.figure_specs(summary)}
    atomic_write_text(run_dir / "report.md",
                      _blocks_to_markdown(blocks, list(written), captions))
    written["report.md"] = run_dir / "report.md"
    footer = (f"ftsim {summary['ftsim_version']} · {summary['scenario']['name']} · "
              f"seed {summary['simulation']['seed']}")
    with atomic_path(pdf_path) as tmp:
        typeset.render_pdf(tmp, blocks, summary, title=f"{summary['scenario']['name']}: "
                         "fine-tuning payback risk report", footer=footer, figures=figures)
        if before_pdf is not None:
            before_pdf()
    written["report.pdf"] = pdf_path
    return written
