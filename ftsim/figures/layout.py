"""Fixed layout of the report's figures: each axes placed from the measured size of the text
around it (titles, axis labels, tick labels, legends outside the axes), before the figure is
drawn once.

Why not matplotlib's constrained layout: it finds the margins by laying out every text artist
of the figure twice (tight bounding boxes of whole axes, tick objects and all) and solving for
the positions: half of the report figures' CPU time (measured on support_bot's 11 figures:
2.0 CPU-s with it, 1.05 without). Here only the strings that sit outside the axes are
measured, with the font metrics the SVG backend uses (:func:`.text.block_size_in`, each string
once per process), and the axis labels are put where the measurement says, so matplotlib
does not measure the tick labels again to place them.

Handled: axes on one GridSpec (any rows, columns and ratios), the figure's own texts (a
suptitle at the top), axes titles, x labels below and y labels on the left, tick labels at
the bottom and left, legends inside the axes (they move with them) and legends anchored
outside them, to the right or below (room made for them; one below is set just under the
x label). A figure not on one grid (inset axes, colour bars) gets matplotlib's constrained
layout instead. Text elsewhere outside the axes is not seen: tests/figures/test_layout.py
checks every report figure's text against the figure's edges and each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter, NullLocator

from .text import block_size_in

__all__ = ["fixed_layout", "EDGE_IN", "GAP_IN"]

EDGE_IN = 4 / 72  # between the outermost text and the figure's edge
GAP_IN = 6 / 72  # between the decorations of two neighbouring axes, or an axes and a legend
_ROUNDS = 4  # placements at most: a margin can change the ticks, which change the margin


@dataclass
class _Room:
    """Inches an axes' decorations need outside its frame, on each side."""

    left: float = 0.0
    right: float = 0.0
    bottom: float = 0.0
    top: float = 0.0
    ylabel_at: float = 0.0  # the y label's right edge, inches left of the frame
    xlabel_at: float = 0.0  # the x label's top edge, inches below the frame
    below: list[Legend] = field(default_factory=list)  # legends set under the x label

    def sides(self) -> tuple[float, float, float, float]:
        return self.left, self.right, self.bottom, self.top

    def close_to(self, other: _Room) -> bool:
        return all(abs(a - b) < 0.25 / 72 for a, b in zip(self.sides(), other.sides(),
                                                           strict=True))

    def widest(self, other: _Room) -> _Room:
        """``other`` with each side at least as wide as here."""
        return replace(other, left=max(self.left, other.left), right=max(self.right, other.right),
                       bottom=max(self.bottom, other.bottom), top=max(self.top, other.top))


def _bold(text: Text) -> bool:
    weight = text.get_fontweight()
    return weight in ("bold", "heavy", "extra bold", "black", "demibold", "semibold") or (
        isinstance(weight, int | float) and weight >= 600)


def _size(text: Text) -> tuple[float, float, float]:
    """(width, height, last line's descent) of a text artist's block, inches, unrotated."""
    return block_size_in(text.get_text(), text.get_fontsize(), _bold(text),
                         text.get_linespacing())


def _in_view(axis: Axis, major: bool) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """(places along the axes as fractions, tick locations, labels) of the ticks in view;
    None for no ticks. Labels are formatted from every location the locator gives, as when
    matplotlib draws (a formatter may choose its scale from all of them)."""
    locator = axis.get_major_locator() if major else axis.get_minor_locator()
    formatter = axis.get_major_formatter() if major else axis.get_minor_formatter()
    if not axis.get_visible() or isinstance(locator, NullLocator):
        return None
    locs = np.asarray(axis.get_majorticklocs() if major else axis.get_minorticklocs(),
                      dtype=float)
    texts = [""] * locs.size if isinstance(formatter, NullFormatter) else \
        formatter.format_ticks(locs)
    scale = axis.get_transform()
    lo, hi = scale.transform(np.asarray(axis.get_view_interval(), dtype=float))
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi == lo:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        places = (scale.transform(locs) - lo) / (hi - lo)
    keep = (places >= -1e-9) & (places <= 1 + 1e-9)
    return places[keep], locs[keep], [t for t, k in zip(texts, keep, strict=True) if k]


def _tick_labels(axis: Axis) -> list[tuple[float, float, float]]:
    """(place along the axes as a fraction, width, height) of each tick label drawn."""
    out = []
    for major in (True, False):
        ticks = _in_view(axis, major)
        if ticks is None:
            continue
        label = (axis.majorTicks if major else axis.minorTicks)[0].label1  # drawn anyway
        if not label.get_visible():
            continue
        for place, text in zip(ticks[0], ticks[2], strict=True):
            if text:
                w, h, _ = block_size_in(text, label.get_fontsize(), _bold(label))
                out.append((float(place), w, h))
    return out


def _freeze_ticks(axis: Axis) -> None:
    """Keep the ticks in view only, where they are now, with the labels they have now: a
    locator also gives places beyond the view, and matplotlib makes a tick (five artists,
    the costliest part of drawing an axes) for each of them (326 ticks for 244 drawn in
    support_bot's figures), and formats them again at every draw."""
    for major in (True, False):
        ticks = _in_view(axis, major)
        if ticks is None:
            continue
        _, locs, texts = ticks
        if major:
            axis.set_major_locator(FixedLocator(locs))
            axis.set_major_formatter(FixedFormatter(texts))
        else:
            axis.set_minor_locator(FixedLocator(locs))
            axis.set_minor_formatter(FixedFormatter(texts))


def _tick_offset(axis: Axis) -> tuple[float, float]:
    """(inches from the frame to the tick labels, inches a tick mark sticks out)."""
    if not axis.get_visible():
        return 0.0, 0.0
    tick = axis.majorTicks[0]
    mark = tick.get_tick_padding() / 72 if tick.tick1line.get_visible() else 0.0
    return tick.get_pad() / 72 + tick.get_tick_padding() / 72, mark


def _legend_size(legend: Legend) -> tuple[float, float]:
    """(width, height) of a legend in inches: matplotlib's legend box (Legend._init_legend_box:
    columns of [handle, label] rows, borders, spacing in font sizes), labels measured."""
    size = legend.prop.get_size_in_points()
    em = size / 72
    texts = [t for t in legend.get_texts() if t.get_visible()]
    columns = np.array_split(np.arange(len(texts)), max(1, getattr(legend, "_ncols", 1)))
    handle = (legend.handlelength + legend.handletextpad) * em
    handle_height = legend.handleheight * em
    widths, heights = [], []
    for column in columns:
        if not column.size:
            continue
        sizes = [_size(texts[i]) for i in column]
        widths.append(handle + max(w for w, _, _ in sizes))
        rows = [max(h - d, handle_height) + d for _, h, d in sizes]
        heights.append(sum(rows) + legend.labelspacing * em * (len(rows) - 1))
    pad = 2 * legend.borderpad * em
    width = pad + sum(widths) + legend.columnspacing * em * max(0, len(widths) - 1)
    title = legend.get_title()
    height = pad + max(heights, default=0.0)
    if title.get_visible() and title.get_text():
        tw, th, _ = _size(title)
        width, height = max(width, pad + tw), height + th + legend.labelspacing * em
    return width, height


def _legend_place(ax: Axes, legend: Legend, box: tuple[float, float]
                  ) -> tuple[float, float, float, float] | None:
    """The extent (x0, x1, y0, y1) of a legend anchored outside ``ax``, in inches from the
    frame's lower left corner, or None for a legend inside the axes."""
    anchor = legend.get_bbox_to_anchor()
    if anchor.width > 1 or anchor.height > 1:  # the axes' own box: inside
        return None
    x, y = ax.transAxes.inverted().transform((anchor.x0, anchor.y0))
    if 0 <= x <= 1 and 0 <= y <= 1:
        return None
    width, height = _legend_size(legend)
    code = legend._get_loc()
    # Legend.codes: 1 upper right, 2 upper left, 3 lower left, 4 lower right, 5 right,
    # 6 center left, 7 center right, 8 lower center, 9 upper center, 10 center
    horizontal = {2: 1, 3: 1, 6: 1, 1: -1, 4: -1, 5: -1, 7: -1}.get(code, 0)
    vertical = {1: -1, 2: -1, 9: -1, 3: 1, 4: 1, 8: 1}.get(code, 0)
    pad = legend.borderaxespad * legend.prop.get_size_in_points() / 72
    x_in, y_in = x * box[0], y * box[1]
    x0 = x_in + pad if horizontal > 0 else x_in - pad - width if horizontal < 0 else (
        x_in - width / 2)
    y0 = y_in + pad if vertical > 0 else y_in - pad - height if vertical < 0 else (
        y_in - height / 2)
    return x0, x0 + width, y0, y0 + height


def _room(ax: Axes, box: tuple[float, float]) -> _Room:
    """What ``ax`` (its frame ``box`` inches wide and high) needs outside its frame."""
    room = _Room()
    _left_side(ax, box, room)
    _bottom_side(ax, box, room)
    _above(ax, box, room)
    _outside_legend(ax, box, room)
    return room


def _left_side(ax: Axes, box: tuple[float, float], room: _Room) -> None:
    """The y tick labels and the y label; tick labels centred on the end ticks reach past
    the frame's top and bottom."""
    height = box[1]
    ylabels = _tick_labels(ax.yaxis)
    offset, mark = _tick_offset(ax.yaxis)
    left = offset + max(w for _, w, _ in ylabels) if ylabels else mark
    for place, _, h in ylabels:
        room.top = max(room.top, place * height + h / 2 - height)
        room.bottom = max(room.bottom, h / 2 - place * height)
    label = ax.yaxis.label
    if label.get_visible() and label.get_text():
        room.ylabel_at = left + ax.yaxis.labelpad / 72
        left = room.ylabel_at + _size(label)[1]
    room.left = max(room.left, left)


def _bottom_side(ax: Axes, box: tuple[float, float], room: _Room) -> None:
    """The x tick labels and the x label; those wider than the frame reach past its sides."""
    width = box[0]
    xlabels = _tick_labels(ax.xaxis)
    offset, mark = _tick_offset(ax.xaxis)
    bottom = offset + max(h for _, _, h in xlabels) if xlabels else mark
    for place, w, _ in xlabels:
        room.left = max(room.left, w / 2 - place * width)
        room.right = max(room.right, place * width + w / 2 - width)
    label = ax.xaxis.label
    if label.get_visible() and label.get_text():
        room.xlabel_at = bottom + ax.xaxis.labelpad / 72
        label_w, label_h, _ = _size(label)
        bottom = room.xlabel_at + label_h
        room.left = max(room.left, (label_w - width) / 2)
        room.right = max(room.right, (label_w - width) / 2)
    room.bottom = max(room.bottom, bottom)


def _above(ax: Axes, box: tuple[float, float], room: _Room) -> None:
    """The titles: the baseline of their last line at the title pad above the frame (the
    house style fixes their height: ``axes.titley``); one on the left may reach past the
    frame's right side."""
    pad = ax.titleOffsetTrans.transform((0, 0))[1] / ax.get_figure(root=True).dpi
    for title in (ax.title, ax._left_title, ax._right_title):
        if title.get_visible() and title.get_text():
            w, h, d = _size(title)
            room.top = max(room.top, pad + h - d)
            if title is ax._left_title:
                room.right = max(room.right, w - box[0])


def _outside_legend(ax: Axes, box: tuple[float, float], room: _Room) -> None:
    """A legend anchored outside the frame: room on its side; one below goes under the x
    label, wherever it was anchored."""
    legend = ax.get_legend()
    place = None if legend is None or not legend.get_visible() else \
        _legend_place(ax, legend, box)
    if legend is None or place is None:
        return
    x0, x1, y0, y1 = place
    if y1 < 0:
        room.below.append(legend)
        room.bottom += GAP_IN + (y1 - y0)
    else:
        room.bottom = max(room.bottom, -y0)
        room.top = max(room.top, y1 - box[1])
    room.right = max(room.right, x1 - box[0])
    room.left = max(room.left, -x0)


def _figure_texts(fig: Figure) -> tuple[float, float]:
    """Inches the figure's own texts (suptitle) take at its top and at its bottom."""
    height = fig.get_figheight()
    top = bottom = 0.0
    for text in fig.texts:
        if not (text.get_visible() and text.get_text()):
            continue
        _, h, d = _size(text)
        y = text.get_position()[1] * height
        va = text.get_verticalalignment()
        y0 = (y - h if va == "top" else y if va == "bottom" else y - h / 2
              if va in ("center", "center_baseline") else y - d)
        if y0 + h / 2 > height / 2:
            top = max(top, height - y0)
        else:
            bottom = max(bottom, y0 + h)
    return top, bottom


def _edges(ratios: list[float], before: list[float], after: list[float], start: float,
           total: float) -> list[tuple[float, float]]:
    """(start, length) of each grid cell along one direction, inches from ``start``: the
    length left after every cell's margins, shared by the ratios."""
    free = max(total - sum(before) - sum(after) - GAP_IN * (len(ratios) - 1), 0.1 * total)
    out, cursor = [], start
    for i, ratio in enumerate(ratios):
        cursor += before[i]
        length = free * ratio / sum(ratios)
        out.append((cursor, length))
        cursor += length + after[i] + GAP_IN
    return out


def _place(fig: Figure, axes: list[Axes], rooms: dict[Axes, _Room]) -> None:
    """Put every axes in its grid cell, each cell's margins the widest any of its axes needs."""
    width, height = fig.get_size_inches()
    grid = axes[0].get_subplotspec().get_gridspec()
    rows, cols = grid.get_geometry()
    left, right, top, bottom = [0.0] * cols, [0.0] * cols, [0.0] * rows, [0.0] * rows
    for ax in axes:
        spec, room = ax.get_subplotspec(), rooms[ax]
        c0, c1, r0, r1 = spec.colspan.start, spec.colspan.stop - 1, spec.rowspan.start, \
            spec.rowspan.stop - 1
        left[c0], right[c1] = max(left[c0], room.left), max(right[c1], room.right)
        top[r0], bottom[r1] = max(top[r0], room.top), max(bottom[r1], room.bottom)
    fig_top, fig_bottom = _figure_texts(fig)
    top_edge = max(EDGE_IN, fig_top + GAP_IN)
    bottom_edge = max(EDGE_IN, fig_bottom + GAP_IN)
    xs = _edges(list(grid.get_width_ratios() or [1.0] * cols), left, right, EDGE_IN,
                width - 2 * EDGE_IN)
    # rows from the top: their cells' starts measured downwards from the top edge
    ys = _edges(list(grid.get_height_ratios() or [1.0] * rows), top, bottom, top_edge,
                height - top_edge - bottom_edge)
    for ax in axes:
        spec = ax.get_subplotspec()
        x0 = xs[spec.colspan.start][0]
        x1 = sum(xs[spec.colspan.stop - 1])
        y_top = ys[spec.rowspan.start][0]
        y_bottom = sum(ys[spec.rowspan.stop - 1])
        ax.set_position([x0 / width, 1 - y_bottom / height, (x1 - x0) / width,
                         (y_bottom - y_top) / height])


def _frame(ax: Axes) -> tuple[float, float]:
    box = ax.get_position()
    width, height = ax.get_figure(root=True).get_size_inches()
    return box.width * width, box.height * height


def fixed_layout(fig: Figure) -> None:
    """Place the axes of ``fig`` (drawn, not yet saved; no layout engine) so that their
    titles, labels, tick labels and outside legends fit in the figure without overlapping,
    and put the axis labels and the legends below an axes where that placement measured
    them (so matplotlib does not measure them again when it draws)."""
    axes = [ax for ax in fig.axes if ax.get_visible()]
    grids = {spec.get_gridspec() if (spec := ax.get_subplotspec()) is not None else None
             for ax in axes}
    if len(grids) != 1 or None in grids:  # not one grid of subplots: matplotlib's own layout
        fig.set_layout_engine("constrained")
        return
    rooms = {ax: _room(ax, _frame(ax)) for ax in axes}
    for round_ in range(_ROUNDS):
        _place(fig, axes, rooms)
        placed = {ax: _room(ax, _frame(ax)) for ax in axes}
        if all(placed[ax].close_to(rooms[ax]) for ax in axes):
            rooms = placed
            break
        # the last rounds only grow, so the placement settles even if the ticks flip
        last = round_ >= _ROUNDS - 2
        rooms = {ax: rooms[ax].widest(placed[ax]) if last else placed[ax] for ax in axes}
    else:
        _place(fig, axes, rooms)
    for ax in axes:
        _finish(ax, rooms[ax])


def _finish(ax: Axes, room: _Room) -> None:
    """Axis labels where the room was measured for them; legends below under the x label;
    the ticks as they were measured."""
    width, height = _frame(ax)
    if room.ylabel_at and ax.yaxis.get_label_position() == "left":
        ax.yaxis.set_label_coords(-room.ylabel_at / width, 0.5)
    if room.xlabel_at and ax.xaxis.get_label_position() == "bottom":
        ax.xaxis.set_label_coords(0.5, -room.xlabel_at / height)
    for legend in room.below:
        under = room.xlabel_at + _size(ax.xaxis.label)[1] if room.xlabel_at else 0.0
        under = max(under, _tick_offset(ax.xaxis)[0] + max(
            (h for _, _, h in _tick_labels(ax.xaxis)), default=0.0))
        anchor = legend.get_bbox_to_anchor()
        x = ax.transAxes.inverted().transform((anchor.x0, anchor.y0))[0]
        pad = legend.borderaxespad * legend.prop.get_size_in_points() / 72
        legend.set_bbox_to_anchor((x, -(under + GAP_IN - pad) / height), transform=ax.transAxes)
    _freeze_ticks(ax.xaxis)
    _freeze_ticks(ax.yaxis)
