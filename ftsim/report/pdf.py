"""The report's PDF renderer: flows layout blocks down A4 pages with matplotlib and writes
them with ``render_pdf``. Swapping the PDF renderer means replacing this module only."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure, SubFigure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from ..figures.registry import FigureSpec, draw_figure, figure_specs
from ..figures.style import FIGSIZE, house_style
from ..figures.text import shorten_line, wrap
from .blocks import Block, Cell, FigurePage, Heading, PageBreak, Paragraph, Table

__all__ = ["PAGE_SIZE", "render_pdf"]

PAGE_SIZE = (8.27, 11.69)  # A4 portrait, inches

_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 0.65, 0.65, 0.6, 0.65
_HEADING_SIZES = {1: 15.0, 2: 12.0, 3: 10.0}
_LEADING = 1.3  # line height / font size
_FIGURE_TOP, _FIGURE_GAP = 0.55, 0.3  # inches: page top to first figure, between figures


def _freeze_layout(fig: Figure) -> None:
    """Run a figure's constrained layout once (unless a draw already did) and keep it."""
    if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        fig.get_layout_engine().execute(fig)
        fig.set_layout_engine("none")


def _copy_layout(source: Figure, target: SubFigure) -> None:
    """Give ``target``'s axes the positions ``source``'s layout found (same drawing, same size)."""
    if len(source.axes) != len(target.axes):
        raise ValueError(f"figure has {len(source.axes)} axes, its page copy {len(target.axes)}")
    for src, dst in zip(source.axes, target.axes, strict=True):
        dst.set_position(src.get_position(original=False))


class _Typesetter:
    """Flows blocks down A4 pages; positions are inches from the page's top-left corner."""

    def __init__(self, summary: dict[str, Any], figures: dict[str, Figure],
                 specs: Sequence[FigureSpec],
                 draw_figure: Callable[[Figure | SubFigure, FigureSpec, dict[str, Any]], None]
                 ) -> None:
        self.summary = summary
        self.specs = {spec.stem: spec for spec in specs}
        self.draw_figure = draw_figure
        self.figures = figures
        self.pages: list[Figure] = []
        self.fig: Figure | None = None
        self.y = 0.0
        self.width = PAGE_SIZE[0] - _MARGIN_LEFT - _MARGIN_RIGHT

    def new_page(self, layout: ConstrainedLayoutEngine | None = None) -> Figure:
        self.fig = Figure(figsize=PAGE_SIZE, layout=layout)
        self.pages.append(self.fig)
        self.y = _MARGIN_TOP
        return self.fig

    def page(self) -> Figure:
        return self.fig if self.fig is not None else self.new_page()

    def room(self) -> float:
        return PAGE_SIZE[1] - _MARGIN_BOTTOM - self.y

    def ensure(self, height: float) -> None:
        if self.fig is None or height > self.room():
            self.new_page()

    def text(self, x: float, y: float, lines: Sequence[str], size: float, *, bold: bool = False,
             color: str | None = None, mono: bool = False, ha: str = "left") -> None:
        """One Text artist for several lines (far cheaper to draw than one per line).

        With a fixed ``linespacing``, matplotlib spaces lines by linespacing x font size
        (DejaVu's ascent + descent is one em), which is the ``_LEADING`` the layout assumes.
        """
        fig = self.page()
        fig.text(x, PAGE_SIZE[1] - y, "\n".join(lines), transform=fig.dpi_scale_trans,
                 fontsize=size, fontweight="bold" if bold else "normal", ha=ha, va="top",
                 multialignment=ha, linespacing=_LEADING, color=color or "0.1",
                 fontfamily="DejaVu Sans Mono" if mono else "DejaVu Sans")

    def rect(self, x: float, y: float, w: float, h: float, color: str) -> None:
        fig = self.page()
        fig.add_artist(Rectangle((x, PAGE_SIZE[1] - y - h), w, h, facecolor=color,
                                 edgecolor="none", zorder=0, transform=fig.dpi_scale_trans))

    def rule(self, y: float, color: str = "0.55", lw: float = 0.6) -> None:
        fig = self.page()
        fig.add_artist(Line2D([_MARGIN_LEFT, PAGE_SIZE[0] - _MARGIN_RIGHT],
                              [PAGE_SIZE[1] - y] * 2, color=color, lw=lw,
                              transform=fig.dpi_scale_trans))

    # blocks -------------------------------------------------------------------------------

    def heading(self, block: Heading) -> None:
        size = _HEADING_SIZES[block.level]
        before = {1: 0.0, 2: 0.16, 3: 0.12}[block.level]
        lines = wrap(block.text, self.width, size, bold=True)
        line_h = size * _LEADING / 72
        # keep a heading with at least three lines of what follows
        self.ensure(before + len(lines) * line_h + 0.45)
        if self.y > _MARGIN_TOP + 1e-9:
            self.y += before
        self.text(_MARGIN_LEFT, self.y, lines, size, bold=True,
                  color="#0b3d66" if block.level < 3 else None)
        self.y += len(lines) * line_h
        if block.level == 2:
            self.rule(self.y + 0.02, color="#0b3d66", lw=0.8)
        self.y += 0.08

    def paragraph(self, block: Paragraph) -> None:
        indent = 0.18 if block.bullet else 0.0
        lines = wrap(block.text, self.width - indent, block.size, block.bold, block.mono)
        line_h = block.size * _LEADING / 72
        first = True
        while lines:
            self.ensure(line_h)
            fit = max(1, min(len(lines), int((self.room() + 1e-9) // line_h)))
            if first and block.bullet:
                self.text(_MARGIN_LEFT + 0.04, self.y, ["•"], block.size, color=block.color)
            self.text(_MARGIN_LEFT + indent, self.y, lines[:fit], block.size, bold=block.bold,
                      color=block.color, mono=block.mono)
            self.y += fit * line_h
            lines, first = lines[fit:], False
        self.y += 0.06

    _PAD_X, _PAD_Y = 0.05, 0.035

    def table_layout(self, block: Table) -> list[tuple[list[Cell], list[list[str]], float]]:
        """(cells, wrapped lines per cell, height) for the header row and then every row."""
        widths = [f * self.width for f in block.widths]
        line_h = block.size * _LEADING / 72
        out = []
        for i, row in enumerate((block.header, *block.rows)):
            cells = [c if isinstance(c, Cell) else Cell(str(c), bold=i == 0) for c in row]
            wrapped = [wrap(c.text, w - 2 * self._PAD_X, block.size, c.bold,
                             j in block.mono_columns)
                       for j, (c, w) in enumerate(zip(cells, widths, strict=True))]
            out.append((cells, wrapped, max(len(w) for w in wrapped) * line_h
                        + 2 * self._PAD_Y))
        return out

    def table(self, block: Table) -> None:
        widths = [f * self.width for f in block.widths]
        align = block.align or "l" * len(widths)

        def draw(cells: list[Cell], wrapped: list[list[str]], height: float,
                 shade: str | None) -> None:
            if shade:
                self.rect(_MARGIN_LEFT, self.y, self.width, height, shade)
            x = _MARGIN_LEFT
            for j, (cell, lines, w) in enumerate(zip(cells, wrapped, widths, strict=True)):
                right = align[j] == "r"
                if any(lines):
                    self.text(x + w - self._PAD_X if right else x + self._PAD_X,
                              self.y + self._PAD_Y, lines, block.size, bold=cell.bold,
                              color=cell.color, mono=j in block.mono_columns,
                              ha="right" if right else "left")
                x += w
            self.y += height

        header, *rows = self.table_layout(block)
        self.ensure(header[2] + (rows[0][2] if rows else 0.0))
        draw(*header, "#dde6ee")
        for i, (cells, wrapped, height) in enumerate(rows):
            if height > self.room():
                self.new_page()
                draw(*header, "#dde6ee")
            draw(cells, wrapped, height, "#f3f5f7" if i % 2 else None)
        self.rule(self.y, color="0.7", lw=0.5)
        self.y += 0.12

    def height(self, block: Block) -> float:
        """Height a flow block takes (inches), as heading/paragraph/table lay it out."""
        if isinstance(block, Heading):
            size = _HEADING_SIZES[block.level]
            lines = wrap(block.text, self.width, size, bold=True)
            return {1: 0.0, 2: 0.16, 3: 0.12}[block.level] + len(lines) * size * _LEADING / 72 \
                + 0.08
        if isinstance(block, Paragraph):
            lines = wrap(block.text, self.width - (0.18 if block.bullet else 0.0), block.size,
                          block.bold, block.mono)
            return len(lines) * block.size * _LEADING / 72 + 0.06
        if isinstance(block, Table):
            return sum(h for _, _, h in self.table_layout(block)) + 0.12
        return math.inf

    def figure_page(self, block: FigurePage) -> None:
        """Two FIGSIZE slots stacked on a fresh page, each laid out as its PNG twin."""
        page_w, page_h = PAGE_SIZE
        fig_w, fig_h = FIGSIZE
        top = _FIGURE_TOP
        # Subfigures tile their gridspec by the width/height ratios only (margins and
        # spacing are ignored), so margins and the gap are rows and columns of their own.
        side = (page_w - fig_w) / 2
        bottom = page_h - top - 2 * fig_h - _FIGURE_GAP
        grid = self.new_page().add_gridspec(
            5, 3, width_ratios=(side, fig_w, side),
            height_ratios=(top, fig_h, _FIGURE_GAP, fig_h, bottom))
        for i, stem in enumerate(block.stems):
            sub = self.page().add_subfigure(grid[1 + 2 * i, 1])
            spec = self.specs[stem]
            self.draw_figure(sub, spec, self.summary)
            _copy_layout(self.laid_out(spec), sub)
        if len(block.stems) == 1 and block.notes:
            self.y = top + fig_h + _FIGURE_GAP
            self.flow(block.notes)
        self.fig = None  # whatever follows starts a new page

    def laid_out(self, spec: FigureSpec) -> Figure:
        """The standalone figure for ``spec`` with its constrained layout computed once."""
        fig = self.figures.get(spec.stem)
        if fig is None:
            fig = Figure(figsize=FIGSIZE, layout="constrained")
            self.draw_figure(fig, spec, self.summary)
            self.figures[spec.stem] = fig
        _freeze_layout(fig)
        return fig

    def flow(self, blocks: Sequence[Block]) -> None:
        usable = PAGE_SIZE[1] - _MARGIN_TOP - _MARGIN_BOTTOM
        for i, block in enumerate(blocks):
            if isinstance(block, Heading):
                # A short section (up to a third of a page) moves whole to the next page
                # rather than split; longer ones flow and split between rows or lines.
                end = next((j for j in range(i + 1, len(blocks)) if isinstance(
                    blocks[j], FigurePage | PageBreak) or (isinstance(blocks[j], Heading)
                    and blocks[j].level <= block.level)), len(blocks))
                section = sum(self.height(b) for b in blocks[i:end])
                if self.fig is not None and self.room() < section <= usable / 3:
                    self.new_page()
                self.heading(block)
            elif isinstance(block, Paragraph):
                self.paragraph(block)
            elif isinstance(block, Table):
                self.table(block)
            elif isinstance(block, FigurePage):
                self.figure_page(block)
            elif isinstance(block, PageBreak):
                self.fig = None
            else:
                raise TypeError(f"not a report block: {block!r}")

    def footers(self, footer: str) -> None:
        n = len(self.pages)
        for i, page in enumerate(self.pages, start=1):
            page.text(PAGE_SIZE[0] / 2, 0.4, f"{shorten_line(footer, 140)} · page {i} of {n}",
                      transform=page.dpi_scale_trans, ha="center", va="bottom", fontsize=7,
                      color="0.45")


def render_pdf(path: Path, blocks: Sequence[Block], summary: dict[str, Any], *, title: str,
               footer: str, figures: Sequence[tuple[str, Figure]] = ()) -> int:
    """Typeset ``blocks`` on A4 pages and write them to ``path`` as one PDF; return the page count.

    Figures named by ``FigurePage`` stems are drawn afresh as vectors from ``summary``, at
    FIGSIZE, with the layout of the matching ``figures`` (from :func:`figure_set`, best
    already saved with :func:`save_png`) so no second layout pass is needed; missing ones
    are built here. The PDF carries no creation date: the same inputs give the same bytes.
    """
    with house_style():
        setter = _Typesetter(summary, dict(figures), figure_specs(summary), draw_figure)
        setter.flow(blocks)
        setter.footers(footer)
        metadata = {"Title": title, "Creator": f"ftsim {summary['ftsim_version']}",
                    "CreationDate": None}
        with PdfPages(path, metadata=metadata) as pdf:
            for page in setter.pages:
                pdf.savefig(page)
        return len(setter.pages)
