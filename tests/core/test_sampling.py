"""Uniform designs (random | lhs | sobol): joint uniformity of every pair of inputs, Sobol'
net structure, stability when an option is added, seed-to-seed spread (issue 9 item 17)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats

import ftsim
from ftsim.core.sampling import SAMPLERS, design_order, sobol_design, static_uniforms
from ftsim.scenario import parse_scenario

# Ten random world inputs and seven per option (24 dimensions), bounded laws only.
WORLD_INPUTS = """
[scenario]
horizon_months = 12
payback_within_months = 6

[traffic]
requests_per_month = { dist = "uniform", min = 1e4, max = 1e6 }
monthly_growth = { dist = "uniform", min = 0.0, max = 0.05 }
monthly_volatility = { dist = "uniform", min = 0.0, max = 0.2 }
input_tokens = { dist = "pert", min = 100, mode = 300, max = 900 }
output_tokens = { dist = "uniform", min = 100, max = 400 }

[quality]
baseline_error_rate = { dist = "uniform", min = 0.01, max = 0.1 }
cost_per_error = { dist = "uniform", min = 1, max = 5 }

[drift]
events_per_year = { dist = "uniform", min = 0.5, max = 4 }

[baseline]
price_input_per_mtok = { dist = "uniform", min = 1, max = 4 }
price_output_per_mtok = { dist = "uniform", min = 5, max = 20 }
"""
OPTION = """
[options.{id}]
prompt_overhead_tokens = {{ dist = "uniform", min = 0, max = 500 }}
output_token_ratio = {{ dist = "uniform", min = 0.8, max = 1.1 }}
error_rate_gap = {{ dist = "uniform", min = -0.02, max = 0.02 }}
escalation_rate = {{ dist = "uniform", min = 0.0, max = 0.1 }}

[options.{id}.serving]
mode = "api"
price_input_per_mtok = {{ dist = "uniform", min = 0.1, max = 0.5 }}
price_output_per_mtok = {{ dist = "uniform", min = 0.1, max = 0.5 }}

[options.{id}.build]
engineering_cost = {{ dist = "uniform", min = 5_000, max = 50_000 }}
"""


def scenario_with(*option_ids: str):
    return parse_scenario(WORLD_INPUTS + "".join(OPTION.format(id=i) for i in option_ids))


def uniforms(scenario, n_paths: int, sampler: str, seed: int = 1, chunk_size: int = 8192):
    """The design's uniforms over ``n_paths`` paths, chunk by chunk as the runner asks."""
    parts = []
    for chunk, start in enumerate(range(0, n_paths, chunk_size)):
        parts.append(static_uniforms(scenario, min(chunk_size, n_paths - start), seed=seed,
                                     chunk_index=chunk, chunk_size=chunk_size, sampler=sampler))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def empty_cells(a: np.ndarray, b: np.ndarray, k: int = 16) -> int:
    """Empty cells of the k x k grid of (rank of a, rank of b) -- a copula check."""
    n = a.shape[0]
    ra, rb = (np.argsort(np.argsort(x)) * k // n for x in (a, b))
    grid = np.zeros((k, k), int)
    np.add.at(grid, (ra, rb), 1)
    return int((grid == 0).sum())


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_every_pair_of_inputs_fills_a_rank_grid_like_independent_draws(sampler):
    # Independent inputs: 16,384 paths put 64 in each of 256 cells on average, so an empty
    # cell has probability e^-64 for iid draws. The old Sobol' design matched separate
    # sequences per owner point by point: an option's input was then a near-function of
    # the world's input in the same column (up to 240 of 256 cells empty). A Sobol' design
    # has a few dimension pairs whose 2-D projection is coarse at small n (10 of 780 pairs
    # of 40 dimensions leave 128 cells empty at 4,096 points, 1 at 8,192, none here at
    # 16,384 = two chunks): that is the Sobol' direction numbers, not the matching.
    scenario = scenario_with("a", "b")
    u = uniforms(scenario, 16_384, sampler)
    assert len(u) == 24
    worst = max((empty_cells(u[x], u[y]), x, y) for x, y in itertools.combinations(sorted(u), 2))
    assert worst[0] <= 2, worst


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_adding_an_option_leaves_the_world_uniforms_unchanged(sampler):
    one, two = scenario_with("b"), scenario_with("a", "b")
    u1, u2 = uniforms(one, 3000, sampler, chunk_size=1024), uniforms(two, 3000, sampler, chunk_size=1024)
    world = [k for k in u1 if not k.startswith("options.")]
    assert len(world) == 10
    for key in world:
        np.testing.assert_array_equal(u1[key], u2[key], err_msg=key)


def test_design_order_is_world_first_then_sorted_option_ids():
    order = [i.key_path for i in design_order(scenario_with("zeta", "alpha"))]
    owners = [k.split(".")[1] if k.startswith("options.") else "world" for k in order]
    assert owners == ["world"] * 10 + ["alpha"] * 7 + ["zeta"] * 7
    assert order[:10] == sorted(order[:10])


def test_sobol_columns_do_not_depend_on_the_number_of_dimensions():
    # scipy's own scrambling draws all dimensions' bits from one generator in an order that
    # depends on d; the design scrambles each dimension from its own stream.
    np.testing.assert_array_equal(sobol_design(512, 3, seed=4, first_point=1024),
                                  sobol_design(512, 9, seed=4, first_point=1024)[:, :3])


@pytest.mark.parametrize("first_point", [0, 4096])
def test_sobol_design_keeps_the_net_structure(first_point):
    # Sobol' points 0..2^m-1 (and any aligned block of 2^m) form a (0, m, 1)-net in every
    # dimension -- one point in each interval [k/2^m, (k+1)/2^m) -- and the first two
    # dimensions a (0, m, 2)-net: one point in every box 2^-a x 2^-(m-a). A scramble that
    # is a lower-triangular invertible digit map plus a shift preserves both; an arbitrary
    # one would not.
    m = 10
    u = sobol_design(2**m, 6, seed=7, first_point=first_point)
    assert ((u > 0) & (u < 1)).all()
    for j in range(6):
        assert np.array_equal(np.sort(np.floor(u[:, j] * 2**m)), np.arange(2**m))
    for a in range(m + 1):
        cells = np.floor(u[:, 0] * 2**a) * 2 ** (m - a) + np.floor(u[:, 1] * 2 ** (m - a))
        assert np.unique(cells).size == 2**m, a


def test_sobol_first_points_are_the_runs_first_points_in_any_chunking():
    scenario = scenario_with("a")
    whole = uniforms(scenario, 4096, "sobol", chunk_size=4096)
    chunked = uniforms(scenario, 4096, "sobol", chunk_size=1024)
    for key in whole:
        np.testing.assert_array_equal(whole[key], chunked[key])


def _spread(values: list[float]) -> float:
    return float(np.std(values, ddof=1))


def test_seed_to_seed_spread_of_a_cross_owner_probability_is_no_larger_with_sobol():
    # P(u_world * u_option < 0.3) for independent uniforms is 0.3 (1 - ln 0.3) (integrate
    # P(v < 0.3 / u) over u). World and option inputs in the same column position, which
    # the old design tied together. Random sampling: SE sqrt(p (1-p) / n) = 0.0074.
    scenario = scenario_with("a")
    x, y = "baseline.price_input_per_mtok", "options.a.build.engineering_cost"  # both column 0
    expected = 0.3 * (1.0 - math.log(0.3))
    estimates = {s: [float(np.mean(u[x] * u[y] < 0.3))
                     for u in (uniforms(scenario, 4096, s, seed=seed) for seed in range(8))]
                 for s in SAMPLERS}
    se = math.sqrt(expected * (1 - expected) / 4096)
    for sampler, values in estimates.items():
        assert abs(np.mean(values) - expected) < 4 * se / math.sqrt(8), (sampler, values)
    assert _spread(estimates["sobol"]) <= _spread(estimates["random"]), estimates
    assert _spread(estimates["lhs"]) <= 2 * _spread(estimates["random"]), estimates


TWO_INPUTS = """
[scenario]
horizon_months = 12
payback_within_months = 6

[traffic]
requests_per_month = { p5 = 20_000, p95 = 200_000 }
input_tokens = 2060
output_tokens = 270

[baseline]
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0

[options.ft]
[options.ft.serving]
mode = "api"
price_input_per_mtok = 0.18
price_output_per_mtok = 0.18

[options.ft.build]
engineering_cost = { dist = "uniform", min = 0, max = 4000 }

[options.ft.maintenance]
monthly_cost = 300
"""


def two_inputs_closed_form() -> float:
    """P(payback within 6) of TWO_INPUTS by quadrature, independent of the engine.

    Saving per request m = (6,280 - 419.4) / 1e6, fixed F = 300 a month: CS_t = t (R m - F) - U,
    so payback within 6 <=> U <= 6 (R m - F). U ~ uniform(0, 4000), R lognormal through
    p5/p95: P = E_R[clip(6 (R m - F) / 4000, 0, 1)].
    """
    m, f = (6280 - 419.4) / 1e6, 300.0
    mu = (math.log(2e4) + math.log(2e5)) / 2
    sigma = (math.log(2e5) - math.log(2e4)) / (2 * stats.norm.ppf(0.95))

    def integrand(z: float) -> float:
        r = math.exp(mu + sigma * z)
        return min(max(6 * (r * m - f) / 4000, 0.0), 1.0) * stats.norm.pdf(z)

    return integrate.quad(integrand, -10, 10, points=[0.0], limit=200)[0]


def test_engine_payback_spread_across_seeds_is_no_larger_with_sobol():
    # One world input (traffic) and one option input (engineering cost) both in column 0:
    # the old design drew them from two scrambled copies of the same 1-D Sobol' sequence,
    # point by point, so P(payback) moved with the seed far beyond the Monte Carlo error.
    expected = two_inputs_closed_form()
    scenario = parse_scenario(TWO_INPUTS)
    n = 4096
    p = {s: [ftsim.summarize(ftsim.simulate(scenario, paths=n, seed=seed, jobs=1, sampler=s)).to_dict()
             ["options"]["ft"]["p_payback_within"] for seed in range(8)]
         for s in ("random", "sobol")}
    se = math.sqrt(expected * (1 - expected) / n)
    for sampler, values in p.items():
        assert abs(np.mean(values) - expected) < 4 * se / math.sqrt(8), (sampler, values, expected)
    assert _spread(p["sobol"]) <= _spread(p["random"]), p
