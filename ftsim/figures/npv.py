"""NPV distribution of one option: a histogram of equal-mass bins, percentile lines, the loss
region, and point masses (paths sharing one NPV) drawn as spikes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from ..core.summary_types import Summary
from ..format import format_money, format_probability
from .style import (
    LOSS_COLOR,
    empty_note,
    finite_or_none,
    floats,
    money_formatter,
    new_axes,
    option_color,
    paths_label,
    plain_text,
    title,
)
from .text import shorten_line

__all__ = ["npv_distribution", "NpvBins", "npv_bins", "shown_range"]

# The histogram shows NPV between these quantile levels; the rest is said in the title.
SHOWN_LEVELS = (0.01, 0.99)
# Fewest paths a bar stands for: with 4,000 paths a 1 % bar holds 40 and its height is
# mostly noise, so small runs use bars of 2 % .. 5 % of the paths.
MIN_PATHS_PER_BAR = 100


@dataclass(frozen=True)
class NpvBins:
    """Equal-mass bins between consecutive NPV quantiles, with zero-width runs set apart.

    ``edges`` (k + 1 increasing money values) and ``shares`` (k shares of all paths) are the
    bins of positive width; ``atoms`` are (value, share) pairs: runs of quantiles equal to
    each other, i.e. a share of paths that all have the same NPV (e.g. abandoned builds whose
    upfront cost is fixed).
    """

    edges: np.ndarray
    shares: np.ndarray
    atoms: tuple[tuple[float, float], ...]


def shown_range(levels: np.ndarray, values: np.ndarray) -> tuple[float, float] | None:
    """(P1, P99) of NPV interpolated from the quantile function, None if not finite."""
    finite = np.isfinite(values) & np.isfinite(levels)
    if np.count_nonzero(finite) < 2:
        return None
    lo, hi = np.interp(SHOWN_LEVELS, levels[finite], values[finite])
    return float(lo), float(hi)


def npv_bins(levels: np.ndarray, values: np.ndarray, lo: float, hi: float,
             step: int = 1) -> NpvBins:
    """The bins between consecutive quantiles that lie in [lo, hi] (``lo < hi``), merged
    ``step`` at a time.

    A bin narrower than a millionth of the range is a point mass: consecutive ones at the
    same value are merged into one atom holding their summed share. Atoms are found before
    bins are merged, so a merged bar never smears a point mass over empty ground.
    """
    keep = np.isfinite(values) & (values >= lo) & (values <= hi)
    q, p = values[keep], levels[keep]
    eps = 1e-6 * (hi - lo)
    edges: list[float] = [float(q[0])] if q.size else []
    shares: list[float] = []
    atoms: list[tuple[float, float, int]] = []
    group_mass, group_count = 0.0, 0

    def flush(right: float) -> None:
        nonlocal group_mass, group_count
        if group_count:
            edges.append(right)
            shares.append(group_mass)
        group_mass, group_count = 0.0, 0

    for i in range(q.size - 1):
        width, mass = q[i + 1] - q[i], float(p[i + 1] - p[i])
        if width > eps:
            group_mass, group_count = group_mass + mass, group_count + 1
            if group_count == step:
                flush(float(q[i + 1]))
            continue
        flush(float(q[i]))
        if atoms and abs(atoms[-1][0] - q[i]) <= eps and atoms[-1][2] == i - 1:
            value, share, _ = atoms[-1]
            atoms[-1] = (value, share + mass, i)
        else:
            atoms.append((float(q[i]), mass, i))
    if q.size:
        flush(float(q[-1]))
    return NpvBins(np.asarray(edges), np.asarray(shares),
                   tuple((value, share) for value, share, _ in atoms if share > 0))


def bar_step(paths: int) -> int:
    """Percent of the paths per bar: 1 from 10,000 paths up, at most 5."""
    return min(5, max(1, math.ceil(MIN_PATHS_PER_BAR / max(paths * 0.01, 1e-9))))


def _unit(peak: float) -> float:
    """The round amount (1, 2 or 5 times a power of ten) per which the y axis counts paths:
    the largest one that keeps the highest bar (``peak``, a share per currency unit) at or
    below half of the paths, so the axis reads "% of paths per 100k"."""
    raw = 0.5 / max(peak, 1e-300)
    power = 10.0 ** math.floor(math.log10(raw))
    return max(m * power for m in (1, 2, 5) if m * power <= raw)


def npv_window(value: float) -> tuple[float, float]:
    """An x range around a single NPV wide enough for distinct tick labels at any magnitude."""
    half = max(abs(value) * 0.05, 1.0)
    return value - half, value + half


def _draw_single(ax: Axes, value: float | None, share: float | None, currency: str,
                 color: str) -> tuple[float, float]:
    """One value on (almost) every path: a spike in a readable window, said in words."""
    if value is None:
        empty_note(ax, "NPV is not a finite number on these paths: no histogram to draw.")
        return -1.0, 1.0
    lo, hi = npv_window(value)
    ax.bar([value], [1.0], width=(hi - lo) / 80, color=color, alpha=0.55, ec=color,
           gid="npv_atoms")
    where = f" on {format_probability(share)} of paths" if share is not None else ""
    empty_note(ax, f"NPV is {format_money(value, currency)}{where}:\nno spread to draw.")
    return lo, hi


def _draw_bins(ax: Axes, bins: NpvBins, currency: str, color: str) -> None:
    """Heights are shares of paths per money unit, so a bar's area is its share of paths."""
    density = bins.shares / np.diff(bins.edges) if bins.shares.size else np.zeros(0)
    peak = float(density.max()) if density.size else 0.0
    unit = _unit(peak) if peak > 0 else 1.0
    heights = density * unit
    if heights.size:
        ax.stairs(heights, bins.edges, fill=True, color=color, alpha=0.55, lw=0,
                  gid="npv_histogram")
        ax.stairs(heights, bins.edges, color=color, lw=1)
    top = float(heights.max()) if heights.size else 0.5
    for value, share in bins.atoms:
        ax.vlines(value, 0, top * 1.05, color="0.1", lw=2.5, gid="npv_atoms",
                  label=f"{format_probability(share)} of paths at {format_money(value, currency)}")
    ax.set_ylim(0, top * 1.12)
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    ax.set_ylabel(f"Share of paths per {format_money(unit, shorten_line(currency, 12))}")


@plain_text
def npv_distribution(ax: Axes | None, summary: Summary, option_id: str) -> Axes:
    """Histogram of NPV (P1 to P99) with P5/P50/P95 lines and the loss region shaded.

    Why equal-mass bins: each bar spans two consecutive percentiles of NPV (1 % of the paths)
    and its height is that share divided by its width, so the resolution follows the paths:
    where NPV piles up near zero the bins are narrow and the shape shows. Fixed-width bins
    over the whole range put 30 % of support_bot's paths into one bar. Paths that share one
    exact NPV (a point mass, e.g. every abandoned build with a fixed upfront cost) are drawn
    as a spike labelled with their share. When NPV is the same on (almost) every path the
    figure says so in words.
    """
    ax = new_axes(ax)
    currency = summary.scenario.currency
    option = summary.options[option_id]
    color = option_color(summary, option_id)
    levels = floats(option.npv_quantiles.levels)
    values = floats(option.npv_quantiles.values, levels.size)
    npv = {"p5": finite_or_none(option.npv.p5), "p50": finite_or_none(option.npv.p50),
           "p95": finite_or_none(option.npv.p95)}
    shown = shown_range(levels, values)
    step = bar_step(summary.simulation.paths)
    if shown is not None and shown[1] > shown[0]:
        lo, hi = shown
        bins = npv_bins(levels, values, lo, hi, step)
        _draw_bins(ax, bins, currency, color)
        pad = 0.03 * (hi - lo)
        lo, hi = lo - pad, hi + pad
    else:
        value = shown[0] if shown is not None else npv["p50"]
        share = None
        if shown is not None:
            same = np.isfinite(values) & (values == value)
            share = float(levels[same].max() - levels[same].min()) if same.any() else None
        lo, hi = _draw_single(ax, value, share, currency, color)
        ax.set_ylim(0, 1.12)
        ax.set_yticks([])
        ax.set_ylabel("")
    loss = f"loss (NPV < 0): {format_probability(option.p_npv_negative)} of paths"
    if lo < 0:
        ax.axvspan(lo, min(0.0, hi), color=LOSS_COLOR, alpha=0.12, lw=0, label=loss,
                   gid="loss_region")
    for key, style in (("p5", ":"), ("p50", "-"), ("p95", "--")):
        value = npv[key]
        if value is not None and lo <= value <= hi:
            ax.axvline(value, color="0.15", ls=style, lw=1.2,
                       label=f"{key.upper()} {format_money(value, currency)}")
    if lo < 0 < hi:
        ax.axvline(0, color=LOSS_COLOR, lw=0.8)
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(money_formatter(currency))
    ax.xaxis.set_major_locator(ticker.MaxNLocator(7))
    sim = summary.simulation
    ax.set_xlabel(f"NPV over {sim.horizon_months} months ({shorten_line(currency, 20)}, "
                  f"discounted at {sim.discount_rate_annual:.0%}/year)")
    title(ax, f"NPV distribution: {option.name} vs baseline", summary,
          f"P1 to P99, each bar {step}% of the {paths_label(summary)}")
    handles, labels = ax.get_legend_handles_labels()
    if lo >= 0:  # no loss region in view: the probability of loss still goes in the legend
        handles.insert(0, Patch(facecolor=LOSS_COLOR, alpha=0.12, lw=0))
        labels.insert(0, loss)
    ax.legend(handles, labels, loc="upper right", framealpha=0.9)
    return ax
