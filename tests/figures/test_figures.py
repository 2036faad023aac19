"""Each figure function on typed summaries of small real runs (support_bot at 3,000 paths and
degenerate one-option runs): what is drawn is checked against the summary's own numbers."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch
from report_runs import degenerate_run, support_bot, with_option

from ftsim import simulate, summarize
from ftsim.figures import (
    FIGSIZE,
    breakeven_chart,
    cost_breakdown,
    drivers,
    fan_chart,
    npv_distribution,
    payback_curve,
)
from ftsim.figures.cdf import npv_cdf, target_text
from ftsim.figures.drivers import NOISE_COLOR, Z95
from ftsim.figures.npv import bar_step, npv_bins
from ftsim.figures.payback import spread_labels
from ftsim.format import format_money, format_probability

PROVIDER = "lora_8b_provider"


@pytest.fixture(scope="module")
def run():
    return support_bot()


def _axes() -> Axes:
    return Figure(figsize=FIGSIZE, layout="constrained").add_subplot()


def _by_gid(ax: Axes, gid: str):
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert len(found) == 1, (gid, found)
    return found[0]


def _gids(ax: Axes) -> set[str]:
    return {a.get_gid() for a in ax.get_children() if a.get_gid()}


def _legend_texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --- fan ----------------------------------------------------------------------------------------

def test_fan_chart_draws_the_bands_and_no_phantom_marker(run):
    """support_bot: fewer than half of the paths pay back within 36 months (median payback
    None). Before: the legend showed a diamond that was never drawn."""
    _, summary = run
    option = summary.options[PROVIDER]
    assert option.payback_month.p50 is None  # the case under test
    ax = fan_chart(_axes(), summary, PROVIDER)
    median = _by_gid(ax, "median")
    np.testing.assert_array_equal(median.get_ydata(), option.cumulative_net_savings.p50)
    assert "median_payback" not in _gids(ax)
    assert not any("payback" in t for t in _legend_texts(ax))
    assert "fewer than half of the paths pay back by month 36" in ax.get_title(loc="left").replace(
        "\n", " ")
    assert ax.yaxis.get_major_formatter()(1_500_000) == "1.5M USD"


def test_fan_chart_marks_the_median_payback_month():
    """1e7 requests against $100 upfront: every path pays back in month 1."""
    _, summary = degenerate_run("all_payback")
    ax = fan_chart(None, summary, "a")
    marker = _by_gid(ax, "median_payback")
    assert list(marker.get_xdata()) == [1] and list(marker.get_ydata()) == [0]
    assert "median payback: month 1" in _legend_texts(ax)


# --- payback ------------------------------------------------------------------------------------

def test_payback_curve_labels_each_probability_at_n(run):
    _, summary = run
    ax = payback_curve(_axes(), summary)
    deadline = summary.simulation.payback_within_months
    for option_id, option in summary.options.items():
        curve = _by_gid(ax, f"payback_{option_id}")
        np.testing.assert_array_equal(curve.get_ydata(), [0.0, *option.p_payback_by_month])
        label = _by_gid(ax, f"p_at_n_{option_id}")
        assert label.get_text() == format_probability(option.p_payback_within)
        assert label.xy == (deadline, option.p_payback_within)
    assert "required probability 80.0%" in _legend_texts(ax)


def test_payback_labels_are_kept_apart():
    heights = spread_labels([0.50, 0.51, 0.52], gap=0.07, lo=0.03, hi=0.97)
    assert np.all(np.diff(heights) >= 0.07 - 1e-12)
    heights = spread_labels([0.95, 0.96], gap=0.07, lo=0.03, hi=0.97)
    assert heights[-1] <= 0.97 and heights[1] - heights[0] >= 0.07 - 1e-12


# --- NPV histogram ------------------------------------------------------------------------------

def test_npv_bins_hold_equal_shares_and_set_point_masses_apart():
    """Quantiles of a law with an atom: 30 % of the mass at -1 (levels 0.0-0.3), the rest
    uniform on [0, 7]. The bins between percentiles each hold 1 %; the atom is one spike."""
    levels = np.linspace(0, 1, 101)
    values = np.where(levels <= 0.3, -1.0, (levels - 0.3) / 0.7 * 7.0)
    bins = npv_bins(levels, values, -1.0, 7.0)
    assert bins.atoms == ((-1.0, pytest.approx(0.3)),)
    np.testing.assert_allclose(bins.shares, 0.01)  # 70 bars of 1 %: 0.3-0.31, ..., 0.99-1.0
    assert bins.shares.size == 70
    # Q(0.31) = 0.01 / 0.7 * 7 = 0.1: the first bar jumps from the atom at -1 to 0.1 (width
    # 1.1); the others span the uniform part, 7 / 70 = 0.1 wide each
    widths = np.diff(bins.edges)
    assert widths[0] == pytest.approx(1.1)
    np.testing.assert_allclose(widths[1:], 0.1)


def test_merged_bins_keep_atoms_apart():
    """Bars of 5 percentiles; the atom at -1 (30 %) stays one spike of 30 %."""
    levels = np.linspace(0, 1, 101)
    values = np.where(levels <= 0.3, -1.0, (levels - 0.3) / 0.7 * 7.0)
    bins = npv_bins(levels, values, -1.0, 7.0, step=5)
    assert bins.atoms == ((-1.0, pytest.approx(0.3)),)
    np.testing.assert_allclose(bins.shares, 0.05)  # 70 one-percent bins in 14 bars
    assert bins.shares.size == 14 and bins.edges[0] == -1.0 and bins.edges[-1] == 7.0


def test_bar_step_keeps_a_hundred_paths_per_bar():
    assert bar_step(100_000) == 1 and bar_step(10_000) == 1
    assert bar_step(3_000) == 4  # ceil(100 / 30)
    assert bar_step(200) == 5  # at most 5 %


def test_npv_distribution_areas_are_shares_of_paths(run):
    """Each bar's area, in the axis unit, is the share of paths it stands for (4 % at 3,000
    paths); the bars cover P1..P99."""
    _, summary = run
    option = summary.options[PROVIDER]
    ax = npv_distribution(_axes(), summary, PROVIDER)
    hist = _by_gid(ax, "npv_histogram")
    assert isinstance(hist, StepPatch)
    heights, edges, _ = hist.get_data()
    unit_text = ax.get_ylabel().removeprefix("Share of paths per ")
    unit = {"k": 1e3, "M": 1e6}[unit_text.split()[0][-1]] * float(unit_text.split()[0][:-1])
    areas = heights * np.diff(edges) / unit
    levels = np.asarray(option.npv_quantiles.levels)
    values = np.asarray(option.npv_quantiles.values)
    assert edges[0] == pytest.approx(np.interp(0.01, levels, values))
    assert edges[-1] == pytest.approx(np.interp(0.99, levels, values))
    assert areas.sum() == pytest.approx(0.98, abs=1e-9)
    np.testing.assert_allclose(areas[:-2], 0.04)  # the last bars may hold the remainder
    assert areas[-1] <= 0.04 + 1e-12
    legend = _legend_texts(ax)
    assert f"loss (NPV < 0): {format_probability(option.p_npv_negative)} of paths" in legend
    assert f"P50 {format_money(option.npv.p50, 'USD')}" in legend


def test_npv_distribution_draws_two_values_as_two_spikes():
    """Half of the paths at 1k requests, half at 1M: two NPVs, each a spike with its share."""
    _, summary = degenerate_run("two_valued")
    option = summary.options["a"]
    ax = npv_distribution(_axes(), summary, "a")
    spikes = [a for a in ax.get_children() if a.get_gid() == "npv_atoms"]
    assert len(spikes) == 2
    at = sorted(float(s.get_segments()[0][0][0]) for s in spikes)
    assert at == pytest.approx([option.npv_statistics.min, option.npv_statistics.max])
    shares = [t for t in _legend_texts(ax) if " of paths at " in t]
    total = sum(float(t.split("%")[0]) for t in shares) / 100
    # every path but the one 1 % bar between the two values (the quantiles equal P1 below
    # and P99 above, so nothing lies outside; atoms are found before bars of 5 % are merged,
    # so no merged bar spreads a point mass over the gap)
    assert total == pytest.approx(0.99, abs=0.002)


def test_npv_distribution_of_a_constant_says_so():
    _, summary = degenerate_run("constant")
    value = summary.options["a"].npv.p50
    ax = npv_distribution(_axes(), summary, "a")
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "empty_note"]
    assert notes == [f"NPV is {format_money(value, 'USD')} on 100.0% of paths:\nno spread to draw."]
    lo, hi = ax.get_xlim()
    assert lo < value < hi and hi - lo >= 0.1 * abs(value)


# --- NPV CDF -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def targeted():
    """support_bot with NPV targets -500k and 0 (and one no path reaches)."""
    scenario, _ = support_bot()
    scenario = dataclasses.replace(scenario, npv_targets=(-1e11, -500_000.0, 0.0))
    return summarize(simulate(scenario, paths=2000, seed=3, jobs=1))


def test_npv_cdf_marks_each_target_with_its_probability(targeted):
    option = targeted.options[PROVIDER]
    ax = npv_cdf(_axes(), targeted, PROVIDER)
    curve = _by_gid(ax, "npv_cdf")
    levels = np.asarray(option.npv_quantiles.levels)
    np.testing.assert_array_equal(curve.get_ydata()[1:-1], levels)
    np.testing.assert_array_equal(curve.get_xdata()[1:-1], option.npv_quantiles.values)
    assert [t.target for t in option.npv_targets] == [-1e11, -500_000.0, 0.0]
    for i in (1, 2):
        target = option.npv_targets[i]
        assert _by_gid(ax, f"target_{i}").get_xdata()[0] == target.target
        label = _by_gid(ax, f"target_label_{i}")
        assert label.get_text() == target_text(target.target, target.p_below, target.ci95, "USD")
        assert label.xy == (target.target, target.p_below)
    # -1e11 lies beyond every path's NPV: P = 0, listed in words, not drawn on the axis
    assert "target_0" not in _gids(ax)
    assert "P(NPV < -100.0B USD) = 0.0%" in _by_gid(ax, "targets_off_scale").get_text()
    y1 = _by_gid(ax, "target_label_1").xyann[1]
    y2 = _by_gid(ax, "target_label_2").xyann[1]
    assert abs(y1 - y2) >= 0.075 - 1e-9  # labels kept apart


def test_target_text():
    assert target_text(-500_000, 0.234, (0.226, 0.242), "USD") == (
        "P(NPV < -500k USD) = 23.4% (95%: 22.6%–24.2%)")


# --- drivers -----------------------------------------------------------------------------------

def test_drivers_rank_by_swing_with_error_bars_and_grey_noise(run):
    _, summary = run
    option = summary.options[PROVIDER]
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    left, right = drivers(tuple(fig.subplots(1, 2, sharey=True)), summary, PROVIDER)
    rows = option.drivers[:10]
    bars = next(c for c in left.containers if hasattr(c, "patches"))
    np.testing.assert_allclose([p.get_width() for p in bars.patches],
                               [r.swing for r in rows])
    # error bars: swing ± 1.96 se
    segments = bars.errorbar.lines[2][0].get_segments()
    for seg, row in zip(segments, rows, strict=True):
        assert seg[1][0] - seg[0][0] == pytest.approx(2 * Z95 * row.swing_se)
    for patch, row in zip(bars.patches, rows, strict=True):
        grey = patch.get_facecolor() == to_rgba(NOISE_COLOR)
        assert grey == (not row.significant), row.input
    assert any(not r.significant for r in rows)  # the figure does show noise at 3,000 paths
    top = max(left.get_yticks())
    ticks = dict(zip(left.get_yticks(), (t.get_text() for t in left.get_yticklabels()),
                     strict=True))
    assert ticks[top] == "Error-rate gap"  # first row, on top; the option's name left out
    np.testing.assert_allclose(_by_gid(right, "p_low").get_xdata(),
                               [r.p_payback_low for r in rows])
    assert "LoRA 8B, provider-served per token" in fig._suptitle.get_text()


def test_drivers_without_random_inputs_say_so():
    _, summary = degenerate_run("constant")
    left, right = drivers(None, summary, "a")
    assert [t.get_text() for t in left.texts if t.get_gid() == "empty_note"] == [
        "No random inputs:\nevery path draws the same values."]


# --- costs -------------------------------------------------------------------------------------

def test_cost_panels_put_errors_on_their_own_scale(run):
    """Top: the option's running cost against the baseline's API tokens + RAG; bottom: errors.
    Before: the cost of errors ($7.5M) set the one scale and the ~$100k comparison vanished."""
    _, summary = run
    costs = summary.options[PROVIDER].monthly_mean_cost
    top, bottom = cost_breakdown(None, summary, PROVIDER)
    running = sum(np.asarray(getattr(costs, k)) for k in
                  ("serving", "escalation", "rag", "maintenance", "retraining"))
    stack_top = [a for a in top.get_children() if (a.get_gid() or "").startswith("cost_")
                 and a.get_gid() != "cost_baseline_api"][-1]
    np.testing.assert_allclose(stack_top.get_data().values, running)
    np.testing.assert_allclose(_by_gid(top, "cost_baseline_api").get_data().values,
                               np.asarray(costs.baseline_api) + np.asarray(costs.baseline_rag))
    np.testing.assert_allclose(_by_gid(bottom, "cost_baseline_errors").get_data().values,
                               costs.baseline_errors)
    np.testing.assert_allclose(_by_gid(bottom, "cost_errors").get_data().values, costs.errors)
    assert "cost_errors" not in _gids(top)
    assert top.get_ylim()[1] < 0.1 * bottom.get_ylim()[1]  # two scales, each readable
    total = format_money(float(np.sum(costs.serving)), "USD")
    assert f"serving ({total})" in _legend_texts(top)


# --- break-even --------------------------------------------------------------------------------

def _curve(p50_a: float | None, p50_b: float | None) -> dict:
    def crossing(level, tokens):
        return {"level": level, "tokens_per_month": tokens,
                "status": "crossed" if tokens is not None else "not_reached"}
    grid = [1e6, 1e8, 1e10]
    return {
        "tokens_per_month": grid, "marks": [1e7, 1e8], "payback_within_months": 12,
        "required_probability": 0.8, "scenario": "S", "paths": 100,
        "scenario_volume": {"tokens_per_month": 5e8},
        "options": {
            oid: {"name": name, "p_payback_within": [0.1, 0.45, 0.9],
                  "p_payback_within_ci95": [[0.0, 0.2], [0.4, 0.5], [0.85, 0.95]],
                  "p50": crossing(0.5, p50), "required": crossing(0.8, p50 * 1.26 if p50 else None)}
            for oid, name, p50 in (("a", "A", p50_a), ("b", "B", p50_b))},
    }


def test_breakeven_volumes_go_in_the_legend_not_beside_the_markers():
    """Before: "8.79B" and "11.1B" printed next to the diamonds, on top of each other."""
    ax = breakeven_chart(None, _curve(8.79e9, 8.8e9))
    assert [t.get_text() for t in ax.texts] == []
    legend = _legend_texts(ax)
    assert "A: 50.0% at 8.79B, 80.0% at 11.1B" in legend
    assert "B: 50.0% at 8.8B, 80.0% at 11.1B" in legend
    assert "scenario's own volume (500M tokens/month)" in legend
    assert all("e+" not in t for t in legend)


def test_breakeven_chart_skips_null_volumes():
    curve = _curve(None, None)
    curve["tokens_per_month"] = [1e6, None, 1e8]
    curve["scenario_volume"]["tokens_per_month"] = None
    for option in curve["options"].values():
        option["p_payback_within"] = [0.1, None, 0.9]
        option["p_payback_within_ci95"] = [[0.0, 0.2], [None, None], [0.8, 1.0]]
    ax = breakeven_chart(None, curve)
    assert ax.get_xlim() == pytest.approx((1e6, 1e8))
    assert not any(t.startswith("scenario's own volume") for t in _legend_texts(ax))
    ax.figure.savefig(io.BytesIO(), format="png")


def test_figures_skip_null_values(run):
    """Numbers summary.json writes as null (not finite) leave gaps; nothing raises."""
    _, summary = run
    option = summary.options[PROVIDER]
    p50 = list(option.cumulative_net_savings.p50)
    p50[2] = None
    summary = with_option(
        summary, PROVIDER,
        cumulative_net_savings=dataclasses.replace(option.cumulative_net_savings, p50=tuple(p50)),
        monthly_mean_cost=dataclasses.replace(option.monthly_mean_cost,
                                              errors=(None,) * len(p50)),
        p_payback_within=None)
    assert np.isnan(_by_gid(fan_chart(_axes(), summary, PROVIDER), "median").get_ydata()[2])
    top, bottom = cost_breakdown(None, summary, PROVIDER)
    assert any(t.startswith("cost of errors (n/a)") for t in _legend_texts(bottom))
    assert np.isfinite(bottom.get_ylim()).all()
    ax = payback_curve(_axes(), summary)
    assert f"p_at_n_{PROVIDER}" not in _gids(ax)
