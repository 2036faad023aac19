"""The report's figure set: which figures a summary gets (FigureSpec), drawing one on a
(sub)figure, building them all, and saving PNGs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

from .breakeven import breakeven_chart
from .costs import cost_breakdown
from .drivers import drivers
from .fan import fan_chart
from .npv import npv_distribution
from .payback import payback_curve
from .style import FIGSIZE, PNG_DPI, TITLE_SIZE, house_style, title_text

__all__ = ["FigureSpec", "figure_specs", "draw_figure", "figure_set", "save_png"]


@dataclass(frozen=True)
class FigureSpec:
    """One report figure: file stem, kind (payback | fan | npv | drivers | cost), option, caption."""

    stem: str
    kind: str
    option_id: str | None
    caption: str


def _safe_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def figure_specs(summary: dict[str, Any]) -> list[FigureSpec]:
    """The report's figures, grouped by kind: payback, then fan, npv, drivers, cost per option,
    then the break-even curve when the summary carries one (key ``"breakeven"``, the dict of
    ``ftsim.core.studies.breakeven.breakeven_curve``)."""
    specs = [FigureSpec("payback", "payback", None,
                        "Probability of payback by month, every option")]
    captions = {
        "fan": "Cumulative net savings by month (median, P25–P75, P5–P95)",
        "npv": "NPV distribution and probability of loss",
        "drivers": "Drivers: rank correlation with NPV and payback probability by decile",
        "cost": "Where the money goes: mean monthly cost by component vs baseline",
    }
    used: set[str] = {"payback"}
    for kind, caption in captions.items():
        for option_id, option in summary["options"].items():
            stem = f"{kind}_{_safe_stem(option_id)}"
            while stem in used:  # two ids that differ only in unsafe characters
                stem += "_"
            used.add(stem)
            specs.append(FigureSpec(stem, kind, option_id, f"{caption}: {option['name']}"))
    if "breakeven" in summary:
        specs.append(FigureSpec("breakeven", "breakeven", None,
                                "Break-even volume: P(payback) against median tokens per month"))
    return specs


def draw_figure(container: Figure | SubFigure, spec: FigureSpec, summary: dict[str, Any]) -> None:
    """Draw one report figure on an empty (sub)figure."""
    if spec.kind == "payback":
        payback_curve(container.add_subplot(), summary)
    elif spec.kind == "drivers":
        drivers(tuple(container.subplots(1, 2, sharey=True)), summary, spec.option_id)
    elif spec.kind == "breakeven":
        curve = summary["breakeven"]
        ax = breakeven_chart(container.add_subplot(), curve)
        ax.set_title(title_text(container, "Break-even volume: P(payback) against traffic",
                                 summary, f"{curve['paths']:,} paths per point, same seed",
                                 margin=1.1),
                     loc="left", fontsize=TITLE_SIZE, linespacing=1.4)
    else:
        draw: Callable[[Axes, dict[str, Any], str], Axes] = {
            "fan": fan_chart, "npv": npv_distribution, "cost": cost_breakdown}[spec.kind]
        draw(container.add_subplot(), summary, spec.option_id)


def figure_set(summary: dict[str, Any]) -> list[tuple[str, Figure]]:
    """Every report figure as (file stem, Figure), e.g. ``("fan_lora_8b", fig)``.

    The figures are not registered with pyplot: drop them when saved (``fig.savefig(path,
    format="png", dpi=PNG_DPI)``), there is nothing to close.
    """
    out = []
    with house_style():
        for spec in figure_specs(summary):
            fig = Figure(figsize=FIGSIZE, layout="constrained")
            draw_figure(fig, spec, summary)
            out.append((spec.stem, fig))
    return out


def save_png(fig: Figure, path: Path) -> None:
    """Save a report figure as PNG and keep its layout, which the PDF pages then reuse.

    Saved inside the house style: tick labels made while drawing must not read mathtext.
    """
    with house_style():
        fig.savefig(path, format="png", dpi=PNG_DPI)
    fig.set_layout_engine("none")

