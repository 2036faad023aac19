"""What is worth learning before deciding: each random input's value of perfect information
(EVPPI, with the scenario's groups) against the value of knowing everything (EVPI), and
below, each pilot's value (its EVSI, discounted over its duration) against its cost."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

from ..core.summary_types import Summary, ValueOfInformation
from ..format import format_money
from .style import (
    FIGSIZE,
    LOSS_COLOR,
    OPTION_COLORS,
    TITLE_SIZE,
    empty_note,
    finite_or_none,
    floats,
    money_formatter,
    plain_text,
    title_text,
)
from .text import clip, wrap

__all__ = ["voi_chart", "VOI_ROWS", "NOISE_COLOR", "GROUP_COLOR", "Z95"]

VOI_ROWS = 8  # inputs (after the groups) shown at most
NOISE_COLOR = "0.72"  # a value within noise (or under 1 % of EVPI, for an input)
GROUP_COLOR = "#009E73"
Z95 = 1.959963984540054


def _label(text: str, width: float = 2.1, size: float = 7.5) -> str:
    return "\n".join(clip(wrap(text, width, size), 2))


def _bar_rows(voi: ValueOfInformation) -> list[tuple[str, float, float, str]]:
    """(label, value, se, colour) per bar: the groups, then the inputs worth most; grey
    when within noise (an input: not worth learning, InputValue.worth_learning)."""
    rows = [(f"{g.name} (group)", g.value, g.se,
             GROUP_COLOR if _clear(g.value, g.se) else NOISE_COLOR) for g in voi.groups]
    for row in voi.evppi[:VOI_ROWS]:
        rows.append((row.label, row.value, row.se,
                     OPTION_COLORS[0] if row.worth_learning else NOISE_COLOR))
    return rows


def _clear(value: float | None, se: float | None) -> bool:
    """A value beyond 2 standard errors of 0 (grey bars are within Monte Carlo noise)."""
    value, se = finite_or_none(value), finite_or_none(se)
    return value is not None and se is not None and value > 2 * se


def _value_panel(ax: Axes, voi: ValueOfInformation, currency: str) -> None:
    """Horizontal EVPPI bars with 95 % error bars; the EVPI as a dashed line with its band."""
    rows = _bar_rows(voi)
    if not rows:
        empty_note(ax, "No random inputs: there is nothing to learn.")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    y = np.arange(len(rows))[::-1]
    values = np.nan_to_num(floats([r[1] for r in rows]), nan=0.0)
    errors = Z95 * np.nan_to_num(floats([r[2] for r in rows]), nan=0.0)
    ax.barh(y, values, xerr=errors, color=[r[3] for r in rows], height=0.6, gid="evppi",
            error_kw={"ecolor": "0.2", "elinewidth": 0.9, "capsize": 2.5})
    evpi, se = finite_or_none(voi.evpi.value), finite_or_none(voi.evpi.se)
    band = Z95 * (se or 0.0)
    if evpi is not None:
        ax.axvspan(evpi - band, evpi + band, color=LOSS_COLOR, alpha=0.12, lw=0)
        ax.axvline(evpi, color=LOSS_COLOR, ls="--", lw=1.2, gid="evpi",
                   label=f"EVPI {format_money(evpi, currency)}: knowing everything")
    reach = max((evpi or 0.0) + band, float(np.max(values + errors)), 1.0)
    for yi, value, error in zip(y, values, errors, strict=True):
        ax.text(value + error + 0.01 * reach, yi, format_money(value, currency), fontsize=7,
                va="center", ha="left", color="0.15")
    ax.set_xlim(0, reach * 1.15)
    ax.set_yticks(y, labels=[_label(r[0]) for r in rows], fontsize=7.5)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(money_formatter(currency))
    ax.set_xlabel(f"Value of knowing before deciding ({currency}): EVPPI, 95% error bars")
    if evpi is not None:
        ax.legend(loc="lower right", frameon=False, fontsize=7.5)


def _pilot_panel(ax: Axes, voi: ValueOfInformation, currency: str) -> None:
    """Per pilot two bars: its worth (discounted EVSI) and its cost (price plus delay)."""
    pilots = voi.pilots
    y = np.arange(len(pilots))[::-1].astype(float)
    worth = np.nan_to_num(floats([p.worth_today for p in pilots]), nan=0.0)
    factor = np.nan_to_num(floats([p.discount_factor for p in pilots]), nan=0.0)
    errors = Z95 * factor * np.nan_to_num(floats([p.se for p in pilots]), nan=0.0)
    cost = np.nan_to_num(floats([p.total_cost for p in pilots]), nan=0.0)
    ax.barh(y + 0.18, worth, xerr=errors, height=0.34, color=OPTION_COLORS[2], gid="pilot_worth",
            label="worth: EVSI, discounted over the pilot",
            error_kw={"ecolor": "0.2", "elinewidth": 0.9, "capsize": 2.5})
    ax.barh(y - 0.18, cost, height=0.34, color=LOSS_COLOR, gid="pilot_cost",
            label="cost: its price plus deciding later")
    reach = max(float(np.max(worth + errors)), float(np.max(cost)), 1.0)
    for yi, pilot in zip(y, pilots, strict=True):
        ax.text(reach * 1.02, yi, f"net {format_money(pilot.net_value, currency)}", fontsize=7,
                va="center", ha="left", color="0.15")
    ax.set_xlim(0, reach * 1.3)
    ax.set_yticks(y, labels=[_label(p.name) for p in pilots], fontsize=7.5)
    ax.set_ylim(-0.6, len(pilots) - 0.4)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(money_formatter(currency))
    ax.set_xlabel(f"Pilots ({currency})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.5), ncol=2, frameon=False,
              fontsize=7.5)


def _rows_ratio(voi: ValueOfInformation) -> Sequence[float]:
    return (max(3, len(_bar_rows(voi))), 1.5 + 1.2 * len(voi.pilots))


@plain_text
def voi_chart(container: Figure | SubFigure | None, summary: Summary) -> list[Axes]:
    """EVPPI of the groups and the inputs worth most against EVPI (top), and the pilots'
    worth against their cost (below, when the scenario declares pilots). Bars carry
    ``gid="evppi"``, ``"pilot_worth"`` and ``"pilot_cost"``; the EVPI line ``"evpi"``.
    A summary without value of information gets a note saying so."""
    if container is None:
        container = Figure(figsize=FIGSIZE, layout="constrained")
    voi = summary.value_of_information
    currency = summary.scenario.currency
    if voi is None:
        ax = container.add_subplot()
        ax.set_xticks([])
        ax.set_yticks([])
        empty_note(ax, "The value of information was not computed for this run.")
        return [ax]
    best = voi.evppi[0].label if voi.evppi else "none"
    container.suptitle(
        title_text(container, "What is worth learning before deciding", summary,
                   f"decision now: {voi.decision_now_name}; the input worth most: {best}",
                   margin=0.3),
        x=0.01, ha="left", fontsize=TITLE_SIZE, linespacing=1.4)
    if not voi.pilots:
        ax = container.add_subplot()
        _value_panel(ax, voi, currency)
        return [ax]
    top, bottom = container.subplots(2, 1, gridspec_kw={"height_ratios": _rows_ratio(voi)})
    _value_panel(top, voi, currency)
    _pilot_panel(bottom, voi, currency)
    return [top, bottom]
