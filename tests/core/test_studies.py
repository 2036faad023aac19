"""Sweeps and break-even volumes: closed forms, monotonicity under common random numbers, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import ftsim
from ftsim.cli import main
from ftsim.core.studies.breakeven import (
    ScaledDistribution,
    breakeven_curve,
    crossing,
    default_grid,
    scale_traffic,
)
from ftsim.core.studies.sweep import parse_values, sweep, value_grid
from ftsim.distributions import LogNormal
from ftsim.format import format_tokens
from ftsim.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[2]
SEED_ARTICLE = ROOT / "scenarios" / "seed_article.toml"

# Deterministic: every path is the same, so P(payback within N) is 0 or 1.
CLOSED_FORM = """
[scenario]
name = "closed form"
horizon_months = 12
payback_within_months = 6
required_probability = 0.8

[simulation]
paths = 64
seed = 3

[traffic]
requests_per_month = 10_000
input_tokens = 2060
output_tokens = 270

[baseline]
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0

[options.ft.serving]
mode = "api"
price_input_per_mtok = 0.18
price_output_per_mtok = 0.18

[options.ft.build]
engineering_cost = 12_000

[options.ft.maintenance]
monthly_cost = 300
"""
# By hand (MODEL.md section 4, lead time 0, no growth or noise): tokens per request
# T = 2,060 + 270 = 2,330; saving per request m = (2,060 * 2 + 270 * 8) / 1e6
# - 2,330 * 0.18 / 1e6 = 0.00628 - 0.0004194 = 0.0058606. CS_t = -U + t (R m - F) with
# U = 12,000, F = 300, increasing in t, so payback within N = 6 iff CS_6 >= 0 iff
# R >= (U / N + F) / m = 2,300 / 0.0058606 = 392,451.3 requests/month,
# i.e. 392,451.3 * 2,330 = 914.41M tokens/month.
BREAKEVEN_TOKENS = (12_000 / 6 + 300) / 0.0058606 * 2330


@pytest.mark.parametrize("points", [9, 41])
def test_breakeven_matches_closed_form_within_grid_spacing(points):
    curve = breakeven_curve(parse_scenario(CLOSED_FORM), min_tokens=1e8, max_tokens=1e10,
                            points=points, jobs=1)
    grid = np.geomspace(1e8, 1e10, points)
    # deterministic traffic: every path's tokens per month is exactly R * T
    assert curve["tokens_per_month"] == pytest.approx(grid, rel=1e-9)
    p = np.asarray(curve["options"]["ft"]["p_payback_within"])
    assert set(p) <= {0.0, 1.0}
    assert np.all(p == (grid >= BREAKEVEN_TOKENS))  # the step sits where the hand value says
    step = math.log(grid[1] / grid[0])  # the largest error linear interpolation can make
    for key, level in (("p50", 0.5), ("required", 0.8)):
        found = curve["options"]["ft"][key]
        assert found["status"] == "crossed" and found["level"] == level
        lo, hi = found["bracket"]
        assert lo["tokens_per_month"] < BREAKEVEN_TOKENS <= hi["tokens_per_month"]
        assert (lo["p"], hi["p"]) == (0.0, 1.0)
        assert abs(math.log(found["tokens_per_month"] / BREAKEVEN_TOKENS)) <= step
    assert curve["options"]["ft"]["breakeven_p50"] == curve["options"]["ft"]["p50"][
        "tokens_per_month"]
    # requests at break-even = tokens / T
    assert curve["options"]["ft"]["p50"]["requests_per_month"] == pytest.approx(
        curve["options"]["ft"]["breakeven_p50"] / 2330)
    assert curve["marks"] == [1e7, 1e8]
    assert curve["scenario_volume"]["tokens_per_month"] == pytest.approx(10_000 * 2330)


POSITIVE_SAVINGS = """
[scenario]
name = "positive savings per request"
horizon_months = 24
payback_within_months = 12

[traffic]
requests_per_month = { p5 = 5_000, p95 = 80_000 }
monthly_growth = { dist = "pert", min = -0.02, mode = 0.02, max = 0.06 }
monthly_volatility = 0.2
input_tokens = { dist = "pert", min = 500, mode = 2_000, max = 6_000 }
output_tokens = { p5 = 100, p95 = 600 }

[quality]
baseline_error_rate = 0.05
cost_per_error = { p5 = 0.5, p95 = 5 }

[prices.api]
annual_decline = { dist = "pert", min = 0.0, mode = 0.3, max = 0.6 }
events_per_year = 1.0
event_multiplier = { p5 = 0.3, p95 = 1.5 }

[baseline]
price_input_per_mtok = { dist = "pert", min = 1.0, mode = 2.5, max = 5.0 }
price_output_per_mtok = { dist = "pert", min = 6, mode = 12, max = 30 }
prompt_overhead_tokens = 1_500

[options.cheap]
lead_time_months = { dist = "pert", min = 0, mode = 2, max = 4 }
prompt_overhead_tokens = 200

[options.cheap.serving]
mode = "api"
price_input_per_mtok = { dist = "uniform", min = 0.1, max = 0.5 }
price_output_per_mtok = { dist = "uniform", min = 0.1, max = 0.9 }

[options.cheap.build]
engineering_cost = { p5 = 5_000, p95 = 40_000 }

[options.cheap.maintenance]
monthly_cost = { p5 = 200, p95 = 2_000 }
"""


def test_payback_probability_is_non_decreasing_in_traffic():
    # The option's price per token is below the baseline's on every path (max 0.9 < min 1.0
    # per MTok, with fewer tokens per request), both follow the "api" index, and there is no
    # quality gap, drift or escalation. So each month's saving is R_t * (positive) - F, and
    # scaling R0 by f (same uniforms) raises every CS_t: payback is monotone path by path,
    # and P(payback within N) is exactly non-decreasing, not only within Monte Carlo error.
    scenario = parse_scenario(POSITIVE_SAVINGS)
    curve = breakeven_curve(scenario, min_tokens=1e6, max_tokens=1e10, points=9, paths=4000,
                            jobs=1)
    p = np.asarray(curve["options"]["cheap"]["p_payback_within"])
    assert np.all(np.diff(p) >= 0)
    assert p[0] < 0.05 and p[-1] > 0.95  # from "never" to "almost surely"
    assert curve["options"]["cheap"]["p50"]["status"] == "crossed"


def test_scaling_traffic_multiplies_every_path_and_keeps_other_draws():
    scenario = ftsim.load_scenario(SEED_ARTICLE)
    base = ftsim.simulate(scenario, paths=3000, jobs=1)
    scaled = ftsim.simulate(scale_traffic(scenario, 7.5), paths=3000, jobs=1)
    np.testing.assert_allclose(scaled.tokens_per_month, 7.5 * base.tokens_per_month, rtol=1e-12)
    np.testing.assert_allclose(scaled.inputs["traffic.requests_per_month"],
                               7.5 * base.inputs["traffic.requests_per_month"], rtol=1e-12)
    for key, values in base.inputs.items():
        if key != "traffic.requests_per_month":
            np.testing.assert_array_equal(scaled.inputs[key], values, err_msg=key)
    assert scale_traffic(scenario, 1.0) is scenario


def test_scaled_distribution_is_the_law_of_factor_times_x():
    inner = LogNormal(math.log(316.2), 0.7)
    law = ScaledDistribution(inner, 3.0)
    u = np.array([1e-6, 0.05, 0.5, 0.95, 1 - 1e-6])
    np.testing.assert_allclose(law.ppf(u), 3.0 * inner.ppf(u))
    np.testing.assert_allclose(law.cdf(law.ppf(u)), u, rtol=1e-9)
    assert law.support == (0.0, math.inf)
    assert law.mean == pytest.approx(3.0 * inner.mean)
    assert not law.is_fixed
    with pytest.raises(ValueError):
        ScaledDistribution(inner, 0.0)


def test_sweep_uses_common_random_numbers():
    values = [0, 10_000, 50_000]
    frame = sweep(SEED_ARTICLE, "options.lora_7b.build.engineering_cost", values,
                  paths=3000, jobs=1)
    assert list(frame.columns[:3]) == ["value", "option", "name"]
    assert len(frame) == 2 * len(values)
    lora = frame[frame.option == "lora_7b"]
    small = frame[frame.option == "prompted_small_5shot"]
    assert list(lora.value) == values
    # A fixed engineering cost shifts U by the same amount on every path (same draws), so
    # payback can only get later: P is non-increasing and NPV falls by the difference.
    assert np.all(np.diff(lora.p_payback_within.to_numpy()) <= 0)
    assert lora.npv_mean.iloc[0] - lora.npv_mean.iloc[2] == pytest.approx(50_000)
    # The other option's draws do not depend on lora_7b's inputs: identical rows.
    assert small.p_payback_within.nunique() == 1 and small.npv_mean.nunique() == 1


def test_sweep_bad_key_is_a_scenario_error_naming_it():
    with pytest.raises(ftsim.ScenarioError) as error:
        sweep(SEED_ARTICLE, "drift.events_per_yr", [1, 2], paths=100, jobs=1)
    assert [i.key_path for i in error.value.issues] == ["drift.events_per_yr"]  # once
    assert "did you mean 'events_per_year'" in str(error.value)


def test_crossing_interpolates_in_log_tokens():
    # between 10 (P 0.4) and 100 (P 0.8): 0.5 is a quarter of the way, 10 ** 1.25 = 17.78
    found = crossing([1, 10, 100], [0.0, 0.4, 0.8], 0.5, requests_per_token=0.5)
    assert found["tokens_per_month"] == pytest.approx(10 ** 1.25)
    assert found["requests_per_month"] == pytest.approx(0.5 * 10 ** 1.25)
    assert found["bracket"] == [{"tokens_per_month": 10.0, "p": 0.4},
                                {"tokens_per_month": 100.0, "p": 0.8}]
    assert crossing([1, 10], [0.6, 0.9], 0.5)["status"] == "below_grid"
    assert crossing([1, 10], [0.1, 0.4], 0.5)["status"] == "not_reached"
    wobbly = crossing([1, 10, 100, 1000], [0.4, 0.6, 0.45, 0.7], 0.5)
    assert wobbly["crossings"] == 2 and wobbly["bracket"][1]["tokens_per_month"] == 10.0


def test_default_grid_reaches_a_decade_beyond_the_scenarios_volume():
    assert default_grid(5e7) == (1e6, 1e10, 17)  # 1M-10B, 4 points per decade
    assert default_grid(3e10) == (1e6, 1e12, 25)  # 3e10 * 10 -> up to 1T
    assert default_grid(2e5) == (1e4, 1e10, 25)
    assert default_grid(5e7, max_tokens=1e9) == (1e6, 1e9, 13)
    assert default_grid(5e7, 1e7, 1e8, 3) == (1e7, 1e8, 3)  # given values are kept


def test_values_and_ranges():
    assert parse_values("0, 2.5,1e7,200_000") == [0, 2.5, 1e7, 200_000]
    assert value_grid("6:24:4") == [6, 12, 18, 24]  # whole numbers stay ints
    assert value_grid("1:100:3", log=True) == [1, 10, 100]
    assert value_grid("-0.02:0.06:5") == pytest.approx([-0.02, 0.0, 0.02, 0.04, 0.06])
    for bad in ("1:2", "1:2:0", "a:2:3"):
        with pytest.raises(ValueError):
            value_grid(bad)
    with pytest.raises(ValueError):
        value_grid("0:10:3", log=True)
    with pytest.raises(ValueError):
        parse_values("1,true")
    assert [format_tokens(x) for x in (1e6, 1.778e7, 3.162e9, 562e3, 999_999_999.9, 12)] == [
        "1M", "17.8M", "3.16B", "562k", "1B", "12"]


def test_cli_sweep_writes_table_csv_json_and_plot(tmp_path, capsys):
    code = main(["sweep", str(SEED_ARTICLE), "--param", "drift.events_per_year",
                 "--values", "0,12", "--paths", "2000", "--jobs", "1", "--out", str(tmp_path),
                 "--set", "options.lora_7b.maintenance.retrain_on_drift=false"])
    assert code == 0
    out = capsys.readouterr().out
    assert "sweep of drift.events_per_year over 2 values" in out
    assert "seed 20261128 at every point" in out
    (run_dir,) = (tmp_path / "seed_article-sweep").iterdir()
    assert {p.name for p in run_dir.iterdir()} == {"sweep.csv", "sweep.json", "sweep.png"}
    import pandas as pd

    frame = pd.read_csv(run_dir / "sweep.csv")
    assert len(frame) == 4 and set(frame.option) == {"lora_7b", "prompted_small_5shot"}
    meta = json.loads((run_dir / "sweep.json").read_text())
    assert meta["param"] == "drift.events_per_year" and meta["paths"] == 2000


def test_cli_sweep_quiet_range_and_bad_key(tmp_path, capsys):
    code = main(["sweep", str(SEED_ARTICLE), "--param", "scenario.payback_within_months",
                 "--range", "6:24:2", "--paths", "1000", "--jobs", "1", "--quiet",
                 "--out", str(tmp_path)])
    assert code == 0
    assert capsys.readouterr().out == ""
    code = main(["sweep", str(SEED_ARTICLE), "--param", "drift.events_per_yr", "--values", "1",
                 "--out", str(tmp_path)])
    assert code == 2
    assert "drift.events_per_yr: unknown key" in capsys.readouterr().err


def test_cli_breakeven_reports_the_volume_for_the_seed_article(tmp_path, capsys):
    code = main(["breakeven", str(SEED_ARTICLE), "--paths", "2000", "--jobs", "1",
                 "--points", "5", "--min-tokens", "10M", "--max-tokens", "10B",
                 "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "break-even volume" in out
    assert "LoRA 7B fine-tune, served per token [lora_7b]" in out
    assert "The article puts break-even at 10M-100M tokens/month." in out
    (run_dir,) = (tmp_path / "seed_article-breakeven").iterdir()
    assert {p.name for p in run_dir.iterdir()} == {"breakeven.csv", "breakeven.json",
                                                   "breakeven.png"}
    curve = json.loads((run_dir / "breakeven.json").read_text())
    assert len(curve["tokens_per_month"]) == 5
    assert curve["tokens_per_month"][0] == pytest.approx(1e7)
    assert set(curve["options"]["lora_7b"]) >= {"p_payback_within", "breakeven_p50",
                                                "breakeven_required", "p50", "required"}


@pytest.mark.parametrize("subcommand", [
    ["sweep", "--param", "drift.events_per_year", "--values", "1,2"],
    ["breakeven", "--points", "3"],
])
@pytest.mark.parametrize(("args", "fragment"), [
    (["--seed", "-1"], "argument --seed"),
    (["--horizon", "9223372036854775808"], "argument --horizon"),
    (["--backend", "dask", "--scheduler", "not a url"], "--scheduler: expected"),
    (["--out", "FILE"], "is a file, not a folder"),
    (["--paths", "1000000000"], "--paths: a run of 1,000,000,000 paths needs about"),
])
def test_sweep_and_breakeven_refuse_bad_options_before_running(tmp_path, capsys, monkeypatch,
                                                               subcommand, args, fragment):
    import ftsim.cli.common
    import ftsim.core.studies.breakeven
    import ftsim.core.studies.sweep

    def refuse(*args, **kwargs):
        raise AssertionError("simulated although the command line was bad")

    monkeypatch.setattr(ftsim.core.studies.sweep, "simulate", refuse)
    monkeypatch.setattr(ftsim.core.studies.breakeven, "simulate", refuse)
    monkeypatch.setattr(ftsim.cli.common, "available_memory", lambda: 2**34)  # a 16 GiB machine
    (tmp_path / "FILE").write_text("x")
    args = [str(tmp_path / "FILE") if a == "FILE" else a for a in args]
    out = ["--out", str(tmp_path / "out")] if "--out" not in args else []
    code = main([subcommand[0], str(SEED_ARTICLE), *subcommand[1:], "--quiet", *out, *args])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FILE"]


def test_a_failed_sweep_leaves_no_folder_and_point_warnings_are_printed(tmp_path, capsys,
                                                                         monkeypatch):
    import ftsim.cli.studies

    def broken(*args, **kwargs):
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(ftsim.cli.studies, "_write_png", broken)
    code = main(["sweep", str(SEED_ARTICLE), "--param", "traffic.monthly_growth",
                 "--values", "0.02,0.5", "--paths", "300", "--jobs", "1", "--quiet",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "plotting failed" in err
    # the value 0.5 is outside growth's plausible range: said once, before running
    assert err.splitlines()[0].startswith("warning: traffic.monthly_growth: 0.5 is outside")
    assert not (tmp_path / "out").exists()
