"""The report page "What is worth learning before deciding" and its figure: what they show
is the summary's value of information, classified and worded as the page says."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from matplotlib.figure import Figure as MplFigure
from report_runs import degenerate_run, support_bot

from ftsim.figures import FIGSIZE
from ftsim.figures.registry import figure_specs
from ftsim.figures.voi import GROUP_COLOR, NOISE_COLOR, VOI_ROWS, voi_chart
from ftsim.format import format_money, format_probability
from ftsim.report import write_report
from ftsim.report.blocks import Cell, Figure, Heading, PageBreak, Paragraph, Table
from ftsim.report.content import report_document
from ftsim.report.voi import TITLE, VOI_TABLE_ROWS, pilot_rule, voi_blocks

WHEN = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _text(cell: str | Cell) -> str:
    return cell if isinstance(cell, str) else cell.text


@pytest.fixture(scope="module")
def run():
    return support_bot()


@pytest.fixture(scope="module")
def page(run):
    _, summary = run
    return voi_blocks(summary, figure_specs(summary))


def _table(blocks, first: str) -> Table:
    return next(b for b in blocks if isinstance(b, Table) and b.header[0] == first)


def test_page_opens_on_its_own_page_with_the_decision_and_evpi(run, page):
    _, summary = run
    voi = summary.value_of_information
    assert isinstance(page[0], PageBreak) and page[1] == Heading(TITLE, 2)
    lead = page[2]
    assert isinstance(lead, Paragraph)
    # the best decision now, by hand: the option with the highest mean NPV if it is above
    # the baseline's 0, else the baseline
    means = {oid: o.npv.mean for oid, o in summary.options.items()}
    best = max(means, key=lambda oid: means[oid])
    if means[best] > 0:
        name = summary.options[best].name
        assert voi.decision_now == best
        assert (f"the best decision is: {name} (expected NPV "
                f"{format_money(means[best], 'USD')})") in lead.text
    else:
        assert voi.decision_now is None
        assert f"keep {summary.baseline_name} (expected NPV 0 USD)" in lead.text
    assert f"worth {format_money(voi.evpi.value, 'USD')} ± " in lead.text
    assert "Error-rate gap" in lead.text.split("Worth learning most:")[1]


def test_input_table_ranks_values_and_says_which_are_worth_learning(run, page):
    _, summary = run
    voi = summary.value_of_information
    table = _table(page, "Input")
    assert len(table.rows) == min(VOI_TABLE_ROWS, len(voi.evppi))
    for row, value in zip(table.rows, voi.evppi, strict=False):
        label, money, share, verdict = (_text(c) for c in row)
        assert label == value.label
        assert money.startswith(format_money(value.value, "USD") + " ± ")
        assert share == format_probability(value.value / voi.evpi.value)
        assert verdict == ("worth learning" if value.worth_learning else
                           "little or within noise")
    values = [v.value for v in voi.evppi]
    assert values == sorted(values, reverse=True)
    assert _text(table.rows[0][-1]) == "worth learning"  # the error-rate gap, at 3,000 paths


def test_groups_and_pilots_tables(run, page):
    _, summary = run
    voi = summary.value_of_information
    groups = _table(page, "Group")
    assert [_text(r[0]) for r in groups.rows] == ["Price trends", "Traffic volume"]
    for row, group in zip(groups.rows, voi.groups, strict=True):
        assert _text(row[1]) == ", ".join(group.labels)
        assert "CV R²" in _text(row[4])
    pilots = _table(page, "Pilot")
    for row, pilot in zip(pilots.rows, voi.pilots, strict=True):
        assert _text(row[2]) == f"{pilot.examples:,}"
        assert _text(row[4]) == format_money(pilot.cost + pilot.delay_cost, "USD")
        assert _text(row[5]) == format_money(pilot.net_value, "USD")
        assert _text(row[6]) == pilot_rule(pilot, summary)
    # the bigger pilot measures more precisely: sd / sqrt(n)
    small, large = voi.pilots
    assert small.observation_sd == pytest.approx(0.42 / 200**0.5)
    assert large.observation_sd == pytest.approx(0.42 / 1000**0.5)


def test_pilot_rules_in_words(run):
    _, summary = run
    pilot = summary.value_of_information.pilots[0]
    go = dataclasses.replace(pilot, threshold=-0.0091, go_when="below",
                             go_option="lora_8b_provider", switch_points=(-0.0091,),
                             decisions=("lora_8b_provider", None))
    assert pilot_rule(go, summary) == (
        "Go with LoRA 8B, provider-served per token if the pilot measures below -0.91 pp; "
        "otherwise keep Prompted large model + RAG.")
    never = dataclasses.replace(pilot, threshold=None, go_when=None, go_option=None,
                                switch_points=(), decisions=(None,))
    assert pilot_rule(never, summary) == ("No result it can show changes the decision (keep "
                                          "Prompted large model + RAG).")
    twice = dataclasses.replace(never, switch_points=(-0.01, 0.02),
                                decisions=(None, "lora_8b_provider", None))
    assert pilot_rule(twice, summary) == ("The best decision changes at several measured "
                                          "values (-1 pp, +2 pp).")


def test_the_figure_closes_the_page_and_comes_first_in_the_document(run, page):
    scenario, summary = run
    specs = figure_specs(summary)
    assert specs[0].stem == "voi" and specs[0].kind == "voi"
    assert isinstance(page[-1], Figure) and page[-1].stem == "voi"
    doc = report_document(summary, scenario, command="x", seconds=1.0, generated_at=WHEN,
                          breakeven=None, specs=specs)
    assert doc.figure_stems() == tuple(s.stem for s in specs)  # figures numbered in order
    headings = [b.text for b in doc.blocks if isinstance(b, Heading)]
    assert headings.index(TITLE) == headings.index("What decides payback") + 1


def test_no_value_of_information_no_page_no_figure(run):
    _, summary = run
    without = dataclasses.replace(summary, value_of_information=None)
    assert voi_blocks(without, figure_specs(without)) == []
    assert "voi" not in [s.stem for s in figure_specs(without)]


def _widths(ax, gid: str) -> list[float]:
    return [p.get_width() for p in ax.patches if p.get_gid() == gid]


def _rgb(color: str) -> tuple[float, ...]:
    return tuple(int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))


def test_chart_draws_the_summary_values():
    _, summary = support_bot()
    voi = summary.value_of_information
    top, bottom = voi_chart(MplFigure(figsize=FIGSIZE, layout="constrained"), summary)
    bars = [p for p in top.patches if p.get_gid() == "evppi"]
    expected = [g.value for g in voi.groups] + [r.value for r in voi.evppi[:VOI_ROWS]]
    assert [p.get_width() for p in bars] == pytest.approx(expected)
    for bar, group in zip(bars, voi.groups, strict=False):
        clear = group.value > 2 * group.se
        assert bar.get_facecolor()[:3] == pytest.approx(
            _rgb(GROUP_COLOR) if clear else (float(NOISE_COLOR),) * 3)
    for bar, row in zip(bars[len(voi.groups):], voi.evppi, strict=False):
        assert (bar.get_facecolor()[:3] == pytest.approx((float(NOISE_COLOR),) * 3)) == \
            (not row.worth_learning)
    (evpi_line,) = [line for line in top.get_lines() if line.get_gid() == "evpi"]
    assert evpi_line.get_xdata()[0] == pytest.approx(voi.evpi.value)
    assert _widths(bottom, "pilot_worth") == pytest.approx(
        [p.discount_factor * p.evsi for p in voi.pilots])
    assert _widths(bottom, "pilot_cost") == pytest.approx(
        [p.cost + p.delay_cost for p in voi.pilots])


def test_chart_without_pilots_or_inputs():
    _, summary = degenerate_run("constant")  # every input fixed, one option, no pilots
    voi = summary.value_of_information
    assert voi is not None and voi.evppi == () and voi.evpi.value == 0
    axes = voi_chart(MplFigure(figsize=FIGSIZE, layout="constrained"), summary)
    assert len(axes) == 1
    assert any(t.get_gid() == "empty_note" for t in axes[0].texts)


def test_written_report_holds_the_page(tmp_path: Path):
    scenario, summary = support_bot(paths=2000)
    written = write_report(tmp_path, summary, scenario, command="x", seconds=1.0)
    assert "figures/voi.png" in written
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert f"### {TITLE}" in markdown and "](figures/voi.png)" in markdown
