"""Stress analysis (issue 12 item 5): an input confined to a percentile band of its law,
every other draw unchanged.

Checked against properties that hold whatever the code does inside: the band's inverse CDF
of a uniform and a normal law in closed form; every other input's draws equal the
unstressed run's bit for bit and the stressed input keeps each path's rank (the same
uniform); a monotone input moves P(payback) the way the model's formulas say; and the bands
of a partition of [0, 100], weighted by their widths, average back to the unstressed P (the
law of total probability over the input's uniform), within a paired standard error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from ftsim import load_scenario, simulate
from ftsim.core.studies.stress import (
    DEFAULT_BANDS,
    BandedDistribution,
    StressBand,
    check_stress,
    option_outcomes,
    parse_band,
    parse_stress,
    stressed,
)
from ftsim.core.supplied import SuppliedInputs, with_supplied
from ftsim.distributions import Distribution, parse_distribution
from ftsim.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
PATHS, SEED, CHUNK = 4000, 11, 1000
GAP = "options.lora_8b_provider.error_rate_gap"
REQUESTS = "traffic.requests_per_month"
WEIGHTS = np.array([0.1, 0.4, 0.4, 0.1])  # the widths of DEFAULT_BANDS


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(ROOT / "scenarios" / "support_bot.toml")


def _run(scenario):
    return simulate(scenario, paths=PATHS, seed=SEED, jobs=1, chunk_size=CHUNK)


@pytest.fixture(scope="module")
def base(scenario):
    return _run(scenario)


@pytest.fixture(scope="module")
def band_runs(scenario):
    """Each of GAP and REQUESTS at each default band."""
    return {key: [_run(stressed(scenario, [StressBand(key, lo, hi)]))
                  for lo, hi in DEFAULT_BANDS] for key in (GAP, REQUESTS)}


def _law(table: dict) -> Distribution:
    dist, issues = parse_distribution(table, "x", None)
    assert dist is not None and not issues
    return dist


def test_a_band_of_a_uniform_law_is_the_uniform_on_its_quantiles():
    law = BandedDistribution(_law({"dist": "uniform", "min": 100, "max": 200}), 0.1, 0.5)
    u = np.array([1e-9, 0.25, 0.5, 0.75, 1 - 1e-9])
    # X = 100 + 100 v with v = 0.1 + 0.4 u
    np.testing.assert_allclose(law.ppf(u), 100 + 100 * (0.1 + 0.4 * u), rtol=1e-12)
    np.testing.assert_allclose(law.cdf(np.array([110.0, 130.0, 150.0, 99.0, 300.0])),
                               [0.0, 0.5, 1.0, 0.0, 1.0], atol=1e-12)
    assert law.mean == pytest.approx(130.0, rel=1e-9)
    assert law.describe().endswith("stressed to its P10-P50")


def test_a_band_of_a_normal_law_follows_the_normal_quantiles():
    law = BandedDistribution(_law({"dist": "normal", "mean": 1000, "sd": 50}), 0.9, 1.0)
    u = np.linspace(0.01, 0.99, 9)
    np.testing.assert_allclose(law.ppf(u), stats.norm.ppf(0.9 + 0.1 * u, 1000, 50),
                               rtol=1e-9)
    # the mean of the top decile of N(m, s): m + s phi(z90) / 0.1
    z = stats.norm.ppf(0.9)
    assert law.mean == pytest.approx(1000 + 50 * stats.norm.pdf(z) / 0.1, rel=1e-4)


def test_every_other_draw_is_unchanged_and_the_stressed_input_keeps_its_ranks(
        scenario, base, band_runs):
    for key, runs in band_runs.items():
        for (lo, hi), run in zip(DEFAULT_BANDS, runs, strict=True):
            for other, values in base.inputs.items():
                if other != key:
                    assert np.array_equal(run.inputs[other], values), (key, lo, other)
            # the same uniform per path, mapped monotonically: the same ordering of paths
            assert np.array_equal(np.argsort(run.inputs[key], kind="stable"),
                                  np.argsort(base.inputs[key], kind="stable"))
            # the band holds a share (hi - lo) / 100 of the law: of the unstressed sample
            # too, within binomial error
            values, width = base.inputs[key], (hi - lo) / 100
            share = np.mean((values >= run.inputs[key].min()) & (values <= run.inputs[key].max()))
            assert abs(share - width) <= 4 * np.sqrt(width * (1 - width) / values.size), (key, lo)


def test_a_correlated_input_can_be_stressed_and_its_partner_keeps_its_draws(scenario, base):
    key, partner = "baseline.price_input_per_mtok", "baseline.price_output_per_mtok"
    assert any({c.a, c.b} == {key, partner} for c in scenario.correlations)
    run = _run(stressed(scenario, [StressBand(key, 0, 10)]))
    assert np.array_equal(run.inputs[partner], base.inputs[partner])
    share = np.mean(base.inputs[key] <= run.inputs[key].max())  # the law's P10: 0.1
    assert abs(share - 0.1) <= 4 * np.sqrt(0.1 * 0.9 / PATHS)


def _p(run, option):
    return option_outcomes(run)[option].p_payback


def test_a_low_error_gap_raises_payback_and_a_high_one_lowers_it(base, band_runs):
    """err_t grows with the gap (docs/model.md 7.5), so savings and P(payback) fall with it;
    the change is paired path by path, so 4 se separate it from noise."""
    low, *_, high = band_runs[GAP]
    o_low = option_outcomes(low, base)["lora_8b_provider"]
    o_high = option_outcomes(high, base)["lora_8b_provider"]
    assert o_low.change > 4 * o_low.change_se
    assert o_high.change < -4 * o_high.change_se
    assert o_low.npv_p50 > option_outcomes(base)["lora_8b_provider"].npv_p50 > o_high.npv_p50
    # the other option does not use this option's gap: nothing moves, path by path
    other = option_outcomes(low, base)["lora_8b_selfhosted"]
    assert other.change == 0 and other.change_se == 0


def test_more_traffic_raises_payback_band_by_band(band_runs):
    """Per-token savings scale with R_t (docs/model.md 6-7): P rises across the bands."""
    for option in ("lora_8b_provider", "lora_8b_selfhosted"):
        p = [_p(run, option) for run in band_runs[REQUESTS]]
        assert p == sorted(p), (option, p)
        assert p[-1] - p[0] > 0.2


@pytest.mark.parametrize("key", [GAP, REQUESTS])
def test_bands_weighted_by_width_average_back_to_the_unstressed_probability(
        scenario, base, band_runs, key):
    """sum_b w_b P_b = P: per path, d = sum_b w_b 1{payback in band run b} - 1{payback};
    E[d] = 0, tested within 4 standard errors of its mean (paired: common random numbers)."""
    within = scenario.payback_within_months
    for option in scenario.options:
        def hit(run, option=option):
            month = run.options[option].payback_month
            return ((month > 0) & (month <= within)).astype(float)
        d = sum(w * hit(run) for w, run in zip(WEIGHTS, band_runs[key], strict=True)) - hit(base)
        se = d.std(ddof=1) / np.sqrt(d.size)
        assert abs(d.mean()) <= 4 * se + 1e-12, (option, d.mean(), se)


def test_parsing_bands_and_stress_options():
    assert parse_band("0:10") == (0.0, 10.0)
    assert parse_band(" 12.5 : 87.5 ") == (12.5, 87.5)
    assert parse_stress("traffic.monthly_growth=90:100") == StressBand(
        "traffic.monthly_growth", 90.0, 100.0)
    for text in ("10:5", "0:101", "a:b", "10", "-5:10"):
        with pytest.raises(ValueError):
            parse_band(text)
    with pytest.raises(ValueError, match="KEY=LO:HI"):
        parse_stress("0:10")


def test_refusals_name_the_key(scenario):
    issues = check_stress(scenario, [StressBand("traffic.requests_per_mont", 0, 10),
                                     StressBand("traffic.monthly_volatility", 0, 10),
                                     StressBand(GAP, 0, 10), StressBand(GAP, 90, 100)])
    messages = [str(i) for i in issues]
    assert "did you mean 'traffic.requests_per_month'?" in messages[0]
    assert "traffic.monthly_volatility is fixed" in messages[1]
    assert f"{GAP} is stressed twice" in messages[2]
    assert len(messages) == 3
    supplied = with_supplied(scenario, SuppliedInputs("x.csv", {GAP: np.zeros(10)}, 10), 10)
    with pytest.raises(ScenarioError, match="supplied by --inputs"):
        stressed(supplied, [StressBand(GAP, 0, 10)])
