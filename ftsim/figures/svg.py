"""A drawn figure as SVG text: text as ``<text>`` elements in DejaVu Sans (with a fallback),
every string measured once per process.

Why ``<text>``: glyph outlines made a third of the bytes and of the time matplotlib spent
writing a figure (measured on the report's figures). Why the cache: matplotlib measures each
string with FreeType (0.1-0.8 ms a string) again for every figure, and :mod:`.layout`
measures the same titles and tick labels to place the axes; one cache serves both, so a
report run measures about half as many strings (364 distinct of 687, support_bot).
"""

from __future__ import annotations

import io
import re
from typing import Any

from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, weight_dict

from .text import font_lines, line_extent_in

__all__ = ["figure_svg", "portable_text"]


def _plain_bold(prop: FontProperties) -> bool | None:
    """Whether plain DejaVu Sans (upright, normal width) is bold; None for another font."""
    weight = weight_dict.get(prop.get_weight(), prop.get_weight())
    if (prop.get_family() != ["DejaVu Sans"] or weight not in (400, 700)
            or prop.get_style() != "normal" or prop.get_variant() != "normal"
            or prop.get_stretch() not in ("normal", 500)):
        return None
    return weight == 700


class _Renderer(RendererSVG):
    """The SVG renderer, measuring plain DejaVu Sans through :mod:`.text` (the same metrics,
    cached across figures) and anything else as it always does."""

    def get_text_width_height_descent(self, s: str, prop: FontProperties,
                                      ismath: Any) -> tuple[float, float, float]:
        bold = _plain_bold(prop)
        if ismath or bold is None:
            return super().get_text_width_height_descent(s, prop, ismath)
        width, height, descent = line_extent_in(s, prop.get_size_in_points(), bold)
        return width * 72, height * 72, descent * 72

    def _get_font_height_metrics(self, prop: FontProperties) -> tuple[Any, Any, Any]:
        """The font's ascent, descent and line gap in points (what Text._get_layout reads
        from the font's OS/2 table at every layout, for every text drawn; a hook of
        matplotlib's PDF and PS renderers: None falls back to that)."""
        bold = _plain_bold(prop)
        if bold is None:
            return None, None, None
        size = prop.get_size_in_points()
        ascent, descent, gap = font_lines(bold)
        return ascent * size, descent * size, gap * size


class _Canvas(FigureCanvasSVG):
    """``FigureCanvasSVG.print_svg`` (matplotlib 3.11) with :class:`_Renderer`."""

    def print_svg(self, filename: Any, *, bbox_inches_restore: Any = None,
                  metadata: dict[str, Any] | None = None, **_ignored: Any) -> None:
        # print_figure also passes facecolor, orientation... (it drops them only for print
        # methods defined in matplotlib's own modules)
        dpi = self.figure.dpi
        self.figure.dpi = 72
        width, height = self.figure.get_size_inches()
        renderer = MixedModeRenderer(
            self.figure, width, height, dpi,
            _Renderer(width * 72, height * 72, filename, image_dpi=dpi, metadata=metadata),
            bbox_inches_restore=bbox_inches_restore)
        self.figure.draw(renderer)
        renderer.finalize()


def figure_svg(fig: Figure) -> str:
    """``fig`` as SVG text (``svg.fonttype`` "none" in force: text as ``<text>``), without a
    date, its text made portable (:func:`portable_text`)."""
    _Canvas(fig)  # becomes the figure's canvas: savefig prints through it
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    return portable_text(out.getvalue())


# Readers without DejaVu Sans fall back to a narrower sans-serif, so no label outgrows the
# room measured for it.
_FAMILY = re.compile(r"font-family: 'DejaVu Sans'(?=[;\"])")
_FALLBACK = "font-family: 'DejaVu Sans', 'Bitstream Vera Sans', Arial, Helvetica, sans-serif"
_TEXT = re.compile(r"(<text\b[^>]*>)([^<]+)(?=</text>)")
# Characters of user text (names, currencies) that would read as markup to a scan of the
# SVG (an "on...=" attribute, "javascript:", an id or a url(#...) reference), written as
# character references: the same text to every SVG reader.
# (A "#" that opens a character reference is left as it is: the function is idempotent.)
_MARKUP = re.compile(r"[=:(\"']|(?<!&)#")


def portable_text(svg: str) -> str:
    """A matplotlib SVG (text as ``<text>``) with a font fallback after DejaVu Sans, and the
    text's ``= : # ( " '`` as character references."""
    svg = _FAMILY.sub(_FALLBACK, svg)
    return _TEXT.sub(lambda m: m[1] + _MARKUP.sub(lambda c: f"&#{ord(c[0])};", m[2]), svg)
