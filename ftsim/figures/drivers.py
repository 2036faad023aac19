"""Drivers of one option: how far each input swings P(payback within N) between its bottom
and top tenth of draws, with Monte Carlo error bars; inputs whose effect is within noise
are greyed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..core.summary_types import OptionSummary, Summary
from ..format import format_points, format_probability
from .style import (
    FIGSIZE,
    LOSS_COLOR,
    OPTION_COLORS,
    TITLE_SIZE,
    empty_note,
    finite_or_none,
    floats,
    plain_text,
    title_text,
)
from .text import clip, wrap

if TYPE_CHECKING:  # pragma: no cover
    from ..core.summary_types import DriverRow

__all__ = ["drivers", "NOISE_COLOR", "Z95"]

NOISE_COLOR = "0.72"
Z95 = 1.959963984540054  # two-sided 95 % normal quantile: error bars are swing ± Z95 se


# The panels' height (inches, at least) that the rows share, and the height of a label line
# (7.5 points, spaced 1.2): ten rows leave room for two lines of label each, seven for three.
ROWS_IN, LABEL_LINE_IN = 2.9, 7.5 * 1.2 / 72


def label_lines(rows: int) -> int:
    """Most lines of an input's label that fit its row beside the others' (1 to 3)."""
    return max(1, min(3, int((ROWS_IN / max(rows, 1) - 0.03) / LABEL_LINE_IN)))


def _wrap_label(label: str, width: float = 2.0, size: float = 7.5, max_lines: int = 3) -> str:
    """An input label as a tick label at most ``width`` inches wide, at most ``max_lines``
    lines, then an ellipsis."""
    return "\n".join(clip(wrap(label, width, size), max_lines))


def _swing_text(row: DriverRow) -> str:
    """``+45 pp ± 3`` (the error bar's half-width), ``n/a`` when unknown."""
    swing, se = finite_or_none(row.swing), finite_or_none(row.swing_se)
    if swing is None:
        return "n/a"
    text = format_points(swing)
    if se is not None and se > 0:
        text += f" ± {format_points(Z95 * se, signed=False)[:-3]}"
    return text


def _short(label: str, option: OptionSummary) -> str:
    """An input label without the option's name (the figure is about that option)."""
    suffix = f", {option.name}"
    return label[: -len(suffix)] if label.endswith(suffix) and label != suffix else label


def _swing_panel(left: Axes, rows: tuple[DriverRow, ...], y: np.ndarray,
                 option: OptionSummary) -> None:
    """Left: signed swing bars, error bars at ±1.96 se, noise greyed. Each value is written
    on the other side of zero from its bar, where there is room."""
    swing = np.nan_to_num(floats([r.swing for r in rows]), nan=0.0)
    se = np.nan_to_num(floats([r.swing_se for r in rows]), nan=0.0)
    colors = [NOISE_COLOR if not r.significant else OPTION_COLORS[0] if s >= 0 else LOSS_COLOR
              for r, s in zip(rows, swing, strict=True)]
    left.barh(y, swing, xerr=Z95 * se, color=colors, height=0.6, gid="swing",
              error_kw={"ecolor": "0.2", "elinewidth": 0.9, "capsize": 2.5})
    reach = min(1.05, max(0.1, float(np.max(np.abs(swing) + Z95 * se))) * 1.1)
    for yi, row, s in zip(y, rows, swing, strict=True):
        left.text(-0.03 * reach if s >= 0 else 0.03 * reach, yi, _swing_text(row),
                  va="center", ha="right" if s >= 0 else "left", fontsize=7,
                  color="0.1" if row.significant else "0.45")
    left.axvline(0, color="0.2", lw=0.8)
    left.set_xlim(-reach, reach)
    left.xaxis.set_major_locator(ticker.MaxNLocator(4, symmetric=True))
    left.xaxis.set_major_formatter(ticker.FuncFormatter(
        lambda x, _pos: format_points(x)[:-3]))
    lines = label_lines(len(rows))
    left.set_yticks(y, labels=[_wrap_label(_short(r.label, option), max_lines=lines)
                               for r in rows],
                    fontsize=7.5)
    for tick, row in zip(left.get_yticklabels(), rows, strict=True):
        if not row.significant:
            tick.set_color("0.45")
    left.set_ylim(-0.6, len(rows) - 0.4)
    left.grid(axis="y", visible=False)
    left.set_xlabel("Swing in P(payback), pp: top minus bottom tenth")
    left.set_title("> 0: higher input, payback more likely", loc="left", fontsize=8.5,
                   color="0.3")


def _decile_panel(right: Axes, rows: tuple[DriverRow, ...], y: np.ndarray,
                  option: OptionSummary, summary: Summary) -> None:
    """Right: P(payback within N) with each input in its bottom vs top tenth."""
    sim = summary.simulation
    low = floats([r.p_payback_low for r in rows])
    high = floats([r.p_payback_high for r in rows])
    right.hlines(y, low, high, color="0.6", lw=2)
    right.plot(low, y, ls="none", marker="o", ms=6, mfc="white", mec=OPTION_COLORS[0],
               mew=1.5, label="bottom tenth", gid="p_low")
    right.plot(high, y, ls="none", marker="o", ms=6, color=OPTION_COLORS[0],
               label="top tenth", gid="p_high")
    p_all = finite_or_none(option.p_payback_within)
    if p_all is not None:
        right.axvline(p_all, color="0.3", ls="--", lw=1,
                      label=f"all paths {format_probability(p_all)}")
    right.axvline(sim.required_probability, color=LOSS_COLOR, ls=":", lw=1.2,
                  label=f"required {format_probability(sim.required_probability)}")
    right.set_xlim(-0.02, 1.02)
    right.xaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    right.tick_params(axis="y", left=False, labelleft=False)
    right.grid(axis="y", visible=False)
    right.set_xlabel(f"P(payback within {sim.payback_within_months} months)")
    right.set_title("when the input is low vs high", loc="left", fontsize=8.5, color="0.3")
    handles, labels = right.get_legend_handles_labels()
    if any(not r.significant for r in rows):
        handles.append(Patch(color=NOISE_COLOR))
        labels.append("within noise")
    right.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2,
                 frameon=False)


@plain_text
def drivers(axes: tuple[Axes, Axes] | None, summary: Summary, option_id: str,
            top: int = 10) -> tuple[Axes, Axes]:
    """The ``top`` inputs ranked by their swing in P(payback within N) (the summary's order:
    significant ones first), as bars with 95% Monte Carlo error bars; beside them, P(payback)
    with each input in its bottom vs top tenth.

    Inputs whose effect is within noise are grey. The title goes on the (sub)figure holding
    the axes. Bars carry ``gid="swing"``. With no random input the axes say so in words.
    """
    if axes is None:
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        axes = tuple(fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1.1, 1.0]}))
    left, right = axes
    option = summary.options[option_id]
    rows = option.drivers[:top]
    n = len(rows)
    y = np.arange(n)[::-1]
    deadline = summary.simulation.payback_within_months
    left.figure.suptitle(
        title_text(left.figure, f"What decides payback: {option.name}", summary,
                   f"the {n} inputs that move P(payback within {deadline} months) most, "
                   "95% error bars", margin=0.3),
        x=0.01, ha="left", fontsize=TITLE_SIZE, linespacing=1.4)
    if n == 0:
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        empty_note(left, "No random inputs:\nevery path draws the same values.")
        empty_note(right, "No random inputs:\nno deciles to compare.")
        return left, right
    _swing_panel(left, rows, y, option)
    if all(finite_or_none(r.swing) is None for r in rows):
        empty_note(left, "P(payback) is not known in the inputs' outer tenths.")
    _decile_panel(right, rows, y, option, summary)
    return left, right
