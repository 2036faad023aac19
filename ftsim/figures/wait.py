"""The option-to-wait figure: the value of waiting k months (with its 95% interval) against k,
beside what perfect information at k would be worth and what waiting without learning costs.

Takes the analysis's result (never runs the engine), draws on the Axes it is given (or a new
pyplot-free Figure when ``ax`` is None) and returns them.
"""

from __future__ import annotations

import io

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..core.studies.wait_types import WaitAnalysis
from ..format import format_money
from .style import (
    FIGSIZE,
    LOSS_COLOR,
    house_style,
    index_color,
    money_formatter,
    plain_text,
    study_title,
)
from .text import shorten_line

__all__ = ["STEM", "wait_chart", "wait_svg"]

STEM = "wait"  # the figure's file stem: wait.png, and its name in the report
BEST_COLOR = "#1a7f37"


def _bound(ax: Axes, analysis: WaitAnalysis) -> None:
    """The perfect-information bound: a dashed line, or, when it would squash the values
    (above four times their span), triangles on the top edge labelled with its values."""
    rows = analysis.rows
    months = [r.month for r in rows]
    bounds = [r.perfect_bound for r in rows]
    shown = [0.0] + [x for r in rows for x in (*r.value_ci95, r.no_learning_value)]
    lo, hi = min(shown), max(shown)
    span = max(hi - lo, 0.02 * max(abs(b) for b in bounds), 1e-9 * max(1.0, abs(hi)))
    if max(bounds) <= hi + 4 * span:
        ax.plot(months, bounds, color="0.45", ls="--", lw=1.3, marker="^", ms=4,
                label="with perfect information at k (bound)", gid="bound")
        return
    top = hi + 0.25 * span
    ax.set_ylim(lo - 0.1 * span, top)
    ax.plot(months, [top] * len(months), color="0.45", ls="", marker="^", ms=6, clip_on=False,
            label="with perfect information at k (bound, off scale: value above)", gid="bound")
    for k, b in zip(months, bounds, strict=True):
        ax.annotate(format_money(b, ""), (k, top), xytext=(0, -11), textcoords="offset points",
                    ha="center", fontsize=7, color="0.35")


@plain_text
def wait_chart(ax: Axes | None, analysis: WaitAnalysis) -> Axes:
    """Value of waiting with 95% intervals (``gid="value"``), the perfect-information bound
    (``gid="bound"``) and the value without learning (``gid="no_learning"``) against the
    decision month, 0 = deciding now; the best month ringed."""
    if ax is None:
        ax = Figure(figsize=FIGSIZE, layout="constrained").add_subplot()
    rows = analysis.rows
    months = [r.month for r in rows]
    _bound(ax, analysis)
    ax.plot(months, [r.no_learning_value for r in rows], color=index_color(1), ls=":",
            lw=1.5, marker="s", ms=4, label="waiting without learning (cost of delay)",
            gid="no_learning")
    values = [r.value for r in rows]
    err = [[r.value - r.value_ci95[0] for r in rows], [r.value_ci95[1] - r.value for r in rows]]
    ax.errorbar(months, values, yerr=err, color=index_color(0), lw=2.0, marker="o", ms=5,
                capsize=3, label="value of waiting, then deciding (95% interval)", gid="value")
    best = rows[analysis.best]
    ax.plot([best.month], [best.value], marker="o", ms=14, mfc="none", mec=BEST_COLOR, mew=1.8,
            ls="", label=f"best: {'decide now' if best.month == 0 else f'wait {best.month} months'}",
            zorder=5)
    ax.axhline(0, color=LOSS_COLOR, lw=0.9, ls=":", zorder=1)
    ax.set_xticks(months, ["now" if k == 0 else str(k) for k in months])
    ax.set_xlabel("Decision month k (months of baseline before deciding)")
    ax.yaxis.set_major_formatter(money_formatter(analysis.currency))
    ax.set_ylabel(f"Value against deciding now ({shorten_line(analysis.currency, 20)})")
    what = (analysis.options[0][1] if len(analysis.options) == 1
            else f"the baseline or one of {len(analysis.options)} options")
    pilot = f" · pilot: {analysis.pilot}" if analysis.pilot else ""
    study_title(ax, f"Value of waiting before deciding: {what}",
                f"{analysis.scenario} · {analysis.paths:,} paths, same draws for every k "
                f"(common random numbers){pilot}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False,
              fontsize=7.5)  # below the axes: never over the off-scale bound's labels
    return ax


def wait_svg(analysis: WaitAnalysis) -> str:
    """The figure as SVG text (text as glyph paths; no date, ids salted: same run, same
    bytes), as the report's figures are drawn."""
    with house_style(), matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": STEM}):
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        wait_chart(fig.add_subplot(), analysis)
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
