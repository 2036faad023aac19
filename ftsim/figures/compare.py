"""Two runs of one option side by side: P(payback by month) and the NPV cumulative
distribution of run A (dashed grey) and run B (the option's colour)."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..core.summary_types import OptionSummary, Summary
from ..format import format_probability
from .npv import shown_range
from .style import (
    FIGSIZE,
    LEGEND_SIZE,
    LOSS_COLOR,
    TITLE_SIZE,
    empty_note,
    finite_or_none,
    floats,
    house_style,
    money_formatter,
    month_axis,
    option_color,
    plain_text,
)
from .text import fit, shorten_line

__all__ = ["compare_figure", "compare_svg", "RUN_A_COLOR"]

RUN_A_COLOR = "0.45"
_HEIGHT = 3.9  # inches: two panels side by side need less than the report's 5 in


def _runs(option_a: OptionSummary, option_b: OptionSummary, b: Summary, option_id: str
          ) -> list[tuple[OptionSummary, str, str, str]]:
    """(option, label, colour, line style) of run A then run B."""
    return [(option_a, "run A", RUN_A_COLOR, "--"),
            (option_b, "run B", option_color(b, option_id), "-")]


def _payback_panel(ax: Axes, option_a: OptionSummary, option_b: OptionSummary, a: Summary,
                   b: Summary, option_id: str) -> None:
    within = a.simulation.payback_within_months
    horizon = max(a.simulation.horizon_months, b.simulation.horizon_months)
    for option, label, color, style in _runs(option_a, option_b, b, option_id):
        by_month = floats(option.p_payback_by_month)
        months = np.arange(0, by_month.size + 1)
        p = finite_or_none(by_month[within - 1]) if within <= by_month.size else None
        text = f"{label}: {format_probability(p)} by month {within}"
        ax.step(months, [0.0, *by_month], where="post", color=color, ls=style, lw=2,
                label=fit(text, 2.6, LEGEND_SIZE), gid=f"payback_{label[-1].lower()}")
    ax.axvline(within, color="0.3", ls=":", lw=1)
    ax.axhline(a.simulation.required_probability, color=LOSS_COLOR, ls=":", lw=1)
    month_axis(ax, horizon)
    ax.set_xlim(0, horizon + 0.5)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("P(paid back by this month)")
    ax.set_title("Payback by month", loc="left", fontsize=TITLE_SIZE)
    ax.legend(loc="upper left", framealpha=0.9)


def _npv_panel(ax: Axes, option_a: OptionSummary, option_b: OptionSummary, b: Summary,
               option_id: str) -> None:
    curves = []
    for option, label, color, style in _runs(option_a, option_b, b, option_id):
        levels = floats(option.npv_quantiles.levels)
        values = floats(option.npv_quantiles.values, levels.size)
        window = shown_range(levels, values)
        if window is not None:
            curves.append((levels, values, window, label, color, style))
    currency = b.scenario.currency
    if not curves:
        empty_note(ax, "No NPV quantiles in these summaries (runs written before they were "
                       "kept): no distribution to draw.")
        return
    lo = min(c[2][0] for c in curves)
    hi = max(c[2][1] for c in curves)
    pad = 0.04 * (hi - lo) if hi > lo else max(1.0, abs(lo))
    lo, hi = lo - pad, hi + pad
    for levels, values, _, label, color, style in curves:
        keep = np.isfinite(levels) & np.isfinite(values)
        ax.plot(np.concatenate([[lo], values[keep], [hi]]),
                np.concatenate([[0.0], levels[keep], [1.0]]), color=color, ls=style, lw=2,
                label=label, gid=f"npv_cdf_{label[-1].lower()}")
    if lo < 0:
        ax.axvspan(lo, min(0.0, hi), color=LOSS_COLOR, alpha=0.08, lw=0)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.02, 1.02)
    ax.xaxis.set_major_formatter(money_formatter(currency))
    ax.xaxis.set_major_locator(ticker.MaxNLocator(6))
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(f"NPV, x ({shorten_line(currency, 20)})")
    ax.set_ylabel("P(NPV ≤ x)")
    ax.set_title("NPV cumulative distribution", loc="left", fontsize=TITLE_SIZE)
    ax.legend(loc="lower right", framealpha=0.9)


@plain_text
def compare_figure(fig: Figure, a: Summary, b: Summary, option_id: str) -> Figure:
    """Draw ``option_id`` of runs A and B on ``fig``: payback by month (left; N and the
    required probability dotted) and the NPV cumulative distributions (right)."""
    option_a, option_b = a.options[option_id], b.options[option_id]
    left, right = fig.subplots(1, 2)
    _payback_panel(left, option_a, option_b, a, b, option_id)
    _npv_panel(right, option_a, option_b, b, option_id)
    fig.suptitle(shorten_line(f"{option_b.name}: run A (dashed) vs run B (solid)", 110),
                 x=0.01, ha="left", fontsize=TITLE_SIZE)
    return fig


def compare_svg(a: Summary, b: Summary, option_id: str) -> str:
    """The comparison figure of one option as SVG text (text as paths, no date: the same
    runs give the same bytes), drawn in the house style."""
    with house_style(), matplotlib.rc_context({"svg.fonttype": "path",
                                               "svg.hashsalt": f"compare_{option_id}"}):
        fig = Figure(figsize=(FIGSIZE[0], _HEIGHT), layout="constrained")
        compare_figure(fig, a, b, option_id)
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
