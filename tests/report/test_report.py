"""The run report: files written atomically (PDF last), Markdown = PDF content, the checklist."""

from __future__ import annotations

import copy
import dataclasses
import functools
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from summaries import make_summary  # the hand-made two-option summary (no engine)

from ftsim import report, simulate, summarize
from ftsim.figures import FIGSIZE, draw_figure, fan_chart, figure_specs, house_style, npv_distribution
from ftsim.format import format_money, format_probability
from ftsim.report import decision_checklist, driver_sentence, render_markdown, volume_band
from ftsim.report.blocks import FigurePage
from ftsim.report.markdown import md_escape
from ftsim.report.pdf import _Typesetter
from ftsim.scenario import parse_scenario

WHEN = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def scenario_text(*, drift: str = '{ dist = "pert", min = 0.5, mode = 2, max = 6 }',
                  a_on_drift: bool = True, a_every: int = 6,
                  a_eval: str = "{ p5 = 2000, p95 = 15000 }",
                  a_gap: str = '{ dist = "normal", mean = 0.01, sd = 0.02 }',
                  b_on_drift: bool = False) -> str:
    """Options ``a`` and ``b`` of summaries.make_summary; ``b`` has no eval setup cost."""
    return f"""
[scenario]
name = "Test scenario"
horizon_months = 6
payback_within_months = 3

[traffic]
requests_per_month = {{ p5 = 5000, p95 = 100000 }}
input_tokens = 300
output_tokens = 200

[drift]
events_per_year = {drift}
error_increase = 0.02

[baseline]
name = "Prompted large model"
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0

[options.a]
name = "Option A, self-hosted"
error_rate_gap = {a_gap}
max_acceptable_gap = 0.04
[options.a.serving]
mode = "api"
price_input_per_mtok = 0.2
price_output_per_mtok = 0.8
[options.a.build]
eval_setup_cost = {a_eval}
[options.a.maintenance]
retrain_every_months = {a_every}
retrain_on_drift = {str(a_on_drift).lower()}
detection_lag_months = 1

[options.b]
name = "Option B via API"
[options.b.serving]
mode = "api"
price_input_per_mtok = 0.1
price_output_per_mtok = 0.4
[options.b.maintenance]
retrain_on_drift = {str(b_on_drift).lower()}
"""


@pytest.fixture
def summary() -> dict:
    return make_summary()


@pytest.fixture
def scenario():
    return parse_scenario(scenario_text())


def count_pdf_pages(path: Path) -> int:
    """Pages of a PDF: pdfinfo when installed, else the /Type /Page objects (not /Pages)."""
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                             check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes()))


def pdf_text(path: Path) -> str | None:
    if not shutil.which("pdftotext"):
        return None
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


# --- files ---------------------------------------------------------------------------------------

def test_write_report_writes_every_file(tmp_path, summary, scenario):
    written = report.write_report(tmp_path, summary, scenario, command="ftsim run test.toml",
                                  seconds=1.5)
    stems = ["payback", "fan_a", "fan_b", "npv_a", "npv_b", "drivers_a", "drivers_b",
             "cost_a", "cost_b"]
    assert sorted(written) == sorted([f"figures/{s}.png" for s in stems]
                                     + ["report.md", "report.pdf"])
    for rel, path in written.items():
        assert path == tmp_path / rel and path.stat().st_size > 0
    for stem in stems:
        assert (tmp_path / "figures" / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
    pdf = tmp_path / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    # 1 decision summary + checklist, 1 payback curve + reading notes, 4 pages of two
    # figures (fan, npv, drivers, cost for a and b), 1 with the three small assumptions
    # tables and the methodology, 1 for the reproducibility block (too short to split, so
    # it moves whole to a new page).
    assert count_pdf_pages(pdf) == 8
    # report.pdf is written last: its presence means the rest is in place
    assert all(p.stat().st_mtime_ns <= pdf.stat().st_mtime_ns
               for p in tmp_path.rglob("*") if p.is_file())
    assert [p.name for p in tmp_path.rglob("*") if p.name.startswith(".") or
            p.suffix == ".part"] == []


def test_markdown_states_each_probability_as_in_the_summary(tmp_path, summary, scenario):
    report.write_report(tmp_path, summary, scenario, command="ftsim run test.toml", seconds=1.5)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    text = pdf_text(tmp_path / "report.pdf")
    for option in summary["options"].values():
        lo, hi = option["p_payback_within_ci95"]
        headline = (f"{format_probability(option['p_payback_within'])} (95% interval "
                    f"{format_probability(lo)}–{format_probability(hi)})")
        assert headline in markdown
        assert f"P(abandoned: quality gap) | {format_probability(0.08)}" in markdown
        if text is not None:
            assert headline in text
    assert "Probability that each option (Option A, self-hosted; Option B via API) pays back " \
           "within 3 months vs Prompted large model?" in markdown
    assert f"| Dips below zero after payback | {format_probability(0.013)} of paths" in markdown
    for stem in ["payback", "fan_a", "npv_b", "drivers_a", "cost_b"]:
        assert f"(figures/{stem}.png)" in markdown
    assert "ftsim run test.toml" in markdown and "ab" * 32 in markdown
    # money is written as in the terminal and the figures: amount, then the currency code
    assert "20,000 USD" in markdown


def test_a_failed_pdf_leaves_no_report_pdf(tmp_path, summary, scenario, monkeypatch):
    (tmp_path / "report.pdf").write_bytes(b"%PDF stale")

    def broken(path, *args, **kwargs):
        Path(path).write_bytes(b"%PDF half")
        raise RuntimeError("disk full")

    monkeypatch.setattr("ftsim.report.write.render_pdf", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        report.write_report(tmp_path, summary, scenario, command="x", seconds=1.0)
    assert not (tmp_path / "report.pdf").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_render_markdown_is_pure(summary, scenario):
    kwargs = dict(command="ftsim run test.toml", seconds=2.0, figure_files=["figures/payback.png"],
                  generated_at=WHEN)
    first = render_markdown(summary, scenario, **kwargs)
    assert first == render_markdown(summary, scenario, **kwargs)
    assert "![Probability of payback by month, every option](figures/payback.png)" in first
    assert "fan_a.png" not in first  # only the figures it is given
    assert first.count("## Figures") == 1
    assert "2026-11-28T12:00:00+00:00" in first and "2.0 s" in first


def test_report_time_for_two_options_h36(tmp_path, scenario):
    """The whole report (9 figures, PNG + PDF) for two options and 36 months, well under 10 s
    of CPU (about 3 s on a 2-core developer machine)."""
    started = time.process_time()
    report.write_report(tmp_path, make_summary(horizon=36, deadline=12), scenario,
                        command="x", seconds=1.0)
    assert time.process_time() - started < 10


def test_breakeven_curve_adds_a_figure_and_table(tmp_path, summary, scenario):
    crossing = {"level": 0.5, "tokens_per_month": 4.2e7, "requests_per_month": None,
                "status": "crossed", "bracket": None, "crossings": 1}
    missed = {**crossing, "level": 0.8, "tokens_per_month": None, "status": "not_reached"}
    grid = [1e6, 1e7, 1e8, 1e9]
    curve = {
        "scenario": "Test scenario", "currency": "USD", "paths": 500, "seed": 1,
        "sampler": "random", "payback_within_months": 3, "required_probability": 0.8,
        "levels": [0.5, 0.8], "scaling": "x", "factors": [0.1, 1, 10, 100],
        "tokens_per_month": grid, "requests_per_month": [1e3, 1e4, 1e5, 1e6],
        "scenario_volume": {"tokens_per_month": 5e7, "requests_per_month": 2.5e4,
                            "p_payback_within": {"a": 0.55, "b": 0.1}},
        "marks": [1e7, 1e8],
        "options": {oid: {"name": name, "p_payback_within": [0.0, 0.3, 0.6, 0.7],
                          "p_payback_within_ci95": [[0, 0.01], [0.28, 0.32], [0.58, 0.62],
                                                    [0.68, 0.72]],
                          "npv_p50": [-1e4, 0, 1e4, 1e5], "breakeven_p50": 4.2e7,
                          "breakeven_required": None, "p50": crossing, "required": missed}
                    for oid, name in (("a", "Option A, self-hosted"), ("b", "Option B via API"))},
    }
    written = report.write_report(tmp_path, summary, scenario, command="x", seconds=1.0,
                                  breakeven=curve)
    assert "figures/breakeven.png" in written
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| Option A, self-hosted | 55.0% | 42M tokens/month | not reached up to 1B |" in markdown
    assert count_pdf_pages(tmp_path / "report.pdf") == 9  # + the break-even page


# --- the decision checklist --------------------------------------------------------------------

def _item(summary, scenario, number):
    return decision_checklist(summary, scenario)[number - 1]


@pytest.mark.parametrize(("tokens", "band", "status"), [
    (5e6, "below 10M", "warning"),
    (5e7, "10–100M", "ok"),
    (5e8, "above 100M", "ok"),
])
def test_volume_bands(summary, scenario, tokens, band, status):
    summary["volume"]["tokens_per_month"].update(p5=tokens / 2, p50=tokens, p95=tokens * 1.5)
    item = _item(summary, scenario, 2)
    assert item.number == 2 and item.status == status
    assert f"the {band} tokens/month band" in item.answer
    assert item.answer.startswith(f"Median {tokens / 1e6:.3g}M tokens per month")


def test_volume_band_bounds_and_spread(summary, scenario):
    assert volume_band(9.99e6) == "below 10M"
    assert volume_band(10e6) == volume_band(100e6) == "10–100M"
    assert volume_band(100.1e6) == "above 100M"
    summary["volume"]["tokens_per_month"].update(p5=2e6, p50=5e7, p95=3e8)
    assert "spans the below 10M to above 100M bands" in _item(summary, scenario, 2).answer


def test_evaluation_blocker_without_monitoring_or_eval_cost(summary):
    # a: eval setup cost and monitoring; b: neither (eval_setup_cost defaults to 0)
    item = _item(summary, parse_scenario(scenario_text()), 3)
    assert item.status == "blocker"
    assert "Option A, self-hosted: evaluation setup (lognormal" in item.answer
    assert ("Option B via API: BLOCKER, no evaluation setup cost (test sets, metrics, baseline "
            "comparison); no production monitoring (retrain_on_drift = false).") in item.answer


def test_evaluation_blocker_when_only_eval_cost_is_missing(summary):
    item = _item(summary, parse_scenario(scenario_text(b_on_drift=True)), 3)
    assert item.status == "blocker"
    assert "Option B via API: BLOCKER, no evaluation setup cost" in item.answer
    assert "retrain_on_drift = false" not in item.answer


def test_evaluation_blocker_when_only_monitoring_is_missing(summary):
    text = scenario_text(a_on_drift=False)
    item = _item(summary, parse_scenario(text), 3)
    assert "Option A, self-hosted: BLOCKER, no production monitoring (retrain_on_drift = " \
           "false)." in item.answer


def test_evaluation_ok_when_every_option_has_both(summary):
    text = scenario_text(b_on_drift=True).replace(
        "[options.b.maintenance]", "[options.b.build]\neval_setup_cost = 3000\n"
        "[options.b.maintenance]")
    item = _item(summary, parse_scenario(text), 3)
    assert item.status == "ok"
    assert "BLOCKER" not in item.answer


def test_stability_compares_drift_with_retraining(summary):
    # a retrains on drift (keeps up); b never retrains: warning
    item = _item(summary, parse_scenario(scenario_text()), 1)
    assert item.status == "warning"
    assert "Option A, self-hosted retrains every 6 months and on drift detected 1 month after " \
           "an event: keeps up." in item.answer
    assert "Option B via API never retrains for drift" in item.answer
    # 6 events a year against a 6-month schedule: 3 per cycle
    text = scenario_text(drift="6", a_on_drift=False, b_on_drift=True)
    item = _item(summary, parse_scenario(text), 1)
    assert item.status == "warning"
    assert "3.0 drift events per cycle, the task changes faster" in item.answer
    # no drift at all
    item = _item(summary, parse_scenario(scenario_text(drift="0")), 1)
    assert item.status == "ok" and item.answer.startswith("No drift events")


def test_quality_gap_and_abandonment(summary, scenario):
    summary["options"]["a"]["p_abandoned"] = 0.01
    item = _item(summary, scenario, 4)
    # b's gap is the default, exactly 0: never benchmarked
    assert item.status == "warning"
    assert "Option B via API: error-rate gap vs baseline 0" in item.answer
    assert "assumed to be exactly zero" in item.answer
    assert "Option A, self-hosted: error-rate gap vs baseline normal(mean=0.01, sd=0.02), mean " \
           "+0.01, abandoned when above 0.04: P(abandoned) 1.0%." in item.answer
    summary["options"]["a"]["p_abandoned"] = 0.2
    assert "often fails the quality bar" in _item(summary, scenario, 4).answer


def test_change_rate_uses_realised_retraining(summary):
    scenario = parse_scenario(scenario_text())
    # b: 0 retrains over 6 months against 2.4 drift events a year, no monitoring
    summary["options"]["b"]["mean_retrains"] = 0.0
    item = _item(summary, scenario, 5)
    assert item.status == "warning"
    assert "Option B via API: retrained 0 times a year: the data changes more often" in item.answer
    # 2 retrains in 6 months = 4 a year >= 2.4 events a year
    summary["options"]["b"]["mean_retrains"] = 2.0
    assert _item(summary, scenario, 5).status == "ok"


def test_driver_sentence():
    row = {"input": "traffic.requests_per_month", "spearman": 0.61, "p_payback_low": 0.21,
           "p_payback_high": 0.86}
    assert driver_sentence(row) == ("higher traffic.requests_per_month → payback more likely "
                                    "(P 21.0% at bottom decile vs 86.0% at top)")
    row.update(spearman=None, p_payback_low=0.7, p_payback_high=0.3)
    assert "payback less likely (P 70.0% at bottom decile vs 30.0% at top)" in driver_sentence(row)


# --- robustness (issue 9): degenerate outcomes, extreme magnitudes, hostile text, warnings ------

def one_option_text(*, name: str = "Degenerate", currency: str = "USD",
                    requests: str = "10000", api_price: str = "0.2", engineering: str = "20000",
                    gap: str = "0.0", max_gap: str = "0.04", option_name: str = "Fine-tune",
                    baseline_name: str = "Prompted model", extra_traffic: str = "") -> str:
    """One api option; with the defaults every input is fixed, so every path is the same.

    Per request the baseline costs (300 x 2 + 200 x 8) / 1e6 = $0.0022 and the option
    500 x ``api_price`` / 1e6 ($0.0001 at 0.2); the option's only other cost is
    ``engineering`` at month 0.
    """
    return f"""
[scenario]
name = "{name}"
currency = "{currency}"
horizon_months = 6
payback_within_months = 3

[traffic]
requests_per_month = {requests}
input_tokens = 300
output_tokens = 200
{extra_traffic}

[baseline]
name = "{baseline_name}"
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0

[options.a]
name = "{option_name}"
error_rate_gap = {gap}
max_acceptable_gap = {max_gap}
[options.a.serving]
mode = "api"
price_input_per_mtok = {api_price}
price_output_per_mtok = {api_price}
[options.a.build]
engineering_cost = {engineering}
"""


# kind -> (scenario keywords, what the run must show: a check of the case itself)
DEGENERATE = {
    # 10k requests save 10k x 0.0021 = $21 a month: $20,000 never comes back, on every path
    "constant": ({}, lambda o: o["npv"]["p5"] == o["npv"]["p95"] < 0),
    # half the paths 1k requests, half 1M: two NPVs
    "two_valued": ({"requests": '{ dist = "choice", values = [1000, 1000000] }'},
                   lambda o: o["npv"]["p5"] < o["npv"]["p95"]),
    # 1e7 requests save $21,000 a month against $100 upfront: paid back in month 1 everywhere
    "all_payback": ({"requests": "1e7", "engineering": "100"},
                    lambda o: o["p_payback_within"] == 1.0 and o["npv"]["p5"] > 0),
    # per-token price 50 x 500 / 1e6 = $0.025 a request, dearer than the baseline's $0.0022
    "never_payback": ({"api_price": "50"},
                      lambda o: o["p_payback_within"] == 0.0 and o["payback_month"]["p50"] is None),
    # gap 0.1 above the acceptable 0.01: abandoned on every path
    "abandoned": ({"gap": "0.1", "max_gap": "0.01"}, lambda o: o["p_abandoned"] == 1.0),
}
_MONEY_KEYS = ("npv", "npv_histogram", "cumulative_net_savings", "monthly_mean_cost",
               "upfront_cost", "tco")


@functools.cache
def _degenerate_run(kind: str):
    """(summary, scenario) of a degenerate case, simulated once for the whole module."""
    scenario = parse_scenario(one_option_text(**DEGENERATE[kind][0]))
    summary = summarize(simulate(scenario, paths=200, jobs=1, seed=5)).to_dict()
    return summary, scenario


def _scaled(value, factor: float):
    """Every float in ``value`` times ``factor`` (counts and months are ints: unchanged)."""
    if isinstance(value, dict):
        return {k: _scaled(v, factor) for k, v in value.items()}
    if isinstance(value, list):
        return [_scaled(v, factor) for v in value]
    return value * factor if isinstance(value, float) else value


def _at_magnitude(summary: dict, magnitude: float) -> dict:
    """The summary with every amount of money scaled so that the median NPV is +-magnitude:
    what the same run would report in a currency unit 1/factor as large."""
    summary = copy.deepcopy(summary)
    option = summary["options"]["a"]
    factor = magnitude / abs(option["npv"]["p50"])
    for key in _MONEY_KEYS:
        option[key] = _scaled(option[key], factor)
    option["npv_histogram"]["counts"] = summary["options"]["a"]["npv_histogram"]["counts"]
    return summary


def _assert_report_complete(run_dir: Path, written: dict, summary: dict) -> None:
    stems = [spec.stem for spec in figure_specs(summary)]
    assert sorted(written) == sorted([f"figures/{s}.png" for s in stems]
                                     + ["report.md", "report.pdf"])
    for stem in stems:
        png = (run_dir / "figures" / f"{stem}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5_000, stem
    assert (run_dir / "report.pdf").read_bytes().startswith(b"%PDF")
    assert count_pdf_pages(run_dir / "report.pdf") >= 4
    assert (run_dir / "report.md").stat().st_size > 1_000


@pytest.mark.parametrize(("kind", "magnitude"), [
    *((kind, None) for kind in DEGENERATE),
    ("constant", 1e-3), ("constant", 1e15), ("constant", 1e20),
    ("two_valued", 1e-3), ("two_valued", 1e15), ("two_valued", 1e20),
    ("all_payback", 1e20),
])
def test_every_figure_draws_for_degenerate_runs(tmp_path, kind, magnitude):
    """Before: a positive NPV on every path raised NotImplementedError ("Derived must
    override") from a bare Patch added to the NPV axes; a constant NPV of 1e15 or more
    raised "Too many bins"."""
    summary, scenario = _degenerate_run(kind)
    assert DEGENERATE[kind][1](summary["options"]["a"]), kind  # the case is what it claims
    if magnitude is not None:
        summary = _at_magnitude(summary, magnitude)
    written = report.write_report(tmp_path, summary, scenario, command="x", seconds=1.0)
    _assert_report_complete(tmp_path, written, summary)
    # one NPV (or all paths in one bin): the NPV figure says so in words on the axes
    with house_style():
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        ax = npv_distribution(fig.add_subplot(), summary, "a")
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "empty_note"]
    option = summary["options"]["a"]
    if option["npv"]["p5"] == option["npv"]["p95"] and kind != "two_valued":
        assert notes and notes[0].startswith(
            f"NPV is {format_money(option['npv']['p50'], 'USD')} on 100.0% of paths")
        lo, hi = ax.get_xlim()  # a readable window around the value, not a float step
        assert hi - lo >= 0.1 * abs(option["npv"]["p50"]) and lo < option["npv"]["p50"] < hi
    else:
        assert notes == []


def _nulled(value, keep: bool = False):
    """Every float in the summary's results replaced by None, as summary.json writes a
    non-finite value; ints (months, counts) and strings kept."""
    if isinstance(value, dict):
        return {k: _nulled(v, keep or k in ("simulation", "scenario", "breakeven"))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_nulled(v, keep) for v in value]
    return None if isinstance(value, float) and not keep else value


def test_report_and_figures_accept_null_numbers(tmp_path):
    """Every number H2's JSON-safe summary may null (non-finite money, correlations,
    percentiles, volumes): figures skip them and the text says n/a. Before: format_money
    raised TypeError on None."""
    summary, scenario = _degenerate_run("two_valued")
    nulled = _nulled(summary)
    assert nulled["options"]["a"]["npv"]["p50"] is None  # the helper does null them
    assert nulled["simulation"] == summary["simulation"]
    written = report.write_report(tmp_path, nulled, scenario, command="x", seconds=1.0)
    _assert_report_complete(tmp_path, written, nulled)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "n/a / n/a / n/a" in markdown  # NPV P5 / P50 / P95
    assert not re.search(r"\b(nan|inf|None)\b", markdown)


HOSTILE_NAME = "<script>alert(1)</script> | # x $a^$ [l](javascript:x) `c` *e* _u_ & ~~s~~"


def _md_cells(line: str) -> list[str]:
    """A Markdown table row split at its unescaped pipes (a backslash escapes the next
    character)."""
    cells, cur, i = [], "", 0
    while i < len(line):
        if line[i] == "\\":
            cur += line[i:i + 2]
            i += 2
        elif line[i] == "|":
            cells.append(cur)
            cur, i = "", i + 1
        else:
            cur += line[i]
            i += 1
    cells.append(cur)
    return cells[1:-1]  # text before the first and after the last pipe


def _md_tables(markdown: str) -> list[list[str]]:
    tables, current = [], []
    for line in markdown.split("\n"):
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables + ([current] if current else [])


def test_hostile_names_are_inert_in_every_output(tmp_path):
    """Before: report.md escaped only \\, $ and *: the name landed as raw <script> and <img>,
    a "|" in the option name added a column, and the currency "$$" crashed mathtext
    ("ParseException: Expected end of text") in the first figure."""
    text = one_option_text(name=HOSTILE_NAME, option_name="<img src=x onerror=alert(1)> | opt",
                           baseline_name="# base | line", currency="$$",
                           requests='{ p5 = 1000, p95 = 1000000 }')
    scenario = parse_scenario(text)
    summary = summarize(simulate(scenario, paths=200, jobs=1, seed=5)).to_dict()
    written = report.write_report(tmp_path, summary, scenario, command="ftsim run 'a|b'.toml",
                                  seconds=1.0)
    _assert_report_complete(tmp_path, written, summary)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    for raw in ("<script", "<img", "](javascript", "`c`", "*e*", "_u_", "~~s~~", "$a",
                " & ", "\n# base", "\n# x"):
        assert not re.search(r"(?<!\\)" + re.escape(raw), markdown), raw  # unescaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\# x \\$a^\\$" in markdown
    assert "&lt;img src=x onerror=alert(1)&gt; \\| opt" in markdown
    # every table keeps its column count in every row; the decision summary has its 9 rows
    tables = _md_tables(markdown)
    for table in tables:
        widths = {len(_md_cells(line)) for line in table}
        assert len(widths) == 1, table
    summary_table = next(t for t in tables if "Verdict" in t[2])
    assert len(summary_table) == 2 + 9 and len(_md_cells(summary_table[0])) == 2
    # figures: the name is drawn as written, dollar signs and all
    with house_style():
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        ax = fan_chart(fig.add_subplot(), summary, "a")
    assert "$a^$" in ax.get_title(loc="left").replace("\n", " ")
    assert ax.get_ylabel() == "Cumulative net savings ($$)"
    text = pdf_text(tmp_path / "report.pdf")
    if text is not None:
        assert "<script>alert(1)</script>" in text  # the PDF shows the name as written


def test_newlines_in_names_keep_one_table_row_per_option(tmp_path):
    """Names can no longer hold a newline (the loader refuses control characters), but the
    Markdown must not depend on it: a newline in a name becomes a space or <br>."""
    summary, scenario = _degenerate_run("two_valued")
    summary = copy.deepcopy(summary)
    summary["scenario"]["name"] = "Run\n# injected heading"
    summary["options"]["a"]["name"] = "A\n| x | y |\n\n# heading"
    option = dataclasses.replace(scenario.options["a"], name="A\n| x | y |\n\n# heading")
    scenario = dataclasses.replace(scenario, options={"a": option})
    markdown = render_markdown(summary, scenario, command="x", seconds=1.0,
                               figure_files=[], generated_at=WHEN)
    assert "\n# injected" not in markdown and "\n# heading" not in markdown
    assert "\n| x | y |" not in markdown
    assert "# Run \\# injected heading" in markdown
    for table in _md_tables(markdown):
        assert len({len(_md_cells(line)) for line in table}) == 1, table
    summary_table = next(t for t in _md_tables(markdown) if "Verdict" in t[2])
    assert len(summary_table) == 2 + 9
    assert _md_cells(summary_table[0])[1].strip() == "A<br>\\| x \\| y \\|<br><br>\\# heading"


def test_plausibility_warnings_lead_the_report(tmp_path):
    """A value outside its plausible range (monthly growth 0.5 = +50 % a month, a likely
    unit slip) is listed under "Warnings" on the first page of report.md and report.pdf."""
    text = one_option_text(extra_traffic="monthly_growth = 0.5")
    scenario = parse_scenario(text)
    assert [w.key_path for w in scenario.warnings] == ["traffic.monthly_growth"]
    summary = summarize(simulate(scenario, paths=200, jobs=1, seed=5)).to_dict()
    report.write_report(tmp_path, summary, scenario, command="x", seconds=1.0)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    warning = str(scenario.warnings[0])
    assert warning.startswith("traffic.monthly_growth: ")
    head = markdown[:markdown.index("## Decision summary")]
    assert "## Warnings" in head
    assert "- " + md_escape(warning) in head
    # the PDF's first page, as the typesetter lays it out (pdftotext may not be installed)
    blocks = report.report_blocks(summary, scenario, command="x", seconds=1.0,
                                  generated_at=WHEN)
    text_blocks = blocks[:next(i for i, b in enumerate(blocks)
                               if isinstance(b, FigurePage))]
    with house_style():
        setter = _Typesetter(summary, {}, figure_specs(summary),
                                     draw_figure)
        setter.flow(text_blocks)
    first_page = "\n".join(t.get_text() for t in setter.pages[0].texts)
    assert "Warnings" in first_page and "traffic.monthly_growth:" in first_page
    assert first_page.index("Warnings") < first_page.index("Decision summary")
    # no warnings, no block
    markdown = render_markdown(*_degenerate_run("constant"), command="x", seconds=1.0,
                               figure_files=[], generated_at=WHEN)
    assert "Warnings" not in markdown
