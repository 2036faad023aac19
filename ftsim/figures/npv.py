"""NPV distribution of one option: histogram, percentile lines and the loss region."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from ..format import format_money, format_probability
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

__all__ = ["npv_distribution"]


def _npv_window(value: float) -> tuple[float, float]:
    """An x range around a single NPV wide enough for distinct tick labels at any magnitude
    (the summary's ±1 histogram around a constant of 1e15 spans a few float steps)."""
    half = max(abs(value) * 0.05, 1.0)
    return value - half, value + half


@plain_text
def npv_distribution(ax: Axes | None, summary: dict[str, Any], option_id: str) -> Axes:
    """Histogram of NPV with P5/P50/P95 lines and the loss region (NPV < 0) shaded.

    Bar heights are shares of all paths; the histogram covers about P0.5-P99.5 of NPV. When
    that range holds one value (NPV the same on every path) the figure shows one bar and says
    so in words on the axes; percentiles that are None (not finite) are not drawn.
    """
    ax = new_axes(ax)
    currency = summary["scenario"]["currency"]
    option = summary["options"][option_id]
    paths = summary["simulation"]["paths"]
    histogram = option.get("npv_histogram") or {}
    edges, counts = floats(histogram.get("edges")), floats(histogram.get("counts"))
    npv = {key: finite_or_none(option["npv"].get(key)) for key in ("p5", "p50", "p95")}
    color = option_color(summary, option_id)
    usable = (edges.size >= 2 and counts.shape == (edges.size - 1,)
              and bool(np.all(np.isfinite(edges)) and np.all(np.isfinite(counts))
                       and np.all(np.diff(edges) > 0)))
    if usable and np.count_nonzero(counts) > 1:
        lo, hi = float(edges[0]), float(edges[-1])
        shares = counts / paths
        ax.stairs(shares, edges, fill=True, color=color, alpha=0.55, lw=0, gid="npv_histogram")
        ax.stairs(shares, edges, color=color, lw=1)
    else:
        # One value on (almost) every path: a single bar in a readable window.
        share = float(counts.sum()) / paths if usable else None
        value = npv["p50"]
        if value is None and usable:
            i = int(np.argmax(counts))
            value = float(edges[i] + edges[i + 1]) / 2
        if value is None:
            lo, hi = -1.0, 1.0
            empty_note(ax, "NPV is not a finite number on these paths: no histogram to draw.")
        else:
            lo, hi = _npv_window(value)
            if share:
                bar = (hi - lo) / 80
                ax.stairs([share], [value - bar, value + bar], fill=True, color=color,
                          alpha=0.55, lw=1, ec=color, gid="npv_histogram")
            where = (f" on {format_probability(share)} of paths" if share
                     else " on most paths (P5 = P95)" if npv["p5"] == npv["p95"] else "")
            empty_note(ax, f"NPV is {format_money(value, currency)}{where}:\n"
                            "no spread to draw.")
    loss = f"loss (NPV < 0): {format_probability(option['p_npv_negative'])} of paths"
    if lo < 0:
        ax.axvspan(lo, min(0.0, hi), color=LOSS_COLOR, alpha=0.12, lw=0, label=loss,
                   gid="loss_region")
    for key, style in (("p5", ":"), ("p50", "-"), ("p95", "--")):
        if npv[key] is not None:
            ax.axvline(npv[key], color="0.15", ls=style, lw=1.2,
                       label=f"{key.upper()} {format_money(npv[key], currency)}")
    ax.axvline(0, color=LOSS_COLOR, lw=0.8)
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(money_formatter(currency))
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=None))
    ax.set_xlabel(f"NPV over {summary['simulation']['horizon_months']} months "
                  f"({shorten_line(currency, 20)}, discounted at "
                  f"{summary['simulation']['discount_rate_annual']:.0%}/year)")
    ax.set_ylabel("Share of paths per bin")
    title(ax, f"NPV distribution: {option['name']} vs baseline", summary,
           paths_label(summary))
    handles, labels = ax.get_legend_handles_labels()
    if lo >= 0:  # no loss region in view: the probability of loss still goes in the legend
        handles.insert(0, Patch(facecolor=LOSS_COLOR, alpha=0.12, lw=0))
        labels.insert(0, loss)
    ax.legend(handles, labels, loc="upper right", framealpha=0.9)
    return ax
