"""Figures of sweeps and break-even curves, in the conventions of ftsim/plots.py.

Each function takes results (never runs the engine), draws on the Axes it is given (or a new
pyplot-free Figure when ``ax`` is None) and returns them.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .plots import (
    _LEGEND_NAME_IN,
    _LEGEND_SIZE,
    FIGSIZE,
    LOSS_COLOR,
    OPTION_COLORS,
    _plain_text,
    format_probability,
    money_formatter,
)
from .typeset import _clip, _fit, _shorten

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["sweep_chart", "breakeven_chart", "tokens_formatter"]

_REQUIRED_COLOR = LOSS_COLOR  # the required-probability line, as on the report's figures


def _color(index: int) -> str:
    return OPTION_COLORS[index % len(OPTION_COLORS)]


def _title(ax: Axes, what: str, detail: str) -> None:
    """Bold-free two-part title as plots.py draws it; the detail wraps to the axes' width."""
    wrapped = "\n".join(_clip(textwrap.wrap(detail, 85), 2))
    ax.set_title(f"{_shorten(what, 85)}\n{wrapped}", loc="left", fontsize=10, linespacing=1.4)


def tokens_formatter() -> ticker.Formatter:
    """Tick labels like ``10M``, ``1B``."""
    from .sweep import format_tokens

    return ticker.FuncFormatter(lambda x, _pos: format_tokens(x))


@_plain_text
def sweep_chart(axes: tuple[Axes, Axes] | None, frame: pd.DataFrame,
                meta: dict[str, Any]) -> tuple[Axes, Axes]:
    """P(payback within N) (top, with 95% Wilson bands) and median NPV (bottom) against the value.

    ``frame`` is `ftsim.sweep.sweep`'s DataFrame; ``meta`` needs ``param``,
    ``payback_within_months``, ``required_probability``, ``currency``, ``scenario``,
    ``paths`` and optionally ``log`` (log x axis). The lines carry ``gid="p_<id>"`` and
    ``gid="npv_<id>"``.
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
        color = _color(index)
        label = _fit(f"{rows['name'].iloc[0]} [{option_id}]", _LEGEND_NAME_IN, _LEGEND_SIZE)
        top.fill_between(x, rows["p_payback_within_ci95_low"].to_numpy()[order],
                         rows["p_payback_within_ci95_high"].to_numpy()[order], color=color,
                         alpha=0.18, lw=0)
        top.plot(x, rows["p_payback_within"].to_numpy()[order], color=color, lw=2, marker="o",
                 ms=4, label=label, gid=f"p_{option_id}")
        bottom.plot(x, rows["npv_p50"].to_numpy()[order], color=color, lw=2, marker="o", ms=4,
                    label=label, gid=f"npv_{option_id}")
    required = meta["required_probability"]
    top.axhline(required, color=_REQUIRED_COLOR, ls=":", lw=1.2,
                label=f"required probability {format_probability(required)}")
    top.set_ylim(-0.02, 1.02)
    top.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    top.set_ylabel(f"P(payback within {meta['payback_within_months']} months)")
    _title(top, f"Sweep of {meta['param']}",
           f"{meta['scenario']} · {meta['paths']:,} paths per point, same seed")
    top.legend(loc="best", framealpha=0.9)
    bottom.axhline(0, color="0.15", lw=0.9, zorder=1)
    bottom.yaxis.set_major_formatter(money_formatter(meta["currency"]))
    bottom.set_ylabel(f"Median NPV ({meta['currency']})")
    bottom.set_xlabel(meta["param"])
    if meta.get("log"):
        bottom.set_xscale("log")
    return top, bottom


@_plain_text
def breakeven_chart(ax: Axes | None, curve: dict[str, Any]) -> Axes:
    """P(payback within N) against median tokens per month (log axis), every option.

    ``curve`` is `ftsim.sweep.breakeven_curve`'s dict. Shows each option's 95% band, the
    0.5 and required-probability levels, the break-evens found (diamonds, ``gid=
    "breakeven_<id>"``), the scenario's own volume (dotted line) and the article's
    10M-100M band (shaded, with both marks). The curves carry ``gid="curve_<id>"``.
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
        color = _color(index)
        band = np.asarray(option["p_payback_within_ci95"], dtype=float)
        ax.fill_between(x, band[:, 0], band[:, 1], color=color, alpha=0.18, lw=0)
        ax.plot(x, option["p_payback_within"], color=color, lw=2, marker="o", ms=3.5,
                label=_fit(option["name"], _LEGEND_NAME_IN, _LEGEND_SIZE),
                gid=f"curve_{option_id}")
        found = [(c["tokens_per_month"], c["level"]) for c in (option["p50"], option["required"])
                 if c["tokens_per_month"] is not None]
        if found:
            xs, ys = zip(*found, strict=True)
            ax.plot(xs, ys, ls="none", marker="D", ms=7, mfc="white", mec=color, mew=1.6,
                    zorder=5, gid=f"breakeven_{option_id}")
            for xb, yb in found:
                ax.annotate(f"{_fmt(xb)}", xy=(xb, yb), xytext=(4, -12),
                            textcoords="offset points", color=color, fontsize=8,
                            fontweight="bold")
    required = curve["required_probability"]
    ax.axhline(0.5, color="0.3", ls="--", lw=1, label="P = 50%")
    ax.axhline(required, color=_REQUIRED_COLOR, ls=":", lw=1.2,
               label=f"required probability {format_probability(required)}")
    own = curve["scenario_volume"]["tokens_per_month"]
    if own is not None and np.isfinite(own) and own > 0:  # null in JSON when not finite
        ax.axvline(own, color="0.2", ls=":", lw=1.2,
                   label=f"scenario's own volume ({_fmt(own)} tokens/month)")
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
    _title(ax, "Break-even volume: P(payback) against traffic",
           f"{curve['scenario']} · {curve['paths']:,} paths per point, same seed")
    ax.legend(loc="upper left", framealpha=0.9)
    return ax


def _fmt(tokens: float) -> str:
    from .sweep import format_tokens

    return format_tokens(tokens)
