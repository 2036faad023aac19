"""The typed Summary: to_dict holds, key for key and byte for byte, the dict summarize built
before the typed Summary existed (new keys only after the old ones), from_dict round-trips
and reads an old summary.json, and the pandas frames agree with independent counts.

Fixture recipe (tests/core/data/summaries_before_typed.json, written on commit 3099df7 by
the dict-building summarize, before the typed Summary): ``json.dumps(out, indent=1,
allow_nan=False)`` where ``out[name] = ftsim.summarize(simulate(...))`` for the runs in
RUNS below, with, for the --precision run, ``simulation`` updated as the CLI then did:
``precision_target``, ``precision_reached``, ``precision_half_width`` (rounded to 6).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import spearmanr
from support import LORA, WORLD

import ftsim
from ftsim import Summary, load_scenario, parse_scenario, simulate

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "data" / "summaries_before_typed.json"
# The shipped scenarios as they were on commit 3099df7 (``git show 3099df7:scenarios/...``),
# the files the fixture was computed from: their sha256 is in it, and later edits to the
# shipped files (new keys, reworded sources) must not break this comparison.
SCENARIOS = Path(__file__).parent / "data" / "scenarios"


def _run(name: str) -> ftsim.Result:
    bot = load_scenario(SCENARIOS / "support_bot.toml")
    if name == "support_bot":
        return simulate(bot, paths=2000, seed=11, jobs=1, chunk_size=1024)
    if name == "drift_heavy":
        return simulate(load_scenario(SCENARIOS / "drift_heavy.toml"), paths=2000,
                        seed=12, jobs=1, chunk_size=1024)
    if name == "minimal":  # defaults everywhere; max_acceptable_gap = inf gives nulls
        return simulate(parse_scenario(WORLD + LORA), paths=500, seed=13, jobs=1)
    return simulate(bot, paths=1000, seed=14, jobs=1, chunk_size=1024, precision=0.05,
                    max_paths=4096)


RUNS = ("support_bot", "drift_heavy", "minimal", "precision")


def _old_part(new: Any, old: Any) -> Any:
    """``new`` restricted to the keys ``old`` has, recursively, in ``new``'s order; asserts
    that the keys ``old`` has come first, in the same order (added keys only at the end)."""
    if isinstance(old, dict):
        assert list(new)[:len(old)] == list(old)
        return {k: _old_part(new[k], old[k]) for k in new if k in old}
    if isinstance(old, list):
        assert len(new) == len(old)
        return [_old_part(a, b) for a, b in zip(new, old, strict=True)]
    return new


@pytest.mark.parametrize("name", RUNS)
def test_to_dict_keeps_the_old_summary_and_round_trips(name: str) -> None:
    expected = json.loads(FIXTURE.read_text())[name]
    summary = ftsim.summarize(_run(name))
    d = summary.to_dict()
    assert d["ftsim_version"] == ftsim.__version__
    expected["ftsim_version"] = ftsim.__version__  # the stored file names the version it ran
    # the old keys: same order, same values (the JSON text compares both); new keys follow
    old = _old_part(d, expected)
    assert json.dumps(old, indent=1, allow_nan=False) == json.dumps(expected, indent=1)
    assert json.dumps(d, allow_nan=False)
    again = Summary.from_dict(json.loads(json.dumps(d)))
    assert again.to_dict() == d
    assert again == summary


@pytest.mark.parametrize("name", RUNS)
def test_an_old_summary_reads_back_with_the_new_fields_empty(name: str) -> None:
    expected = json.loads(FIXTURE.read_text())[name]
    summary = Summary.from_dict(expected)
    assert summary.correlations == ()
    for oid, option in summary.options.items():
        npv = expected["options"][oid]["npv"]
        stats = option.npv_statistics
        assert (stats.mean, stats.p5, stats.p50, stats.p95) == (
            npv["mean"], npv["p5"], npv["p50"], npv["p95"])
        assert stats.sd is None and stats.p99 is None
        assert option.npv_quantiles.levels == option.npv_quantiles.values == ()
        assert option.expected_loss_given_loss is None
        assert option.npv_targets == option.drivers == ()
    for row, raw in zip(summary.inputs, expected["inputs"], strict=True):
        assert (row.label, row.source, row.as_of) == (raw["input"], None, None)
    # written again, the old keys are unchanged
    old = _old_part(summary.to_dict(), expected)
    assert json.dumps(old, indent=1) == json.dumps(expected, indent=1)


def test_summary_is_frozen() -> None:
    summary = ftsim.summarize(simulate(parse_scenario(WORLD + LORA), paths=200, seed=1, jobs=1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.baseline_name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        summary.options["lora"] = summary.options["lora"]  # type: ignore[index]
    assert summary.option("lora") is summary.options["lora"]
    assert "precision_target" not in summary.to_dict()["simulation"]


def test_frames_agree_with_independent_counts() -> None:
    result = simulate(load_scenario(ROOT / "scenarios" / "support_bot.toml"), paths=1500,
                      seed=3, jobs=1)
    summary = ftsim.summarize(result)
    paths = result.paths_frame()
    within = summary.simulation.payback_within_months
    assert list(paths["option"].unique()) == list(summary.options)
    assert len(paths) == len(summary.options) * result.n_paths
    options = summary.options_frame()
    for oid, option in summary.options.items():
        rows = paths[paths["option"] == oid]
        assert list(rows["path"]) == list(range(result.n_paths))
        hit = rows["payback_month"].fillna(0).to_numpy()
        p = float(np.mean((hit > 0) & (hit <= within)))
        assert p == option.p_payback_within == options.loc[oid, "p_payback_within"]
        assert float(np.mean(rows["npv"] < 0)) == option.p_npv_negative
        assert options.loc[oid, "npv_p50"] == float(np.percentile(rows["npv"], 50))
        for key in result.inputs:
            own = f"options.{oid}."
            if key.startswith(own):
                column = "option." + key[len(own):]
                assert np.array_equal(rows[column].to_numpy(), result.inputs[key])
    monthly = summary.monthly_frame()
    assert len(monthly) == len(summary.options) * summary.simulation.horizon_months
    for oid, option in summary.options.items():
        part = monthly[monthly["option"] == oid]
        assert list(part["p_payback_by_month"]) == list(option.p_payback_by_month)
        hit = paths[paths["option"] == oid]["payback_month"].fillna(0).to_numpy()
        assert part["p_payback_by_month"].iloc[within - 1] == pytest.approx(
            np.mean((hit > 0) & (hit <= within)))
    inputs = summary.inputs_frame()
    assert list(inputs["input"]) == [row.input for row in summary.inputs]
    assert list(inputs.columns) == ["input", "written", "random", "owner", "p5", "p50", "p95",
                                    "label", "source", "as_of"]


def test_paths_frame_matches_paths_csv(tmp_path: Path) -> None:
    import pandas as pd

    from ftsim.output import write_paths_csv

    result = simulate(load_scenario(ROOT / "scenarios" / "support_bot.toml"), paths=300,
                      seed=4, jobs=1)
    frame = result.paths_frame()
    written = pd.read_csv(write_paths_csv(tmp_path, result))
    assert list(frame.columns) == list(written.columns)
    assert frame["payback_month"].isna().sum() == written["payback_month"].isna().sum()
    assert np.allclose(frame["npv"], written["npv"])


# A run with what the report statistics need: random inputs (one discrete), sources and
# dates on a distribution table and on a table, two NPV targets, a declared correlation.
REPORTED = (WORLD.replace(
    "requests_per_month = 100000",
    "requests_per_month = { p5 = 50_000, p95 = 200_000, source = 'Klarna, American Banker',"
    " as_of = '2024-02' }").replace(
    "output_tokens = 200",
    "output_tokens = { dist = \"choice\", values = [150, 200, 250] }\n"
    "source = 'Traffic logs'\nas_of = '2025-06'")
    .replace("baseline_error_rate = 0.05", "baseline_error_rate = 0.05\ncost_per_error = 2.0")
    + LORA.replace("error_rate_gap = 0.01",
                   "error_rate_gap = { dist = \"normal\", mean = 0.0, sd = 0.01 }\n"
                   "name = \"LoRA 8B\"")
    + """
[report]
npv_targets = [0, -50_000]

[[correlations]]
a = "traffic.requests_per_month"
b = "options.lora.error_rate_gap"
rho = -0.5
source = "Analyst assumption"
as_of = "2026-11"
""")


def test_report_statistics_agree_with_the_paths() -> None:
    from ftsim.scenario import input_label

    scenario = parse_scenario(REPORTED)
    result = simulate(scenario, paths=3000, seed=21, jobs=1)
    summary = ftsim.summarize(result)
    option = summary.option("lora")
    npv = result.options["lora"].npv
    hit = (result.options["lora"].payback_month > 0) & (
        result.options["lora"].payback_month <= scenario.payback_within_months)
    stats = option.npv_statistics
    assert stats.mean == option.npv.mean and stats.p50 == option.npv.p50
    assert stats.sd == pytest.approx(float(np.std(npv, ddof=1)), rel=1e-12)
    assert (stats.min, stats.max) == (npv.min(), npv.max())
    assert option.npv_quantiles.values[95] == pytest.approx(np.percentile(npv, 95), rel=1e-12)
    # targets in ascending order, by counts
    assert [t.target for t in option.npv_targets] == [-50_000.0, 0.0]
    for t in option.npv_targets:
        assert t.p_below == np.count_nonzero(npv < t.target) / npv.size
    assert option.npv_targets[1].p_below == option.p_npv_negative
    losses = npv[npv < 0]
    assert option.expected_loss_given_loss == pytest.approx(-losses.mean(), rel=1e-12)
    # one driver per random input of the world and the option, as the sensitivity rows
    random_keys = {k for k, i in scenario.all_inputs().items() if i.is_random}
    assert {r.input for r in option.drivers} == {r.input for r in option.sensitivity} == random_keys
    by_key = {r.input: r for r in option.sensitivity}
    for row in option.drivers:
        values = result.inputs[row.input]
        p10, p90 = np.percentile(values, [10, 90])
        assert (row.low_below, row.high_above) == pytest.approx((p10, p90), rel=1e-12)
        low, high = hit[values <= p10].mean(), hit[values >= p90].mean()
        assert (row.p_payback_low, row.p_payback_high) == (low, high)
        assert row.swing == pytest.approx(high - low)
        assert row.spearman == by_key[row.input].spearman
        # Spearman from scipy (its own ranking), not from the summary's sort
        expected = spearmanr(values, npv).statistic
        assert row.spearman == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert row.label == input_label(row.input, scenario)
    rhos = [abs(r.spearman) for r in option.sensitivity]  # sensitivity: by |rho|
    assert rhos == sorted(rhos, reverse=True)
    assert option.drivers[0].input == "options.lora.error_rate_gap"  # decides payback
    assert option.drivers[0].significant
    assert option.drivers[0].label == "Error-rate gap, LoRA 8B"
    swings = [abs(r.swing or 0.0) for r in option.drivers if r.significant]
    assert swings == sorted(swings, reverse=True)
    # inputs: labels, and provenance from the distribution table, else from its table
    rows = {r.input: r for r in summary.inputs}
    assert (rows["traffic.requests_per_month"].source,
            rows["traffic.requests_per_month"].as_of) == ("Klarna, American Banker", "2024-02")
    assert (rows["traffic.output_tokens"].source,
            rows["traffic.output_tokens"].as_of) == ("Traffic logs", "2025-06")
    assert rows["options.lora.error_rate_gap"].source is None
    assert rows["traffic.requests_per_month"].label == "Requests per month"
    (corr,) = summary.correlations
    assert (corr.a, corr.b, corr.spearman) == ("traffic.requests_per_month",
                                               "options.lora.error_rate_gap", -0.5)
    assert (corr.a_label, corr.b_label) == ("Requests per month", "Error-rate gap, LoRA 8B")
    assert (corr.source, corr.as_of) == ("Analyst assumption", "2026-11")
    # all of it survives summary.json
    d = json.loads(json.dumps(summary.to_dict(), allow_nan=False))
    assert list(d)[-1] == "correlations"
    assert list(d["options"]["lora"])[-5:] == ["npv_statistics", "npv_quantiles",
                                               "expected_loss_given_loss", "npv_targets",
                                               "drivers"]
    assert Summary.from_dict(d) == summary
