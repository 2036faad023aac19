"""Whole-simulation checks against closed forms, and reproducibility across seeds and workers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from support import RANDOM_WORLD

import ftsim
from ftsim.core.metrics import max_half_width
from ftsim.scenario import parse_scenario

DETERMINISTIC = """
[scenario]
name = "hand"
horizon_months = 12
payback_within_months = 6
required_probability = 0.8

[simulation]
paths = 64
seed = 1

[traffic]
requests_per_month = 100_000
input_tokens = 2060
output_tokens = 270

[baseline]
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0

[options.ft]
lead_time_months = {lead}

[options.ft.serving]
mode = "api"
price_input_per_mtok = 0.18
price_output_per_mtok = 0.18

[options.ft.build]
engineering_cost = 1000

[options.ft.maintenance]
monthly_cost = 300
"""


def test_deterministic_scenario_matches_hand_calculation():
    # Baseline 1e5 * (2,060 * 2 + 270 * 8) / 1e6 = 628/month; option 1e5 * 2,330 * 0.18 / 1e6
    # = 41.94 + 300 maintenance -> saving 286.06/month; U = 1,000.
    # CS_t = -1000 + 286.06 t -> first >= 0 at t = 4; NPV (r = 0) = -1000 + 12 * 286.06.
    result = ftsim.simulate(parse_scenario(DETERMINISTIC.format(lead=0)), jobs=1)
    option = ftsim.summarize(result).to_dict()["options"]["ft"]
    assert option["p_payback_within"] == 1.0
    assert option["payback_month"] == {"p10": 4, "p50": 4, "p90": 4}
    assert option["p_payback_by_month"] == [0, 0, 0] + [1.0] * 9
    assert option["cumulative_net_savings"]["p50"] == pytest.approx(
        [-1000 + 286.06 * t for t in range(1, 13)], rel=1e-6)  # float32 storage
    assert option["npv"]["mean"] == pytest.approx(-1000 + 12 * 286.06)
    assert option["tco"]["baseline"]["mean"] == pytest.approx(12 * 628)
    assert option["tco"]["option"]["mean"] == pytest.approx(1000 + 12 * (41.94 + 300))
    assert option["verdict"] == "go"
    assert option["sensitivity"] == []  # nothing is random


def test_lead_time_delays_payback_by_hand():
    # S = 3: CS_t = -1000 for t <= 2, then -1000 + 286.06 (t - 2): first >= 0 at t = 6.
    result = ftsim.simulate(parse_scenario(DETERMINISTIC.format(lead=2)), jobs=1)
    option = ftsim.summarize(result).to_dict()["options"]["ft"]
    assert option["payback_month"]["p50"] == 6
    assert option["p_payback_within"] == 1.0  # 6 <= N = 6


LOGNORMAL_TRAFFIC = DETERMINISTIC.format(lead=0).replace(
    "requests_per_month = 100_000", "requests_per_month = { p5 = 20_000, p95 = 200_000 }")


def lognormal_closed_form() -> float:
    """P(payback within 6 months) of LOGNORMAL_TRAFFIC, by hand.

    Saving per request m = (6,280 - 419.4) / 1e6, fixed extra F = 300/month, U = 1,000.
    CS_N >= 0 <=> R (m N) >= U + F N <=> R >= x* = (U / N + F) / m (CS rises when it can).
    R ~ lognormal: mu = (ln 2e4 + ln 2e5) / 2, sigma = (ln 2e5 - ln 2e4) / (2 * 1.6448536).
    """
    m = (6280 - 419.4) / 1e6
    x_star = (1000 / 6 + 300) / m
    mu = (math.log(2e4) + math.log(2e5)) / 2
    sigma = (math.log(2e5) - math.log(2e4)) / (2 * stats.norm.ppf(0.95))
    return 1 - stats.norm.cdf((math.log(x_star) - mu) / sigma)


def test_payback_probability_matches_lognormal_closed_form():
    expected = lognormal_closed_form()
    n = 40_000
    result = ftsim.simulate(parse_scenario(LOGNORMAL_TRAFFIC), paths=n, seed=11, jobs=1)
    p = ftsim.summarize(result).to_dict()["options"]["ft"]["p_payback_within"]
    se = math.sqrt(expected * (1 - expected) / n)
    assert abs(p - expected) < 4 * se, (p, expected, se)


@pytest.mark.parametrize("sampler", ["lhs", "sobol"])
def test_quasi_random_samplers_agree_with_the_closed_form(sampler):
    # Same closed form as above; LHS/Sobol are at least as accurate as random sampling, so
    # the random-sampling 4 SE bound applies.
    expected = lognormal_closed_form()
    n = 16_384
    result = ftsim.simulate(parse_scenario(LOGNORMAL_TRAFFIC), paths=n, seed=5, jobs=1,
                            sampler=sampler)
    p = ftsim.summarize(result).to_dict()["options"]["ft"]["p_payback_within"]
    assert abs(p - expected) < 4 * math.sqrt(expected * (1 - expected) / n)




def _arrays(result):
    out = {f"input:{k}": v for k, v in result.inputs.items()}
    for oid, option in result.options.items():
        for name in ("payback_month", "npv", "upfront", "cumulative", "retrains"):
            out[f"{oid}:{name}"] = getattr(option, name)
    return out


def _every_array(result):
    """Every per-path array and monthly sum of a result, by name (CS rows when kept)."""
    out = {f"input:{k}": v for k, v in result.inputs.items()}
    out["tokens_per_month"], out["requests_per_month"] = (result.tokens_per_month,
                                                          result.requests_per_month)
    for oid, option in result.options.items():
        for name in ("payback_month", "npv", "upfront", "tco_baseline", "tco_option",
                     "abandoned", "retrains", "dips_after_payback"):
            out[f"{oid}:{name}"] = getattr(option, name)
        for key, sums in option.monthly_cost_sums.items():
            out[f"{oid}:monthly:{key}"] = sums
    return out


def _assert_identical(a, b):
    arrays_a, arrays_b = _every_array(a), _every_array(b)
    assert arrays_a.keys() == arrays_b.keys()
    for key, values in arrays_a.items():
        assert values.dtype == arrays_b[key].dtype, key
        np.testing.assert_array_equal(values, arrays_b[key], err_msg=key)
    for oid, option in a.options.items():
        np.testing.assert_array_equal(option.cumulative_percentiles(),
                                      b.options[oid].cumulative_percentiles(), err_msg=oid)


def test_same_seed_same_result_whatever_the_jobs():
    scenario = parse_scenario(RANDOM_WORLD)
    kwargs = dict(paths=5000, seed=3, chunk_size=1024)
    serial = ftsim.simulate(scenario, jobs=1, **kwargs)
    again = ftsim.simulate(scenario, jobs=1, **kwargs)
    parallel = ftsim.simulate(scenario, jobs=2, **kwargs)
    a, b, c = _arrays(serial), _arrays(again), _arrays(parallel)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        np.testing.assert_array_equal(a[key], c[key], err_msg=key)
    assert ftsim.summarize(serial).to_dict() == ftsim.summarize(parallel).to_dict()


@pytest.mark.parametrize(("backend", "jobs"), [("threads", 2), ("threads", 3),
                                                ("processes", 2), ("auto", 2)])
def test_in_process_and_worker_plans_give_identical_arrays(backend, jobs):
    # The plan (this thread, threads writing into the result, worker processes writing
    # into shared memory) changes where chunks run, never what they compute: every array,
    # dtype and monthly sum (added in chunk order) is bit for bit the same.
    scenario = parse_scenario(RANDOM_WORLD)
    kwargs = dict(paths=5000, seed=13, chunk_size=700)
    _assert_identical(ftsim.simulate(scenario, jobs=1, **kwargs),
                      ftsim.simulate(scenario, jobs=jobs, backend=backend, **kwargs))


def test_streamed_cs_percentiles_equal_the_sorted_rows():
    # A streamed run never holds every CS row; its per-month percentiles must still be the
    # exact order statistics. Reference: numpy's own percentile of the kept rows (linear
    # method; it interpolates as b - (b - a)(1 - t) above t = 1/2, so equal to ~1 ulp).
    from ftsim.core.result import CUMULATIVE_PERCENTILES

    scenario = parse_scenario(RANDOM_WORLD)
    kwargs = dict(paths=20_000, seed=5, chunk_size=2048)
    kept = ftsim.simulate(scenario, jobs=2, keep_cumulative=True, **kwargs)
    for jobs, backend in ((1, "auto"), (2, "threads"), (2, "processes")):
        streamed = ftsim.simulate(scenario, jobs=jobs, backend=backend, keep_cumulative=False,
                                  **kwargs)
        assert all(o.cumulative is None for o in streamed.options.values())
        _assert_identical(kept, streamed)
    for option in kept.options.values():
        reference = np.percentile(option.cumulative, CUMULATIVE_PERCENTILES, axis=1)
        np.testing.assert_allclose(option.cumulative_percentiles(), reference, rtol=1e-12,
                                   atol=1e-9)
    with pytest.raises(ValueError, match="streamed"):
        streamed.options["a"].cumulative_percentiles((10, 90))


def test_a_bracket_that_misses_is_collected_again_exactly(monkeypatch):
    # Brackets of zero width around the pilot's quantiles miss the whole run's order
    # statistics almost everywhere: the run is simulated again for those months, and the
    # percentiles are still exactly those of the sorted rows.
    from ftsim.core import quantiles, runner

    scenario = parse_scenario(RANDOM_WORLD)
    kwargs = dict(paths=6000, seed=8, chunk_size=1000, jobs=2)
    kept = ftsim.simulate(scenario, keep_cumulative=True, **kwargs)
    monkeypatch.setattr(quantiles, "_WIDTH_SE", 0.0)
    monkeypatch.setattr(runner, "PILOT_PATHS", 1000)  # one chunk sets the brackets
    calls = []
    original = quantiles.CumulativeStream.percentiles

    def counting(self, n):
        values, missed = original(self, n)
        calls.append(len(missed))
        return values, missed

    monkeypatch.setattr(quantiles.CumulativeStream, "percentiles", counting)
    streamed = ftsim.simulate(scenario, keep_cumulative=False, **kwargs)
    assert calls and max(calls) > 0  # the fallback really ran
    _assert_identical(kept, streamed)


def test_precision_run_equals_a_single_run_of_its_size():
    # --precision batches write into one allocation in chunk order: every array and the
    # monthly sums equal those of one run of the same number of paths.
    scenario = parse_scenario(LOGNORMAL_TRAFFIC)
    result = ftsim.simulate(scenario, paths=1000, seed=2, jobs=2, chunk_size=1024,
                            precision=0.01, max_paths=50_000)
    plain = ftsim.simulate(scenario, paths=result.n_paths, seed=2, jobs=1, chunk_size=1024)
    _assert_identical(plain, result)


def test_large_runs_keep_inputs_as_float32(monkeypatch):
    # Beyond COMPACT_INPUTS_ABOVE paths the random inputs are stored as float32: each value
    # is the float64 draw rounded to nearest float32; outcomes are unchanged.
    from ftsim.core import result as result_module

    scenario = parse_scenario(RANDOM_WORLD)
    full = ftsim.simulate(scenario, paths=3000, seed=6, jobs=1)
    monkeypatch.setattr(result_module, "COMPACT_INPUTS_ABOVE", 2999)
    compact = ftsim.simulate(scenario, paths=3000, seed=6, jobs=2)
    for key, values in full.inputs.items():
        assert values.dtype == np.float64 and compact.inputs[key].dtype == np.float32
        np.testing.assert_array_equal(compact.inputs[key], values.astype(np.float32))
        assert np.all(np.abs(compact.inputs[key] - values) <= 2.0**-24 * np.abs(values))
    for name in ("tokens_per_month", "requests_per_month"):  # float32 too, rounded
        np.testing.assert_array_equal(getattr(compact, name),
                                      getattr(full, name).astype(np.float32))
    for oid, option in full.options.items():
        np.testing.assert_array_equal(option.npv, compact.options[oid].npv)


def test_different_seeds_differ_and_options_keep_their_streams():
    scenario = parse_scenario(RANDOM_WORLD)
    one = ftsim.simulate(scenario, paths=2000, seed=1, jobs=1)
    two = ftsim.simulate(scenario, paths=2000, seed=2, jobs=1)
    assert not np.array_equal(one.options["a"].npv, two.options["a"].npv)
    # Dropping option b leaves option a's draws (keyed by its id, not its position) unchanged.
    only_a = parse_scenario(RANDOM_WORLD.split("[options.b]")[0])
    alone = ftsim.simulate(only_a, paths=2000, seed=1, jobs=1)
    np.testing.assert_array_equal(one.options["a"].npv, alone.options["a"].npv)


def test_summary_has_every_section5_key():
    result = ftsim.simulate(parse_scenario(RANDOM_WORLD), paths=3000, seed=9, jobs=1)
    summary = ftsim.summarize(result).to_dict()
    assert set(summary) >= {"ftsim_version", "scenario", "simulation", "options"}
    assert set(summary["simulation"]) >= {"paths", "seed", "sampler", "horizon_months",
                                          "payback_within_months"}
    for option in summary["options"].values():
        assert set(option) >= {"name", "p_payback_within", "p_payback_within_ci95",
                               "p_payback_by_month", "payback_month", "p_abandoned", "npv",
                               "upfront_cost", "tco", "cumulative_net_savings", "sensitivity",
                               "verdict"}
        assert len(option["p_payback_by_month"]) == 24
        assert np.all(np.diff(option["p_payback_by_month"]) >= 0)
        assert option["p_payback_by_month"][11] == option["p_payback_within"]
        for q in ("p5", "p25", "p50", "p75", "p95"):
            assert len(option["cumulative_net_savings"][q]) == 24
    sens = summary["options"]["a"]["sensitivity"]
    names = [row["input"] for row in sens]
    # world inputs and a's own, never b's
    assert "traffic.requests_per_month" in names
    assert "options.a.serving.gpu_hourly_cost" in names
    assert not any(n.startswith("options.b.") for n in names)
    rhos = [abs(r["spearman"]) for r in sens]
    assert rhos == sorted(rhos, reverse=True)
    # the option is abandoned when gap > 0.03: P = 1 - Phi(0.03 / 0.02) = 0.0668 (4 SE at n=3000: 0.018)
    assert abs(summary["options"]["a"]["p_abandoned"] - (1 - stats.norm.cdf(1.5))) < 0.018


def test_correlation_is_imposed_on_ranks():
    # Spearman 0.7 between two random inputs: the sample rank correlation of 20,000 paths
    # has SE ~ (1 - rho^2) / sqrt(n) = 0.0036; allow 0.02.
    text = RANDOM_WORLD + """
[[correlations]]
a = "traffic.requests_per_month"
b = "options.a.serving.gpu_hourly_cost"
rho = 0.7
"""
    result = ftsim.simulate(parse_scenario(text), paths=20_000, seed=4, jobs=1)
    rho = stats.spearmanr(result.inputs["traffic.requests_per_month"],
                          result.inputs["options.a.serving.gpu_hourly_cost"]).statistic
    assert abs(rho - 0.7) < 0.02


def test_precision_target_adds_chunks_until_the_interval_is_narrow():
    # Here P = 1 - Phi(ln(79,628 / 63,246) / 0.7) = 0.37 (closed form above). A Wilson
    # half-width <= 0.01 needs 1.96^2 p (1 - p) / n <= 1e-4: n >= 8,955. In 1,024-path
    # batches the run stops at 9,216 whenever the realised p lies in (0.311, 0.398), i.e.
    # within 5 SE (0.005) of 0.37; at 8,192 paths it is still too wide.
    scenario = parse_scenario(LOGNORMAL_TRAFFIC)
    result = ftsim.simulate(scenario, paths=1000, seed=2, jobs=1, chunk_size=1024,
                            precision=0.01, max_paths=50_000)
    assert max_half_width(result.hits_within(), result.n_paths) <= 0.01
    assert result.n_paths == 9216
    # identical to one plain run of the same number of paths
    plain = ftsim.simulate(scenario, paths=result.n_paths, seed=2, jobs=1, chunk_size=1024)
    np.testing.assert_array_equal(result.options["ft"].npv, plain.options["ft"].npv)
    capped = ftsim.simulate(scenario, paths=1000, seed=2, jobs=1, chunk_size=1024,
                            precision=1e-4, max_paths=3000)
    assert capped.n_paths == 3000


def test_monthly_cost_parts_add_up_to_the_totals():
    # Identities of MODEL.md section 4: C^B = R q_B + R e_B c_err + rag_m, and the option's
    # parts (with the baseline paid while not live) add up to its TCO less the upfront cost.
    from ftsim.core.engine import BASELINE_COMPONENTS, COST_COMPONENTS

    result = ftsim.simulate(parse_scenario(RANDOM_WORLD), paths=3000, seed=8, jobs=1)
    summary = ftsim.summarize(result).to_dict()
    for option in summary["options"].values():
        cost = {k: np.asarray(v) for k, v in option["monthly_mean_cost"].items()}
        np.testing.assert_allclose(sum(cost[k] for k in BASELINE_COMPONENTS), cost["baseline"],
                                   rtol=1e-9)
        option_total = sum(cost[k] for k in COST_COMPONENTS).sum()
        assert option_total == pytest.approx(option["tco"]["option"]["mean"]
                                             - option["upfront_cost"]["mean"], rel=1e-9)
        assert cost["baseline"].sum() == pytest.approx(option["tco"]["baseline"]["mean"], rel=1e-9)


def test_poisson_counts_have_the_monthly_poisson_law():
    # Each (path, month) count must be Poisson(rate / 12): mean = variance = rate / 12,
    # P(0) = exp(-rate / 12), and months independent (covariance 0). Rate 6/yr -> 0.5/month.
    from ftsim.core.dynamics import poisson_counts

    rng = np.random.default_rng(12)
    counts = poisson_counts(rng, np.full(200_000, 6.0), 12)  # (H, paths)
    flat = counts.ravel()
    n = flat.size  # 2.4M cells: SE of the mean sqrt(0.5 / n) = 4.6e-4
    assert abs(flat.mean() - 0.5) < 4 * math.sqrt(0.5 / n)
    # SE of the sample variance ~ sqrt((mu4 - s^4) / n) with mu4 = lam + 3 lam^2 -> 6.9e-4
    assert abs(flat.var() - 0.5) < 4 * math.sqrt((0.5 + 3 * 0.25 - 0.25) / n)
    assert abs((flat == 0).mean() - math.exp(-0.5)) < 4 * math.sqrt(0.39 * 0.61 / n)
    # month 1 vs month 2 correlation: SE 1 / sqrt(200,000) = 0.0022
    assert abs(np.corrcoef(counts[0], counts[1])[0, 1]) < 4 / math.sqrt(200_000)
    assert not poisson_counts(rng, np.zeros(10), 12).any()


def test_prepared_laws_travel_with_the_pickled_scenario():
    # Workers get an unpickled copy per batch; tables built lazily after pickling would be
    # rebuilt by every batch. prepare_laws builds them first, so the copy already has them.
    import pickle
    from pathlib import Path

    from ftsim.core.sampling import prepare_laws
    from ftsim.distributions import Beta

    scenario = ftsim.load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "support_bot.toml")
    tabulated = [k for k, i in scenario.all_inputs().items() if isinstance(i.dist, Beta)]
    assert tabulated
    for k in tabulated:  # the loader's reachable-range checks may have built them: start bare
        scenario.all_inputs()[k].dist._tab = None
    copy = pickle.loads(pickle.dumps(scenario))
    assert all(copy.all_inputs()[k].dist._tab is None for k in tabulated)
    prepare_laws(scenario)
    copy = pickle.loads(pickle.dumps(scenario))
    assert all(copy.all_inputs()[k].dist._tab for k in tabulated)


def test_precision_run_records_whether_its_target_was_reached():
    # Wilson 95% half-width at n paths is at most 1.96 x 0.5 / sqrt(n) (p = 0.5): 0.031 at
    # n = 1,000, so 0.05 is reached by the first batch and 0.001 (n ~ 960,000) is not by 2,000.
    scenario = parse_scenario(RANDOM_WORLD)
    reached = ftsim.simulate(scenario, paths=1000, jobs=1, chunk_size=500, precision=0.05)
    assert (reached.n_paths, reached.precision_reached) == (1000, True)
    assert reached.precision_half_width <= 0.05 and reached.precision_target == 0.05
    capped = ftsim.simulate(scenario, paths=1000, jobs=1, chunk_size=500, precision=0.001,
                            max_paths=2000)
    assert (capped.n_paths, capped.precision_reached) == (2000, False)
    assert 0.001 < capped.precision_half_width <= 1.96 * 0.5 / math.sqrt(2000)
    plain = ftsim.simulate(scenario, paths=500, jobs=1)
    assert plain.precision_target is None and plain.precision_reached is None
    with pytest.raises(ValueError, match="precision must be in"):
        ftsim.simulate(scenario, paths=500, jobs=1, precision=math.inf)


def test_threads_run_at_most_jobs_chunks_at_once(monkeypatch):
    # The thread pool outlives a run and may be larger (an earlier --jobs 3): a run with
    # --jobs 2 still simulates at most two chunks at a time.
    import threading
    import time

    from ftsim.core import runner

    scenario = parse_scenario(RANDOM_WORLD)
    ftsim.simulate(scenario, paths=3000, chunk_size=500, jobs=3)
    lock, running, most = threading.Lock(), [0], [0]
    original = runner.run_batch

    def counting(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.01)
            return original(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(runner, "run_batch", counting)
    ftsim.simulate(scenario, paths=4000, chunk_size=500, jobs=2)
    assert most[0] == 2
