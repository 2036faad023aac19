"""The run report: files written atomically (PDF last), Markdown = PDF content, the checklist."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_plots import make_summary  # the hand-made two-option summary (no engine)

from ftsim import report, typeset
from ftsim.plots import format_probability
from ftsim.report import decision_checklist, driver_sentence, render_markdown, volume_band
from ftsim.scenario import parse_scenario

WHEN = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def scenario_text(*, drift: str = '{ dist = "pert", min = 0.5, mode = 2, max = 6 }',
                  a_on_drift: bool = True, a_every: int = 6,
                  a_eval: str = "{ p5 = 2000, p95 = 15000 }",
                  a_gap: str = '{ dist = "normal", mean = 0.01, sd = 0.02 }',
                  b_on_drift: bool = False) -> str:
    """Options ``a`` and ``b`` of test_plots.make_summary; ``b`` has no eval setup cost."""
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
    # money is escaped so Markdown renderers do not read "$...$" as mathematics
    assert "\\$20,000" in markdown and " $20,000" not in markdown


def test_a_failed_pdf_leaves_no_report_pdf(tmp_path, summary, scenario, monkeypatch):
    (tmp_path / "report.pdf").write_bytes(b"%PDF stale")

    def broken(path, *args, **kwargs):
        Path(path).write_bytes(b"%PDF half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(typeset, "render_pdf", broken)
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
