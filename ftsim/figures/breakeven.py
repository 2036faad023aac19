"""Break-even figure: P(payback within N) against median tokens per month, every option."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..format import format_probability, format_tokens
from .style import (
    FIGSIZE,
    LEGEND_NAME_IN,
    LEGEND_SIZE,
    LOSS_COLOR,
    index_color,
    plain_text,
    study_title,
    tokens_formatter,
)
from .text import fit

__all__ = ["breakeven_chart"]


@plain_text
def breakeven_chart(ax: Axes | None, curve: Mapping[str, Any]) -> Axes:
    """P(payback within N) against median tokens per month (log axis), every option.

    ``curve`` is `ftsim.core.studies.breakeven.breakeven_curve`'s dict. Shows each option's 95% band, the
    0.5 and required-probability levels, the break-evens found (diamonds, ``gid=
    "breakeven_<id>"``, their volumes in the option's legend entry), the scenario's own
    volume (dotted line) and the article's 10M-100M band (shaded, with both marks). The
    curves carry ``gid="curve_<id>"``.
    """
    if ax is None:
        ax = Figure(figsize=FIGSIZE, layout="constrained").add_subplot()
    x = np.asarray(curve["tokens_per_month"], dtype=float)  # None (null) -> NaN: a gap
    lo_mark, hi_mark = curve["marks"][0], curve["marks"][-1]
    ax.axvspan(lo_mark, hi_mark, color="0.85", alpha=0.5, lw=0,
               label="article: break-even 10M–100M tokens/month")
    for mark in curve["marks"]:
        ax.axvline(mark, color="0.45", lw=0.8, ls="-", zorder=1)
    for index, (option_id, option) in enumerate(curve["options"].items()):
        color = index_color(index)
        band = np.asarray(option["p_payback_within_ci95"], dtype=float)
        ax.fill_between(x, band[:, 0], band[:, 1], color=color, alpha=0.18, lw=0)
        found = [(c["tokens_per_month"], c["level"]) for c in (option["p50"], option["required"])
                 if c["tokens_per_month"] is not None]
        # the break-even volumes go in the legend, never beside the diamonds: two options
        # crossing near each other printed "8.79B" over "11.1B"
        where = ", ".join(f"{format_probability(level)} at {format_tokens(tokens)}"
                          for tokens, level in found)
        name = fit(option["name"], LEGEND_NAME_IN - (1.6 if where else 0), LEGEND_SIZE)
        ax.plot(x, option["p_payback_within"], color=color, lw=2, marker="o", ms=3.5,
                label=f"{name}: {where}" if where else name, gid=f"curve_{option_id}")
        if found:
            xs, ys = zip(*found, strict=True)
            ax.plot(xs, ys, ls="none", marker="D", ms=7, mfc="white", mec=color, mew=1.6,
                    zorder=5, gid=f"breakeven_{option_id}")
    required = curve["required_probability"]
    ax.axhline(0.5, color="0.3", ls="--", lw=1, label="P = 50%")
    ax.axhline(required, color=LOSS_COLOR, ls=":", lw=1.2,
               label=f"required probability {format_probability(required)}")
    own = curve["scenario_volume"]["tokens_per_month"]
    if own is not None and np.isfinite(own) and own > 0:  # null in JSON when not finite
        ax.axvline(own, color="0.2", ls=":", lw=1.2,
                   label=f"scenario's own volume ({format_tokens(own)} tokens/month)")
    ax.set_xscale("log")
    shown = x[np.isfinite(x) & (x > 0)]
    lo, hi = (shown.min(), shown.max()) if shown.size else (lo_mark, hi_mark)
    if hi <= lo:  # one point: identical limits would only raise a warning
        lo, hi = lo / 2, hi * 2
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(tokens_formatter())
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Median tokens per month (baseline arm, mean over the horizon)")
    ax.set_ylabel(f"P(payback within {curve['payback_within_months']} months)")
    study_title(ax, "Break-even volume: P(payback) against traffic",
           f"{curve['scenario']} · {curve['paths']:,} paths per point, same seed")
    ax.legend(loc="upper left", framealpha=0.9)
    return ax
