"""NPV cumulative distribution of one option, with the scenario's NPV targets marked and
P(NPV < target) written at each (the @RISK / Crystal Ball "target" view)."""

from __future__ import annotations

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes

from ..core.summary_types import Summary
from ..format import format_money, format_probability
from .npv import npv_window, shown_range
from .payback import spread_labels
from .style import (
    LOSS_COLOR,
    empty_note,
    finite_or_none,
    floats,
    money_formatter,
    new_axes,
    option_color,
    paths_label,
    plain_text,
    title,
)
from .text import shorten_line

__all__ = ["npv_cdf", "target_text"]


def target_text(target: float, p_below: float | None, ci95: tuple[float | None, float | None],
                currency: str) -> str:
    """``P(NPV < -500k USD) = 23.4% (95%: 22.6–24.2%)``."""
    low, high = ci95
    return (f"P(NPV < {format_money(target, currency)}) = {format_probability(p_below)} "
            f"(95%: {format_probability(low)}–{format_probability(high)})")


def _x_range(levels: np.ndarray, values: np.ndarray,
             targets: list[float]) -> tuple[float, float] | None:
    """P1..P99 of NPV widened to take in every target that NPV can reach (a target beyond
    the smallest or largest NPV has P = 0 or 1 and is listed, not drawn)."""
    shown = shown_range(levels, values)
    if shown is None:
        return None
    lo, hi = shown
    finite = values[np.isfinite(values)]
    reach = [t for t in targets if finite.min() <= t <= finite.max()]
    lo, hi = min([lo, *reach]), max([hi, *reach])
    if hi <= lo:
        return npv_window(lo)
    pad = 0.04 * (hi - lo)
    return lo - pad, hi + pad


@plain_text
def npv_cdf(ax: Axes | None, summary: Summary, option_id: str) -> Axes:
    """P(NPV <= x) against x from the option's NPV quantile function, every NPV target of
    the scenario marked (``gid="target_<i>"``) and labelled with P(NPV < target) and its 95%
    interval (from the paths, not read off the curve). The curve carries ``gid="npv_cdf"``.
    """
    ax = new_axes(ax)
    currency = summary.scenario.currency
    option = summary.options[option_id]
    color = option_color(summary, option_id)
    levels = floats(option.npv_quantiles.levels)
    values = floats(option.npv_quantiles.values, levels.size)
    finite = np.isfinite(values) & np.isfinite(levels)
    targets = list(option.npv_targets)
    window = _x_range(levels, values, [t.target for t in targets])
    if window is None:
        empty_note(ax, "NPV is not a finite number on these paths: no distribution to draw.")
        lo, hi = -1.0, 1.0
    else:
        lo, hi = window
        x = np.concatenate([[lo], values[finite], [hi]])
        y = np.concatenate([[0.0], levels[finite], [1.0]])
        ax.plot(x, y, color=color, lw=2, gid="npv_cdf", drawstyle="default",
                label=f"P(NPV ≤ x): {shorten_line(option.name, 40)}")
    if lo < 0:
        ax.axvspan(lo, min(0.0, hi), color=LOSS_COLOR, alpha=0.08, lw=0)
    drawn = sorted(((p, i, t) for i, t in enumerate(targets)
                    if lo <= t.target <= hi and (p := finite_or_none(t.p_below)) is not None),
                   key=lambda item: item[0])
    heights = spread_labels([p for p, _, _ in drawn], gap=0.075, lo=0.04, hi=0.96)
    for (p, i, target), y_text in zip(drawn, heights, strict=True):
        ax.axvline(target.target, color="0.3", ls="--", lw=0.9, gid=f"target_{i}")
        ax.plot([target.target], [p], ls="none", marker="o", ms=5, color="0.1", zorder=5)
        right = target.target < lo + 0.6 * (hi - lo)
        dx = 0.02 * (hi - lo) * (1 if right else -1)
        ax.annotate(target_text(target.target, p, target.ci95, currency),
                    xy=(target.target, p), xytext=(target.target + dx, y_text),
                    ha="left" if right else "right", va="center", fontsize=8,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.5", "lw": 0.6},
                    arrowprops={"arrowstyle": "-", "color": "0.4", "lw": 0.7},
                    gid=f"target_label_{i}")
    off = [t for t in targets if not lo <= t.target <= hi]
    if off:
        ax.text(0.01, 0.99, "\n".join(target_text(t.target, t.p_below, t.ci95, currency)
                                      for t in off[:4]), transform=ax.transAxes,
                ha="left", va="top", fontsize=7.5, color="0.3", gid="targets_off_scale")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.02, 1.02)
    ax.xaxis.set_major_formatter(money_formatter(currency))
    ax.xaxis.set_major_locator(ticker.MaxNLocator(7))
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("P(NPV ≤ x)")
    sim = summary.simulation
    ax.set_xlabel(f"NPV over {sim.horizon_months} months, x ({shorten_line(currency, 20)})")
    title(ax, f"NPV cumulative distribution and targets: {option.name}", summary,
          paths_label(summary))
    if window is not None:
        ax.legend(loc="lower right", framealpha=0.9)
    return ax
