"""The report's figure set: which figures a summary gets (FigureSpec, with caption and alt
text), and drawing one on an empty (sub)figure. Rendering to SVG/PNG lives in render.py."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure, SubFigure

from ..core.summary_types import Summary
from ..format import format_money, format_probability
from .breakeven import breakeven_chart
from .cdf import npv_cdf
from .costs import cost_breakdown
from .drivers import drivers
from .fan import fan_chart
from .npv import npv_distribution
from .payback import payback_curve
from .style import FIGSIZE, PNG_DPI, TITLE_SIZE, house_style, title_text
from .voi import voi_chart

__all__ = ["FigureSpec", "KINDS", "figure_specs", "draw_figure", "figure_set", "save_png"]

# Per-option figure kinds in report order, with their captions.
KINDS = {
    "fan": "Cumulative net savings by month (median, P25–P75, P5–P95)",
    "npv": "NPV distribution and probability of loss",
    "cdf": "NPV cumulative distribution with the scenario's NPV targets",
    "drivers": "What decides payback: swing in P(payback) between each input's bottom and "
               "top tenth",
    "cost": "Where the money goes: running cost vs the baseline's API bill; cost of errors "
            "on its own panel",
}

# A breakeven curve is `ftsim.core.studies.breakeven.breakeven_curve`'s dict.
BreakevenCurve = Mapping[str, Any]


@dataclass(frozen=True)
class FigureSpec:
    """One report figure: file stem, kind (payback | fan | npv | cdf | drivers | cost |
    breakeven | voi), the option it shows (None for figures of every option), caption and alt
    text (what the figure shows, in words, for screen readers and text-only renderers)."""

    stem: str
    kind: str
    option_id: str | None
    caption: str
    alt: str


def _safe_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def _alt(kind: str, summary: Summary, option_id: str) -> str:
    """The figure's message in one sentence, from the summary's numbers."""
    option = summary.options[option_id]
    deadline = summary.simulation.payback_within_months
    if kind == "fan":
        month = option.payback_month.p50
        when = f"month {month}" if month is not None else "not within the horizon"
        return (f"Cumulative net savings of {option.name} by month with percentile bands; "
                f"median payback {when}.")
    if kind == "npv":
        return (f"Histogram of the NPV of {option.name}; P(NPV < 0) = "
                f"{format_probability(option.p_npv_negative)}.")
    if kind == "cdf":
        return f"Cumulative distribution of the NPV of {option.name}, NPV targets marked."
    if kind == "drivers":
        return (f"Inputs of {option.name} ranked by how far they move P(payback within "
                f"{deadline} months) between their bottom and top tenth of draws.")
    return (f"Mean monthly cost of {option.name}: running cost against the baseline's API "
            "bill, and the cost of errors on a separate panel.")


def voi_spec(summary: Summary) -> FigureSpec:
    """The value-of-information figure (for a summary that has it): caption and alt text."""
    voi = summary.value_of_information
    assert voi is not None
    currency = summary.scenario.currency
    alt = (f"Value of perfect information on everything (EVPI): "
           f"{format_money(voi.evpi.value, currency)}.")
    if voi.evppi:
        top = voi.evppi[0]
        alt += (f" Worth most to learn alone: {top.label}, "
                f"{format_money(top.value, currency)}.")
    for pilot in voi.pilots:
        alt += (f" {pilot.name}: worth {format_money(pilot.worth_today, currency)}, costs "
                f"{format_money(pilot.total_cost, currency)}.")
    return FigureSpec("voi", "voi", None,
                      "What is worth learning before deciding: value of perfect information "
                      "per input (EVPPI) against EVPI; pilots' value against their cost", alt)


def figure_specs(summary: Summary, breakeven: BreakevenCurve | None = None) -> list[FigureSpec]:
    """The report's figures in report order: the value of information when the summary has
    it (on its own page, before the Figures section), payback (every option), then per
    option and kind in the order of ``KINDS`` (fan_a, fan_b, npv_a, ...), then the
    break-even curve when given."""
    deadline = summary.simulation.payback_within_months
    probabilities = "; ".join(f"{o.name} {format_probability(o.p_payback_within)}"
                              for o in summary.options.values())
    specs = [] if summary.value_of_information is None else [voi_spec(summary)]
    specs.append(FigureSpec("payback", "payback", None,
                            "Probability of payback by month, every option",
                            f"Probability of having paid back by each month; within "
                            f"{deadline} months: {probabilities}."))
    used: set[str] = {"payback", "breakeven", "voi"}
    for kind, caption in KINDS.items():
        for option_id, option in summary.options.items():
            stem = f"{kind}_{_safe_stem(option_id)}"
            while stem in used:  # two ids that differ only in unsafe characters
                stem += "_"
            used.add(stem)
            specs.append(FigureSpec(stem, kind, option_id, f"{caption}: {option.name}",
                                    _alt(kind, summary, option_id)))
    if breakeven is not None:
        specs.append(FigureSpec("breakeven", "breakeven", None,
                                "Break-even volume: P(payback) against median tokens per month",
                                "P(payback) of every option against the median tokens per "
                                "month, with the article's 10M–100M band."))
    return specs


def draw_figure(container: Figure | SubFigure, spec: FigureSpec, summary: Summary,
                breakeven: BreakevenCurve | None = None) -> None:
    """Draw one report figure on an empty (sub)figure (``breakeven`` for the break-even
    kind: it is never merged into the summary)."""
    option_id = spec.option_id or ""
    if spec.kind == "payback":
        payback_curve(container.add_subplot(), summary)
    elif spec.kind == "drivers":
        drivers(tuple(container.subplots(1, 2, sharey=True,
                                         gridspec_kw={"width_ratios": [1.1, 1.0]})),
                summary, option_id)
    elif spec.kind == "cost":
        cost_breakdown(tuple(container.subplots(2, 1, sharex=True)), summary, option_id)
    elif spec.kind == "voi":
        voi_chart(container, summary)
    elif spec.kind == "breakeven":
        if breakeven is None:
            raise ValueError("the break-even figure needs the break-even curve")
        ax = breakeven_chart(container.add_subplot(), breakeven)
        ax.set_title(title_text(container, "Break-even volume: P(payback) against traffic",
                                summary, f"{breakeven['paths']:,} paths per point, same seed",
                                margin=1.1),
                     loc="left", fontsize=TITLE_SIZE, linespacing=1.4)
    else:
        draw = {"fan": fan_chart, "npv": npv_distribution, "cdf": npv_cdf}[spec.kind]
        draw(container.add_subplot(), summary, option_id)


def figure_set(summary: Summary,
               breakeven: BreakevenCurve | None = None) -> list[tuple[str, Figure]]:
    """Every report figure as (file stem, Figure), each drawn once in the house style."""
    out = []
    with house_style():
        for spec in figure_specs(summary, breakeven):
            fig = Figure(figsize=FIGSIZE, layout="constrained")
            draw_figure(fig, spec, summary, breakeven)
            out.append((spec.stem, fig))
    return out


def save_png(fig: Figure, path: Path) -> None:
    """Save a report figure as PNG (inside the house style: tick labels made while drawing
    must not read mathtext)."""
    with house_style():
        fig.savefig(path, format="png", dpi=PNG_DPI)
