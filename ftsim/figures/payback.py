"""Payback curve: P(payback <= month) for every option, N and the required probability marked."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes

from ..core.summary_types import Summary
from ..format import format_probability
from .style import (
    LEGEND_NAME_IN,
    LEGEND_SIZE,
    LOSS_COLOR,
    finite_or_none,
    floats,
    month_axis,
    new_axes,
    option_color,
    paths_label,
    plain_text,
    title,
)
from .text import fit

__all__ = ["payback_curve"]


def spread_labels(ys: Sequence[float], gap: float, lo: float, hi: float) -> list[float]:
    """Move sorted label heights apart by at least ``gap`` while keeping them in [lo, hi]."""
    out = [min(max(y, lo), hi) for y in ys]
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + gap)
    excess = out[-1] - hi if out else 0.0
    if excess > 0:
        out[-1] -= excess
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - gap)
    return out


@plain_text
def payback_curve(ax: Axes | None, summary: Summary) -> Axes:
    """P(payback <= month) for every option, with N and the required probability marked.

    Each option's P(payback within N) is written next to the curve at N, formatted by
    :func:`format_probability`; the curve of option ``x`` carries ``gid="payback_x"``.
    """
    ax = new_axes(ax)
    sim = summary.simulation
    horizon, deadline = sim.horizon_months, sim.payback_within_months
    required = sim.required_probability
    months = np.arange(0, horizon + 1)
    points = []
    for option_id, option in summary.options.items():
        color = option_color(summary, option_id)
        ax.step(months, [0.0, *floats(option.p_payback_by_month, horizon)], where="post",
                color=color, lw=2, label=fit(option.name, LEGEND_NAME_IN, LEGEND_SIZE),
                gid=f"payback_{option_id}")
        p = finite_or_none(option.p_payback_within)
        if p is not None:
            points.append((p, option_id, color))
    ax.axvline(deadline, color="0.3", ls="--", lw=1, label=f"N = {deadline} months")
    ax.axhline(required, color=LOSS_COLOR, ls=":", lw=1.2,
               label=f"required probability {format_probability(required)}")
    points.sort()
    heights = spread_labels([p for p, _, _ in points], gap=0.07, lo=0.03, hi=0.97)
    to_left = deadline > 0.75 * horizon
    dx = max(0.6, 0.025 * horizon) * (-1 if to_left else 1)
    for (p, option_id, color), y in zip(points, heights, strict=True):
        ax.annotate(format_probability(p), xy=(deadline, p), xytext=(deadline + dx, y),
                    ha="right" if to_left else "left", va="center", color=color,
                    fontsize=9, fontweight="bold", gid=f"p_at_n_{option_id}",
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": color, "lw": 0.8},
                    arrowprops={"arrowstyle": "-", "color": color, "lw": 0.8})
        ax.plot([deadline], [p], ls="none", marker="o", ms=5, color=color, zorder=5)
    month_axis(ax, horizon)
    ax.set_xlim(0, horizon + 0.5)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("P(paid back by this month)")
    title(ax, "Probability of payback by month, every option", summary,
         f"vs {summary.baseline_name}, {paths_label(summary)}")
    ax.legend(loc="best", framealpha=0.9)
    return ax
