"""The report figures as the report draws them (ftsim.figures.render: fixed layout, text as
SVG <text>): every text lies inside the figure and the text around the axes (titles, axis
and tick labels, legends outside the axes) never overlaps, for support_bot, degenerate runs,
the widest names and a break-even curve, measured by matplotlib's own renderer; the layout's
fast text metrics equal matplotlib's; the SVG's text survives readers that scan it."""

from __future__ import annotations

import dataclasses
import io
import itertools
import xml.etree.ElementTree as ET

import matplotlib.text
import pytest
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.textpath import TextToPath
from matplotlib.transforms import Bbox
from report_runs import DEGENERATE, degenerate_run, drawn_figures, support_bot, with_option

from ftsim.figures import layout, text
from ftsim.figures.registry import figure_specs
from ftsim.figures.render import figure_fonts, figure_style, svgs_to_pngs
from ftsim.figures.svg import figure_svg, portable_text

SLACK = 0.5  # points: rounding of the SVG renderer's metrics
# The value-of-information figure's two-line input labels can crowd its rows (ten rows in
# a panel about two inches high): checked for clipping only, until they fit their rows.
CROWDED = {"voi"}


def _visible(artist: matplotlib.text.Text) -> bool:
    return artist.get_visible() and bool(artist.get_text())


def _texts(fig: Figure) -> tuple[list[tuple[str, Bbox]], list[tuple[str, Bbox]]]:
    """(every text drawn, the text around the axes) as (what, extent in points), measured
    by matplotlib's SVG renderer; a legend outside its axes counts as one box."""
    renderer = RendererSVG(fig.bbox.width, fig.bbox.height, io.StringIO())
    every: list[tuple[str, Bbox]] = []
    around: list[tuple[str, Bbox]] = []

    def add(what: str, artist: matplotlib.text.Text, outside: bool) -> None:
        if _visible(artist):
            box = artist.get_window_extent(renderer)
            every.append((f"{what} {artist.get_text()!r}", box))
            if outside:
                around.append((f"{what} {artist.get_text()!r}", box))

    for t in fig.texts:
        add("figure text", t, True)
    for i, ax in enumerate(fig.axes):
        for t in (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label):
            add(f"axes {i}", t, True)
        for axis in (ax.xaxis, ax.yaxis):
            for t in axis.get_ticklabels() + axis.get_ticklabels(minor=True):
                add(f"axes {i} {axis.axis_name} tick", t, True)
        for t in ax.texts:
            add(f"axes {i} text", t, False)
        legend = ax.get_legend()
        if isinstance(legend, Legend):
            box = legend.get_window_extent(renderer)
            frame = ax.get_window_extent(renderer)
            inside = Bbox.intersection(box, frame)
            outside = inside is None or inside.width * inside.height < 0.5 * box.width * box.height
            for t in legend.get_texts():
                add(f"axes {i} legend", t, False)
            if outside:
                around.append((f"axes {i} legend box", box))
    return every, around


def _check(fig: Figure, stem: str) -> None:
    width, height = fig.bbox.width, fig.bbox.height
    every, around = _texts(fig)
    assert every, stem
    for what, box in every:
        assert box.x0 >= -SLACK and box.y0 >= -SLACK and box.x1 <= width + SLACK \
            and box.y1 <= height + SLACK, (stem, what, box.bounds, (width, height))
    if stem in CROWDED:
        return
    for (a, box_a), (b, box_b) in itertools.combinations(around, 2):
        overlap = Bbox.intersection(box_a, box_b)
        assert overlap is None or min(overlap.width, overlap.height) <= SLACK, (stem, a, b)


def test_support_bot_figures_fit_without_overlaps():
    _, summary = support_bot()
    figures = drawn_figures(summary)
    assert len(figures) == len(figure_specs(summary))
    for stem, fig in figures.items():
        _check(fig, stem)


@pytest.mark.parametrize("kind", sorted(DEGENERATE))
def test_degenerate_figures_fit_without_overlaps(kind):
    _, summary = degenerate_run(kind)
    for stem, fig in drawn_figures(summary).items():
        _check(fig, stem)


def _widest(summary):
    info = dataclasses.replace(summary.scenario, name="W" * 120, currency="WWW")
    summary = dataclasses.replace(summary, scenario=info, baseline_name="W" * 120)
    for option_id, option in summary.options.items():
        rows = tuple(dataclasses.replace(r, label="W" * 200) for r in option.drivers)
        summary = with_option(summary, option_id, name="W" * 120, drivers=rows)
    return summary


def test_the_widest_names_fit_without_overlaps():
    """120 "W"s in every name and 200 in every driver's label: wrapped, cut, never clipped."""
    _, summary = support_bot()
    for stem, fig in drawn_figures(_widest(summary)).items():
        _check(fig, stem)
        for ax in fig.axes:
            box = ax.get_position()
            assert box.width > 0.15 and box.height > 0.1, stem


def test_the_break_even_figure_fits_without_overlaps():
    _, summary = support_bot()
    grid = [1e6, 1e7, 1e8, 1e9, 1e10]
    curve = {
        "tokens_per_month": grid, "marks": [1e7, 1e8], "payback_within_months": 12,
        "required_probability": 0.8, "scenario": "S" * 120, "paths": 2000,
        "scenario_volume": {"tokens_per_month": 5e8},
        "options": {oid: {"name": option.name, "p_payback_within": [0.05, 0.2, 0.5, 0.8, 0.95],
                          "p_payback_within_ci95": [[p - 0.02, p + 0.02]
                                                    for p in (0.05, 0.2, 0.5, 0.8, 0.95)],
                          "p50": {"level": 0.5, "tokens_per_month": 1e8, "status": "crossed"},
                          "required": {"level": 0.8, "tokens_per_month": 1e9,
                                       "status": "crossed"}}
                    for oid, option in summary.options.items()},
    }
    figures = drawn_figures(summary, curve)
    _check(figures["breakeven"], "breakeven")


def test_outside_legends_are_measured_as_matplotlib_draws_them():
    """The layout's legend size (Legend._init_legend_box's geometry, labels measured) is the
    extent matplotlib's renderer gives, for the legends it places outside the axes."""
    _, summary = support_bot()
    seen = 0
    for fig in drawn_figures(summary).values():
        renderer = RendererSVG(fig.bbox.width, fig.bbox.height, io.StringIO())
        for ax in fig.axes:
            legend = ax.get_legend()
            if legend is None or layout._legend_place(ax, legend, layout._frame(ax)) is None:
                continue
            seen += 1
            box = legend.get_window_extent(renderer)
            width, height = layout._legend_size(legend)
            assert width * 72 == pytest.approx(box.width, abs=SLACK)
            assert height * 72 == pytest.approx(box.height, abs=SLACK)
    assert seen >= 4  # cost figures (two each) and drivers


def test_a_figure_off_one_grid_gets_matplotlibs_layout():
    """An axes placed by hand (an inset) is not the fixed layout's to place."""
    fig = Figure(figsize=(4, 3), dpi=72)
    fig.add_subplot().set_title("grid")
    fig.add_axes((0.6, 0.6, 0.3, 0.3))
    layout.fixed_layout(fig)
    assert fig.get_layout_engine() is not None
    fig = Figure(figsize=(4, 3), dpi=72)
    fig.subplots(1, 2)
    layout.fixed_layout(fig)
    assert fig.get_layout_engine() is None


CORPUS = ["0", "10%", "-1.5M", "Month after the decision", "AVAT Ty Wa We", "Éty (gp) ÿ",
          "P(NPV < -500k USD) = 23.4% (95%: 22.6%–24.2%)", "x\u0301y", " a ", "", "WWW",
          "—–…·≤≥±×", "料金 0ㆸ"]


@pytest.mark.parametrize("bold", [False, True])
def test_fast_text_metrics_equal_freetypes_layout(bold):
    """text._measure sums cached glyph metrics; matplotlib lays each string out with
    FreeType (TextToPath, what the SVG backend measures with): the same to 0.01 pt."""
    reference = TextToPath()
    with text.missing_glyphs_allowed():
        for line, size in itertools.product(CORPUS, (7.0, 7.5, 8.0, 9.0, 10.0)):
            prop = FontProperties(family="DejaVu Sans", size=size,
                                  weight="bold" if bold else "normal")
            expected = reference.get_text_width_height_descent(line, prop, ismath=False)
            assert text._measure(line, size, bold, False) == pytest.approx(expected, abs=0.01), \
                (line, size)


def test_a_ligature_is_measured_no_narrower_than_drawn():
    reference = TextToPath().get_text_width_height_descent(
        "office fit", FontProperties(family="DejaVu Sans", size=9), ismath=False)[0]
    assert reference <= text._measure("office fit", 9.0, False, False)[0] <= reference * 1.02


def test_block_size_is_matplotlibs_text_extent():
    fig = Figure(figsize=(4, 3), dpi=72)
    renderer = RendererSVG(288, 216, io.StringIO())
    for line, size, spacing, weight in [("Hello", 10, None, "normal"),
                                        ("Two\nlines (gp)", 10, 1.4, "normal"),
                                        ("a\nb\nc", 7.5, None, "bold"), ("Éty", 9, None, "bold")]:
        artist = fig.text(0.5, 0.5, line, fontsize=size, linespacing=spacing, fontweight=weight)
        box = artist.get_window_extent(renderer)
        width, height, _ = text.block_size_in(line, size, weight == "bold", spacing)
        assert (width * 72, height * 72) == pytest.approx((box.width, box.height), abs=0.01)


def test_the_svg_renderer_measures_text_as_matplotlibs_own():
    """figure_svg's renderer takes DejaVu Sans's metrics from the cache (and the font's line
    heights from a hook of matplotlib's text layout): every text's extent is the one the
    plain SVG renderer gives."""
    from ftsim.figures import svg

    fig = Figure(figsize=(4, 3), dpi=72)
    texts = [fig.text(0.1, 0.1 * i, line, fontsize=size, fontweight=weight, linespacing=spacing)
             for i, (line, size, weight, spacing) in enumerate(
                 [("Hello (gp)", 10, "normal", None), ("Two\nlines Éy", 9, "bold", 1.4),
                  ("a\nb\nc", 7.5, "normal", None), ("料金 x", 8, "normal", None)])]
    texts.append(fig.text(0.5, 0.5, "mono", family="DejaVu Sans Mono", fontsize=8))
    plain = RendererSVG(288, 216, io.StringIO())
    cached = svg._Renderer(288, 216, io.StringIO())
    with text.missing_glyphs_allowed():
        for artist in texts:
            assert artist.get_window_extent(cached).bounds == pytest.approx(
                artist.get_window_extent(plain).bounds, abs=0.01), artist.get_text()


HOSTILE = 'x onload=alert(1) javascript:void(0) id="qz9" url(#qz8) <b>&amp;'


def test_svg_text_reads_back_as_written_and_passes_the_html_inliner():
    """User text is SVG character data: to an XML reader it is exactly the name; to the HTML
    page's scan for script it holds no "on...=", "javascript:", id or url(#...)."""
    from ftsim.report.html import inline_svg

    with figure_style("t"):
        fig = Figure(figsize=(4, 3), dpi=72)
        fig.add_subplot().set_title(HOSTILE, loc="left")
        svg = figure_svg(fig)
    shown = [t.text for t in ET.fromstring(svg.encode()).iter("{http://www.w3.org/2000/svg}text")]
    assert HOSTILE in shown
    inlined = inline_svg(svg, "f1-")
    assert 'id="f1-qz9' not in inlined and "url(#f1-qz8" not in inlined
    assert "font-family: 'DejaVu Sans', 'Bitstream Vera Sans', Arial, Helvetica, sans-serif" \
        in svg
    assert portable_text(svg) == svg  # once is enough: nothing left to change


def test_pngs_set_the_text_in_dejavu_sans():
    """Typst finds DejaVu Sans for the PNGs: a figure naming it rasterises differently from
    one naming a family Typst lacks (which falls back to its own fonts)."""
    assert "DejaVu Sans" in figure_fonts().families()
    with figure_style("t"):
        fig = Figure(figsize=(2, 1), dpi=72)
        fig.text(0.1, 0.4, "Mmm Wg 123", fontsize=14)
        svg = figure_svg(fig)
    missing = svg.replace("'DejaVu Sans', 'Bitstream Vera Sans', Arial, Helvetica, sans-serif",
                          "'No Such Family'")
    assert svg != missing
    dejavu, fallback = svgs_to_pngs([svg, missing])
    assert dejavu != fallback
