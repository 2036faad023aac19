"""Where the money goes: an option's running cost against the baseline's API bill on one
panel, the cost of errors (and of months spent on the baseline) on its own panel below."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..core.summary_types import Summary
from ..format import format_money
from .style import (
    FIGSIZE,
    LEGEND_COLUMN_NAME_IN,
    LEGEND_SIZE,
    TITLE_SIZE,
    floats,
    money_formatter,
    month_axis,
    plain_text,
    title_text,
)
from .text import fit, shorten_line

__all__ = ["cost_breakdown", "RUNNING_PARTS", "ERROR_PARTS"]

# Running cost of the option while live (stacked on the top panel), against the baseline's
# tokens + RAG: the comparison the article calls total cost of ownership, errors aside.
RUNNING_PARTS = (
    # field of MonthlyCosts, legend label, colour
    ("serving", "serving", "#0072B2"),
    ("escalation", "escalation to baseline", "#56B4E9"),
    ("rag", "RAG", "#999999"),
    ("maintenance", "maintenance", "#009E73"),
    ("retraining", "retraining and rebuilds", "#CC79A7"),
)
# Bottom panel: the option's cost of errors, and its months on the baseline (lead time or
# abandoned: the baseline's whole cost, mostly its errors), against the baseline's errors.
ERROR_PARTS = (
    ("errors", "cost of errors", "#D55E00"),
    ("baseline_while_not_live", "months not live: whole baseline cost", "#E69F00"),
)


def _stack(ax: Axes, summary: Summary, option_id: str,
           parts: tuple[tuple[str, str, str], ...]) -> np.ndarray:
    """Stacked step areas of ``parts`` (the layer of part ``c``, a StepPatch whose values are
    the running total up to and including ``c``, carries ``gid="cost_c"``); parts that are
    zero in every month are left out. Returns the stack's top."""
    horizon = summary.simulation.horizon_months
    costs = summary.options[option_id].monthly_mean_cost
    currency = summary.scenario.currency
    edges = np.arange(horizon + 1) + 0.5  # month t spans [t - 0.5, t + 0.5]
    bottom = np.zeros(horizon)
    for key, label, color in parts:
        values = floats(getattr(costs, key), horizon)
        if not np.any(values):  # NaN counts as non-zero: a non-finite cost is shown as a gap
            continue
        total = format_money(float(values.sum()), currency)
        ax.stairs(bottom + values, edges, baseline=bottom.copy(), fill=True, color=color,
                  lw=0, label=f"{label} ({total})", gid=f"cost_{key}")
        bottom = bottom + values
    return bottom


def _line(ax: Axes, summary: Summary, values: np.ndarray, label: str, gid: str) -> None:
    horizon = summary.simulation.horizon_months
    total = format_money(float(values.sum()), summary.scenario.currency)
    ax.stairs(values, np.arange(horizon + 1) + 0.5, color="0.05", lw=2, gid=gid,
              label=f"{label} ({total})")


def _finish(ax: Axes, summary: Summary, heights: list[np.ndarray], what: str) -> None:
    currency = summary.scenario.currency
    month_axis(ax, summary.simulation.horizon_months)
    finite = np.concatenate(heights)
    finite = finite[np.isfinite(finite)]
    ax.set_ylim(0, max(float(finite.max(initial=0.0)), 1e-9) * 1.08)
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylabel(f"Mean per month ({shorten_line(currency, 12)})")
    ax.grid(axis="x", visible=False)
    ax.set_title(what, loc="left", fontsize=8.5, color="0.3")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=7.5)


@plain_text
def cost_breakdown(axes: tuple[Axes, Axes] | None, summary: Summary,
                   option_id: str) -> tuple[Axes, Axes]:
    """Mean monthly cost of one option against the baseline, on two panels with their own
    scales: top, the option's running cost (serving, escalation, RAG, maintenance,
    retraining; stacked) against the baseline's API tokens + RAG (line, ``gid=
    "cost_baseline_api"``); bottom, the option's cost of errors and its months on the
    baseline against the baseline's cost of errors (``gid="cost_baseline_errors"``).

    The cost of errors is usually ten to a hundred times the token bills: on one scale it
    hid the comparison that decides the build. Legend entries give totals over the horizon;
    months whose cost is None (not finite) are gaps.
    """
    if axes is None:
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        axes = tuple(fig.subplots(2, 1, sharex=True))
    top, bottom = axes
    option = summary.options[option_id]
    horizon = summary.simulation.horizon_months
    costs = option.monthly_mean_cost
    baseline = fit(summary.baseline_name, LEGEND_COLUMN_NAME_IN, LEGEND_SIZE)
    top.figure.suptitle(
        title_text(top.figure, f"Where the money goes: {option.name} vs {baseline}", summary,
                   f"mean monthly cost, totals over {horizon} months in the legends",
                   margin=0.3),
        x=0.01, ha="left", fontsize=TITLE_SIZE, linespacing=1.4)
    running = _stack(top, summary, option_id, RUNNING_PARTS)
    tokens = floats(costs.baseline_api, horizon) + floats(costs.baseline_rag, horizon)
    _line(top, summary, tokens, "baseline: API tokens + RAG", "cost_baseline_api")
    _finish(top, summary, [running, tokens], "Running cost, errors aside")
    errors = _stack(bottom, summary, option_id, ERROR_PARTS)
    baseline_errors = floats(costs.baseline_errors, horizon)
    _line(bottom, summary, baseline_errors, "baseline: cost of errors", "cost_baseline_errors")
    _finish(bottom, summary, [errors, baseline_errors], "Cost of errors, on its own scale")
    top.set_xlabel("")
    return top, bottom
