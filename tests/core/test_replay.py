"""Replay's comparisons (bits, summary dicts, per-path columns) and inputs supplied path by
path (``--inputs``), in the core.

Supplied inputs are checked against what the file says and what the model's rules imply:
path i holds row i whatever the chunking or threads, every other input keeps the draws of
the run without the file (common random numbers), counts are rounded as draws are, and a
path whose supplied error-rate gap exceeds max_acceptable_gap is abandoned (docs/model.md
7.1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ftsim import load_scenario, simulate
from ftsim.core.replay import column_difference, json_differences, same_bits, without_keys
from ftsim.core.supplied import PathValues, SuppliedInputs, check_supplied, with_supplied
from ftsim.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
GAP = "options.lora_8b_provider.error_rate_gap"
REQUESTS = "traffic.requests_per_month"
LEAD = "options.lora_8b_provider.lead_time_months"
N = 2500


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(ROOT / "scenarios" / "support_bot.toml")


def _columns() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {REQUESTS: rng.uniform(1e4, 2e6, N), GAP: rng.uniform(-0.05, 0.06, N),
            LEAD: rng.uniform(0, 6, N)}


# -- bits and differences -------------------------------------------------------------------


def test_same_bits_tells_signed_zeros_apart_and_matches_a_nan_with_itself():
    a = np.array([0.0, np.nan, 1.5, 1e-300])
    b = np.array([-0.0, np.nan, 1.5, 1e-300])
    assert same_bits(a, b).tolist() == [False, True, True, True]
    assert same_bits(a.astype(np.float32), b.astype(np.float32)).tolist()[0] is False
    assert same_bits(np.array([1, 2]), np.array([1, 3])).tolist() == [True, False]
    with pytest.raises(ValueError):
        same_bits(a, a.astype(np.float32))


def test_json_differences_find_every_leaf_and_ignore_the_given_keys():
    stored = {"simulation": {"paths": 10, "seconds": 1.25}, "x": [1.0, {"y": 0.1}],
              "z": 3, "gone": True}
    replayed = {"simulation": {"paths": 10, "seconds": 9.0}, "x": [1.0, {"y": 0.1 + 2**-55}],
                "z": 3.0, "new": None}
    found = {d.where for d in json_differences(stored, replayed, ["simulation.seconds"])}
    # 0.1 + 2**-55 is the next double above 0.1; 3 and 3.0 are different JSON
    assert found == {"x[1].y", "z", "gone", "new"}
    assert json_differences(stored, stored, ["simulation.seconds"]) == []
    assert without_keys(stored, ["simulation.seconds"])["simulation"] == {"paths": 10}
    assert "simulation" in json_differences({"simulation": {"a": 1}}, {"simulation": {"a": 2}},
                                            ["simulation.seconds"])[0].where


def test_json_differences_see_a_reordered_file():
    found = json_differences({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert [d.where for d in found] == ["(key order)"]


def test_column_difference_counts_rows_and_names_the_first():
    a = np.arange(10, dtype=np.float64)
    b = a.copy()
    assert column_difference("npv", a, b) is None
    b[[3, 7]] += 1e-12
    found = column_difference("npv", a, b)
    assert found is not None and "2 rows, first path 3" in found.where
    assert column_difference("npv", a, a[:5]) is not None
    assert "type" in column_difference("npv", a, a.astype(np.float32)).where


# -- supplied inputs ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def supplied_runs(scenario):
    columns = _columns()
    supplied = with_supplied(scenario, SuppliedInputs("joint.csv", columns, N), N)
    base = simulate(scenario, paths=N, seed=4, jobs=1, chunk_size=700)
    runs = [simulate(supplied, paths=N, seed=4, jobs=jobs, chunk_size=700, backend=backend)
            for jobs, backend in ((1, "auto"), (2, "threads"))]
    return columns, base, runs


def test_path_i_takes_row_i_and_every_other_draw_is_unchanged(supplied_runs):
    columns, base, runs = supplied_runs
    for run in runs:
        assert np.array_equal(run.inputs[REQUESTS], columns[REQUESTS])
        assert np.array_equal(run.inputs[GAP], columns[GAP])
        # a count input is rounded as draws are: floor(x + 0.5)
        assert np.array_equal(run.inputs[LEAD], np.floor(columns[LEAD] + 0.5))
        for key, values in base.inputs.items():
            if key not in columns:
                assert np.array_equal(run.inputs[key], values), key
    # the same numbers on two threads as in this thread
    for name in ("npv", "payback_month"):
        a = getattr(runs[0].options["lora_8b_provider"], name)
        assert np.array_equal(a, getattr(runs[1].options["lora_8b_provider"], name))


def test_a_supplied_gap_above_the_limit_abandons_the_path(scenario, supplied_runs):
    columns, _, runs = supplied_runs
    limit = float(scenario.options["lora_8b_provider"].inputs[
        "options.lora_8b_provider.max_acceptable_gap"].dist.ppf(np.array([0.5]))[0])
    abandoned = runs[0].options["lora_8b_provider"].abandoned
    assert np.array_equal(abandoned, columns[GAP] > limit)
    assert 0 < abandoned.sum() < N


def test_the_first_rows_serve_fewer_paths_and_too_few_rows_are_refused(scenario):
    columns = _columns()
    supplied = with_supplied(scenario, SuppliedInputs("j.csv", columns, N), 1000)
    law = supplied.inputs[REQUESTS].dist
    assert isinstance(law, PathValues) and law.values.size == 1000
    assert law.describe() == "supplied: j.csv (first 1,000 of 2,500 rows)"
    run = simulate(supplied, paths=1000, seed=1, jobs=1, chunk_size=300)
    assert np.array_equal(run.inputs[REQUESTS], columns[REQUESTS][:1000])
    with pytest.raises(ScenarioError, match="has 2,500 rows, fewer than the 3,000 paths"):
        with_supplied(scenario, SuppliedInputs("j.csv", columns, N), 3000)


def test_supplied_columns_are_checked_like_written_values(scenario):
    bad_gap = np.zeros(20)
    bad_gap[16] = 1.5  # error_rate_gap's hard range is [-1, 1]
    growth = np.full(20, 0.01)
    growth[[2, 9]] = -1.0  # monthly_growth's is (-1, 1]
    requests = np.full(20, 1e5)
    requests[5] = np.nan
    issues = [str(i) for i in check_supplied(scenario, {
        "traffic.requests_per_mont": np.ones(20), "traffic.monthly_volatility": np.ones(20),
        GAP: bad_gap, "traffic.monthly_growth": growth, REQUESTS: requests,
        "options.lora_8b_provider.prompt_overhead_tokens": np.ones(20)})]
    assert issues[0] == ("--inputs: column 'traffic.requests_per_mont' is not an input of the "
                         "scenario; did you mean 'traffic.requests_per_month'?")
    assert issues[1].startswith("--inputs: column traffic.monthly_volatility is a fixed input")
    assert issues[2] == (f"--inputs: column {GAP}, row 17: 1.5 is outside the key's range: "
                         "must be in [-1, 1]")
    assert issues[3] == ("--inputs: column traffic.monthly_growth, row 3: -1 is outside the "
                         "key's range: must be in (-1, 1]; 1 more row outside")
    assert issues[4].startswith(f"--inputs: column {REQUESTS}, row 6: nan is not a finite")
    # support_bot correlates the option's prefix with the baseline's and the other option's
    assert "correlated with the drawn input" in issues[5]
    assert all("\n" not in i for i in issues)
