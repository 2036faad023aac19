"""What the report says, decided once as a Document (ftsim.report.blocks) that the Typst,
HTML and Markdown renderers turn into files, so the formats never disagree.

Page 1 answers the decision: per option the verdict with why and what would change it,
the money at risk, the seed article's checklist, the drivers; then the figures, the
statistics tables, the assumptions with their sources, method, reproducibility, appendix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..core.summary_types import OptionSummary, Summary
from ..format import format_money, format_points, format_probability
from ..scenario import Scenario
from .appendix import appendix_blocks, methodology_blocks, reproducibility_blocks
from .blocks import (
    Block,
    BulletList,
    Callout,
    Cell,
    Document,
    Figure,
    Heading,
    KeyFacts,
    PageBreak,
    Span,
    Table,
    Tone,
    para,
)
from .checklist import STATUS_LABELS, STATUS_TONES, decision_checklist
from .sentences import change_sentence, verdict_headline, verdict_reason
from .tables import (
    assumption_blocks,
    breakeven_blocks,
    correlation_blocks,
    statistics_blocks,
    target_blocks,
)
from .voi import voi_blocks

if TYPE_CHECKING:  # pragma: no cover (the figures import matplotlib: only their specs come in)
    from ..figures.registry import FigureSpec

__all__ = ["report_document", "money_at_risk", "VERDICT_TONES", "DRIVER_ROWS"]

VERDICT_TONES: dict[str, Tone] = {"go": "good", "no-go": "bad", "uncertain": "warn"}
DRIVER_ROWS = 8  # drivers listed per option on the first pages (the figure shows ten)
ARTICLE = "Fine-tuning economics: when training a custom model pays back"


def _question(summary: Summary) -> str:
    names = [option.name for option in summary.options.values()]
    deadline = summary.simulation.payback_within_months
    subject = names[0] if len(names) == 1 else f"each option ({'; '.join(names)})"
    return (f"What is the probability that {subject} pays back within {deadline} months "
            f"against {summary.baseline_name}, and how much money is at risk?")


def _month_text(month: int | None, horizon: int) -> str:
    return f"month {month}" if month is not None else f"after month {horizon}"


def money_at_risk(option: OptionSummary, summary: Summary) -> KeyFacts:
    """Mean NPV, P5/P50/P95 NPV, P(NPV < 0), expected loss given a loss, mean upfront cost,
    median payback month: eight short values, two rows of four."""
    currency = summary.scenario.currency
    npv = option.npv
    horizon = summary.simulation.horizon_months
    months = option.payback_month
    loss = option.expected_loss_given_loss
    return KeyFacts((
        ("Mean NPV", format_money(npv.mean, currency)),
        ("NPV P5 (bad case)", format_money(npv.p5, currency)),
        ("NPV median", format_money(npv.p50, currency)),
        ("NPV P95 (good case)", format_money(npv.p95, currency)),
        ("P(NPV < 0)", format_probability(option.p_npv_negative)),
        ("Expected loss given a loss", "no path loses money" if loss is None
         else format_money(loss, currency)),
        ("Upfront cost, mean", format_money(option.upfront_cost.mean, currency)),
        ("Median payback", _month_text(months.p50, horizon)),
    ))


def _verdict_blocks(summary: Summary) -> list[Block]:
    blocks: list[Block] = []
    for option in summary.options.values():
        blocks += [
            Callout(verdict_headline(option),
                    (para(verdict_reason(option, summary)),
                     para(Span("What would change it: ", bold=True),
                          change_sentence(option, summary))),
                    VERDICT_TONES.get(option.verdict)),
            money_at_risk(option, summary),
        ]
    return blocks


def _warning_blocks(scenario: Scenario) -> list[Block]:
    """The scenario's plausibility warnings, before the verdicts they may invalidate (a
    growth of 2 written for 2 % turns a no-go into a go)."""
    if not scenario.warnings:
        return []
    count = len(scenario.warnings)
    lead = (f"{count} value{'s' if count > 1 else ''} in the scenario "
            f"{'lie' if count > 1 else 'lies'} outside the plausible range (a unit slip?). The "
            "run went ahead; check these before trusting the results below.")
    return [Callout("Plausibility warnings", (
        para(lead), BulletList(tuple(para(str(issue)) for issue in scenario.warnings))),
        "warn")]


def _checklist_blocks(summary: Summary, scenario: Scenario) -> list[Block]:
    items = decision_checklist(summary, scenario)
    names = {oid: o.name for oid, o in summary.options.items()}
    rows: list[tuple[str | Cell, ...]] = []
    for item in items:
        for i, result in enumerate(item.results):
            first = i == 0
            rows.append((
                str(item.number) if first else "",
                Cell(item.question, bold=True) if first else "",
                names[result.option_id],
                Cell(STATUS_LABELS[result.status], tone=STATUS_TONES[result.status], bold=True),
                result.answer))
    thresholds = BulletList(tuple(para(Span(f"Question {item.number}: ", bold=True),
                                       item.threshold, small=True) for item in items))
    return [
        Heading("Decision checklist", 2),
        para(f"The five questions of the article “{ARTICLE}” (checked 2026-05-25), each "
             "judged for every option against the threshold stated below.", small=True,
             tone="muted"),
        Table(("#", "Question", "Option", "Status", "Answer"), tuple(rows),
              widths=(0.04, 0.2, 0.16, 0.1, 0.5)),
        thresholds,
    ]


def _driver_rows(option: OptionSummary) -> tuple[tuple[str | Cell, ...], ...]:
    rows = []
    for row in option.drivers[:DRIVER_ROWS]:
        tone: Tone = None if row.significant else "muted"
        se = row.swing_se
        swing = format_points(row.swing) + (
            f" ± {format_points(1.96 * se, signed=False)}" if se is not None else "")
        share = (format_probability(row.first_order) if row.first_order is not None else "n/a")
        if row.first_order_se is not None and row.first_order is not None:
            share += f" ± {format_points(1.96 * row.first_order_se, signed=False)}"
        rows.append((
            Cell(row.label, tone=tone),
            Cell(swing, tone=tone, bold=row.significant),
            Cell(f"{format_probability(row.p_payback_low)} → "
                 f"{format_probability(row.p_payback_high)}", tone=tone),
            Cell(share, tone=tone),
            Cell("significant" if row.significant else "within noise", tone=tone)))
    return tuple(rows)


def _driver_blocks(summary: Summary) -> list[Block]:
    deadline = summary.simulation.payback_within_months
    blocks: list[Block] = [
        Heading("What decides payback", 2),
        para(f"Each input ranked by its swing: P(payback within {deadline} months) when the "
             "input lies in its top tenth of draws minus when it lies in its bottom tenth, "
             "with its 95% Monte Carlo error; the first-order share is the part of the "
             "variance of payback explained by the input alone. Inputs whose effect is "
             "within noise are greyed and never quoted above.", small=True, tone="muted"),
    ]
    for option in summary.options.values():
        if not option.drivers:
            blocks.append(para(f"{option.name}: no random inputs.", small=True))
            continue
        blocks.append(Table(
            ("Input", "Swing in P(payback)", "P bottom → top tenth", "First-order share",
             "Effect"), _driver_rows(option), align="lrrrl",
            caption=f"Drivers of {option.name}", widths=(0.36, 0.18, 0.18, 0.16, 0.12)))
    return blocks


_READING = {
    "payback": "The share of paths that have paid back by each month; the label at N is the "
               "headline probability, the dotted line the required probability.",
    "fan": "Cumulative net savings (baseline cost minus option cost, upfront included): half "
           "of the paths lie in the dark band, 90% in the light band.",
    "npv": "Each bar holds 1% of the paths (between consecutive percentiles), so the shape "
           "near zero shows; spikes are many paths with one same NPV.",
    "cdf": "Read the probability that NPV falls below any amount; the scenario's NPV targets "
           "are marked with P(NPV < target) and its 95% interval.",
    "drivers": "Bars: swing in P(payback) between the input's top and bottom tenth, with 95% "
               "error bars; grey bars are within Monte Carlo noise.",
    "cost": "Top: the option's running cost against the baseline's API tokens and RAG. "
            "Bottom: the cost of errors, on its own scale.",
    "breakeven": "P(payback) of every option as the traffic is scaled; diamonds mark where it "
                 "reaches 50% and the required probability.",
}


def _figure_blocks(specs: Sequence[FigureSpec]) -> list[Block]:
    blocks: list[Block] = [PageBreak(), Heading("Figures", 2)]
    seen: set[str] = set()
    for spec in specs:
        if spec.kind not in seen:
            seen.add(spec.kind)
            blocks.append(para(_READING.get(spec.kind, ""), small=True, tone="muted"))
        blocks.append(Figure(spec.stem, spec.caption, spec.alt))
    return blocks


def _general_figures(specs: Sequence[FigureSpec]) -> list[FigureSpec]:
    """The figures of the Figures section: all but the value of information's (on its page)."""
    return [spec for spec in specs if spec.kind != "voi"]


def report_document(summary: Summary, scenario: Scenario, *, command: str, seconds: float,
                    generated_at: datetime, breakeven: Mapping[str, Any] | None,
                    specs: Sequence[FigureSpec]) -> Document:
    """The whole report, in reading order: question, warnings, verdicts with why and what
    would change them, money at risk, checklist, drivers; what is worth learning before
    deciding (value of information, when computed, with its figure); the other figures
    (``specs``, from ``ftsim.figures.registry.figure_specs``); NPV statistics and targets;
    assumptions with sources and correlations; break-even (when ``breakeven`` is given);
    method and limits;
    reproducibility; appendix of keys and references."""
    sim = summary.simulation
    rule = (f"Go when the 95% interval of P(payback within {sim.payback_within_months} months) "
            f"lies above the required {format_probability(sim.required_probability)}, no-go "
            f"when it lies below, uncertain otherwise. {sim.paths:,} simulated paths, "
            f"{sim.horizon_months}-month horizon, money in {summary.scenario.currency}, NPV "
            f"discounted at {sim.discount_rate_annual:.1%} a year.")
    blocks: list[Block] = [
        para(Span(_question(summary), bold=True)),
        para(rule, small=True, tone="muted"),
        *_warning_blocks(scenario),
        Heading("Verdict and money at risk", 2),
        *_verdict_blocks(summary),
        *_checklist_blocks(summary, scenario),
        *_driver_blocks(summary),
        *voi_blocks(summary, specs),
        *_figure_blocks(_general_figures(specs)),
        PageBreak(),
        *statistics_blocks(summary),
        *target_blocks(summary),
        *assumption_blocks(summary),
        *correlation_blocks(summary),
        *(breakeven_blocks(breakeven) if breakeven is not None else []),
        PageBreak(),
        *methodology_blocks(summary),
        *reproducibility_blocks(summary, command=command, seconds=seconds,
                                generated_at=generated_at),
        *appendix_blocks(summary),
    ]
    return Document(
        title=summary.scenario.name,
        subtitle="Fine-tuning payback risk report",
        footer=(f"ftsim {summary.ftsim_version} · {summary.scenario.name} · seed {sim.seed}"),
        blocks=tuple(blocks))

