"""Fan chart: cumulative net savings by month for one option, with percentile bands."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from ..core.summary_types import Summary
from .style import (
    empty_note,
    floats,
    money_formatter,
    month_axis,
    new_axes,
    option_color,
    paths_label,
    plain_text,
    title,
)
from .text import shorten_line

__all__ = ["fan_chart"]


@plain_text
def fan_chart(ax: Axes | None, summary: Summary, option_id: str) -> Axes:
    """Cumulative net savings by month for one option: median, P25-P75 and P5-P95 bands.

    Marks zero, the payback deadline N and the median payback month (a diamond on the zero
    line, ``gid="median_payback"``); when fewer than half of the paths pay back within the
    horizon the title says so and no marker is drawn or listed. The median line carries
    ``gid="median"``. Band values that are None (not finite) leave gaps.
    """
    ax = new_axes(ax)
    sim = summary.simulation
    horizon, deadline = sim.horizon_months, sim.payback_within_months
    option = summary.options[option_id]
    bands = {key: floats(band, horizon) for key, band in option.cumulative_net_savings.items()}
    color = option_color(summary, option_id)
    months = np.arange(1, horizon + 1)
    ax.fill_between(months, bands["p5"], bands["p95"], color=color, alpha=0.15, lw=0,
                    label="P5–P95")
    ax.fill_between(months, bands["p25"], bands["p75"], color=color, alpha=0.35, lw=0,
                    label="P25–P75")
    ax.plot(months, bands["p50"], color=color, lw=2, label="median", gid="median")
    ax.axhline(0, color="0.15", lw=0.9, zorder=1)
    ax.axvline(deadline, color="0.3", ls="--", lw=1, label=f"N = {deadline} months")
    median_payback = option.payback_month.p50
    if median_payback is not None:
        ax.plot([median_payback], [0], ls="none", marker="D", ms=7, mfc="white", mec="0.1",
                mew=1.5, zorder=5, gid="median_payback",
                label=f"median payback: month {median_payback}")
        payback_text = f"median payback month {median_payback}"
    else:
        payback_text = f"fewer than half of the paths pay back by month {horizon}"
    if not any(np.isfinite(band).any() for band in bands.values()):
        empty_note(ax, "Cumulative net savings are not finite numbers on these paths: "
                        "no bands to draw.")
    month_axis(ax, horizon)
    currency = summary.scenario.currency
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylabel(f"Cumulative net savings ({shorten_line(currency, 20)})")
    title(ax, f"Cumulative net savings vs baseline: {option.name}", summary,
          f"upfront cost included, {payback_text}, {paths_label(summary)}")
    ax.legend(loc="best", framealpha=0.9)
    return ax
