"""What the report says, decided once as a list of layout blocks (headings, paragraphs,
tables, figure pages); the Markdown and PDF renderers turn the same blocks into files, so
the two never disagree."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..figures.registry import figure_specs
from ..format import format_count, format_money, format_probability
from ..scenario import Scenario
from .blocks import Block, Cell, FigurePage, Heading, PageBreak, Paragraph, Table
from .checklist import STATUS_COLORS, STATUS_LABELS, decision_checklist

__all__ = ["driver_sentence", "report_blocks"]

_VERDICT_COLORS = {"go": "#1a7f37", "no-go": "#c62828", "uncertain": "#b35900"}
_ARTICLE = "Fine-tuning economics: when training a custom model pays back"


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
        return format_count(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 1:
        return f"{x:.4g}"
    return f"{x:.3g}"


def _month_text(month: int | None, horizon: int) -> str:
    return f"month {month}" if month is not None else f"after month {horizon}"


def _short_month(month: int | None, horizon: int) -> str:
    return str(month) if month is not None else f">{horizon}"


# ---------------------------------------------------------------------------------------------
# The decision checklist (pure)


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
         Cell(STATUS_LABELS[item.status], color=STATUS_COLORS[item.status], bold=True),
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
    specs = figure_specs(summary)
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
        return f"{format_count(crossing['tokens_per_month'])} tokens/month"
    if crossing["status"] == "below_grid":
        return f"at or below {format_count(grid[0])}"
    return f"not reached up to {format_count(grid[-1])}"


def _breakeven_notes(curve: dict[str, Any]) -> tuple[Heading | Paragraph | Table, ...]:
    """Below the break-even figure: where each option's P(payback) reaches 50% and the
    required probability, by median baseline tokens per month."""
    grid = curve["tokens_per_month"]
    own = format_count(curve["scenario_volume"]["tokens_per_month"])
    required = format_probability(curve["required_probability"])
    rows = tuple(
        (option["name"],
         format_probability(curve["scenario_volume"]["p_payback_within"][option_id]),
         _crossing_text(option["p50"], grid), _crossing_text(option["required"], grid))
        for option_id, option in curve["options"].items())
    return (
        Heading("Break-even volume", 3),
        Paragraph(f"Traffic scaled so that the median baseline volume runs from "
                  f"{format_count(grid[0])} to {format_count(grid[-1])} tokens per month "
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
                  size=8.5, bold=True, color=STATUS_COLORS["warning"]),
        *(Paragraph(str(issue), size=8.5, bullet=True, color=STATUS_COLORS["warning"])
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

