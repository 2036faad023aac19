"""Comparing two runs: paired and two-sample intervals, NPV changes, drivers and the scenario
diff, checked against numbers derived by hand (or published) on tiny synthetic runs."""

from __future__ import annotations

import copy
import math
import tomllib

import numpy as np
import pytest
from summaries import make_summary

from ftsim.core.studies.compare import (
    Z95,
    PathOutcomes,
    compare_runs,
    comparison_method,
    driver_changes,
    newcombe_interval,
    npv_change,
    paired_payback,
    two_sample_payback,
    wilson_interval,
)
from ftsim.core.studies.compare_scenario import flatten_scenario, key_changes, scenario_diff
from ftsim.core.summary_types import DriverRow, SimulationInfo, Summary

NEVER = np.nan


def outcomes(months: list[float], npv: list[float] | None = None) -> PathOutcomes:
    n = len(months)
    return PathOutcomes(np.arange(n), np.array(months, dtype=float),
                        np.zeros(n) if npv is None else np.array(npv, dtype=float))


# -- P(payback within N) ----------------------------------------------------------------------


def test_paired_difference_and_its_standard_error_by_hand():
    # N = 12, ten paths. A pays back by month 12 on paths 0-3; B on paths 0-2 and 4-6 (path
    # 3 pays back in month 13 in B, path 7 in month 20 in A and B, paths 8-9 never).
    a = outcomes([3, 12, 5, 11, 14, 13, NEVER, 20, NEVER, NEVER])
    b = outcomes([3, 12, 6, 13, 12, 1, 9, 20, NEVER, NEVER])
    change = paired_payback(a, b, within=12)
    assert (change.p_a, change.p_b) == (0.4, 0.6)
    assert (change.b_only, change.a_only) == (3, 1)
    # d = (3 - 1)/10 = 0.2; k = 4 paths differ: se = sqrt((k/n - d^2)/n) = sqrt(0.036)
    assert change.difference == pytest.approx(0.2)
    assert change.se == pytest.approx(math.sqrt(0.036))
    assert change.low == pytest.approx(0.2 - Z95 * math.sqrt(0.036))
    assert change.high == pytest.approx(0.2 + Z95 * math.sqrt(0.036))
    assert change.paired


def test_identical_indicators_give_a_zero_width_paired_interval():
    a = outcomes([1, NEVER, 30, 2])
    change = paired_payback(a, a, within=12)
    assert (change.difference, change.se, change.low, change.high) == (0, 0, 0, 0)


def test_wilson_and_newcombe_closed_forms():
    n, z = 100, Z95
    # p = 1/2: Wilson's limits are 1/2 +- z / (2 sqrt(n + z^2))
    half = z / (2 * math.sqrt(n + z * z))
    assert wilson_interval(0.5, n) == pytest.approx((0.5 - half, 0.5 + half))
    # so Newcombe's for 1/2 vs 1/2 is +- sqrt(2) times that
    assert newcombe_interval(0.5, n, 0.5, n) == pytest.approx((-math.sqrt(2) * half,
                                                               math.sqrt(2) * half))
    # p = 0: Wilson's upper limit is z^2 / (n + z^2); 0 vs 0 does not collapse to a point
    top = z * z / (n + z * z)
    assert wilson_interval(0.0, n) == pytest.approx((0.0, top))
    assert newcombe_interval(0.0, n, 0.0, n) == pytest.approx((-top, top))


def test_newcombe_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 - 48/80,
    # method 10 (hybrid score): 0.0524 to 0.3339
    low, high = newcombe_interval(48 / 80, 80, 56 / 70, 70)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_two_sample_change_uses_newcombe_and_the_wald_standard_error():
    change = two_sample_payback(0.5, 100, 0.5, 100, within=12)
    half = math.sqrt(2) * Z95 / (2 * math.sqrt(100 + Z95 ** 2))
    assert (change.low, change.high) == pytest.approx((-half, half))
    assert change.se == pytest.approx(math.sqrt(2 * 0.25 / 100))
    assert not change.paired and change.b_only is None
    missing = two_sample_payback(0.5, 100, None, 100, within=40)
    assert missing.difference is None and missing.low is None


# -- NPV ----------------------------------------------------------------------------------------


def _summary() -> Summary:
    return Summary.from_dict(make_summary())


def test_paired_npv_differences_by_hand():
    s = _summary()
    option = s.options["a"]
    a = outcomes([1, 1, 1, 1], [10.0, 20.0, 30.0, 40.0])
    b = outcomes([1, 1, 1, 1], [12.0, 24.0, 36.0, 48.0])  # differences 2, 4, 6, 8
    change = npv_change(option, option, 4, 4, (a, b))
    d = change.paths
    assert d is not None
    assert d.mean == pytest.approx(5.0)
    # linear interpolation between order statistics: P5 at position 0.15, P95 at 2.85
    assert (d.p5, d.p50, d.p95) == pytest.approx((2.3, 5.0, 7.7))
    assert (d.share_higher, d.share_lower) == (1.0, 0.0)
    mean = change.statistics[0]
    se = math.sqrt(5.0 / 4)  # population variance of 2, 4, 6, 8 is 5
    # the mean's change is the summaries' (0 here: same option), its interval the paths'
    assert mean.difference == 0.0
    assert (mean.low, mean.high) == pytest.approx((-Z95 * se, Z95 * se))


def test_two_sample_npv_interval_from_the_standard_deviations():
    a = _summary()
    d = make_summary()
    d["options"]["a"]["npv_statistics"]["mean"] = 15_000.0
    d["options"]["a"]["npv_statistics"]["p5"] = -20_000.0
    b = Summary.from_dict(d)
    change = npv_change(a.options["a"], b.options["a"], 1000, 4000)
    mean, p5 = change.statistics[0], change.statistics[1]
    assert mean.difference == pytest.approx(3_000.0)
    se = math.sqrt(20_000.0 ** 2 / 1000 + 20_000.0 ** 2 / 4000)  # both sd 20,000
    assert (mean.low, mean.high) == pytest.approx((3_000 - Z95 * se, 3_000 + Z95 * se))
    assert p5.difference == pytest.approx(-20_000.0 - a.options["a"].npv_statistics.p5)
    assert p5.low is None and change.paths is None


# -- drivers ------------------------------------------------------------------------------------


def _drivers(*keys: str) -> tuple[DriverRow, ...]:
    return tuple(DriverRow(k, k.upper(), 0.5 - 0.05 * i, 0.01, None, None, None, None, None,
                           None, None, None, None, True) for i, k in enumerate(keys))


def test_driver_changes_entered_left_and_ranks():
    a = _drivers("g", "r", "x", "y", "z", "w")
    b = _drivers("r", "g", "w", "x", "q", "y")
    rows = {c.input: c for c in driver_changes(a, b)}
    assert [c.input for c in driver_changes(a, b)] == ["r", "g", "w", "x", "q", "y", "z"]
    assert (rows["r"].rank_a, rows["r"].rank_b, rows["r"].status) == (2, 1, "kept")
    assert (rows["w"].rank_a, rows["w"].rank_b, rows["w"].status) == (6, 3, "entered")
    assert (rows["q"].rank_a, rows["q"].rank_b, rows["q"].status) == (None, 5, "entered")
    assert (rows["y"].rank_a, rows["y"].rank_b, rows["y"].status) == (4, 6, "left")
    assert (rows["z"].rank_a, rows["z"].rank_b, rows["z"].status) == (5, None, "left")
    assert rows["z"].swing_b is None and rows["z"].swing_a == pytest.approx(0.3)


# -- method -------------------------------------------------------------------------------------


def _sim(**changes: object) -> SimulationInfo:
    base = {"paths": 1000, "seed": 7, "sampler": "random", "horizon_months": 36,
            "payback_within_months": 12, "chunk_size": 8192, "required_probability": 0.8,
            "discount_rate_annual": 0.08}
    return SimulationInfo(**{**base, **changes})


def test_method_is_paired_only_with_the_same_futures_and_both_path_files():
    assert comparison_method(_sim(), _sim(), True, True).paired
    # the horizon does not change which futures are drawn
    assert comparison_method(_sim(), _sim(horizon_months=24), True, True).paired
    for change, words in [({"seed": 8}, "seed (7 vs 8)"), ({"sampler": "lhs"}, "sampler"),
                          ({"chunk_size": 4096}, "chunk size (8,192 vs 4,096)"),
                          ({"paths": 2000}, "paths (1,000 vs 2,000)")]:
        method = comparison_method(_sim(), _sim(**change), True, True)
        assert not method.paired and words in method.reason
    method = comparison_method(_sim(), _sim(), True, False)
    assert not method.paired and "run B kept no per-path file" in method.reason


def test_compare_runs_pairs_options_and_lists_added_and_removed():
    a = _summary()
    d = make_summary()
    d["options"]["c"] = copy.deepcopy(d["options"].pop("a"))
    d["options"]["c"]["name"] = "Option C"
    b = Summary.from_dict(d)
    n = a.simulation.paths
    paths = {"b": outcomes([1.0] * (n // 2) + [NEVER] * (n - n // 2))}
    later = {"b": outcomes([1.0] * (n // 2 - 10) + [NEVER] * (n - n // 2 + 10))}
    result = compare_runs(a, b, paths_a=paths, paths_b=later)
    assert result.method.paired
    assert [o.option_id for o in result.options] == ["b"]
    assert [o.option_id for o in result.added] == ["c"]
    assert [o.option_id for o in result.removed] == ["a"]
    payback = result.options[0].payback
    assert payback.paired and (payback.b_only, payback.a_only) == (0, 10)
    assert payback.difference == pytest.approx(-10 / n)
    # without per-path files the same summaries are two samples, from p_payback_by_month
    independent = compare_runs(a, b)
    assert not independent.method.paired
    assert independent.options[0].payback.difference == 0.0


def test_an_option_missing_from_a_path_file_falls_back_to_two_samples():
    a = _summary()
    n = a.simulation.paths
    result = compare_runs(a, a, paths_a={"a": outcomes([1.0] * n)},
                          paths_b={"a": outcomes([1.0] * n)})
    by_id = {o.option_id: o for o in result.options}
    assert by_id["a"].payback.paired and by_id["a"].note is None
    assert not by_id["b"].payback.paired and "missing" in (by_id["b"].note or "")


# -- scenario diff ------------------------------------------------------------------------------

TOML_A = """
[scenario]
name = "x"
horizon_months = 36
[traffic]
requests_per_month = { p5 = 40_000, p95 = 1_200_000, source = "old", as_of = "2024-02" }
monthly_growth = { dist = "pert", min = -0.01, mode = 0.02, max = 0.06 }
monthly_volatility = 0.1
[options.a]
name = "Option A"
error_rate_gap = 0.0
"""

TOML_B = """
[scenario]
horizon_months = 24
name = "x"
[traffic]
requests_per_month = { p5 = 40000, p95 = 1200000, source = "new", as_of = "2024-02" }
monthly_growth = { dist = "pert", min = -0.005, mode = 0.01, max = 0.03 }
[options.b]
name = "Option B"
error_rate_gap = 0.01
"""

LAWS = frozenset({"traffic.requests_per_month", "traffic.monthly_growth",
                  "traffic.monthly_volatility"})


def test_scenario_keys_added_removed_and_changed_as_written():
    old = flatten_scenario(tomllib.loads(TOML_A), LAWS)
    new = flatten_scenario(tomllib.loads(TOML_B), LAWS)
    # a law is one value, its provenance keys beside it; 40_000 and 40000 are the same number
    assert old["traffic.requests_per_month"] == "{ p5 = 40000, p95 = 1200000 }"
    assert new["traffic.requests_per_month"] == old["traffic.requests_per_month"]
    changes = {(c.key, c.change, c.old, c.new) for c in key_changes(old, new)}
    assert changes == {
        ("scenario.horizon_months", "changed", "36", "24"),
        ("traffic.requests_per_month.source", "changed", '"old"', '"new"'),
        ("traffic.monthly_growth", "changed",
         '{ dist = "pert", min = -0.01, mode = 0.02, max = 0.06 }',
         '{ dist = "pert", min = -0.005, mode = 0.01, max = 0.03 }'),
        ("traffic.monthly_volatility", "removed", "0.1", None),
        ("options.a.name", "removed", '"Option A"', None),
        ("options.a.error_rate_gap", "removed", "0.0", None),
        ("options.b.name", "added", None, '"Option B"'),
        ("options.b.error_rate_gap", "added", None, "0.01"),
    }


def test_scenario_diff_separates_file_changes_from_inputs_set_on_the_command_line():
    a = _summary()
    d = make_summary()
    d["inputs"][0]["written"] = "lognormal(p5=2500, p95=5e+04)"  # as a --set would
    d["scenario"]["sha256"] = "cd" * 32
    d["simulation"]["seed"] = 8
    b = Summary.from_dict(d)
    file_a, file_b = tomllib.loads(TOML_A), tomllib.loads(TOML_B)
    diff = scenario_diff(a, b, file_a, file_b)
    assert diff.compared == "scenario.toml" and not diff.same_file
    assert "traffic.monthly_growth" in {c.key for c in diff.changes}
    assert [(c.key, c.old, c.new) for c in diff.simulated] == [
        ("traffic.requests_per_month", "lognormal(p5=5000, p95=1e+05)",
         "lognormal(p5=2500, p95=5e+04)")]
    assert [(r.name, r.a, r.b) for r in diff.settings if r.changed] == [("seed", "7", "8")]
    # without a scenario copy the diff is the inputs table's, and says so
    fallback = scenario_diff(a, b, None, file_b, "run A has no scenario.toml")
    assert fallback.compared == "inputs" and fallback.note == "run A has no scenario.toml"
    assert [c.key for c in fallback.changes] == ["traffic.requests_per_month"]
    assert fallback.simulated == ()
