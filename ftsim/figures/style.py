"""The figures' house style: rc settings, palette, sizes, tick formatters, and the axes
helpers every figure family shares (titles, month axis, empty notes, summary values).

Figures are plain ``matplotlib.figure.Figure`` objects, never pyplot: no GUI backend, no
global figure registry, nothing to close; PNG/PDF output goes through Agg/PDF canvases.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

from ..core.summary_types import Summary
from ..format import format_money, format_tokens
from .text import clip, missing_glyphs_allowed, shorten_line, wrap

__all__ = [
    "PNG_DPI",
    "FIGSIZE",
    "TITLE_SIZE",
    "OPTION_COLORS",
    "LOSS_COLOR",
    "LEGEND_NAME_IN",
    "LEGEND_COLUMN_NAME_IN",
    "LEGEND_SIZE",
    "house_style",
    "plain_text",
    "money_formatter",
    "tokens_formatter",
    "new_axes",
    "floats",
    "finite_or_none",
    "empty_note",
    "option_color",
    "month_axis",
    "title_text",
    "title",
    "paths_label",
    "index_color",
    "study_title",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")

PNG_DPI = 110
FIGSIZE = (7.4, 5.0)  # inches: two of these stack on an A4 page with margins
TITLE_SIZE = 10.0

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
OPTION_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
LOSS_COLOR = "#C62828"
_RC: Any = {  # matplotlib types rc keys as a Literal of every name
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
    # Titles sit at the axes' top (no axes here has tick labels above it): matplotlib then
    # skips measuring every tick label to find a place for them, at each draw.
    "axes.titley": 1.0,
    # Names and currencies are user text: a "$" in them is a character, never mathtext
    # (two of them in a currency used to crash the report with a ParseException).
    "text.parse_math": False,
}
# Widest name in a legend (inches at the legend's 8 points), cut with an ellipsis beyond:
# inside the axes, and in each of the two columns of a legend below them.
LEGEND_NAME_IN, LEGEND_COLUMN_NAME_IN, LEGEND_SIZE = 4.0, 1.8, 8.0
# Most lines of a title's two parts: what is shown, then "scenario · detail" (three, so the
# longest scenario name the loader accepts, 120 characters, still leaves room for the detail).
TITLE_LINES = (2, 3)


@contextmanager
def house_style() -> Iterator[None]:
    """The report's rc settings (fonts, sizes, grid, spines, no mathtext) for figures made
    and saved inside it; text artists created outside it may read ``$...$`` as mathtext.
    Characters the font lacks are drawn as its empty box, without a warning."""
    with matplotlib.rc_context(_RC), missing_glyphs_allowed():
        yield


def plain_text(draw: Callable[_P, _R]) -> Callable[_P, _R]:
    """Draw with mathtext off, so a figure function called outside :func:`house_style`
    still shows names with ``$`` as written (tick labels made later, at draw time, follow
    the rc settings in force then: save inside house_style)."""

    @functools.wraps(draw)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with matplotlib.rc_context({"text.parse_math": False}), missing_glyphs_allowed():
            return draw(*args, **kwargs)

    return wrapper


class _MoneyFormatter(ticker.Formatter):
    """Tick labels on one scale per axis (``0``, ``0.5M``, ``1.0M``, the currency named by
    the axis label); single values as :func:`ftsim.format.format_money`."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self._scale: tuple[float, str, int] | None = None

    def set_locs(self, locs: list[float]) -> None:
        super().set_locs(locs)
        finite = [abs(v) for v in locs if math.isfinite(v)]
        if not finite:
            self._scale = None
            return
        top = max(finite)
        div, suffix = next(((d, u) for d, u in ((1e12, "T"), (1e9, "B"), (1e6, "M"))
                            if top >= d), (1e3, "k") if top >= 1e5 else (1.0, ""))
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
            return "0"
        sign = "-" if x < 0 else ""
        return f"{sign}{abs(x) / div:,.{decimals}f}{suffix}"


def money_formatter(currency: str) -> ticker.Formatter:
    """A tick formatter for money in ``currency``: ``1.2M``, ``350k``, ``12,345`` on one
    scale per axis (the axis label names the currency).

    Called on a single value (no tick position) it formats like
    :func:`ftsim.format.format_money`; on an axis it puts every tick on the scale of the
    largest one, with just enough decimals.
    """
    return _MoneyFormatter(currency)


def tokens_formatter() -> ticker.Formatter:
    """Tick labels like ``10M``, ``1B`` (:func:`ftsim.format.format_tokens`)."""
    return ticker.FuncFormatter(lambda x, _pos: format_tokens(x))


# ---------------------------------------------------------------------------------------------
# Axes helpers shared by the figure families

def new_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    return Figure(figsize=FIGSIZE, layout="constrained").add_subplot()


def floats(values: Sequence[float | None] | None, size: int | None = None) -> np.ndarray:
    """A summary list as floats, None (a non-finite value in summary.json) as NaN.

    A missing list, or one of the wrong length, is all NaN so the figure still draws.
    """
    out = np.asarray(values if values is not None else [], dtype=float)
    if size is not None and out.shape != (size,):
        return np.full(size, np.nan)
    return out


def finite_or_none(value: float | None) -> float | None:
    """A summary number if finite, else None (nothing is drawn for it)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


_NOTE_CHARS = 56  # characters per line of an empty-figure note


def empty_note(ax: Axes, text: str) -> None:
    """Say on the axes, in words, why there is nothing (or only one value) to show.

    Wrapped here, not with matplotlib's ``wrap=True``: that measures lines with
    ``is_math_text`` whatever ``parse_math`` says, so a currency holding "$...$" crashed.
    """
    lines = [part for line in text.splitlines()
             for part in (textwrap.wrap(line, _NOTE_CHARS, break_long_words=True) or [""])]
    ax.text(0.5, 0.5, "\n".join(lines), transform=ax.transAxes, ha="center", va="center",
            fontsize=9, color="0.25", parse_math=False, gid="empty_note",
            bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "0.6", "lw": 0.8})


def option_color(summary: Summary, option_id: str) -> str:
    """The palette colour of an option: by its position in the scenario, in every figure."""
    return OPTION_COLORS[list(summary.options).index(option_id) % len(OPTION_COLORS)]


def month_axis(ax: Axes, horizon: int) -> None:
    step = 1 if horizon <= 12 else 2 if horizon <= 24 else 3 if horizon <= 48 else (
        6 if horizon <= 96 else 12)
    ax.set_xlim(0.5, horizon + 0.5)
    ax.xaxis.set_major_locator(ticker.MultipleLocator(step))
    ax.xaxis.set_major_formatter(ticker.StrMethodFormatter("{x:.0f}"))
    ax.set_xlabel("Month after the decision")


def title_text(container: Figure | SubFigure, what: str, summary: Summary, detail: str,
               margin: float) -> str:
    """Title lines wrapped to the (sub)figure's width less ``margin`` inches, so long
    scenario or option names never run off the figure."""
    width = container.bbox.width / container.dpi - margin
    second = summary.scenario.name + (f" · {detail}" if detail else "")
    lines = [*clip(wrap(what, width, TITLE_SIZE), TITLE_LINES[0]),
             *clip(wrap(second, width, TITLE_SIZE), TITLE_LINES[1])]
    return "\n".join(lines)


def title(ax: Axes, what: str, summary: Summary, detail: str = "") -> None:
    # the title starts at the axes' left edge, about an inch in from the figure's
    text = title_text(ax.figure, what, summary, detail, margin=1.1)
    ax.set_title(text, loc="left", fontsize=TITLE_SIZE, linespacing=1.4)


def paths_label(summary: Summary) -> str:
    return f"{summary.simulation.paths:,} paths"


def index_color(index: int) -> str:
    """The palette colour of the ``index``-th series (sweeps and break-even curves)."""
    return OPTION_COLORS[index % len(OPTION_COLORS)]


def study_title(ax: Axes, what: str, detail: str) -> None:
    """A study figure's two-part title (sweep, break-even): the detail wraps to 85 characters."""
    wrapped = "\n".join(clip(textwrap.wrap(detail, 85), 2))
    ax.set_title(f"{shorten_line(what, 85)}\n{wrapped}", loc="left", fontsize=10, linespacing=1.4)
