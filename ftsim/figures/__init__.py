"""Figures drawn from results with matplotlib (never pyplot): one module per figure family,
the report's figure set (``registry``) and its rendering, each figure drawn once (``render``).

Every figure function takes results (never runs the engine), draws on the Axes it is given
(or on a new figure when ``ax`` is None) and returns them, in the SALib style.
"""

from __future__ import annotations

from .breakeven import breakeven_chart
from .cdf import npv_cdf
from .costs import cost_breakdown
from .drivers import drivers
from .fan import fan_chart
from .npv import npv_distribution
from .payback import payback_curve
from .registry import FigureSpec, draw_figure, figure_specs
from .render import PendingPngs, RenderedFigure, draw_svg, render_figures, start_figures
from .style import FIGSIZE, LOSS_COLOR, OPTION_COLORS, PNG_DPI, house_style, money_formatter
from .sweep import sweep_chart

__all__ = [
    "FIGSIZE",
    "PNG_DPI",
    "OPTION_COLORS",
    "LOSS_COLOR",
    "house_style",
    "money_formatter",
    "fan_chart",
    "payback_curve",
    "npv_distribution",
    "npv_cdf",
    "drivers",
    "cost_breakdown",
    "sweep_chart",
    "breakeven_chart",
    "FigureSpec",
    "figure_specs",
    "draw_figure",
    "RenderedFigure",
    "draw_svg",
    "render_figures",
    "start_figures",
    "PendingPngs",
]
