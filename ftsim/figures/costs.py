"""Where the money goes: an option's mean monthly cost by component against the baseline."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from ..format import format_money
from .style import (
    LEGEND_COLUMN_NAME_IN,
    LEGEND_SIZE,
    floats,
    money_formatter,
    month_axis,
    new_axes,
    plain_text,
    title,
)
from .text import fit, shorten_line

__all__ = ["cost_breakdown"]


_COST_COMPONENTS = (
    # key in monthly_mean_cost, legend label, colour
    ("serving", "serving", "#0072B2"),
    ("escalation", "escalation to baseline", "#56B4E9"),
    ("errors", "cost of errors", "#D55E00"),
    ("rag", "RAG", "#999999"),
    ("maintenance", "maintenance", "#009E73"),
    ("retraining", "retraining and rebuilds", "#CC79A7"),
    ("baseline_while_not_live", "baseline while not live", "#E69F00"),
)


@plain_text
def cost_breakdown(ax: Axes | None, summary: dict[str, Any], option_id: str) -> Axes:
    """Mean monthly cost of the option split by component (stacked bars) against the baseline.

    Components that are zero in every month are left out; each legend entry gives the
    component's total over the horizon. The layer of component ``c`` (a StepPatch whose
    values are the running total up to and including ``c``) carries ``gid="cost_c"``.
    Months whose cost is None (not finite) are gaps.
    """
    ax = new_axes(ax)
    currency = summary["scenario"]["currency"]
    horizon = summary["simulation"]["horizon_months"]
    option = summary["options"][option_id]
    costs = option["monthly_mean_cost"]
    edges = np.arange(horizon + 1) + 0.5  # month t spans [t - 0.5, t + 0.5]
    bottom = np.zeros(horizon)
    for key, label, color in _COST_COMPONENTS:
        values = floats(costs.get(key), horizon)
        if not np.any(values):  # NaN counts as non-zero: a non-finite cost is shown as a gap
            continue
        total = format_money(float(values.sum()), currency)
        # one stacked step area per component: as readable as bars, far fewer artists
        ax.stairs(bottom + values, edges, baseline=bottom.copy(), fill=True, color=color,
                  lw=0, label=f"{label} ({total})", gid=f"cost_{key}")
        bottom = bottom + values
    baseline = floats(costs.get("baseline"), horizon)
    if "baseline_api" in costs:  # the baseline's token bill alone, to set against "serving"
        tokens = floats(costs["baseline_api"], horizon)
        ax.stairs(tokens, edges, color="0.05", lw=1.5, ls="--", gid="cost_baseline_api",
                  label=f"baseline API tokens only "
                        f"({format_money(float(tokens.sum()), currency)})")
    name = fit(summary["baseline"]["name"], LEGEND_COLUMN_NAME_IN, LEGEND_SIZE)
    ax.stairs(baseline, edges, color="0.05", lw=2, gid="cost_baseline",
              label=f"baseline: {name} ({format_money(float(baseline.sum()), currency)})")
    month_axis(ax, horizon)
    finite = np.concatenate([bottom, baseline])
    finite = finite[np.isfinite(finite)]
    ax.set_ylim(0, max(float(finite.max(initial=0.0)), 1e-9) * 1.08)
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylabel(f"Mean cost per month ({shorten_line(currency, 20)})")
    ax.grid(axis="x", visible=False)
    title(ax, f"Where the money goes: {option['name']} vs baseline", summary,
           f"mean monthly cost, totals over {horizon} months in the legend")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    return ax


# ---------------------------------------------------------------------------------------------
