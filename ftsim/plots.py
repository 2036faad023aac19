"""The report's figures, drawn from a Summary dict with matplotlib.

Every figure function takes results (never runs the engine), draws on the Axes it is given
(or on a new figure when ``ax`` is None) and returns them, in the SALib style. Figures are
built as plain ``matplotlib.figure.Figure`` objects, never through pyplot: no GUI backend,
no global figure registry, nothing to close, and PNG/PDF output goes through Agg/PDF canvases.

The PDF typesetter (page blocks, ``render_pdf``) lives in ``typeset.py``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import Patch

from .typeset import FIGSIZE, _clip, _fit, _missing_glyphs_allowed, _shorten, _wrap

__all__ = [
    "PNG_DPI",
    "OPTION_COLORS",
    "LOSS_COLOR",
    "FIGSIZE",
    "house_style",
    "money_formatter",
    "format_money",
    "format_probability",
    "fan_chart",
    "payback_curve",
    "npv_distribution",
    "drivers",
    "cost_breakdown",
    "FigureSpec",
    "figure_specs",
    "draw_figure",
    "figure_set",
    "save_png",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")

PNG_DPI = 110
_TITLE_SIZE = 10.0

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
OPTION_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
LOSS_COLOR = "#C62828"
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
_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "savefig.dpi": PNG_DPI,
    # Names and currencies are user text: a "$" in them is a character, never mathtext
    # (two of them in a currency used to crash the report with a ParseException).
    "text.parse_math": False,
}
# Widest name in a legend (inches at the legend's 8 points), cut with an ellipsis beyond:
# inside the axes, and in each of the two columns of a legend below them.
_LEGEND_NAME_IN, _LEGEND_COLUMN_NAME_IN, _LEGEND_SIZE = 4.0, 1.8, 8.0
# Most lines of a title's two parts: what is shown, then "scenario · detail" (three, so the
# longest scenario name the loader accepts, 120 characters, still leaves room for the detail).
_TITLE_LINES = (2, 3)


@contextmanager
def house_style() -> Iterator[None]:
    """The report's rc settings (fonts, sizes, grid, spines, no mathtext) for figures made
    and saved inside it; text artists created outside it may read ``$...$`` as mathtext.
    Characters the font lacks are drawn as its empty box, without a warning."""
    with matplotlib.rc_context(_RC), _missing_glyphs_allowed():
        yield


# ---------------------------------------------------------------------------------------------
# Number formatting (shared with report.py so text and figures print the same values)

_SYMBOLS = {"USD": "$", "GBP": "£"}  # prefix symbols; other currencies print their code after


def _with_currency(number: str, negative: bool, currency: str) -> str:
    sign = "-" if negative else ""
    symbol = _SYMBOLS.get(currency)
    if symbol is not None:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {currency}".rstrip()


def format_money(value: float | None, currency: str) -> str:
    """One amount, e.g. ``$1.2M``, ``£350k``, ``12,345 EUR``, ``$12.50``.

    M and B take one decimal, k none (from 100k up), smaller amounts are written in full
    with thousands separators (two decimals below 100). None (a non-finite value in
    summary.json) and non-finite values print as ``n/a``.
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    a = abs(value)
    if a >= 1e15:  # beyond a million billion, thousands separators only make it unreadable
        number = f"{a:.3g}"
    elif round(a / 1e9, 1) >= 1:
        number = f"{a / 1e9:,.1f}B"
    elif round(a / 1e6, 1) >= 1:
        number = f"{a / 1e6:.1f}M"
    elif round(a) >= 1e5:
        number = f"{a / 1e3:.0f}k"
    elif a >= 99.995:
        number = f"{a:,.0f}"
    else:
        number = f"{a:.2f}"
    if a == 0:
        number = "0"
    negative = value < 0 and any(ch in "123456789" for ch in number)
    return _with_currency(number, negative, currency)


class _MoneyFormatter(ticker.Formatter):
    """Tick labels on one scale per axis (``$0``, ``$0.5M``, ``$1.0M``); single values as format_money."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self._scale: tuple[float, str, int] | None = None

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(locs)
        finite = [abs(v) for v in locs if math.isfinite(v)]
        if not finite:
            self._scale = None
            return
        top = max(finite)
        if top >= 1e15:  # as format_money: significant digits and an exponent
            self._scale = None
            return
        div, suffix = (1e9, "B") if top >= 1e9 else (1e6, "M") if top >= 1e6 else (
            (1e3, "k") if top >= 1e5 else (1.0, ""))
        # Fewest decimals that still print every tick exactly (ticks are round numbers).
        decimals = 3
        for d in range(4):
            if all(abs(v / div - round(v / div, d)) <= 1e-6 * max(1.0, abs(v / div))
                   for v in finite):
                decimals = d
                break
        self._scale = (div, suffix, decimals)

    def __call__(self, x: float, pos: int | None = None) -> str:
        if self._scale is None or not math.isfinite(x):
            return format_money(x, self.currency)
        div, suffix, decimals = self._scale
        if x == 0:
            return _with_currency("0", False, self.currency)
        number = f"{abs(x) / div:,.{decimals}f}{suffix}"
        return _with_currency(number, x < 0, self.currency)


def money_formatter(currency: str) -> ticker.Formatter:
    """A tick formatter for money in ``currency``: ``$1.2M``, ``£350k``, ``12,345 EUR``.

    Called on a single value it formats like :func:`format_money`; on an axis it puts every
    tick on the scale of the largest one, with just enough decimals.
    """
    return _MoneyFormatter(currency)


def format_probability(p: float | None) -> str:
    """The one rule for probabilities in figures and text: a percentage with one decimal.

    ``<0.1%`` and ``>99.9%`` keep "almost never/always" apart from "never/always".
    """
    if p is None or not math.isfinite(p):
        return "n/a"
    if p <= 0:
        return "0.0%"
    if p >= 1:
        return "100.0%"
    if p < 0.0005:
        return "<0.1%"
    if p >= 0.9995:
        return ">99.9%"
    return f"{100 * p:.1f}%"


# ---------------------------------------------------------------------------------------------
# Figure helpers


def _new_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    return Figure(figsize=FIGSIZE, layout="constrained").add_subplot()


def _values(values: Sequence[float | None] | None, size: int | None = None) -> np.ndarray:
    """A summary list as floats, None (a non-finite value in summary.json) as NaN.

    A missing list, or one of the wrong length, is all NaN so the figure still draws.
    """
    out = np.asarray(values if values is not None else [], dtype=float)
    if size is not None and out.shape != (size,):
        return np.full(size, np.nan)
    return out


def _number(value: float | None) -> float | None:
    """A summary number if finite, else None (nothing is drawn for it)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _empty_note(ax: Axes, text: str) -> None:
    """Say on the axes, in words, why there is nothing (or only one value) to show."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=9,
            color="0.25", wrap=True, gid="empty_note",
            bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "0.6", "lw": 0.8})


def _option_color(summary: dict[str, Any], option_id: str) -> str:
    return OPTION_COLORS[list(summary["options"]).index(option_id) % len(OPTION_COLORS)]


def _month_axis(ax: Axes, horizon: int) -> None:
    step = 1 if horizon <= 12 else 2 if horizon <= 24 else 3 if horizon <= 48 else (
        6 if horizon <= 96 else 12)
    ax.set_xlim(0.5, horizon + 0.5)
    ax.xaxis.set_major_locator(ticker.MultipleLocator(step))
    ax.xaxis.set_major_formatter(ticker.StrMethodFormatter("{x:.0f}"))
    ax.set_xlabel("Month after the decision")


def _title_text(container: Figure | SubFigure, what: str, summary: dict[str, Any], detail: str,
                margin: float) -> str:
    """Title lines wrapped to the (sub)figure's width less ``margin`` inches, so long
    scenario or option names never run off the figure."""
    width = container.bbox.width / container.dpi - margin
    second = summary["scenario"]["name"] + (f" · {detail}" if detail else "")
    lines = [*_clip(_wrap(what, width, _TITLE_SIZE), _TITLE_LINES[0]),
             *_clip(_wrap(second, width, _TITLE_SIZE), _TITLE_LINES[1])]
    return "\n".join(lines)


def _title(ax: Axes, what: str, summary: dict[str, Any], detail: str = "") -> None:
    # the title starts at the axes' left edge, about an inch in from the figure's
    text = _title_text(ax.figure, what, summary, detail, margin=1.1)
    ax.set_title(text, loc="left", fontsize=_TITLE_SIZE, linespacing=1.4)


def _paths_label(summary: dict[str, Any]) -> str:
    return f"{summary['simulation']['paths']:,} paths"


# ---------------------------------------------------------------------------------------------
# The five figures


def _plain_text(draw: Callable[_P, _R]) -> Callable[_P, _R]:
    """Draw with mathtext off, so a figure function called outside :func:`house_style`
    still shows names with ``$`` as written (tick labels made later, at draw time, follow
    the rc settings in force then: save inside house_style)."""

    @functools.wraps(draw)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with matplotlib.rc_context({"text.parse_math": False}), _missing_glyphs_allowed():
            return draw(*args, **kwargs)

    return wrapper


@_plain_text
def fan_chart(ax: Axes | None, summary: dict[str, Any], option_id: str) -> Axes:
    """Cumulative net savings by month for one option: median, P25-P75 and P5-P95 bands.

    Marks zero, the payback deadline N and the median payback month. The median line
    carries ``gid="median"``. Band values that are None (not finite) leave gaps.
    """
    ax = _new_axes(ax)
    sim = summary["simulation"]
    horizon, deadline = sim["horizon_months"], sim["payback_within_months"]
    option = summary["options"][option_id]
    bands = {key: _values(option["cumulative_net_savings"].get(key), horizon)
             for key in ("p5", "p25", "p50", "p75", "p95")}
    color = _option_color(summary, option_id)
    months = np.arange(1, horizon + 1)
    ax.fill_between(months, bands["p5"], bands["p95"], color=color, alpha=0.15, lw=0,
                    label="P5–P95")
    ax.fill_between(months, bands["p25"], bands["p75"], color=color, alpha=0.35, lw=0,
                    label="P25–P75")
    ax.plot(months, bands["p50"], color=color, lw=2, label="median", gid="median")
    ax.axhline(0, color="0.15", lw=0.9, zorder=1)
    ax.axvline(deadline, color="0.3", ls="--", lw=1, label=f"N = {deadline} months")
    median_payback = option["payback_month"]["p50"]
    if median_payback is not None:
        ax.plot([median_payback], [0], ls="none", marker="D", ms=7, mfc="white", mec="0.1",
                mew=1.5, zorder=5, gid="median_payback",
                label=f"median payback: month {median_payback}")
    else:
        ax.plot([], [], ls="none", marker="D", ms=7, mfc="white", mec="0.1", mew=1.5,
                label=f"median payback: after month {horizon}")
    if not any(np.isfinite(band).any() for band in bands.values()):
        _empty_note(ax, "Cumulative net savings are not finite numbers on these paths: "
                        "no bands to draw.")
    _month_axis(ax, horizon)
    ax.yaxis.set_major_formatter(money_formatter(summary["scenario"]["currency"]))
    ax.set_ylabel(f"Cumulative net savings ({_shorten(summary['scenario']['currency'], 20)})")
    _title(ax, f"Cumulative net savings vs baseline: {option['name']}", summary,
           f"upfront cost included, {_paths_label(summary)}")
    ax.legend(loc="best", framealpha=0.9)
    return ax


def _spread_labels(ys: Sequence[float], gap: float, lo: float, hi: float) -> list[float]:
    """Move sorted label heights apart by at least ``gap`` while keeping them in [lo, hi]."""
    out = [min(max(y, lo), hi) for y in ys]
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + gap)
    excess = out[-1] - hi if out else 0.0
    if excess > 0:
        out[-1] -= excess
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - gap)
    return out


@_plain_text
def payback_curve(ax: Axes | None, summary: dict[str, Any]) -> Axes:
    """P(payback <= month) for every option, with N and the required probability marked.

    Each option's P(payback within N) is written next to the curve at N, formatted by
    :func:`format_probability`; the curve of option ``x`` carries ``gid="payback_x"``.
    """
    ax = _new_axes(ax)
    sim = summary["simulation"]
    horizon, deadline = sim["horizon_months"], sim["payback_within_months"]
    required = sim["required_probability"]
    months = np.arange(0, horizon + 1)
    points = []
    for option_id, option in summary["options"].items():
        color = _option_color(summary, option_id)
        ax.step(months, [0.0, *_values(option["p_payback_by_month"], horizon)], where="post",
                color=color, lw=2, label=_fit(option["name"], _LEGEND_NAME_IN, _LEGEND_SIZE),
                gid=f"payback_{option_id}")
        p = _number(option["p_payback_within"])
        if p is not None:
            points.append((p, option_id, color))
    ax.axvline(deadline, color="0.3", ls="--", lw=1, label=f"N = {deadline} months")
    ax.axhline(required, color=LOSS_COLOR, ls=":", lw=1.2,
               label=f"required probability {format_probability(required)}")
    points.sort()
    heights = _spread_labels([p for p, _, _ in points], gap=0.07, lo=0.03, hi=0.97)
    to_left = deadline > 0.75 * horizon
    dx = max(0.6, 0.025 * horizon) * (-1 if to_left else 1)
    for (p, option_id, color), y in zip(points, heights, strict=True):
        ax.annotate(format_probability(p), xy=(deadline, p), xytext=(deadline + dx, y),
                    ha="right" if to_left else "left", va="center", color=color,
                    fontsize=9, fontweight="bold", gid=f"p_at_n_{option_id}",
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": color, "lw": 0.8},
                    arrowprops={"arrowstyle": "-", "color": color, "lw": 0.8})
        ax.plot([deadline], [p], ls="none", marker="o", ms=5, color=color, zorder=5)
    _month_axis(ax, horizon)
    ax.set_xlim(0, horizon + 0.5)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("P(paid back by this month)")
    _title(ax, "Probability of payback by month, every option", summary,
           f"vs {summary['baseline']['name']}, {_paths_label(summary)}")
    ax.legend(loc="best", framealpha=0.9)
    return ax


def _npv_window(value: float) -> tuple[float, float]:
    """An x range around a single NPV wide enough for distinct tick labels at any magnitude
    (the summary's ±1 histogram around a constant of 1e15 spans a few float steps)."""
    half = max(abs(value) * 0.05, 1.0)
    return value - half, value + half


@_plain_text
def npv_distribution(ax: Axes | None, summary: dict[str, Any], option_id: str) -> Axes:
    """Histogram of NPV with P5/P50/P95 lines and the loss region (NPV < 0) shaded.

    Bar heights are shares of all paths; the histogram covers about P0.5-P99.5 of NPV. When
    that range holds one value (NPV the same on every path) the figure shows one bar and says
    so in words on the axes; percentiles that are None (not finite) are not drawn.
    """
    ax = _new_axes(ax)
    currency = summary["scenario"]["currency"]
    option = summary["options"][option_id]
    paths = summary["simulation"]["paths"]
    histogram = option.get("npv_histogram") or {}
    edges, counts = _values(histogram.get("edges")), _values(histogram.get("counts"))
    npv = {key: _number(option["npv"].get(key)) for key in ("p5", "p50", "p95")}
    color = _option_color(summary, option_id)
    usable = (edges.size >= 2 and counts.shape == (edges.size - 1,)
              and bool(np.all(np.isfinite(edges)) and np.all(np.isfinite(counts))
                       and np.all(np.diff(edges) > 0)))
    if usable and np.count_nonzero(counts) > 1:
        lo, hi = float(edges[0]), float(edges[-1])
        shares = counts / paths
        ax.stairs(shares, edges, fill=True, color=color, alpha=0.55, lw=0, gid="npv_histogram")
        ax.stairs(shares, edges, color=color, lw=1)
    else:
        # One value on (almost) every path: a single bar in a readable window.
        share = float(counts.sum()) / paths if usable else None
        value = npv["p50"]
        if value is None and usable:
            i = int(np.argmax(counts))
            value = float(edges[i] + edges[i + 1]) / 2
        if value is None:
            lo, hi = -1.0, 1.0
            _empty_note(ax, "NPV is not a finite number on these paths: no histogram to draw.")
        else:
            lo, hi = _npv_window(value)
            if share:
                bar = (hi - lo) / 80
                ax.stairs([share], [value - bar, value + bar], fill=True, color=color,
                          alpha=0.55, lw=1, ec=color, gid="npv_histogram")
            where = (f" on {format_probability(share)} of paths" if share
                     else " on most paths (P5 = P95)" if npv["p5"] == npv["p95"] else "")
            _empty_note(ax, f"NPV is {format_money(value, currency)}{where}:\n"
                            "no spread to draw.")
    loss = f"loss (NPV < 0): {format_probability(option['p_npv_negative'])} of paths"
    if lo < 0:
        ax.axvspan(lo, min(0.0, hi), color=LOSS_COLOR, alpha=0.12, lw=0, label=loss,
                   gid="loss_region")
    for key, style in (("p5", ":"), ("p50", "-"), ("p95", "--")):
        if npv[key] is not None:
            ax.axvline(npv[key], color="0.15", ls=style, lw=1.2,
                       label=f"{key.upper()} {format_money(npv[key], currency)}")
    ax.axvline(0, color=LOSS_COLOR, lw=0.8)
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(money_formatter(currency))
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=None))
    ax.set_xlabel(f"NPV over {summary['simulation']['horizon_months']} months "
                  f"({_shorten(currency, 20)}, discounted at "
                  f"{summary['simulation']['discount_rate_annual']:.0%}/year)")
    ax.set_ylabel("Share of paths per bin")
    _title(ax, f"NPV distribution: {option['name']} vs baseline", summary,
           _paths_label(summary))
    handles, labels = ax.get_legend_handles_labels()
    if lo >= 0:  # no loss region in view: the probability of loss still goes in the legend
        handles.insert(0, Patch(facecolor=LOSS_COLOR, alpha=0.12, lw=0))
        labels.insert(0, loss)
    ax.legend(handles, labels, loc="upper right", framealpha=0.9)
    return ax


def _wrap_key(key: str, width: float = 2.0, size: float = 7.5, max_lines: int = 3) -> str:
    """A key path as a tick label at most ``width`` inches wide: broken after dots where it
    can, anywhere inside a longer part; at most ``max_lines`` lines, then an ellipsis."""
    return "\n".join(_clip(_wrap(key, width, size), max_lines))


@_plain_text
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
        _title_text(left.figure, f"What drives the result: {option['name']}", summary,
                    f"the {n} inputs most rank-correlated with NPV", margin=0.3),
        x=0.01, ha="left", fontsize=_TITLE_SIZE, linespacing=1.4)
    if n == 0:
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        _empty_note(left, "No random inputs:\nevery path draws the same values.")
        _empty_note(right, "No random inputs:\nno deciles to compare.")
        return left, right
    rho = np.nan_to_num(_values([r["spearman"] for r in rows]), nan=0.0)
    left.barh(y, rho, color=[OPTION_COLORS[0] if v >= 0 else LOSS_COLOR for v in rho],
              height=0.6, gid="spearman")
    reach = max(0.1, float(np.max(np.abs(rho)))) * 1.35
    for yi, r, v in zip(y, rows, rho, strict=True):
        label = "n/a" if _number(r["spearman"]) is None else f"{v:+.2f}"
        left.text(v + (0.02 * reach if v >= 0 else -0.02 * reach), yi, label, va="center",
                  ha="left" if v >= 0 else "right", fontsize=7.5)
    if all(_number(r["spearman"]) is None for r in rows):
        _empty_note(left, "NPV does not vary across paths:\nno rank correlations.")
    left.axvline(0, color="0.2", lw=0.8)
    left.set_xlim(-reach, reach)
    left.set_yticks(y, labels=[_wrap_key(r["input"], size=7.5) for r in rows], fontsize=7.5)
    left.set_ylim(-0.6, n - 0.4)
    left.grid(axis="y", visible=False)
    left.set_xlabel("Spearman rank correlation with NPV")
    left.set_title("higher input → higher NPV when > 0", loc="left", fontsize=8.5,
                   color="0.3")

    low = _values([r["p_payback_low"] for r in rows])
    high = _values([r["p_payback_high"] for r in rows])
    right.hlines(y, low, high, color="0.6", lw=2)
    right.plot(low, y, ls="none", marker="o", ms=6, mfc="white", mec=OPTION_COLORS[0],
               mew=1.5, label="input in bottom decile", gid="p_low")
    right.plot(high, y, ls="none", marker="o", ms=6, color=OPTION_COLORS[0],
               label="input in top decile", gid="p_high")
    p_all = _number(option["p_payback_within"])
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
    return left, right


@_plain_text
def cost_breakdown(ax: Axes | None, summary: dict[str, Any], option_id: str) -> Axes:
    """Mean monthly cost of the option split by component (stacked bars) against the baseline.

    Components that are zero in every month are left out; each legend entry gives the
    component's total over the horizon. The layer of component ``c`` (a StepPatch whose
    values are the running total up to and including ``c``) carries ``gid="cost_c"``.
    Months whose cost is None (not finite) are gaps.
    """
    ax = _new_axes(ax)
    currency = summary["scenario"]["currency"]
    horizon = summary["simulation"]["horizon_months"]
    option = summary["options"][option_id]
    costs = option["monthly_mean_cost"]
    edges = np.arange(horizon + 1) + 0.5  # month t spans [t - 0.5, t + 0.5]
    bottom = np.zeros(horizon)
    for key, label, color in _COST_COMPONENTS:
        values = _values(costs.get(key), horizon)
        if not np.any(values):  # NaN counts as non-zero: a non-finite cost is shown as a gap
            continue
        total = format_money(float(values.sum()), currency)
        # one stacked step area per component: as readable as bars, far fewer artists
        ax.stairs(bottom + values, edges, baseline=bottom.copy(), fill=True, color=color,
                  lw=0, label=f"{label} ({total})", gid=f"cost_{key}")
        bottom = bottom + values
    baseline = _values(costs.get("baseline"), horizon)
    if "baseline_api" in costs:  # the baseline's token bill alone, to set against "serving"
        tokens = _values(costs["baseline_api"], horizon)
        ax.stairs(tokens, edges, color="0.05", lw=1.5, ls="--", gid="cost_baseline_api",
                  label=f"baseline API tokens only "
                        f"({format_money(float(tokens.sum()), currency)})")
    name = _fit(summary["baseline"]["name"], _LEGEND_COLUMN_NAME_IN, _LEGEND_SIZE)
    ax.stairs(baseline, edges, color="0.05", lw=2, gid="cost_baseline",
              label=f"baseline: {name} ({format_money(float(baseline.sum()), currency)})")
    _month_axis(ax, horizon)
    finite = np.concatenate([bottom, baseline])
    finite = finite[np.isfinite(finite)]
    ax.set_ylim(0, max(float(finite.max(initial=0.0)), 1e-9) * 1.08)
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylabel(f"Mean cost per month ({_shorten(currency, 20)})")
    ax.grid(axis="x", visible=False)
    _title(ax, f"Where the money goes: {option['name']} vs baseline", summary,
           f"mean monthly cost, totals over {horizon} months in the legend")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    return ax


# ---------------------------------------------------------------------------------------------
# The report's figure set


@dataclass(frozen=True)
class FigureSpec:
    """One report figure: file stem, kind (payback | fan | npv | drivers | cost), option, caption."""

    stem: str
    kind: str
    option_id: str | None
    caption: str


def _safe_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def figure_specs(summary: dict[str, Any]) -> list[FigureSpec]:
    """The report's figures, grouped by kind: payback, then fan, npv, drivers, cost per option,
    then the break-even curve when the summary carries one (key ``"breakeven"``, the dict of
    ``ftsim.sweep.breakeven_curve``)."""
    specs = [FigureSpec("payback", "payback", None,
                        "Probability of payback by month, every option")]
    captions = {
        "fan": "Cumulative net savings by month (median, P25–P75, P5–P95)",
        "npv": "NPV distribution and probability of loss",
        "drivers": "Drivers: rank correlation with NPV and payback probability by decile",
        "cost": "Where the money goes: mean monthly cost by component vs baseline",
    }
    used: set[str] = {"payback"}
    for kind, caption in captions.items():
        for option_id, option in summary["options"].items():
            stem = f"{kind}_{_safe_stem(option_id)}"
            while stem in used:  # two ids that differ only in unsafe characters
                stem += "_"
            used.add(stem)
            specs.append(FigureSpec(stem, kind, option_id, f"{caption}: {option['name']}"))
    if "breakeven" in summary:
        specs.append(FigureSpec("breakeven", "breakeven", None,
                                "Break-even volume: P(payback) against median tokens per month"))
    return specs


def draw_figure(container: Figure | SubFigure, spec: FigureSpec, summary: dict[str, Any]) -> None:
    """Draw one report figure on an empty (sub)figure."""
    if spec.kind == "payback":
        payback_curve(container.add_subplot(), summary)
    elif spec.kind == "drivers":
        drivers(tuple(container.subplots(1, 2, sharey=True)), summary, spec.option_id)
    elif spec.kind == "breakeven":
        from .sweep_plots import breakeven_chart  # sweep_plots imports this module

        curve = summary["breakeven"]
        ax = breakeven_chart(container.add_subplot(), curve)
        ax.set_title(_title_text(container, "Break-even volume: P(payback) against traffic",
                                 summary, f"{curve['paths']:,} paths per point, same seed",
                                 margin=1.1),
                     loc="left", fontsize=_TITLE_SIZE, linespacing=1.4)
    else:
        draw: Callable[[Axes, dict[str, Any], str], Axes] = {
            "fan": fan_chart, "npv": npv_distribution, "cost": cost_breakdown}[spec.kind]
        draw(container.add_subplot(), summary, spec.option_id)


def figure_set(summary: dict[str, Any]) -> list[tuple[str, Figure]]:
    """Every report figure as (file stem, Figure), e.g. ``("fan_lora_8b", fig)``.

    The figures are not registered with pyplot: drop them when saved (``fig.savefig(path,
    format="png", dpi=PNG_DPI)``), there is nothing to close.
    """
    out = []
    with house_style():
        for spec in figure_specs(summary):
            fig = Figure(figsize=FIGSIZE, layout="constrained")
            draw_figure(fig, spec, summary)
            out.append((spec.stem, fig))
    return out


def save_png(fig: Figure, path: Path) -> None:
    """Save a report figure as PNG and keep its layout, which the PDF pages then reuse.

    Saved inside the house style: tick labels made while drawing must not read mathtext.
    """
    with house_style():
        fig.savefig(path, format="png", dpi=PNG_DPI)
    fig.set_layout_engine("none")

