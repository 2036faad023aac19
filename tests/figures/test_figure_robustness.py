"""The figure registry, and every figure under hostile conditions: degenerate runs, extreme
magnitudes, names with "$", missing glyphs, the widest names; no exponent in any label."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import matplotlib.text
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from report_runs import DEGENERATE, degenerate_run, drawn_figures, scaled_money, support_bot, with_option

from ftsim.figures import FIGSIZE, fan_chart, house_style, npv_distribution, payback_curve, style, text
from ftsim.figures.registry import KINDS, draw_figure, figure_specs

EXPONENT = re.compile(r"\de[+-]?\d")


def _report_stems(summary) -> list[str]:
    """The value of information first when the summary has it, payback, then per kind and
    option."""
    voi = ["voi"] if summary.value_of_information is not None else []
    return voi + ["payback"] + [f"{k}_{i}" for k in KINDS for i in summary.options]


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def test_figure_specs_in_report_order_with_captions_and_alt_text():
    _, summary = support_bot()
    specs = figure_specs(summary)
    assert summary.value_of_information is not None  # support_bot asks for it
    assert [s.stem for s in specs] == _report_stems(summary)
    for spec in specs:
        assert spec.caption and spec.alt and "\n" not in spec.alt
    assert "breakeven" not in [s.stem for s in specs]
    curve = {"paths": 10}
    assert figure_specs(summary, curve)[-1].stem == "breakeven"
    with pytest.raises(ValueError, match="break-even curve"):
        draw_figure(Figure(), figure_specs(summary, curve)[-1], summary)


def test_stems_stay_distinct_for_ids_that_differ_in_unsafe_characters():
    _, summary = degenerate_run("constant")
    a = summary.options["a"]
    summary = dataclasses.replace(summary, options={"a.b": dataclasses.replace(a, id="a.b"),
                                                    "a_b": dataclasses.replace(a, id="a_b")})
    stems = [s.stem for s in figure_specs(summary)]
    assert len(stems) == len(set(stems)) and "fan_a_b_" in stems


@pytest.mark.parametrize("kind", sorted(DEGENERATE))
def test_every_figure_draws_for_degenerate_runs(kind):
    """Before: a positive NPV on every path raised NotImplementedError from a bare Patch; a
    constant NPV of 1e15 raised "Too many bins". Warnings are errors here."""
    _, summary = degenerate_run(kind)
    assert DEGENERATE[kind][1](summary.options["a"]), kind  # the case is what it claims
    figures = drawn_figures(summary)
    assert list(figures) == _report_stems(summary)


@pytest.mark.parametrize("magnitude", [1e-3, 1e15, 1e20])
@pytest.mark.parametrize("kind", ["constant", "two_valued"])
def test_no_exponent_in_any_figure_at_any_magnitude(kind, magnitude):
    """Money scaled so the median NPV is ±magnitude: every text drawn (ticks, legends,
    notes, titles) is free of scientific notation."""
    _, summary = degenerate_run(kind)
    for stem, fig in drawn_figures(scaled_money(summary, magnitude)).items():
        for shown in _texts(fig):
            assert not EXPONENT.search(shown), (stem, shown)


def test_no_exponent_in_support_bot_figures():
    _, summary = support_bot()
    for stem, fig in drawn_figures(summary).items():
        for shown in _texts(fig):
            assert not EXPONENT.search(shown), (stem, shown)


def _renamed(summary, *, scenario_name=None, currency=None, option_name=None,
             baseline_name=None):
    info = dataclasses.replace(summary.scenario, name=scenario_name or summary.scenario.name,
                               currency=currency or summary.scenario.currency)
    summary = dataclasses.replace(summary, scenario=info,
                                  baseline_name=baseline_name or summary.baseline_name)
    if option_name is not None:
        for option_id in summary.options:
            summary = with_option(summary, option_id, name=option_name)
    return summary


def test_house_style_turns_mathtext_off():
    """A currency like "$$" used to crash the first figure with a mathtext ParseException."""
    _, summary = support_bot()
    summary = _renamed(summary, scenario_name="cost $x^$ and \\frac", currency="$$")
    with house_style():
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        ax = npv_distribution(fig.add_subplot(), summary, "lora_8b_provider")
        fig.savefig(io.BytesIO(), format="png")
    assert "cost $x^$ and \\frac" in ax.get_title(loc="left")
    assert any(t.endswith(" $$") for t in (x.get_text() for x in ax.get_legend().get_texts()))
    ax = fan_chart(None, summary, "lora_8b_provider")  # outside the house style too
    assert all(not t.get_parse_math() for t in [ax.title, *ax.get_legend().get_texts()])


def real_width(line: str, size: float) -> float:
    """Inches, as FreeType lays the line out for matplotlib (not the cached metrics)."""
    prop = FontProperties(family="DejaVu Sans", size=size)
    return TextToPath().get_text_width_height_descent(line, prop, ismath=False)[0] / 72


def test_long_unbroken_names_are_wrapped_and_cut_in_titles():
    _, summary = support_bot()
    summary = _renamed(summary, scenario_name="S" * 120, option_name="N" * 120)
    ax = fan_chart(None, summary, "lora_8b_provider")
    lines = ax.get_title(loc="left").split("\n")
    assert len(lines) <= 5  # two lines of "what", three of "scenario · detail"
    assert all(real_width(line, 10.0) <= FIGSIZE[0] - 1.0 for line in lines)
    assert lines[1].endswith("…")
    legend = [t.get_text() for t in payback_curve(None, summary).get_legend().get_texts()]
    name = next(t for t in legend if t.startswith("N"))
    assert name.endswith("…") and real_width(name, 8.0) <= 4.0


def test_widest_names_keep_every_layout(tmp_path):
    """120 "W"s everywhere. Before: a legend wider than the figure collapsed the constrained
    layout ("axes sizes collapsed to zero", a UserWarning: an error here)."""
    _, summary = support_bot()
    summary = _renamed(summary, scenario_name="W" * 120, option_name="W" * 120,
                       baseline_name="W" * 120)
    for option_id, option in summary.options.items():
        rows = tuple(dataclasses.replace(r, label="W" * 200) for r in option.drivers)
        summary = with_option(summary, option_id, drivers=rows)
    for stem, fig in drawn_figures(summary).items():
        for ax in fig.axes:
            box = ax.get_position()
            assert box.width > 0.15 and box.height > 0.1, stem


def test_names_with_characters_the_font_lacks_draw_without_warnings():
    """"0ㆸ 料金" (CJK): before, matplotlib's "Glyph missing from font" warning made the CLI
    exit 1 under warnings-as-errors. Now the glyph is the font's empty box."""
    _, summary = support_bot()
    summary = _renamed(summary, scenario_name="0ㆸ 料金", option_name="モデル", currency="円")
    figures = drawn_figures(summary)
    assert any("0ㆸ 料金" in t for t in _texts(figures["payback"]))


def test_month_axis_is_integer():
    ax = Figure(figsize=FIGSIZE).add_subplot()
    style.month_axis(ax, 36)
    fmt = ax.xaxis.get_major_formatter()
    assert [fmt(x) for x in ax.xaxis.get_major_locator().tick_values(0.5, 36.5)
            if 0.5 <= x <= 36.5] == [str(m) for m in range(3, 37, 3)]


def test_text_wrap_breaks_long_key_paths():
    lines = text.wrap("see options.lora_8b.serving.throughput_tokens_per_second now", 1.2, 8)
    assert "".join(lines).replace(" ", "") == \
        "seeoptions.lora_8b.serving.throughput_tokens_per_secondnow"
    assert all(text.text_width_in(line, 8, False, False) <= 1.2 for line in lines)


def test_text_wrap_measures_linearly(monkeypatch):
    """Before: a word longer than the line was cut by measuring every prefix (quadratic): a
    1,000-character name took 72 s of report. Now each piece is measured about once."""
    measured: list[int] = []
    real = text._measure

    def counting(s, size, bold, mono):
        measured.append(len(s))
        return real(s, size, bold, mono)

    monkeypatch.setattr(text, "_measure", counting)
    for length in (400, 3000):
        text.text_width_in.cache_clear()
        measured.clear()
        word = "".join(chr(ord("a") + (7 * i) % 26) for i in range(length))
        lines = text.wrap(word, 2.0, 9.0)
        assert "".join(lines) == word and len(lines) >= length / 40
        assert all(real_width(line, 9.0) <= 2.0 for line in lines)
        assert sum(measured) <= 4 * length, (length, len(measured), sum(measured))
    text.text_width_in.cache_clear()


def test_figures_avoid_pyplot_and_the_report_text_avoids_matplotlib():
    """Figures never use pyplot; the report's content (and the sentences the terminal
    prints) never import matplotlib: only ftsim.figures draws."""
    package = Path(style.__file__).parents[1]
    for name in ("blocks", "checklist", "content", "sentences", "tables", "appendix"):
        source = (package / "report" / f"{name}.py").read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+matplotlib", source, re.M), name
        assert not re.search(r"^from \.\.figures", source, re.M), name
    for path in (package / "figures").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+matplotlib(\.pyplot|\s+import\s+pyplot)",
                             source, re.M), path.name


def test_cdf_of_a_constant_npv_draws_a_step_in_a_window():
    _, summary = degenerate_run("constant")
    value = summary.options["a"].npv.p50
    figures = drawn_figures(summary)
    ax = figures["cdf_a"].axes[0]
    lo, hi = ax.get_xlim()
    assert lo < value < hi
    curve = next(a for a in ax.get_lines() if a.get_gid() == "npv_cdf")
    assert np.all(np.asarray(curve.get_xdata())[1:-1] == value)
