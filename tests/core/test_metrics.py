"""Summary statistics against independent derivations (quadratic roots, scipy, hand counts,
the standard library's statistics module)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import ftsim
from ftsim.core.metrics import (
    QUANTILE_LEVELS,
    Z95,
    expected_loss_given_loss,
    npv_quantiles,
    npv_statistics,
    payback_month_quantile,
    payback_probability_by_month,
    sort_sample,
    sorted_quantiles,
    spearman_from_ranks,
    target_probabilities,
    verdict,
    wilson_interval,
)


@pytest.mark.parametrize(("hits", "n"), [(63, 100), (0, 50), (50, 50), (1, 7), (6321, 10000)])
def test_wilson_interval_solves_the_score_equation(hits, n):
    # The Wilson bounds are the roots in p of (p_hat - p)^2 = z^2 p (1 - p) / n, i.e.
    # (1 + z^2/n) p^2 - (2 p_hat + z^2/n) p + p_hat^2 = 0.
    p_hat, z2 = hits / n, Z95**2
    roots = np.sort(np.roots([1 + z2 / n, -(2 * p_hat + z2 / n), p_hat**2]).real)
    assert wilson_interval(hits, n) == pytest.approx(tuple(np.clip(roots, 0, 1)), abs=1e-12)


def test_wilson_interval_reference_value():
    # 63/100: centre (0.63 + 1.920729/100) / 1.0384146 = 0.6252, half 0.0930 (hand, z = 1.959964)
    lo, hi = wilson_interval(63, 100)
    assert (lo, hi) == pytest.approx((0.5322, 0.7182), abs=1e-4)


def test_payback_by_month_and_quantiles_by_counts():
    # 10 paths, H = 5: paybacks 1, 1, 2, 3, 3, 3, 5, never x3
    payback = np.array([1, 1, 2, 3, 3, 3, 5, 0, 0, 0])
    assert payback_probability_by_month(payback, 5).tolist() == pytest.approx([0.2, 0.3, 0.6, 0.6, 0.7])
    # p10: 100 * 2 >= 10 * 10 at m = 1; p50: counts 2, 3, 6 -> 600 >= 500 at m = 3;
    # p60: 600 >= 600 at m = 3 (ties count as reached); p70 at m = 5; p90 never -> None
    assert payback_month_quantile(payback, 10, 5) == 1
    assert payback_month_quantile(payback, 50, 5) == 3
    assert payback_month_quantile(payback, 60, 5) == 3
    assert payback_month_quantile(payback, 70, 5) == 5
    assert payback_month_quantile(payback, 90, 5) is None


def test_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, 500).astype(float)  # many ties
    y = x + rng.normal(0, 2, 500)
    expected = stats.spearmanr(x, y).statistic
    rho = spearman_from_ranks(sort_sample(x).average_ranks(), sort_sample(y).average_ranks())
    assert rho == pytest.approx(expected, rel=1e-12)
    assert spearman_from_ranks(sort_sample(x).average_ranks(),
                               sort_sample(np.ones(500)).average_ranks()) is None


@pytest.mark.parametrize(("interval", "expected"), [
    ((0.80, 0.85), "go"), ((0.81, 0.9), "go"), ((0.7, 0.79), "no-go"),
    ((0.75, 0.85), "uncertain"), ((0.7, 0.8), "uncertain"),
])
def test_verdict_thresholds(interval, expected):
    assert verdict(interval, 0.8) == expected


def test_ranks_match_scipy_average_ranks_with_and_without_ties():
    rng = np.random.default_rng(5)
    for x in (rng.random(1000), np.floor(rng.random(1000) * 7), np.array([3.0, 1.0, 3.0, 2.0])):
        np.testing.assert_array_equal(sort_sample(x).average_ranks(),
                                      stats.rankdata(x, method="average"))


def test_sorted_quantiles_match_numpy_linear_percentiles():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 1001)).astype(np.float32)
    qs = [0, 5, 25, 50, 75, 95, 100]
    expected = np.percentile(x.astype(float), qs, axis=1).T
    np.testing.assert_allclose(sorted_quantiles(np.sort(x, axis=1), qs), expected, rtol=0, atol=1e-12)


# --- Wilson bounds never exclude the estimate (issue 9 item 7) ------------------------------

WILSON_TABLE = ([(0, 1), (1, 1), (0, 2), (1, 2), (2, 2)]
                + [(n, n) for n in range(1, 300)] + [(0, n) for n in range(1, 300)]
                + [(n, n) for n in (1_000, 4_096, 8_192, 100_000, 1_000_000, 10**9)]
                + [(0, n) for n in (1_000, 4_096, 8_192, 100_000, 1_000_000, 10**9)])


@pytest.mark.parametrize(("hits", "n"), WILSON_TABLE)
def test_wilson_interval_contains_its_estimate_at_the_edges(hits, n):
    # At hits = n the upper root of the score equation is exactly 1 (p_hat = 1 solves it),
    # at hits = 0 the lower root is exactly 0; centre +- half used to round to
    # 0.9999999999999999 (e.g. 4/4) or 1e-19.
    lo, hi = wilson_interval(hits, n)
    p = hits / n
    assert lo <= p <= hi
    if hits == n:
        assert hi == 1.0
    if hits == 0:
        assert lo == 0.0


def test_wilson_interval_contains_its_estimate_everywhere_and_matches_the_roots():
    # Every hits in 0..n for n up to 120: lo <= p <= hi, and away from the edges the bounds
    # are the roots of (1 + z^2/n) p^2 - (2 p_hat + z^2/n) p + p_hat^2 = 0 (closed form).
    z2 = Z95**2
    for n in range(1, 121):
        for hits in range(n + 1):
            lo, hi = wilson_interval(hits, n)
            p_hat = hits / n
            assert lo <= p_hat <= hi, (hits, n)
            if 0 < hits < n:
                a, b, c = 1 + z2 / n, -(2 * p_hat + z2 / n), p_hat**2
                disc = np.sqrt(b * b - 4 * a * c)
                assert (lo, hi) == pytest.approx(((-b - disc) / (2 * a), (-b + disc) / (2 * a)),
                                                 abs=1e-12)


# --- summary.json holds only finite numbers or null (issue 9 item 1) ------------------------

DEGENERATE = """
[scenario]
horizon_months = 12
payback_within_months = 6

[simulation]
paths = 200
seed = 3

[traffic]
requests_per_month = {requests}
input_tokens = 1000
output_tokens = 100

[baseline]
price_input_per_mtok = {price_in}
price_output_per_mtok = 8.0

[options.ft]
{option}

[options.ft.serving]
mode = "api"
price_input_per_mtok = 0.2
price_output_per_mtok = 0.2

[options.ft.build]
engineering_cost = {engineering}
"""
# Baseline 1000 * 2 + 100 * 8 = 2,800 per million requests, option 1,100 * 0.2 = 220: saving
# 2,580 per million requests a month.
DEGENERATE_CASES = {
    # every input fixed: one NPV on every path, every path pays back (U = 1,000 < 2,580)
    "constant": dict(requests="1_000_000", option="", engineering="1000"),
    # the only random input takes two values: two NPVs, half the paths each
    "two-valued": dict(requests="1_000_000", option="",
                       engineering='{ dist = "choice", values = [1000, 3000] }'),
    # a random input that does not move NPV, every path pays back in month 1
    "all-payback": dict(requests="1_000_000", option="escalation_rate = { dist = \"uniform\", "
                        "min = 0.0, max = 0.001 }", engineering="1"),
    # U = 1e9 can never be earned back at 2,580 a month
    "never-payback": dict(requests="{ p5 = 500_000, p95 = 2_000_000 }", option="",
                          engineering="1e9"),
    "abandoned-everywhere": dict(requests="{ p5 = 500_000, p95 = 2_000_000 }",
                                 option="error_rate_gap = { dist = \"uniform\", min = 0.02, "
                                        "max = 0.03 }\nmax_acceptable_gap = 0.01",
                                 engineering="1000"),
    # baseline input at 1e6 per million tokens: 1e3 a request, about 1e15 a month, one NPV of
    # about 1.2e16: there the old +-1 range gave repeated histogram edges ("Too many bins")
    "constant-1e16": dict(requests="1e12", option="", engineering="1000", price_in="1e6"),
}


def _summary(**fields: str) -> dict:
    from ftsim.scenario import parse_scenario
    fields = {"price_in": "2.0", **fields}
    return ftsim.summarize(ftsim.simulate(parse_scenario(DEGENERATE.format(**fields)), jobs=1)).to_dict()


def test_default_max_acceptable_gap_is_null_in_json_safe_summary():
    # No max_acceptable_gap: the default is +inf (never abandoned). JSON has no infinity,
    # so the summary says null and json.dumps(allow_nan=False) (what summary.json uses)
    # succeeds; it used to raise "Out of range float values are not JSON compliant: inf".
    import json
    summary = _summary(**DEGENERATE_CASES["two-valued"])
    json.dumps(summary, allow_nan=False)
    row = next(r for r in summary["inputs"] if r["input"] == "options.ft.max_acceptable_gap")
    assert row["p5"] is None and row["p50"] is None and row["p95"] is None
    assert summary["options"]["ft"]["p_abandoned"] == 0.0


def test_json_safe_replaces_every_non_finite_float():
    from ftsim.core.summary import json_safe
    value = {"a": [1.0, math.inf, (-math.inf, np.float64("nan"))], "b": {"c": np.float32(2.5)},
             "d": "inf", "e": None, "f": 3}
    assert json_safe(value) == {"a": [1.0, None, [None, None]], "b": {"c": 2.5},
                                "d": "inf", "e": None, "f": 3}


@pytest.mark.parametrize("case", list(DEGENERATE_CASES))
def test_degenerate_runs_summarise_without_nan_or_warnings(case):
    # pytest turns RuntimeWarnings (e.g. "Mean of empty slice", "invalid value") into errors.
    import json
    summary = _summary(**DEGENERATE_CASES[case])
    json.dumps(summary, allow_nan=False)
    option = summary["options"]["ft"]
    n = summary["simulation"]["paths"]
    for row in option["sensitivity"]:
        assert row["spearman"] is None or -1.0 <= row["spearman"] <= 1.0
        assert 0.0 <= row["p_payback_low"] <= 1.0 and 0.0 <= row["p_payback_high"] <= 1.0
    for key in ("mean", "p5", "p50", "p95"):
        assert math.isfinite(option["npv"][key])
    edges = np.array(option["npv_histogram"]["edges"])
    assert np.isfinite(edges).all() and (np.diff(edges) > 0).all()
    assert 0 < sum(option["npv_histogram"]["counts"]) <= n
    lo, hi = option["p_payback_within_ci95"]
    assert lo <= option["p_payback_within"] <= hi
    # the report statistics: finite or null, nothing flagged in a run with nothing to find
    stats = option["npv_statistics"]
    assert all(math.isfinite(stats[k]) for k in stats if k != "sd")
    assert stats["sd"] is not None and stats["sd"] >= 0.0
    assert len(option["npv_quantiles"]["values"]) == 101
    assert [t["target"] for t in option["npv_targets"]] == [0.0]
    assert option["npv_targets"][0]["p_below"] == option["p_npv_negative"]
    for row in option["drivers"]:
        if row["first_order"] is not None:
            assert 0.0 <= row["first_order"] <= 1.0 and row["first_order_se"] >= 0.0
        if case in ("never-payback", "abandoned-everywhere", "all-payback"):
            assert row["swing"] == 0.0 and row["first_order"] is None
            assert not row["significant"]
        if case == "abandoned-everywhere":  # NPV = -U on every path
            assert row["npv_first_order"] is None and row["spearman"] is None
    if case == "two-valued":  # engineering cost decides NPV alone: a step, share 1
        (row,) = option["drivers"]
        assert row["npv_first_order"] == 1.0 and row["npv_first_order_se"] == 0.0


def test_degenerate_cases_are_what_their_names_say():
    # Hand-derived outcomes, so the cases above really cover each degenerate shape.
    constant = _summary(**DEGENERATE_CASES["constant"])["options"]["ft"]
    # CS_t = 2,580 t - 1,000: paid back in month 1; TCO baseline 12 * 2,800
    assert constant["npv"]["p5"] == constant["npv"]["p95"]
    assert constant["payback_month"] == {"p10": 1, "p50": 1, "p90": 1}
    assert constant["tco"]["baseline"]["mean"] == pytest.approx(12 * 2800)
    assert constant["p_payback_within"] == 1.0 and constant["p_payback_within_ci95"][1] == 1.0
    two = _summary(**DEGENERATE_CASES["two-valued"])["options"]["ft"]
    assert two["npv"]["p5"] != two["npv"]["p95"]
    assert two["npv"]["p95"] - two["npv"]["p5"] == pytest.approx(2000.0)
    assert _summary(**DEGENERATE_CASES["all-payback"])["options"]["ft"]["payback_month"]["p90"] == 1
    never = _summary(**DEGENERATE_CASES["never-payback"])["options"]["ft"]
    assert never["p_payback_within"] == 0.0 and never["p_payback_within_ci95"][0] == 0.0
    assert never["payback_month"]["p10"] is None
    assert _summary(**DEGENERATE_CASES["abandoned-everywhere"])["options"]["ft"]["p_abandoned"] == 1.0
    big = _summary(**DEGENERATE_CASES["constant-1e16"])["options"]["ft"]
    assert big["npv"]["p50"] > 1e16 and big["npv"]["p5"] == big["npv"]["p95"]


@pytest.mark.parametrize("value", [0.0, 1.0, -7.5, 1e9, 1e15, -3e17, 2.5e16, 1e300])
def test_histogram_of_a_constant_has_increasing_edges(value):
    from ftsim.core.option_numbers import histogram

    h = histogram(np.full(50, value))
    edges = np.array(h.edges)
    assert len(edges) == 41 and np.isfinite(edges).all() and (np.diff(edges) > 0).all()
    assert edges[0] < value < edges[-1] and sum(h.counts) == 50


# --- report statistics of NPV ------------------------------------------------------------------

def test_npv_statistics_match_numpy_and_the_statistics_module():
    import statistics

    rng = np.random.default_rng(11)
    npv = rng.lognormal(10, 1, 2001) - 40_000
    stats = npv_statistics(npv, np.sort(npv))
    assert stats.mean == pytest.approx(statistics.fmean(npv.tolist()), rel=1e-12)
    assert stats.sd == pytest.approx(statistics.stdev(npv.tolist()), rel=1e-12)  # n - 1
    assert (stats.min, stats.max) == (npv.min(), npv.max())
    for q in (1, 5, 10, 25, 50, 75, 90, 95, 99):
        assert getattr(stats, f"p{q}") == np.percentile(npv, q)
    # the p50 of 2001 values is the 1001st smallest: no interpolation
    assert stats.p50 == np.sort(npv)[1000]
    single = npv_statistics(np.array([5.0]), np.array([5.0]))
    assert single.sd is None and single.mean == single.p1 == single.p99 == 5.0


def test_npv_quantile_function_is_numpy_quantile_at_101_levels():
    rng = np.random.default_rng(12)
    npv = rng.normal(0, 1e6, 999)
    quantiles = npv_quantiles(np.sort(npv))
    assert quantiles.levels == QUANTILE_LEVELS
    assert len(quantiles.levels) == 101 and quantiles.levels[0] == 0.0
    assert quantiles.levels[50] == 0.5 and quantiles.levels[-1] == 1.0
    np.testing.assert_allclose(quantiles.values, np.quantile(npv, np.linspace(0, 1, 101)),
                               rtol=1e-12)
    assert quantiles.values[0] == npv.min() and quantiles.values[-1] == npv.max()
    # only the finite part counts; nothing finite: empty
    assert npv_quantiles(np.array([-np.inf, 1.0, 3.0, np.inf])).values[50] == 2.0
    assert npv_quantiles(np.array([np.inf])).values == ()


def test_target_probabilities_count_strictly_below():
    npv = np.array([-3.0, -1.0, 0.0, 2.0, 5.0])
    rows = target_probabilities(npv, [-1.0, 0.0, 10.0])
    # NPV < -1: one path; < 0: two; < 10: all five (strict: a path at the target is not below)
    assert [(r.target, r.p_below) for r in rows] == [(-1.0, 0.2), (0.0, 0.4), (10.0, 1.0)]
    assert [r.ci95 for r in rows] == [wilson_interval(1, 5), wilson_interval(2, 5),
                                      wilson_interval(5, 5)]
    assert target_probabilities(npv, []) == ()


def test_expected_loss_given_loss_by_hand():
    # losses 3 and 1 (the path at 0 is not a loss): E[-NPV | NPV < 0] = 2
    assert expected_loss_given_loss(np.array([-3.0, -1.0, 0.0, 2.0])) == 2.0
    assert expected_loss_given_loss(np.array([0.0, 1.0])) is None
    assert expected_loss_given_loss(np.array([-5.0])) == 5.0
