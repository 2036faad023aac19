"""Sweep figure: P(payback within N) with Wilson bands and median NPV against the swept value.

Takes results (never runs the engine), draws on the Axes it is given (or a new pyplot-free
Figure when ``axes`` is None) and returns them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..format import format_probability
from .style import (
    FIGSIZE,
    LEGEND_NAME_IN,
    LEGEND_SIZE,
    LOSS_COLOR,
    index_color,
    money_formatter,
    plain_text,
    study_title,
)
from .text import fit, shorten_line

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["sweep_chart"]


@plain_text
def sweep_chart(axes: tuple[Axes, Axes] | None, frame: pd.DataFrame,
                meta: Mapping[str, Any]) -> tuple[Axes, Axes]:
    """P(payback within N) (top, with 95% Wilson bands) and median NPV (bottom) against the value.

    ``frame`` is `ftsim.core.studies.sweep.sweep`'s DataFrame; ``meta`` needs ``param``,
    ``payback_within_months``, ``required_probability``, ``currency``, ``scenario``,
    ``paths`` and optionally ``label`` (the swept input's human label, e.g. from
    ``ftsim.scenario.input_label``; the key path otherwise) and ``log`` (log x axis). The
    lines carry ``gid="p_<id>"`` and ``gid="npv_<id>"``.
    """
    if axes is None:
        fig = Figure(figsize=(FIGSIZE[0], 7.0), layout="constrained")
        axes = tuple(fig.subplots(2, 1, sharex=True))
    top, bottom = axes
    numeric = frame["value"].map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    for index, (option_id, rows) in enumerate(frame[numeric].groupby("option", sort=False)):
        x = rows["value"].astype(float).to_numpy()
        order = np.argsort(x, kind="stable")
        x = x[order]
        color = index_color(index)
        label = fit(f"{rows['name'].iloc[0]} [{option_id}]", LEGEND_NAME_IN, LEGEND_SIZE)
        top.fill_between(x, rows["p_payback_within_ci95_low"].to_numpy()[order],
                         rows["p_payback_within_ci95_high"].to_numpy()[order], color=color,
                         alpha=0.18, lw=0)
        top.plot(x, rows["p_payback_within"].to_numpy()[order], color=color, lw=2, marker="o",
                 ms=4, label=label, gid=f"p_{option_id}")
        bottom.plot(x, rows["npv_p50"].to_numpy()[order], color=color, lw=2, marker="o", ms=4,
                    label=label, gid=f"npv_{option_id}")
    required = meta["required_probability"]
    top.axhline(required, color=LOSS_COLOR, ls=":", lw=1.2,
                label=f"required probability {format_probability(required)}")
    top.set_ylim(-0.02, 1.02)
    top.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    top.set_ylabel(f"P(payback within {meta['payback_within_months']} months)")
    swept = meta.get("label") or meta["param"]
    study_title(top, f"Sweep of {swept}",
           f"{meta['scenario']} · {meta['paths']:,} paths per point, same seed")
    top.legend(loc="best", framealpha=0.9)
    bottom.axhline(0, color="0.15", lw=0.9, zorder=1)
    bottom.yaxis.set_major_formatter(money_formatter(meta["currency"]))
    bottom.set_ylabel(f"Median NPV ({shorten_line(meta['currency'], 20)})")
    bottom.set_xlabel(swept if swept == meta["param"] else f"{swept} ({meta['param']})")
    if meta.get("log"):
        bottom.set_xscale("log")
    return top, bottom

