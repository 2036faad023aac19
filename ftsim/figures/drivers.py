"""Drivers of one option: Spearman tornado with NPV and P(payback) by bottom vs top decile."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..format import format_probability
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

__all__ = ["drivers"]


def _wrap_key(key: str, width: float = 2.0, size: float = 7.5, max_lines: int = 3) -> str:
    """A key path as a tick label at most ``width`` inches wide: broken after dots where it
    can, anywhere inside a longer part; at most ``max_lines`` lines, then an ellipsis."""
    return "\n".join(clip(wrap(key, width, size), max_lines))


def _decile_panel(right: Axes, rows: list[dict[str, Any]], y: np.ndarray,
                  option: dict[str, Any], sim: dict[str, Any]) -> None:
    """The right panel: P(payback within N) with each input in its bottom vs top decile."""
    low = floats([r["p_payback_low"] for r in rows])
    high = floats([r["p_payback_high"] for r in rows])
    right.hlines(y, low, high, color="0.6", lw=2)
    right.plot(low, y, ls="none", marker="o", ms=6, mfc="white", mec=OPTION_COLORS[0],
               mew=1.5, label="input in bottom decile", gid="p_low")
    right.plot(high, y, ls="none", marker="o", ms=6, color=OPTION_COLORS[0],
               label="input in top decile", gid="p_high")
    p_all = finite_or_none(option["p_payback_within"])
    if p_all is not None:
        right.axvline(p_all, color="0.3", ls="--", lw=1,
                      label=f"all paths {format_probability(p_all)}")
    right.axvline(sim["required_probability"], color=LOSS_COLOR, ls=":", lw=1.2,
                  label=f"required {format_probability(sim['required_probability'])}")
    right.set_xlim(-0.02, 1.02)
    right.xaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    right.tick_params(axis="y", left=False, labelleft=False)
    right.grid(axis="y", visible=False)
    right.set_xlabel(f"P(payback within {sim['payback_within_months']} months)")
    right.set_title("when the input is low vs high", loc="left", fontsize=8.5, color="0.3")
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)


@plain_text
def drivers(axes: tuple[Axes, Axes] | None, summary: dict[str, Any], option_id: str,
            top: int = 10) -> tuple[Axes, Axes]:
    """Tornado of the ``top`` inputs by |Spearman| with NPV and, beside it, P(payback within N)
    when each input is in its bottom vs top decile.

    The title goes on the (sub)figure holding the axes. Bars carry ``gid="spearman"``. With
    no random input, or an NPV that does not vary, the axes say so in words.
    """
    if axes is None:
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        axes = tuple(fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1.0, 1.0]}))
    left, right = axes
    option = summary["options"][option_id]
    sim = summary["simulation"]
    rows = option["sensitivity"][:top]
    n = len(rows)
    y = np.arange(n)[::-1]
    left.figure.suptitle(
        title_text(left.figure, f"What drives the result: {option['name']}", summary,
                    f"the {n} inputs most rank-correlated with NPV", margin=0.3),
        x=0.01, ha="left", fontsize=TITLE_SIZE, linespacing=1.4)
    if n == 0:
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        empty_note(left, "No random inputs:\nevery path draws the same values.")
        empty_note(right, "No random inputs:\nno deciles to compare.")
        return left, right
    rho = np.nan_to_num(floats([r["spearman"] for r in rows]), nan=0.0)
    left.barh(y, rho, color=[OPTION_COLORS[0] if v >= 0 else LOSS_COLOR for v in rho],
              height=0.6, gid="spearman")
    reach = max(0.1, float(np.max(np.abs(rho)))) * 1.35
    for yi, r, v in zip(y, rows, rho, strict=True):
        label = "n/a" if finite_or_none(r["spearman"]) is None else f"{v:+.2f}"
        left.text(v + (0.02 * reach if v >= 0 else -0.02 * reach), yi, label, va="center",
                  ha="left" if v >= 0 else "right", fontsize=7.5)
    if all(finite_or_none(r["spearman"]) is None for r in rows):
        empty_note(left, "NPV does not vary across paths:\nno rank correlations.")
    left.axvline(0, color="0.2", lw=0.8)
    left.set_xlim(-reach, reach)
    left.set_yticks(y, labels=[_wrap_key(r["input"], size=7.5) for r in rows], fontsize=7.5)
    left.set_ylim(-0.6, n - 0.4)
    left.grid(axis="y", visible=False)
    left.set_xlabel("Spearman rank correlation with NPV")
    left.set_title("higher input → higher NPV when > 0", loc="left", fontsize=8.5,
                   color="0.3")

    _decile_panel(right, rows, y, option, sim)
    return left, right
