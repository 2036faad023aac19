"""The report's content as a Document: page 1 answers the decision (verdict, why, what would
change it, money at risk, checklist, drivers, warnings first), then figures, statistics,
targets, assumptions with sources, method, reproducibility, appendix. Renderers are tested
in test_render*.py; here only what the document says."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from report_runs import DEGENERATE, degenerate_run, one_option_text, scaled_money, support_bot

from ftsim import Summary, parse_scenario, simulate, summarize
from ftsim.figures.registry import figure_specs
from ftsim.format import format_money, format_probability
from ftsim.report.blocks import (
    BulletList,
    Callout,
    Cell,
    Document,
    Figure,
    Heading,
    KeyFacts,
    PageBreak,
    Paragraph,
    Table,
)
from ftsim.report.content import money_at_risk, report_document
from ftsim.report.sentences import change_sentence, verdict_headline, verdict_reason

WHEN = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
RAW_KEY = re.compile(r"\b(options|traffic|baseline|drift|quality|prices|rag)\.[a-z_0-9]+\.?[a-z_]*")


def _document(scenario, summary, breakeven=None) -> Document:
    return report_document(summary, scenario, command="ftsim run x.toml", seconds=1.5,
                           generated_at=WHEN, breakeven=breakeven,
                           specs=figure_specs(summary, breakeven))


def _cell(c: str | Cell) -> str:
    return c if isinstance(c, str) else c.text


def _text(block: Any) -> str:
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, BulletList):
        return "\n".join(item.text for item in block.items)
    if isinstance(block, Callout):
        return block.title + "\n" + "\n".join(_text(b) for b in block.body)
    if isinstance(block, Heading):
        return block.text
    if isinstance(block, KeyFacts):
        return "\n".join(f"{k}: {v}" for k, v in block.items)
    if isinstance(block, Table):
        rows = (block.header, *block.rows)
        return "\n".join(" | ".join(_cell(c) for c in row) for row in rows)
    if isinstance(block, Figure):
        return f"{block.caption}\n{block.alt}"
    return ""


def _page_one(doc: Document) -> list:
    end = next(i for i, b in enumerate(doc.blocks) if isinstance(b, PageBreak))
    return list(doc.blocks[:end])


def _all_text(doc: Document) -> str:
    return "\n".join([doc.title, doc.subtitle, doc.footer, *(_text(b) for b in doc.blocks)])


@pytest.fixture(scope="module")
def run():
    return support_bot()


@pytest.fixture(scope="module")
def doc(run):
    return _document(*run)


def test_page_one_gives_each_verdict_with_why_and_what_would_change_it(run, doc):
    _, summary = run
    callouts = [b for b in _page_one(doc) if isinstance(b, Callout)]
    assert [c.title for c in callouts] == [verdict_headline(o) for o in summary.options.values()]
    for callout, option in zip(callouts, summary.options.values(), strict=True):
        assert callout.tone == {"go": "good", "no-go": "bad", "uncertain": "warn"}[option.verdict]
        why, change = (p.text for p in callout.body)
        assert why == verdict_reason(option, summary)
        assert change == "What would change it: " + change_sentence(option, summary)
        assert "error-rate gap" in why  # support_bot's deciding input, by its label


def test_money_at_risk_states_mean_percentiles_loss_and_upfront(run):
    _, summary = run
    option = summary.options["lora_8b_provider"]
    facts = dict(money_at_risk(option, summary).items)
    money = {"Mean NPV": option.npv.mean, "NPV P5 (bad case)": option.npv.p5,
             "NPV median": option.npv.p50, "NPV P95 (good case)": option.npv.p95,
             "Expected loss given a loss": option.expected_loss_given_loss,
             "Upfront cost, mean": option.upfront_cost.mean}
    for label, value in money.items():
        assert facts[label] == format_money(value, "USD"), label
    assert facts["P(NPV < 0)"] == format_probability(option.p_npv_negative)
    assert option.expected_loss_given_loss > 0 and option.npv.p5 < 0


def test_page_one_holds_the_checklist_and_drivers_by_label_never_raw_keys(doc):
    page = _page_one(doc)
    headings = [b.text for b in page if isinstance(b, Heading)]
    assert headings == ["Verdict and money at risk", "Decision checklist", "What decides payback"]
    text = "\n".join(_text(b) for b in page)
    assert not RAW_KEY.search(text), RAW_KEY.search(text)
    checklist = next(b for b in page if isinstance(b, Table) and b.header[1] == "Question")
    assert len(checklist.rows) == 5 * 2  # five questions, two options
    drivers = [b for b in page if isinstance(b, Table) and b.header[0] == "Input"]
    assert len(drivers) == 2
    for table in drivers:
        noise = [row for row in table.rows if _cell(row[-1]) == "within noise"]
        assert all(isinstance(c, Cell) and c.tone == "muted" for row in noise for c in row)


def test_plausibility_warnings_come_first():
    scenario = parse_scenario(one_option_text(extra="monthly_growth = 0.5"))
    assert [w.key_path for w in scenario.warnings] == ["traffic.monthly_growth"]
    summary = summarize(simulate(scenario, paths=100, jobs=1, seed=5))
    doc = _document(scenario, summary)
    callouts = [b for b in doc.blocks if isinstance(b, Callout)]
    assert callouts[0].title == "Plausibility warnings" and callouts[0].tone == "warn"
    assert str(scenario.warnings[0]) in _text(callouts[0])
    assert doc.blocks.index(callouts[0]) < doc.blocks.index(callouts[1])
    assert "Plausibility warnings" not in _all_text(_document(*degenerate_run("constant")))


def test_every_figure_appears_once_in_registry_order(run, doc):
    _, summary = run
    assert doc.figure_stems() == tuple(s.stem for s in figure_specs(summary))


def test_statistics_and_targets_tables(run, doc):
    _, summary = run
    stats = next(b for b in doc.blocks if isinstance(b, Table) and b.header[0] == "Statistic")
    rows = {row[0]: [_cell(c) for c in row[1:]] for row in stats.rows}
    options = list(summary.options.values())
    for label, field in (("Mean", "mean"), ("Standard deviation", "sd"), ("Minimum", "min"),
                         ("P1", "p1"), ("P50 (median)", "p50"), ("P99", "p99")):
        assert rows[label] == [format_money(getattr(o.npv_statistics, field), "USD")
                               for o in options], label
    targets = next(b for b in doc.blocks if isinstance(b, Table) and b.header[0] == "Target")
    target = options[0].npv_targets[0]
    low, high = target.ci95
    assert _cell(targets.rows[0][0]) == "P(NPV < 0 USD)"
    assert _cell(targets.rows[0][1]) == (f"{format_probability(target.p_below)} "
                                         f"({format_probability(low)}–{format_probability(high)})")


def test_assumptions_carry_source_and_date_and_correlations_their_labels(run, doc):
    _, summary = run
    row = next(r for r in summary.inputs if r.input == "traffic.requests_per_month")
    assert row.source and row.as_of
    tables = [b for b in doc.blocks if isinstance(b, Table) and b.header[-2:] == ("Source", "As of")]
    cells = {_cell(r[0]): [_cell(c) for c in r] for t in tables for r in t.rows}
    assert cells["Requests per month"][-2:] == [row.source, row.as_of]
    assert not any("e+" in c for r in cells.values() for c in r)  # 1.2e+06 -> 1.2M
    corr = next(b for b in doc.blocks if isinstance(b, Table) and b.header[-1] == "Rank correlation")
    first = summary.correlations[0]
    assert [_cell(c) for c in corr.rows[0]] == [first.a_label, first.b_label,
                                                f"{first.spearman:+.2f}"]


def test_appendix_cites_this_repository_and_maps_labels_to_keys(run, doc):
    _, summary = run
    text = _all_text(doc)
    assert "docs/model.md" in text and "docs/scenario.md" in text
    assert "MODEL.md" not in text and "../shared" not in text and "/work/" not in text
    keys = next(b for b in doc.blocks if isinstance(b, Table) and b.header == ("Label", "Key"))
    assert len(keys.rows) == len(summary.inputs)
    assert ("Requests per month", "traffic.requests_per_month") in keys.rows


@pytest.mark.parametrize("magnitude", [None, 1e15, 1e20])
def test_no_exponent_anywhere_in_the_document(run, magnitude):
    scenario, summary = run
    if magnitude is not None:
        summary = scaled_money(summary, magnitude)
    text = _all_text(_document(scenario, summary))
    # a number with an exponent (1.2e+06, 5e-7); hex digests (47992e89d4...) are not numbers
    found = re.search(r"\b\d+(\.\d+)?e[+-]?\d+\b", text)
    assert found is None, text[found.start() - 60:found.end() + 20]


@pytest.mark.parametrize("kind", sorted(DEGENERATE))
def test_degenerate_runs_produce_a_document(kind):
    scenario, summary = degenerate_run(kind)
    doc = _document(scenario, summary)
    assert doc.figure_stems() == tuple(s.stem for s in figure_specs(summary))
    assert not re.search(r"\b(nan|inf|None)\b", _all_text(doc))


def _nulled(value: Any, keep: bool = False) -> Any:
    """Every float of the results replaced by None, as summary.json writes a non-finite
    value; the run's settings and the probabilities' levels kept."""
    if isinstance(value, dict):
        return {k: _nulled(v, keep or k in ("simulation", "scenario", "levels"))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_nulled(v, keep) for v in value]
    return None if isinstance(value, float) and not keep else value


def test_null_numbers_read_as_n_a():
    scenario, summary = degenerate_run("two_valued")
    nulled = Summary.from_dict(_nulled(summary.to_dict()))
    assert nulled.options["a"].npv.p50 is None
    text = _all_text(_document(scenario, nulled))
    assert "Mean NPV: n/a" in text
    assert not re.search(r"\b(nan|inf|None)\b", text)


def test_breakeven_curve_adds_its_section_and_figure(run):
    scenario, summary = run
    crossing = {"level": 0.5, "tokens_per_month": 8.79e9, "status": "crossed"}
    never = {"level": 0.8, "tokens_per_month": None, "status": "not_reached"}
    curve = {
        "tokens_per_month": [1e6, 1e8, 1e10], "marks": [1e7, 1e8], "paths": 500,
        "payback_within_months": 12, "required_probability": 0.8, "scenario": "S",
        "scenario_volume": {"tokens_per_month": 1.3e9,
                            "p_payback_within": {oid: 0.3 for oid in summary.options}},
        "options": {oid: {"name": o.name, "p50": crossing, "required": never,
                          "p_payback_within": [0.1, 0.3, 0.6],
                          "p_payback_within_ci95": [[0.0, 0.2], [0.2, 0.4], [0.5, 0.7]]}
                    for oid, o in summary.options.items()},
    }
    doc = _document(scenario, summary, curve)
    assert doc.figure_stems()[-1] == "breakeven"
    table = next(b for b in doc.blocks if isinstance(b, Table) and b.header[0] == "Option")
    assert [_cell(c) for c in table.rows[0]] == [
        "LoRA 8B, self-hosted on rented H100s", "30.0%", "8.79B tokens/month",
        "not reached up to 10B"]
