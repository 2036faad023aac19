"""The price-dynamics fit: hand-made histories with known steps and slopes, synthetic
histories drawn from the scenario's own price model (known parameters recovered within
tolerances set by the sample size), the CSV reader's one-line errors, and a fitted snippet
that the scenario loader accepts."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from ftsim.core.studies.calibrate import (
    DynamicsFit,
    HistoryError,
    Observation,
    dynamics_toml,
    fit_dynamics,
    parse_price_history,
)
from ftsim.distributions.forms import parse_distribution
from ftsim.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[2]


def month(n: int) -> dt.date:
    """The 1st of month n counted from 2020-01 (n = 0)."""
    return dt.date(2020 + n // 12, n % 12 + 1, 1)


def series(name: str, prices: list[float], start: int = 0, index: str = "api"
           ) -> list[Observation]:
    """Monthly observations on the 1st, from month ``start``."""
    return [Observation(month(start + i), name, p, index, "test") for i, p in enumerate(prices)]


def synthetic_history(rng: np.random.Generator, *, n_series: int, beta: float, tau: float,
                      rate: float, log_mu: float, log_sd: float, noise: float
                      ) -> list[Observation]:
    """Histories from the scenario's price model: per series a smooth slope b ~ N(beta,
    tau^2) per year; in each month Poisson(rate / 12) events, each multiplying the price by
    exp(N(log_mu, log_sd^2)); lognormal observation noise; monthly rows on the 1st."""
    rows: list[Observation] = []
    for m in range(n_series):
        months = int(rng.integers(24, 49))
        start = int(rng.integers(0, 48))
        slope = rng.normal(beta, tau)
        jumps = [rng.normal(log_mu, log_sd, rng.poisson(rate / 12)).sum()
                 for _ in range(months)]
        log_price = np.log(10.0) + np.concatenate([[0.0], np.cumsum(slope / 12 + np.array(jumps))])
        observed = np.exp(log_price + rng.normal(0.0, noise, months + 1))
        rows += series(f"s{m}", [float(p) for p in observed], start)
    return rows


# -- hand-made histories --------------------------------------------------------------------

def test_flat_series_with_a_cut_and_a_rise_counts_two_steps_of_known_ratio():
    prices = [10.0] * 12 + [5.0] * 12 + [7.5] * 13  # 36 transitions
    fit = fit_dynamics(series("m", prices))
    ratios = [s.ratio for s in fit.series[0].steps]
    assert ratios == pytest.approx([0.5, 1.5], abs=1e-12)
    assert [s.day for s in fit.series[0].steps] == ["2021-01-01", "2022-01-01"]
    assert fit.events == 2 and fit.exposure_years == pytest.approx(3.0)
    # two step months out of 36: P(at least one event in a month) = 2/36
    assert fit.events_per_year == pytest.approx(-12 * math.log(1 - 2 / 36))
    assert fit.slope_mean == pytest.approx(0.0, abs=1e-12)
    assert fit.log_ratio_mean is not None and fit.log_ratio_sd is not None
    # one-event moments: the merged-month correction with lam = -log(1 - 2/36)
    lam = -math.log(1 - 2 / 36)
    k_mean = lam / (1 - math.exp(-lam))
    assert fit.log_ratio_mean == pytest.approx((math.log(0.5) + math.log(1.5)) / 2 / k_mean)


def test_threshold_is_symmetric_in_log_and_sub_threshold_changes_are_trend():
    # 15%: a cut to 0.84 and a rise to 1.2 (> 1/0.85 = 1.176) are steps; 0.9 and 1.15 are not
    for ratio, is_step in ((0.84, True), (1.2, True), (0.9, False), (1.15, False)):
        fit = fit_dynamics(series("m", [10.0] * 7 + [10.0 * ratio] * 7), threshold=0.15)
        assert (fit.events == 1) is is_step, ratio


def test_smooth_decline_of_one_series_is_its_log_slope():
    # exactly 20% a year, monthly: no steps, slope log(0.8), decline 0.2 with no spread
    fit = fit_dynamics(series("m", [10 * 0.8 ** (i / 12) for i in range(25)]))
    assert fit.events == 0
    assert fit.slope_mean == pytest.approx(math.log(0.8))
    assert fit.decline_mean == pytest.approx(0.2) and fit.decline_sd == pytest.approx(0, abs=1e-9)
    assert "annual_decline = 0.2  # every series" in dynamics_toml(fit, "test")


def test_a_step_does_not_bend_the_slope_of_its_series():
    # 30% a year plus a halving in month 10: the month's own trend is not taken out with it
    prices = [10 * 0.7 ** (i / 12) * (0.5 if i >= 10 else 1.0) for i in range(30)]
    fit = fit_dynamics(series("m", prices))
    assert fit.events == 1
    assert fit.slope_mean == pytest.approx(math.log(0.7))
    assert fit.series[0].steps[0].ratio == pytest.approx(0.5)


def test_pooled_decline_of_three_exact_slopes():
    slopes = [-0.1, -0.2, -0.3]
    rows = [o for k, b in enumerate(slopes)
            for o in series(f"m{k}", [10 * math.exp(b * i / 12) for i in range(13)])]
    fit = fit_dynamics(rows)
    assert fit.slope_mean == pytest.approx(-0.2)
    assert fit.slope_tau == pytest.approx(0.1)  # exact fits: no within-series error
    assert fit.slope_mean_se == pytest.approx(0.1 / math.sqrt(3))
    # d = 1 - exp(b), b ~ N(-0.2, 0.1^2 + 0.1^2 / 3): lognormal moments of exp(b)
    v = 0.01 + 0.01 / 3
    assert fit.decline_mean == pytest.approx(1 - math.exp(-0.2 + v / 2))
    assert fit.decline_sd == pytest.approx(math.exp(-0.2 + v / 2) * math.sqrt(math.expm1(v)))


def test_a_change_between_the_day_before_and_the_day_of_is_one_step():
    rows = [Observation(dt.date(2025, 4, 16), "o3", 17.5, "api", "t"),
            Observation(dt.date(2025, 6, 9), "o3", 17.5, "api", "t"),
            Observation(dt.date(2025, 6, 10), "o3", 3.5, "api", "t"),
            Observation(dt.date(2026, 11, 9), "o3", 3.5, "api", "t")]
    fit = fit_dynamics(rows)
    assert [(s.day, s.ratio) for s in fit.series[0].steps] == [
        ("2025-06-10", pytest.approx(0.2))]
    # 2025-04-16 .. 2026-11-09: 15/30 of April, then 18 whole months, then 8/30 of November
    assert fit.exposure_years == pytest.approx((15 / 30 + 18 + 8 / 30) / 12)


def test_consecutive_months_are_a_step_but_a_two_month_gap_is_trend():
    one = [Observation(dt.date(2025, 5, 1), "p5", 12.29, "gpu", "t"),
           Observation(dt.date(2025, 6, 1), "p5", 6.88, "gpu", "t")]
    two = [Observation(dt.date(2025, 5, 1), "p5", 12.29, "gpu", "t"),
           Observation(dt.date(2025, 7, 1), "p5", 6.88, "gpu", "t")]
    assert fit_dynamics(one, index="gpu").events == 1
    assert fit_dynamics(two, index="gpu").events == 0


def test_a_sparse_drop_is_trend_not_a_step():
    # halved over 12 months, observed only at both ends: the date of the change is unknown
    rows = [Observation(month(0), "gpu", 4.0, "gpu", "t"),
            Observation(month(12), "gpu", 2.0, "gpu", "t")]
    fit = fit_dynamics(rows, index="gpu")
    assert fit.events == 0
    assert fit.slope_mean == pytest.approx(math.log(0.5))


def test_series_too_short_for_a_slope_still_count_for_events():
    rows = series("short", [10, 10, 5]) + series("long", [10.0] * 13)
    fit = fit_dynamics(rows, min_months=6)
    assert fit.slope_series == 1 and fit.events == 1
    assert fit.exposure_years == pytest.approx((2 + 12) / 12)



# -- synthetic histories with known parameters ------------------------------------------------

TRUE = {"beta": -0.30, "tau": 0.15, "rate": 0.7, "log_mu": math.log(0.55), "log_sd": 0.2}


@pytest.fixture(scope="module")
def synthetic_fit() -> DynamicsFit:
    rng = np.random.default_rng(20261130)
    rows = synthetic_history(rng, n_series=400, noise=0.005, **TRUE)
    # threshold 8%: the smooth trend (~2.5%/month) and the noise never cross it; an event
    # (median 0.55, log sd 0.2) falls short of it with probability ~0.5%
    return fit_dynamics(rows, threshold=0.08)


def test_synthetic_event_rate_within_its_poisson_error(synthetic_fit):
    fit = synthetic_fit
    sd = math.sqrt(TRUE["rate"] / fit.exposure_years)  # Poisson count over the exposure
    # expected shortfall: events under the threshold, P(N(log 0.55, 0.2) > log(1/0.92))
    missed = 0.5 * math.erfc((-math.log(1 / 0.92) - TRUE["log_mu"]) / TRUE["log_sd"] / 2 ** 0.5)
    assert abs(fit.events_per_year - TRUE["rate"] * (1 - missed)) < 4 * sd


def test_synthetic_multiplier_within_its_sampling_error(synthetic_fit):
    fit = synthetic_fit
    n = fit.events
    assert fit.log_ratio_mean is not None and fit.log_ratio_sd is not None
    assert abs(fit.log_ratio_mean - TRUE["log_mu"]) < 4 * TRUE["log_sd"] / math.sqrt(n)
    assert abs(fit.log_ratio_sd - TRUE["log_sd"]) < 4 * TRUE["log_sd"] / math.sqrt(2 * (n - 1))


def test_synthetic_smooth_slope_within_its_sampling_error(synthetic_fit):
    fit = synthetic_fit
    m = fit.slope_series
    within = float(np.mean([s.slope_se ** 2 for s in fit.series if s.slope_se is not None]))
    total = TRUE["tau"] ** 2 + within  # variance of one series' fitted slope
    assert fit.slope_mean is not None and fit.slope_tau is not None
    assert abs(fit.slope_mean - TRUE["beta"]) < 4 * math.sqrt(total / m)
    # sample variance of m slopes: sd 2^(1/2) total / (m - 1)^(1/2); delta method for tau
    tau_sd = total * math.sqrt(2 / (m - 1)) / (2 * TRUE["tau"])
    assert abs(fit.slope_tau - TRUE["tau"]) < 4 * tau_sd


def test_synthetic_without_events_finds_none():
    rng = np.random.default_rng(7)
    rows = synthetic_history(rng, n_series=50, beta=-0.2, tau=0.05, rate=0.0, log_mu=0.0,
                             log_sd=0.1, noise=0.005)
    fit = fit_dynamics(rows)
    assert fit.events == 0
    assert "events_per_year = 0.0" in dynamics_toml(fit, "test")


# -- the snippet ------------------------------------------------------------------------------

def test_snippet_laws_parse_and_match_the_fit(synthetic_fit):
    text = dynamics_toml(synthetic_fit, 'a "quoted" source')
    table = tomllib.loads(text)["prices"]["api"]
    decline = table["annual_decline"]
    assert decline["source"] == "a 'quoted' source"
    assert decline["as_of"] == f"{synthetic_fit.last_day:%Y-%m}"
    assert decline["truncate"] == [0.0, 0.95]
    assert table["event_multiplier"]["truncate"] == [0.0, 100.0]  # the hard range
    for key in ("annual_decline", "events_per_year", "event_multiplier"):
        law = {k: v for k, v in table[key].items() if k not in ("source", "as_of")}
        dist, issues = parse_distribution(law, f"prices.api.{key}", None)
        assert dist is not None and not issues, issues
    k = table["event_multiplier"]
    mu, sd = synthetic_fit.log_ratio_mean, synthetic_fit.log_ratio_sd
    assert math.log(k["p5"]) == pytest.approx(mu - 1.6449 * sd, abs=0.01)
    assert math.log(k["p95"]) == pytest.approx(mu + 1.6449 * sd, abs=0.01)
    rate = table["events_per_year"]
    assert rate["mean"] == pytest.approx(synthetic_fit.events_per_year, rel=0.01)


def test_snippet_replaces_a_shipped_price_table(synthetic_fit):
    """The printed table, pasted over support_bot's [prices.api], loads with its laws,
    sources and dates (validated like any written law)."""
    text = (ROOT / "scenarios" / "support_bot.toml").read_text(encoding="utf-8")
    start = text.index("[prices.api]")
    end = text.index("\n[", start + 1)
    pasted = text[:start] + dynamics_toml(synthetic_fit, "synthetic history") + text[end:]
    scenario = parse_scenario(pasted, base_dir=ROOT / "scenarios")
    decline = scenario.inputs["prices.api.annual_decline"]
    assert (decline.source, decline.as_of) == ("synthetic history",
                                               f"{synthetic_fit.last_day:%Y-%m}")
    assert decline.dist.mean == pytest.approx(
        truncated_normal_mean(synthetic_fit.decline_mean, synthetic_fit.decline_sd, 0, 0.95),
        rel=0.01)
    rate = scenario.inputs["prices.api.events_per_year"].dist
    assert rate.mean == pytest.approx(synthetic_fit.events_per_year, rel=0.01)


def truncated_normal_mean(mean: float | None, sd: float | None, lo: float, hi: float) -> float:
    """E[X | lo <= X <= hi] for X ~ N(mean, sd^2): mean + sd (phi(a) - phi(b)) / (Phi(b) -
    Phi(a)), standardised bounds a, b."""
    assert mean is not None and sd is not None
    a, b = (lo - mean) / sd, (hi - mean) / sd
    phi = [math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (a, b)]
    cdf = [0.5 * math.erfc(-z / math.sqrt(2)) for z in (a, b)]
    return mean + sd * (phi[0] - phi[1]) / (cdf[1] - cdf[0])


def test_rising_prices_give_no_decline():
    fit = fit_dynamics(series("m", [10 * 1.3 ** (i / 12) for i in range(25)]))
    assert fit.decline_mean is not None and fit.decline_mean < 0
    assert "annual_decline = 0.0  # smooth trend" in dynamics_toml(fit, "test")


# -- reading the CSV --------------------------------------------------------------------------

GOOD = """# a comment
date,series,price,source,index,unit
2024-05,openai:gpt-4o,7.5,OpenAI pricing page (2024-05),api,USD/MTok
2024-09-30,openai:gpt-4o,7.5,OpenAI,api,USD/MTok

2024-10-01,openai:gpt-4o,4.375,OpenAI,,USD/MTok
"""


def test_csv_reads_rows_months_comments_and_default_index():
    rows = parse_price_history(GOOD)
    assert [(r.day, r.price, r.index) for r in rows] == [
        (dt.date(2024, 5, 1), 7.5, "api"), (dt.date(2024, 9, 30), 7.5, "api"),
        (dt.date(2024, 10, 1), 4.375, "api")]


@pytest.mark.parametrize(("text", "message"), [
    ("date,series,price\n2024-01,a,1\n", "line 1, header: missing column(s) source"),
    ("date,series,price,source,model\n", "unknown column(s) model"),
    ("date,series,price,source\n2024-13,a,1,s\n", "line 2, date: expected YYYY-MM-DD"),
    ("date,series,price,source\n1989-12-01,a,1,s\n", "line 2, date"),
    ("date,series,price,source\n2024-01,a,-1,s\n", "line 2, price: expected a positive"),
    ("date,series,price,source\n2024-01,a,nan,s\n", "line 2, price"),
    ("date,series,price,source\n2024-01,a,1,\n", "line 2, source: empty"),
    ("date,series,price,source\n2024-01,a,1,s,extra\n", "line 2: more cells"),
    ("date,series,price,source\n2024-01,a,1,s\n2024-01-01,a,2,s\n",
     "line 3: a second price for series 'a' on 2024-01-01"),
    ("# only a comment\n", "no rows"),
    ("date,series,price,source\n", "no data rows"),
])
def test_csv_errors_are_one_line_naming_row_and_column(text, message):
    with pytest.raises(HistoryError) as caught:
        parse_price_history(text)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_fit_refuses_an_index_without_rows_or_pairs():
    with pytest.raises(HistoryError, match="no rows for price index 'gpu'"):
        fit_dynamics(series("m", [1.0, 1.0]), index="gpu")
    rows = [Observation(dt.date(2024, 1, 2), "m", 1.0, "api", "t"),
            Observation(dt.date(2024, 1, 20), "n", 2.0, "api", "t")]
    with pytest.raises(HistoryError, match="no series has two observations"):
        fit_dynamics(rows)
