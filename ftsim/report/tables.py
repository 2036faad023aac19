"""The report's reference tables: @RISK-style NPV statistics and NPV targets per option,
every assumption with its distribution, sampled percentiles, source and date, the declared
correlations, and the break-even volumes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..core.summary_types import InputRow, OptionSummary, Summary
from ..format import format_count, format_money, format_probability, plain_numbers
from .blocks import Block, Cell, Heading, Table, Tone, para
from .sentences import input_value_text

__all__ = ["statistics_blocks", "target_blocks", "assumption_blocks", "correlation_blocks",
           "breakeven_blocks", "OPTIONS_PER_TABLE"]

OPTIONS_PER_TABLE = 3  # option columns side by side before a table is split

_STATISTICS = (
    ("Mean", "mean"), ("Standard deviation", "sd"), ("Minimum", "min"), ("Maximum", "max"),
    ("P1", "p1"), ("P5", "p5"), ("P10", "p10"), ("P25", "p25"), ("P50 (median)", "p50"),
    ("P75", "p75"), ("P90", "p90"), ("P95", "p95"), ("P99", "p99"),
)


def _groups(summary: Summary) -> list[list[OptionSummary]]:
    options = list(summary.options.values())
    return [options[i:i + OPTIONS_PER_TABLE] for i in range(0, len(options), OPTIONS_PER_TABLE)]


def _option_table(summary: Summary, first: str,
                  rows: Sequence[tuple[str, Callable[[OptionSummary], str | Cell]]],
                  caption: str) -> list[Block]:
    """One table per group of options: a label column, then one column per option."""
    blocks: list[Block] = []
    for group in _groups(summary):
        body = tuple((label, *(cell(o) for o in group)) for label, cell in rows)
        blocks.append(Table((first, *(o.name for o in group)), body,
                            align="l" + "r" * len(group), caption=caption))
    return blocks


def statistics_blocks(summary: Summary) -> list[Block]:
    """NPV statistics per option (mean, sd, min, max, P1..P99), then P(NPV < 0), the expected
    loss given a loss, P(payback within N) and the mean upfront cost."""
    currency = summary.scenario.currency
    deadline = summary.simulation.payback_within_months

    def stat(field: str) -> Callable[[OptionSummary], str]:
        return lambda o: format_money(getattr(o.npv_statistics, field), currency)

    def loss(o: OptionSummary) -> str:
        value = o.expected_loss_given_loss
        return "no loss" if value is None else format_money(value, currency)

    def payback(o: OptionSummary) -> str:
        low, high = o.p_payback_within_ci95
        return (f"{format_probability(o.p_payback_within)} ({format_probability(low)}–"
                f"{format_probability(high)})")

    rows: list[tuple[str, Callable[[OptionSummary], str | Cell]]] = [
        (label, stat(field)) for label, field in _STATISTICS]
    rows += [
        ("P(NPV < 0)", lambda o: format_probability(o.p_npv_negative)),
        ("Expected loss given a loss", loss),
        (f"P(payback within {deadline} months), 95% interval", payback),
        ("Upfront cost, mean", lambda o: format_money(o.upfront_cost.mean, currency)),
    ]
    sim = summary.simulation
    return [
        Heading("NPV statistics", 2),
        para(f"NPV over {sim.horizon_months} months, discounted at "
             f"{sim.discount_rate_annual:.1%} a year, in {currency}, from {sim.paths:,} paths.",
             small=True, tone="muted"),
        *_option_table(summary, "Statistic", rows, "NPV statistics per option"),
    ]


def target_blocks(summary: Summary) -> list[Block]:
    """P(NPV < target) with its 95% interval for every NPV target of the scenario."""
    currency = summary.scenario.currency
    options = list(summary.options.values())
    if not options or not options[0].npv_targets:
        return []
    targets = [t.target for t in options[0].npv_targets]

    def cell(index: int) -> Callable[[OptionSummary], str]:
        def text(o: OptionSummary) -> str:
            if index >= len(o.npv_targets):
                return "n/a"
            t = o.npv_targets[index]
            low, high = t.ci95
            return (f"{format_probability(t.p_below)} ({format_probability(low)}–"
                    f"{format_probability(high)})")
        return text

    rows = [(f"P(NPV < {format_money(t, currency)})", cell(i)) for i, t in enumerate(targets)]
    return [
        Heading("NPV targets", 2),
        para("The probability that NPV falls below each target set in the scenario's [report] "
             "npv_targets, with its 95% Wilson interval (Monte Carlo error only).", small=True,
             tone="muted"),
        *_option_table(summary, "Target", rows, "P(NPV < target) per option"),
    ]


def _value(row: InputRow, value: float | None, currency: str) -> str:
    return input_value_text(row.input, value, currency, compact=True)


def _assumption_rows(rows: Sequence[InputRow], currency: str) -> tuple[tuple[str | Cell, ...], ...]:
    out = []
    for row in rows:
        tone: Tone = None if row.random else "muted"
        out.append((
            row.label or row.input,
            Cell(plain_numbers(row.written), tone=tone),
            _value(row, row.p5, currency), _value(row, row.p50, currency),
            _value(row, row.p95, currency),
            Cell(row.source or "not given", tone=None if row.source else "muted"),
            Cell(row.as_of or "–", tone=None if row.as_of else "muted"),
        ))
    return tuple(out)


def assumption_blocks(summary: Summary) -> list[Block]:
    """Every input, grouped by owner (the world, then each option): label, distribution as
    written, sampled P5/P50/P95, source and date."""
    groups: dict[str, list[InputRow]] = {"world": []}
    for option_id in summary.options:
        groups[option_id] = []
    for row in summary.inputs:
        groups.setdefault(row.owner, []).append(row)
    blocks: list[Block] = [
        Heading("Assumptions", 2),
        para(f"Every input with its distribution as written in the scenario (defaults applied), "
             f"its sampled P5 / P50 / P95 over {summary.simulation.paths:,} paths, and the "
             "source and date given in the scenario. Fixed inputs are grey.", small=True,
             tone="muted"),
    ]
    for owner, rows in groups.items():
        if not rows:
            continue
        title = ("Shared by every option" if owner == "world" or owner not in summary.options
                 else f"Option: {summary.options[owner].name}")
        blocks += [Heading(title, 3),
                   Table(("Input", "Distribution", "P5", "P50", "P95", "Source", "As of"),
                         _assumption_rows(rows, summary.scenario.currency), align="llrrrll",
                         widths=(0.22, 0.17, 0.08, 0.08, 0.08, 0.29, 0.08))]
    return blocks


def correlation_blocks(summary: Summary) -> list[Block]:
    """The rank correlations declared in the scenario (applied through a Gaussian copula)."""
    if not summary.correlations:
        return [Heading("Correlations", 3),
                para("No correlations declared: inputs are drawn independently.", small=True)]
    rows = tuple((c.a_label, c.b_label, f"{c.spearman:+.2f}") for c in summary.correlations)
    return [Heading("Correlations", 3),
            para("Spearman rank correlations as declared in the scenario; every other pair "
                 "of inputs is drawn independently.", small=True, tone="muted"),
            Table(("Input", "Input", "Rank correlation"), rows, align="llr")]


def _crossing_text(crossing: Mapping[str, Any], grid: Sequence[float]) -> str:
    if crossing["status"] == "crossed":
        return f"{format_count(crossing['tokens_per_month'])} tokens/month"
    if crossing["status"] == "below_grid":
        return f"at or below {format_count(grid[0])}"
    return f"not reached up to {format_count(grid[-1])}"


def breakeven_blocks(curve: Mapping[str, Any]) -> list[Block]:
    """Where each option's P(payback) reaches 50% and the required probability, by median
    baseline tokens per month (``ftsim.core.studies.breakeven.breakeven_curve``'s dict)."""
    grid = curve["tokens_per_month"]
    own = format_count(curve["scenario_volume"]["tokens_per_month"])
    required = format_probability(curve["required_probability"])
    rows = tuple(
        (option["name"],
         format_probability(curve["scenario_volume"]["p_payback_within"][option_id]),
         _crossing_text(option["p50"], grid), _crossing_text(option["required"], grid))
        for option_id, option in curve["options"].items())
    return [
        Heading("Break-even volume", 2),
        para(f"Traffic scaled so that the median baseline volume runs from "
             f"{format_count(grid[0])} to {format_count(grid[-1])} tokens per month "
             f"({len(grid)} points, {curve['paths']:,} paths each, same seed); the scenario's "
             f"own median is {own}. The article puts break-even at 10M–100M tokens per month.",
             small=True, tone="muted"),
        Table(("Option", "P(payback) at the scenario's volume", "P(payback) reaches 50% at",
               f"P(payback) reaches {required} at"), rows, align="lrrr"),
    ]
