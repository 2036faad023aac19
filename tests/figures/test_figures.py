"""Figures drawn from hand-made summaries: no engine runs here."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch
from summaries import H, N, make_summary

from ftsim.figures import (
    FIGSIZE,
    cost_breakdown,
    draw_figure,
    drivers,
    fan_chart,
    figure_set,
    figure_specs,
    house_style,
    money_formatter,
    npv_distribution,
    payback_curve,
    save_png,
    style,
    text,
)
from ftsim.figures.drivers import _wrap_key
from ftsim.figures.payback import _spread_labels
from ftsim.format import format_money, format_probability
from ftsim.report import pdf
from ftsim.report.blocks import FigurePage, Heading, Paragraph


@pytest.fixture
def summary() -> dict:
    return make_summary()


def _axes() -> Axes:
    return Figure(figsize=FIGSIZE, layout="constrained").add_subplot()


def _by_gid(ax: Axes, gid: str):
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert len(found) == 1, (gid, found)
    return found[0]


def _legend_texts(ax: Axes) -> list[str]:
    """Legend entries as drawn (mathtext is off: a dollar sign is written as it is)."""
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --- number formatting -------------------------------------------------------------------------

@pytest.mark.parametrize(("currency", "value", "expected"), [
    ("USD", 1_234_567, "1.2M USD"),
    ("GBP", 350_000, "350k GBP"),
    ("EUR", 12_345, "12,345 EUR"),
    ("USD", -1_234_567, "-1.2M USD"),
    ("USD", 0, "0 USD"),
    ("USD", 12.5, "12.50 USD"),
    ("USD", 999_950, "1.0M USD"),  # rounds up into the next unit, never "1,000k"
    ("USD", 99_999.6, "100k USD"),
    ("USD", 2.5e9, "2.5B USD"),
    ("CHF", -4_200, "-4,200 CHF"),
    ("USD", -0.001, "0.00 USD"),  # no minus sign on a value that prints as zero
])
def test_money_formatter_single_values(currency, value, expected):
    assert money_formatter(currency)(value) == expected
    assert format_money(value, currency) == expected


@pytest.mark.parametrize(("ticks", "expected"), [
    ([0, 250_000, 500_000, 750_000, 1_000_000], ["0", "0.25M", "0.50M", "0.75M", "1.00M"]),
    ([-200_000, 0, 200_000, 400_000], ["-200k", "0", "200k", "400k"]),
    ([0, 20_000, 40_000], ["0", "20,000", "40,000"]),
    ([-2e6, -1e6, 0, 1e6], ["-2M", "-1M", "0", "1M"]),
])
def test_money_formatter_axis_uses_one_scale(ticks, expected):
    """Ticks share the scale of the largest one; the axis label names the currency."""
    assert money_formatter("USD").format_ticks(ticks) == expected


@pytest.mark.parametrize(("p", "expected"), [
    (0.63, "63.0%"), (0.0, "0.0%"), (1.0, "100.0%"), (0.0004, "<0.1%"), (0.9996, ">99.9%"),
    (0.12345, "12.3%"), (None, "n/a"),
])
def test_format_probability(p, expected):
    assert format_probability(p) == expected


# --- figures -----------------------------------------------------------------------------------

def test_fan_chart_draws_the_summary_bands(summary):
    ax = fan_chart(_axes(), summary, "a")
    assert isinstance(ax, Axes)
    bands = summary["options"]["a"]["cumulative_net_savings"]
    median = _by_gid(ax, "median")
    np.testing.assert_array_equal(median.get_xdata(), np.arange(1, H + 1))
    np.testing.assert_array_equal(median.get_ydata(), bands["p50"])
    marker = _by_gid(ax, "median_payback")
    assert list(marker.get_xdata()) == [3] and list(marker.get_ydata()) == [0]
    assert any(list(line.get_xdata()) == [N, N] for line in ax.get_lines())  # N marked
    assert any(list(line.get_ydata()) == [0, 0] for line in ax.get_lines())  # zero line
    assert "median payback: month 3" in _legend_texts(ax)
    assert "Test scenario" in ax.get_title(loc="left")
    assert "Option A, self-hosted" in ax.get_title(loc="left")
    assert ax.yaxis.get_major_formatter()(1_500_000) == "1.5M USD"


def test_fan_chart_says_when_the_median_never_pays_back(summary):
    summary["options"]["b"]["payback_month"]["p50"] = None
    ax = fan_chart(None, summary, "b")  # no ax: a new figure
    assert isinstance(ax, Axes)
    assert f"median payback: after month {H}" in _legend_texts(ax)


def test_payback_curve_labels_each_probability_at_n(summary):
    ax = payback_curve(_axes(), summary)
    for option_id, option in summary["options"].items():
        curve = _by_gid(ax, f"payback_{option_id}")
        np.testing.assert_array_equal(curve.get_ydata(), [0.0, *option["p_payback_by_month"]])
        label = _by_gid(ax, f"p_at_n_{option_id}")
        assert label.get_text() == format_probability(option["p_payback_within"])
        assert label.xy == (N, option["p_payback_within"])
    assert any(list(line.get_ydata()) == [0.8, 0.8] for line in ax.get_lines())
    assert "required probability 80.0%" in _legend_texts(ax)
    assert "Test scenario" in ax.get_title(loc="left")


def test_payback_labels_are_kept_apart():
    heights = _spread_labels([0.50, 0.51, 0.52], gap=0.07, lo=0.03, hi=0.97)
    assert np.all(np.diff(heights) >= 0.07 - 1e-12)
    heights = _spread_labels([0.95, 0.96], gap=0.07, lo=0.03, hi=0.97)
    assert heights[-1] <= 0.97 and heights[1] - heights[0] >= 0.07 - 1e-12


def test_npv_distribution_histogram_lines_and_loss_region(summary):
    ax = npv_distribution(_axes(), summary, "a")
    option = summary["options"]["a"]
    hist = _by_gid(ax, "npv_histogram")
    assert isinstance(hist, StepPatch)
    values, edges, _ = hist.get_data()
    np.testing.assert_allclose(values, np.array(option["npv_histogram"]["counts"]) / 1000)
    np.testing.assert_allclose(edges, option["npv_histogram"]["edges"])
    _by_gid(ax, "loss_region")
    legend = _legend_texts(ax)
    assert "loss (NPV < 0): 22.0% of paths" in legend
    assert {"P5 -15,000 USD", "P50 9,000 USD", "P95 52,000 USD"} <= set(legend)
    vertical = {line.get_xdata()[0] for line in ax.get_lines()}
    assert {-15_000.0, 9_000.0, 52_000.0, 0.0} <= vertical


def test_drivers_tornado_and_deciles(summary):
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    left, right = drivers(tuple(fig.subplots(1, 2, sharey=True)), summary, "a")
    rows = summary["options"]["a"]["sensitivity"][:10]
    container = left.containers[0]
    assert len(container.patches) == 10
    np.testing.assert_allclose([p.get_width() for p in container.patches],
                               [r["spearman"] for r in rows])
    # the strongest input sits on top
    assert container.patches[0].get_y() > container.patches[-1].get_y()
    ticks = dict(zip(left.get_yticks(), (t.get_text() for t in left.get_yticklabels()),
                     strict=True))
    assert ticks[max(ticks)] == "traffic.requests_per_month"  # top tick = first row
    low = _by_gid(right, "p_low")
    high = _by_gid(right, "p_high")
    np.testing.assert_allclose(low.get_xdata(), [r["p_payback_low"] for r in rows])
    np.testing.assert_allclose(high.get_xdata(), [r["p_payback_high"] for r in rows])
    title = fig._suptitle.get_text()
    assert "Option A, self-hosted" in title and "Test scenario" in title


def test_drivers_handles_missing_spearman_and_top(summary):
    left, right = drivers(None, summary, "b", top=3)
    assert len(left.containers[0].patches) == 3
    assert left.containers[0].patches[0].get_width() == 0.0  # spearman None
    assert "n/a" in [t.get_text() for t in left.texts]


def test_cost_breakdown_stacks_components_against_baseline(summary):
    ax = cost_breakdown(_axes(), summary, "a")
    costs = summary["options"]["a"]["monthly_mean_cost"]
    gids = {a.get_gid() for a in ax.get_children() if a.get_gid()}
    assert "cost_retraining" not in gids  # all-zero components are left out
    top = _by_gid(ax, "cost_baseline_while_not_live")  # last layer: the running total
    total = sum(np.array(costs[k]) for k in costs if k != "baseline")
    np.testing.assert_allclose(top.get_data().values, total)
    serving = _by_gid(ax, "cost_serving")
    np.testing.assert_allclose(serving.get_data().values, costs["serving"])
    np.testing.assert_allclose(_by_gid(ax, "cost_baseline").get_data().values,
                               costs["baseline"])
    assert any(t.startswith("serving (100k USD)") for t in _legend_texts(ax))
    assert "Test scenario" in ax.get_title(loc="left")


def test_month_axis_is_integer():
    ax = _axes()
    style.month_axis(ax, 36)
    fmt = ax.xaxis.get_major_formatter()
    assert [fmt(x) for x in ax.xaxis.get_major_locator().tick_values(0.5, 36.5)
            if 0.5 <= x <= 36.5] == [str(m) for m in range(3, 37, 3)]


def test_figure_set_has_every_figure_titled(summary):
    figures = figure_set(summary)
    stems = [stem for stem, _ in figures]
    assert stems == ["payback", "fan_a", "fan_b", "npv_a", "npv_b", "drivers_a", "drivers_b",
                     "cost_a", "cost_b"]
    for stem, fig in figures:
        assert isinstance(fig, Figure)
        titles = [ax.get_title(loc="left") for ax in fig.axes]
        if fig._suptitle is not None:
            titles.append(fig._suptitle.get_text())
        assert any("Test scenario" in t for t in titles), stem


def test_long_titles_are_wrapped_to_the_figure(summary):
    summary["scenario"]["name"] = "A very long scenario name " * 6
    ax = fan_chart(None, summary, "a")
    lines = ax.get_title(loc="left").split("\n")
    assert len(lines) >= 3
    width = max(text.text_width_in(line, 10.0, False, False) for line in lines)
    assert width <= FIGSIZE[0] - 1.0


def test_text_wrap_breaks_long_key_paths():
    lines = text.wrap("see options.lora_8b.serving.throughput_tokens_per_second now", 1.2, 8)
    assert "".join(lines).replace(" ", "") == \
        "seeoptions.lora_8b.serving.throughput_tokens_per_secondnow"
    assert all(text.text_width_in(line, 8, False, False) <= 1.2 for line in lines)


def test_render_pdf_returns_its_page_count(summary, tmp_path):
    blocks = [Heading("Title"), Paragraph("word " * 3000),
              FigurePage(("payback",), (Paragraph("note"),)),
              FigurePage(("fan_a", "npv_b"))]
    pages = pdf.render_pdf(tmp_path / "x.pdf", blocks, summary, title="t", footer="f")
    data = (tmp_path / "x.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    assert pages == len(re.findall(rb"/Type\s*/Page(?![s\w])", data)) >= 4


def test_report_leaves_matplotlib_to_figures_and_figures_avoid_pyplot():
    """Only the PDF renderer of the report draws (through ftsim.figures); no module uses pyplot."""
    package = Path(style.__file__).parents[1]
    for name in ("blocks", "checklist", "content", "markdown", "write"):
        source = (package / "report" / f"{name}.py").read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+matplotlib", source, re.M), name
    for path in [*(package / "figures").glob("*.py"), package / "report" / "pdf.py"]:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+matplotlib(\.pyplot|\s+import\s+pyplot)",
                             source, re.M), path.name


# --- robustness (issue 9) -----------------------------------------------------------------------

def test_money_formats_null_and_huge_amounts():
    assert format_money(None, "USD") == "n/a"  # summary.json writes non-finite values as null
    assert format_money(float("inf"), "USD") == "n/a"
    assert format_money(-1.26e20, "USD") == "-1.26e+20 USD"  # not "126,000,000,000.0B USD"
    assert format_money(999.4e12, "USD") == "999,400.0B USD"
    assert money_formatter("USD").format_ticks([0.0, 5e19, 1e20]) == [
        "0 USD", "5e+19 USD", "1e+20 USD"]


def test_house_style_turns_mathtext_off():
    """A currency like "$$" used to crash the first figure with a mathtext ParseException."""
    summary = make_summary(currency="$$")
    summary["scenario"]["name"] = "cost $x^$ and \\frac"
    with house_style():
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        ax = npv_distribution(fig.add_subplot(), summary, "a")
        fig.savefig(io.BytesIO(), format="png")
    assert "cost $x^$ and \\frac" in ax.get_title(loc="left")
    assert "P50 9,000 $$" in _legend_texts(ax)
    # drawn outside the house style too: the figure functions switch mathtext off themselves
    ax = fan_chart(None, summary, "a")
    assert all(not t.get_parse_math() for t in [ax.title, *ax.get_legend().get_texts()])


def _hist_summary(edges: list, counts: list, npv: dict) -> dict:
    summary = make_summary()
    option = summary["options"]["a"]
    option["npv_histogram"] = {"edges": edges, "counts": counts}
    option["npv"] = npv
    return summary


def _note(ax: Axes) -> str | None:
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "empty_note"]
    return notes[0] if notes else None


@pytest.mark.parametrize(("edges", "counts", "value"), [
    # all 1000 paths in one bin of a +-1 range (what summarize gives for a constant NPV)
    (np.linspace(41_999.0, 42_001.0, 41).tolist(), [0] * 20 + [1000] + [0] * 19, 42_000.0),
    # the old summarize at 1e16: lo - 1 == lo, forty bins of zero width
    ([1e16] * 41, [0] * 39 + [1000], 1e16),
    # summary.json nulls: no edges at all
    ([None] * 41, [0] * 40, -3e5),
])
def test_npv_distribution_of_a_single_value_says_so(edges, counts, value):
    """Before: a positive constant NPV raised NotImplementedError from a bare Patch; zero-width
    bins set identical x limits. Now one bar, the value in words, a readable window."""
    npv = {"mean": value, "p5": value, "p50": value, "p95": value}
    summary = _hist_summary(edges, counts, npv)
    ax = npv_distribution(_axes(), summary, "a")
    note = _note(ax)
    assert note is not None and note.startswith(f"NPV is {format_money(value, 'USD')} on ")
    lo, hi = ax.get_xlim()
    assert lo < value < hi and hi - lo >= 0.1 * abs(value)
    legend = _legend_texts(ax)
    assert "loss (NPV < 0): 22.0% of paths" in legend  # in the legend even with no loss region
    assert f"P50 {format_money(value, 'USD')}" in legend
    ax.figure.savefig(io.BytesIO(), format="png")


def test_npv_distribution_with_null_percentiles_draws_what_it_has():
    summary = _hist_summary([None] * 41, [0] * 40,
                            {"mean": None, "p5": None, "p50": None, "p95": None})
    ax = npv_distribution(_axes(), summary, "a")
    assert _note(ax).startswith("NPV is not a finite number")
    assert not any(t.startswith(("P5", "P50", "P95")) for t in _legend_texts(ax))
    summary = make_summary()
    summary["options"]["a"]["npv"]["p95"] = None  # one percentile null: the others drawn
    legend = _legend_texts(npv_distribution(_axes(), summary, "a"))
    assert "P5 -15,000 USD" in legend and not any(t.startswith("P95") for t in legend)


def test_figures_skip_null_values():
    summary = make_summary()
    option = summary["options"]["a"]
    option["cumulative_net_savings"]["p50"][2] = None
    option["monthly_mean_cost"]["errors"] = [None] * H
    option["sensitivity"][0].update(p_payback_low=None, p_payback_high=None)
    option["p_payback_within"] = None
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    for spec in figure_specs(summary):
        sub = fig.add_subfigure(fig.add_gridspec(1, 1)[0])
        draw_figure(sub, spec, summary)
    median = _by_gid(fan_chart(_axes(), summary, "a"), "median")
    assert np.isnan(median.get_ydata()[2])
    ax = cost_breakdown(_axes(), summary, "a")
    assert any(t.startswith("cost of errors (n/a)") for t in _legend_texts(ax))
    assert np.isfinite(ax.get_ylim()).all()
    ax = payback_curve(_axes(), summary)
    assert [a.get_gid() for a in ax.texts if a.get_gid()] == ["p_at_n_b"]  # no label for None


def test_text_wrap_measures_linearly(monkeypatch):
    """Before: a word longer than the line was cut by measuring every prefix (quadratic in
    measurements, each linear): a 1,000-character name took 72 s of report. Now each piece
    is measured about once, so the characters measured stay a small multiple of the text."""
    measured: list[int] = []
    real = text._TEXT_TO_PATH

    class Counting:
        def get_text_width_height_descent(self, text, prop, ismath):
            measured.append(len(text))
            return real.get_text_width_height_descent(text, prop, ismath)

    monkeypatch.setattr(text, "_TEXT_TO_PATH", Counting())
    for length in (400, 3000):
        text.text_width_in.cache_clear()
        measured.clear()
        word = "".join(chr(ord("a") + (7 * i) % 26) for i in range(length))  # no break point
        lines = text.wrap(word, 2.0, 9.0)
        assert "".join(lines) == word
        assert len(lines) >= length / 40
        assert all(real_width(line, 9.0) <= 2.0 for line in lines)
        assert sum(measured) <= 4 * length, (length, len(measured), sum(measured))
    text.text_width_in.cache_clear()


def real_width(line: str, size: float) -> float:
    return text.text_width_in.__wrapped__(line, size, False, False)


def test_long_unbroken_names_are_wrapped_and_cut_in_titles(summary):
    summary["scenario"]["name"] = "S" * 120  # the longest name the loader accepts
    summary["options"]["a"]["name"] = "N" * 120
    ax = fan_chart(None, summary, "a")
    lines = ax.get_title(loc="left").split("\n")
    # at most two lines of "what" and three of "scenario · detail", each within the figure
    assert len(lines) <= 5
    assert all(real_width(line, 10.0) <= FIGSIZE[0] - 1.0 for line in lines)
    assert lines[1].endswith("…")  # 36 + 120 characters of "what": cut
    assert " ".join(lines[2:]).endswith("upfront cost included, 1,000 paths")  # kept whole
    assert "".join(lines[2:]).startswith("S" * 120)
    legend = _legend_texts(payback_curve(_axes(), summary))
    name = next(t for t in legend if t.startswith("N"))
    assert name.endswith("…") and real_width(name, 8.0) <= 4.0


def test_long_key_paths_stay_narrow_tick_labels():
    label = _wrap_key("options.a." + "k" * 200)
    lines = label.split("\n")
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(real_width(line, 7.5) <= 2.0 for line in lines)
    wide = _wrap_key("options." + "w" * 64 + ".serving.throughput_tokens_per_second")
    assert all(real_width(line, 7.5) <= 2.0 for line in wide.split("\n"))
    assert _wrap_key("traffic.requests_per_month") == "traffic.requests_per_month"


def test_widest_names_keep_every_layout(summary, tmp_path):
    """120 "W"s (the widest name the loader accepts) everywhere, and a 64-character option
    id in the key paths. Before: the baseline's name made the cost legend below the axes
    wider than the figure, and constrained layout collapsed ("axes sizes collapsed to
    zero", a UserWarning: exit 1 in the property tests)."""
    summary["scenario"]["name"] = summary["baseline"]["name"] = "W" * 120
    for option in summary["options"].values():
        option["name"] = "W" * 120
        for row in option["sensitivity"]:
            row["input"] = "options." + "w" * 64 + ".serving.throughput_tokens_per_second"
    for stem, fig in figure_set(summary):
        save_png(fig, tmp_path / f"{stem}.png")
        for ax in fig.axes:
            box = ax.get_position()
            assert box.width > 0.15 and box.height > 0.15, stem


def test_breakeven_chart_skips_null_volumes():
    """summary.json-style nulls in a break-even curve (a grid point or the scenario's own
    volume not finite) leave gaps instead of raising on NaN axis limits."""
    from ftsim.figures import breakeven_chart

    crossing = {"level": 0.5, "tokens_per_month": None, "status": "not_reached"}
    curve = {
        "tokens_per_month": [1e6, None, 1e8], "marks": [1e7, 1e8],
        "payback_within_months": 3, "required_probability": 0.8, "scenario": "S",
        "paths": 100, "scenario_volume": {"tokens_per_month": None},
        "options": {"a": {"name": "A", "p_payback_within": [0.1, None, 0.9],
                          "p_payback_within_ci95": [[0.0, 0.2], [None, None], [0.8, 1.0]],
                          "p50": crossing, "required": crossing}},
    }
    ax = breakeven_chart(None, curve)
    assert ax.get_xlim() == pytest.approx((1e6, 1e8))
    assert not any(t.startswith("scenario's own volume") for t in _legend_texts(ax))
    ax.figure.savefig(io.BytesIO(), format="png")


def test_names_with_characters_the_font_lacks_draw_without_warnings(summary, tmp_path):
    """A valid name may hold characters DejaVu Sans has no glyph for ("0ㆸ" from the
    property tests, CJK): before, matplotlib's "Glyph 12728 missing from font" UserWarning
    made the CLI exit 1 under warnings-as-errors. Now the glyph is the font's empty box."""
    summary["scenario"]["name"] = "0ㆸ 料金"
    summary["options"]["a"]["name"] = "モデル"
    summary["scenario"]["currency"] = "円"
    ax = fan_chart(None, summary, "a")
    assert "0ㆸ 料金" in ax.get_title(loc="left")
    with house_style():
        ax.figure.savefig(io.BytesIO(), format="png")
    for stem, fig in figure_set(summary):
        save_png(fig, tmp_path / f"{stem}.png")
    pages = pdf.render_pdf(tmp_path / "r.pdf", [Heading("料金 ㆸ"),
                                                      FigurePage(("payback",))],
                               summary, title="t", footer="ㆸ")
    assert pages == 2
