"""Tests for ftsim.distributions: every form against scipy.stats, tabulation bounds, validation."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, special, stats

from ftsim.distributions import TABLE_TOLERANCE, Distribution, Fixed, parse_distribution

KEY = "options.lora_8b.serving.gpu_hourly_cost"
Z95 = 1.6448536269514722  # scipy.special.ndtri(0.95)

# u grid with both tails: 1e-12 .. 1e-3 and 1 - 1e-3 .. 1 - 1e-12 on a log scale, plus the body.
U_GRID = np.concatenate(
    [
        np.logspace(-12, -3, 400),
        np.linspace(1e-3, 1 - 1e-3, 4001),
        1 - np.logspace(-3, -12, 400),
    ]
)


def parse(value: object, base_dir: Path | None = None) -> Distribution:
    dist, issues = parse_distribution(value, KEY, base_dir)
    assert issues == []
    assert dist is not None
    return dist


def draw(dist: Distribution, n: int, seed: int) -> np.ndarray:
    return dist.ppf(np.random.default_rng(seed).random(n))


# ------------------------------------------------------------------ exact forms


def _lognorm(mu: float, sigma: float) -> stats.rv_continuous:
    return stats.lognorm(s=sigma, scale=math.exp(mu))


_S_MEAN_SD = math.log1p((1.5 / 3.0) ** 2)  # lognormal mean 3, sd 1.5: sigma^2 = ln(1 + cv^2)
EXACT_CASES = [
    ({"dist": "normal", "mean": 0.02, "sd": 0.02}, stats.norm(0.02, 0.02)),
    ({"dist": "normal", "p5": -3.0, "p95": 1.0}, stats.norm(-1.0, 2.0 / Z95)),
    ({"p5": -3.0, "p95": 1.0}, stats.norm(-1.0, 2.0 / Z95)),
    (
        {"p5": 200_000, "p95": 2_000_000},
        _lognorm(math.log(4e11) / 2, math.log(10) / (2 * Z95)),
    ),
    (
        {"dist": "lognormal", "p5": 0.5, "p95": 5.0},
        _lognorm(math.log(2.5) / 2, math.log(10) / (2 * Z95)),
    ),
    (
        {"dist": "lognormal", "median": 2.0, "p95": 6.0},
        _lognorm(math.log(2.0), math.log(3.0) / Z95),
    ),
    (
        {"dist": "lognormal", "mean": 3.0, "sd": 1.5},
        _lognorm(math.log(3.0) - _S_MEAN_SD / 2, math.sqrt(_S_MEAN_SD)),
    ),
    ({"dist": "uniform", "min": 1, "max": 3}, stats.uniform(1, 2)),
    ({"dist": "triangular", "min": 1, "mode": 2, "max": 4}, stats.triang(1 / 3, 1, 3)),
    ({"dist": "triangular", "min": 1, "mode": 1, "max": 4}, stats.triang(0.0, 1, 3)),
    ({"dist": "triangular", "min": 1, "mode": 4, "max": 4}, stats.triang(1.0, 1, 3)),
]


@pytest.mark.parametrize(("value", "ref"), EXACT_CASES, ids=lambda v: str(v)[:40])
def test_exact_forms_match_scipy_ppf(value: dict, ref: stats.rv_continuous) -> None:
    dist = parse(value)
    expected = ref.ppf(U_GRID)
    # Both evaluate the same closed form (ndtri / sqrt); 1e-12 relative covers rounding, and
    # the atol of 1e-12 * sd covers values that cross zero (normal at its median).
    np.testing.assert_allclose(dist.ppf(U_GRID), expected, rtol=1e-12, atol=1e-12 * ref.std())
    assert dist.mean == pytest.approx(ref.mean(), rel=1e-12)
    assert dist.cdf(expected[2000]) == pytest.approx(U_GRID[2000], rel=1e-9)


@pytest.mark.parametrize(
    ("value", "lo", "hi"),
    [
        ({"p5": 200_000, "p95": 2_000_000}, 200_000, 2_000_000),
        ({"p5": -3.0, "p95": 1.0}, -3.0, 1.0),
        ({"dist": "normal", "p5": 4.0, "p95": 9.0}, 4.0, 9.0),
        ({"dist": "lognormal", "p5": 1e-3, "p95": 2e-3}, 1e-3, 2e-3),
    ],
)
def test_percentile_forms_recover_p5_p95(value: dict, lo: float, hi: float) -> None:
    got = parse(value).ppf(np.array([0.05, 0.95]))
    np.testing.assert_allclose(got, [lo, hi], rtol=1e-9)


def test_lognormal_median_form_recovers_median_and_p95() -> None:
    got = parse({"dist": "lognormal", "median": 2.0, "p95": 6.0}).ppf(np.array([0.5, 0.95]))
    np.testing.assert_allclose(got, [2.0, 6.0], rtol=1e-9)


def test_lognormal_mean_sd_form_recovers_moments_of_samples() -> None:
    mean, sd, n = 3.0, 1.5, 400_000
    dist = parse({"dist": "lognormal", "mean": mean, "sd": sd})
    x = draw(dist, n, seed=11)
    assert dist.mean == pytest.approx(mean, rel=1e-12)
    # SE(mean) = sd / sqrt(n) = 0.0024. SE(sample sd) ~ sd * sqrt((kurtosis - 1) / (4 n)),
    # lognormal kurtosis = e^{4s2} + 2 e^{3s2} + 3 e^{2s2} - 3 with s2 = ln(1 + (sd/mean)^2)
    # (= 8.03 here, so SE(sd) = 0.0031).
    s2 = math.log1p((sd / mean) ** 2)
    kurtosis = math.exp(4 * s2) + 2 * math.exp(3 * s2) + 3 * math.exp(2 * s2) - 3
    assert abs(x.mean() - mean) < 4 * sd / math.sqrt(n)
    assert abs(x.std() - sd) < 4 * sd * math.sqrt((kurtosis - 1) / (4 * n))


# ------------------------------------------------------------------ tabulated forms


def _pert_ref(lo: float, mode: float, hi: float, lam: float = 4.0) -> stats.rv_continuous:
    a = 1 + lam * (mode - lo) / (hi - lo)
    b = 1 + lam * (hi - mode) / (hi - lo)
    return stats.beta(a, b, loc=lo, scale=hi - lo)


BETA_CASES = [
    ({"dist": "pert", "min": 150, "mode": 300, "max": 800}, _pert_ref(150, 300, 800)),
    ({"dist": "pert", "min": 0, "mode": 0, "max": 0.35}, _pert_ref(0, 0, 0.35)),
    ({"dist": "pert", "min": 1, "mode": 4, "max": 4}, _pert_ref(1, 4, 4)),
    ({"dist": "pert", "min": 1, "mode": 1.1, "max": 4, "lambda": 20}, _pert_ref(1, 1.1, 4, 20)),
    ({"dist": "pert", "min": 1, "mode": 2, "max": 4, "lambda": 0.5}, _pert_ref(1, 2, 4, 0.5)),
    ({"dist": "beta", "a": 0.5, "b": 0.5}, stats.beta(0.5, 0.5)),
    ({"dist": "beta", "a": 0.2, "b": 3}, stats.beta(0.2, 3)),
    ({"dist": "beta", "a": 30, "b": 2, "min": -1, "max": 5}, stats.beta(30, 2, loc=-1, scale=6)),
]


@pytest.mark.parametrize(("value", "ref"), BETA_CASES, ids=lambda v: str(v)[:40])
def test_beta_and_pert_within_table_tolerance(value: dict, ref: stats.rv_continuous) -> None:
    dist = parse(value)
    lo, hi = dist.support
    # The documented bound: |ppf - exact| <= 1e-6 * (max - min) for every u, tails included.
    err = np.max(np.abs(dist.ppf(U_GRID) - ref.ppf(U_GRID)))
    assert err <= TABLE_TOLERANCE * (hi - lo)
    assert dist.mean == pytest.approx(ref.mean(), rel=1e-12)


@pytest.mark.parametrize("shape", [0.02, 0.3, 1.0, 4.0, 400.0, 1e5])
def test_gamma_within_table_tolerance(shape: float) -> None:
    scale = 2.5
    dist = parse({"dist": "gamma", "mean": shape * scale, "sd": math.sqrt(shape) * scale})
    ref = stats.gamma(shape, scale=scale)
    exact = ref.ppf(U_GRID)
    top = ref.isf(1e-6)  # the 99.9999% quantile
    # The documented bound: |ppf - exact| <= 1e-6 * max(exact, q_0.999999).
    err = np.abs(dist.ppf(U_GRID) - exact) / np.maximum(exact, top)
    assert err.max() <= TABLE_TOLERANCE
    assert dist.mean == pytest.approx(ref.mean(), rel=1e-9)


def test_pert_mean_is_classic_formula_and_matches_samples() -> None:
    lo, mode, hi, n = 1.8, 2.5, 4.0, 200_000
    dist = parse({"dist": "pert", "min": lo, "mode": mode, "max": hi})
    assert dist.mean == pytest.approx((lo + 4 * mode + hi) / 6, rel=1e-12)
    # SE = sd / sqrt(n), sd from the Beta(a, b) variance a b / ((a+b)^2 (a+b+1)) * range^2.
    sd = _pert_ref(lo, mode, hi).std()
    assert abs(draw(dist, n, seed=5).mean() - dist.mean) < 4 * sd / math.sqrt(n)


# ------------------------------------------------------------------ truncation


def _truncnorm_moments(mu: float, sigma: float, lo: float, hi: float) -> tuple[float, float]:
    """Closed-form mean and sd of N(mu, sigma) truncated to [lo, hi]."""
    a, b = (lo - mu) / sigma, (hi - mu) / sigma
    pdf = stats.norm.pdf
    z = stats.norm.sf(a) - stats.norm.sf(b)
    mean = mu + sigma * (pdf(a) - pdf(b)) / z
    b_pdf_b = 0.0 if math.isinf(b) else b * pdf(b)
    var = sigma**2 * (1 + (a * pdf(a) - b_pdf_b) / z - ((pdf(a) - pdf(b)) / z) ** 2)
    return mean, math.sqrt(var)


@pytest.mark.parametrize(
    ("mu", "sigma", "lo", "hi"),
    [(0.02, 0.02, 0.0, 0.03), (0.02, 0.02, -0.5, 0.5), (0.0, 1.0, 6.0, math.inf)],
)
def test_truncated_normal_mean_and_range(mu: float, sigma: float, lo: float, hi: float) -> None:
    n = 200_000
    dist = parse({"dist": "normal", "mean": mu, "sd": sigma, "truncate": [lo, hi]})
    mean, sd = _truncnorm_moments(mu, sigma, lo, hi)
    assert dist.mean == pytest.approx(mean, rel=1e-9)
    x = draw(dist, n, seed=7)
    assert x.min() >= lo and x.max() <= hi
    assert dist.support == (lo, hi)
    # SE of the sample mean = sd / sqrt(n) with sd the truncated law's closed-form sd.
    assert abs(x.mean() - mean) < 4 * sd / math.sqrt(n)


def test_truncation_is_inverse_cdf_not_clamping() -> None:
    base = parse({"dist": "gamma", "mean": 2.0, "sd": 1.0})
    dist = parse({"dist": "gamma", "mean": 2.0, "sd": 1.0, "truncate": [1, 3]})
    u = np.array([0.0, 0.25, 0.5, 1.0])
    f_lo, f_hi = base.cdf(np.array([1.0, 3.0]))
    expected = stats.gamma(4.0, scale=0.5).ppf(f_lo + u * (f_hi - f_lo))
    np.testing.assert_allclose(dist.ppf(u), expected, rtol=0, atol=TABLE_TOLERANCE * 15)
    # Numeric mean: E[X | 1 <= X <= 3] by quadrature of x * pdf.
    pdf = stats.gamma(4.0, scale=0.5).pdf
    num = integrate.quad(lambda x: x * pdf(x), 1, 3)[0] / integrate.quad(pdf, 1, 3)[0]
    assert dist.mean == pytest.approx(num, rel=1e-9)


def test_truncated_mean_far_in_the_tail() -> None:
    # Gamma(4, 0.5) beyond x = 40: z = Phi^-1(F(40)) ~ 13, past the +-12 of the usual window.
    dist = parse({"dist": "gamma", "mean": 2.0, "sd": 1.0, "truncate": [40, math.inf]})
    pdf = stats.gamma(4.0, scale=0.5).pdf
    num = integrate.quad(lambda x: x * pdf(x), 40, 80)[0] / integrate.quad(pdf, 40, 80)[0]
    assert dist.mean == pytest.approx(num, rel=1e-9)
    assert np.all(draw(dist, 1000, seed=1) >= 40)


@pytest.mark.parametrize(
    ("value", "ref", "lo", "hi"),
    [
        (
            {"dist": "pert", "min": 0, "mode": 0.15, "max": 0.35},
            _pert_ref(0, 0.15, 0.35),
            0.05,
            0.3,
        ),
        ({"dist": "pert", "min": 0, "mode": 0.15, "max": 0.35}, _pert_ref(0, 0.15, 0.35), 0.3, 1),
        ({"dist": "beta", "a": 0.5, "b": 2}, stats.beta(0.5, 2), -1, 0.01),
        (
            {"dist": "triangular", "min": 1, "mode": 2, "max": 4},
            stats.triang(1 / 3, 1, 3),
            1.5,
            3.9,
        ),
        ({"dist": "uniform", "min": 1, "max": 3}, stats.uniform(1, 2), 2.5, math.inf),
    ],
)
def test_truncated_means_match_quadrature(
    value: dict, ref: stats.rv_continuous, lo: float, hi: float
) -> None:
    dist = parse({**value, "truncate": [lo, hi]})
    a, b = max(lo, ref.support()[0]), min(hi, ref.support()[1])
    num = integrate.quad(lambda x: x * ref.pdf(x), a, b)[0] / integrate.quad(ref.pdf, a, b)[0]
    assert dist.mean == pytest.approx(num, rel=1e-9)
    x = draw(dist, 1000, seed=2)
    assert x.min() >= lo and x.max() <= hi


def test_truncated_lognormal_mean_and_describe() -> None:
    dist = parse({"p5": 200_000, "p95": 2_000_000, "truncate": [0, 1e7]})
    assert dist.describe() == "lognormal(p5=200000, p95=2e+06) truncated to [0, 1e+07]"
    ref = _lognorm(math.log(4e11) / 2, math.log(10) / (2 * Z95))
    num = integrate.quad(lambda x: x * ref.pdf(x), 0, 1e7, limit=200)[0] / ref.cdf(1e7)
    assert dist.mean == pytest.approx(num, rel=1e-7)
    assert dist.support == (0.0, 1e7)


def test_discrete_truncation_keeps_values_inside() -> None:
    dist = parse(
        {"dist": "choice", "values": [1, 2, 3, 4], "weights": [1, 1, 2, 4], "truncate": [2, 3]}
    )
    assert dist.support == (2.0, 3.0)
    # Renormalised weights 1/3 and 2/3.
    np.testing.assert_array_equal(dist.ppf(np.array([0.33, 0.34, 0.99])), [2.0, 3.0, 3.0])
    emp = parse({"dist": "empirical", "samples": [5, 1, 3, 9], "truncate": [2, 10]})
    assert emp.support == (3.0, 9.0) and emp.mean == pytest.approx(17 / 3)
    assert parse({"dist": "choice", "values": [1, 5], "truncate": [4, 6]}).is_fixed


# ------------------------------------------------------------------ discrete forms


def test_choice_frequencies_match_weights() -> None:
    n = 200_000
    dist = parse({"dist": "choice", "values": [8, 2, 4], "weights": [2, 1, 1]})
    assert dist.support == (2.0, 8.0)
    x = draw(dist, n, seed=3)
    for value, p in [(2.0, 0.25), (4.0, 0.25), (8.0, 0.5)]:
        # Each cell count is Binomial(n, p): SE of the frequency is sqrt(p (1 - p) / n).
        assert abs(np.mean(x == value) - p) < 4 * math.sqrt(p * (1 - p) / n)
    # scipy's rv_discrete ppf is the same step function (smallest x with cdf(x) >= u).
    ref = stats.rv_discrete(values=([2, 4, 8], [0.25, 0.25, 0.5])).ppf(U_GRID)
    np.testing.assert_array_equal(dist.ppf(U_GRID), ref)
    # Step function: the value whose cumulative probability first reaches u.
    got = dist.ppf(np.array([0.25, np.nextafter(0.25, 1), 0.5, np.nextafter(0.5, 1)]))
    np.testing.assert_array_equal(got, [2.0, 4.0, 4.0, 8.0])
    assert dist.mean == pytest.approx(0.25 * 2 + 0.25 * 4 + 0.5 * 8)


def test_empirical_inline_is_sorted_step_function() -> None:
    samples = [3.0, 1.0, 2.0, 2.0]
    dist = parse({"dist": "empirical", "samples": samples})
    grid = np.array([1e-9, 0.25, 0.26, 0.75, 0.76, 1 - 1e-9])
    np.testing.assert_array_equal(dist.ppf(grid), [1, 1, 2, 2, 3, 3])
    assert dist.support == (1.0, 3.0) and dist.mean == 2.0
    # Same draws as searchsorted on cumulative probabilities (i + 1) / n.
    big = np.random.default_rng(2).normal(size=1000)
    u = np.random.default_rng(4).random(100_000)
    cum = np.arange(1, big.size + 1) / big.size
    expected = np.sort(big)[np.searchsorted(cum, u)]
    np.testing.assert_array_equal(
        parse({"dist": "empirical", "samples": list(big)}).ppf(u), expected
    )


def test_empirical_from_csv_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "obs.csv").write_text("day,tokens\n1,300\n2,100\n3,\n4,200\n", encoding="utf-8")
    dist = parse({"dist": "empirical", "file": "obs.csv", "column": "tokens"}, tmp_path)
    inline = parse({"dist": "empirical", "samples": [300, 100, 200]})
    u = np.random.default_rng(9).random(1000)
    np.testing.assert_array_equal(dist.ppf(u), inline.ppf(u))
    assert dist.describe() == "empirical(file='obs.csv', column='tokens', n=3)"


# ------------------------------------------------------------------ degenerate and plumbing


@pytest.mark.parametrize(
    ("value", "fixed_at"),
    [
        (2.5, 2.5),
        ({"dist": "normal", "mean": 3, "sd": 0}, 3.0),
        ({"dist": "lognormal", "mean": 3, "sd": 0}, 3.0),
        ({"dist": "uniform", "min": 2, "max": 2}, 2.0),
        ({"dist": "triangular", "min": 2, "mode": 2, "max": 2}, 2.0),
        ({"dist": "pert", "min": 2, "mode": 2, "max": 2}, 2.0),
        ({"dist": "beta", "a": 2, "b": 3, "min": 1, "max": 1}, 1.0),
        ({"dist": "gamma", "mean": 4, "sd": 0}, 4.0),
        ({"dist": "choice", "values": [7, 7]}, 7.0),
        ({"dist": "choice", "values": [1, 7], "weights": [0, 3]}, 7.0),
        ({"dist": "empirical", "samples": [5, 5, 5]}, 5.0),
    ],
)
def test_degenerate_forms_are_fixed(value: object, fixed_at: float) -> None:
    dist = parse(value)
    assert dist.is_fixed and dist.support == (fixed_at, fixed_at) and dist.mean == fixed_at
    np.testing.assert_array_equal(dist.ppf(np.array([1e-12, 0.5, 1 - 1e-12])), fixed_at)


def test_describe_as_written() -> None:
    assert parse(2.5).describe() == "2.5"
    assert parse({"dist": "pert", "min": 1, "mode": 2, "max": 4}).describe() == (
        "pert(min=1, mode=2, max=4)"
    )
    assert parse({"dist": "normal", "mean": 3, "sd": 0}).describe() == "normal(mean=3, sd=0)"
    assert parse({"dist": "choice", "values": [2, 4, 8]}).describe() == "choice(values=[2, 4, 8])"
    assert Fixed(1e7).describe() == "1e+07"


def test_random_forms_are_not_fixed_and_supports() -> None:
    assert not parse({"p5": 1, "p95": 2}).is_fixed
    assert parse({"p5": 1, "p95": 2}).support == (0.0, math.inf)
    assert parse({"p5": -1, "p95": 2}).support == (-math.inf, math.inf)
    assert parse({"dist": "pert", "min": 1, "mode": 2, "max": 4}).support == (1.0, 4.0)
    assert parse({"dist": "gamma", "mean": 1, "sd": 2}).support == (0.0, math.inf)


@pytest.mark.parametrize(
    "value",
    [
        {"dist": "pert", "min": 1, "mode": 2, "max": 4},
        {"dist": "gamma", "mean": 1, "sd": 2, "truncate": [0.5, 4]},
        {"p5": 1, "p95": 3},
        {"dist": "choice", "values": [1, 2]},
    ],
)
def test_ppf_keeps_shape_dtype_and_pickles(value: dict) -> None:
    dist = parse(value)
    fresh = pickle.loads(pickle.dumps(dist))  # before the lazy table is built
    u = np.random.default_rng(1).random((3, 4))
    x = dist.ppf(u)
    assert x.shape == (3, 4) and x.dtype == np.float64
    assert dist.ppf(np.float64(0.3)).shape == ()
    np.testing.assert_array_equal(fresh.ppf(u), x)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(dist)).ppf(u), x)


def test_extreme_u_stays_finite_and_in_support() -> None:
    u = np.array([1e-300, 1e-18, 0.5, 1 - 2.0**-53])
    a, b = 1 + 4 / 3, 1 + 8 / 3  # pert(min=1, mode=2, max=4)
    x = parse({"dist": "pert", "min": 1, "mode": 2, "max": 4}).ppf(u)
    assert np.all((x >= 1) & (x <= 4))
    ref = stats.beta(a, b, loc=1, scale=3).ppf(u[1:])
    np.testing.assert_allclose(x[1:], ref, rtol=0, atol=3 * TABLE_TOLERANCE)
    # u = 1e-300 lies outside the table (ndtri(u) = -37 < -8.5) and scipy's betaincinv
    # returns nan there; the leading term of I_x(a, b) = x^a / (a B(a, b)) gives
    # x = (u a B(a, b))^(1/a), exact to double precision at x ~ 1e-129.
    tiny = math.exp((math.log(1e-300) + math.log(a) + special.betaln(a, b)) / a)
    got = parse({"dist": "beta", "a": a, "b": b}).ppf(u[:1])
    assert got[0] == pytest.approx(tiny, rel=1e-9, abs=0)


# ------------------------------------------------------------------ validation

K = KEY
REJECTIONS = [
    ("abc", K, "expected a number or a distribution table, got 'abc'"),
    (True, K, "expected a number or a distribution table, got True"),
    (math.nan, K, "expected a number, got nan"),
    ({"p5": "a", "p95": 2}, f"{K}.p5", "p5 must be a number, got 'a'"),
    ({"dist": "normal", "mean": 1, "sd": True}, f"{K}.sd", "sd must be a number, got True"),
    (
        {"dist": "normal", "mean": math.inf, "sd": 1},
        f"{K}.mean",
        "must be a finite number, got inf",
    ),
    ({"p5": 1}, K, "missing parameter 'p95'"),
    ({"dist": "normal", "mean": 1}, K, "missing parameter 'sd' for normal"),
    ({"dist": "pert", "min": 1, "max": 3}, K, "missing parameter 'mode'"),
    (
        {"dist": "normal", "mean": 1, "sdd": 1},
        f"{K}.sdd",
        "unknown parameter 'sdd' for normal; did you mean 'sd'?",
    ),
    ({"mean": 1, "p5": 1, "p95": 2}, f"{K}.mean", "unknown parameter 'mean'"),
    (
        {"dist": "nromal", "mean": 1, "sd": 1},
        f"{K}.dist",
        "unknown dist 'nromal'; did you mean 'normal'?",
    ),
    (
        {"dist": "weibull"},
        f"{K}.dist",
        "(known: beta, choice, empirical, gamma, lognormal, normal, pert",
    ),
    ({"dist": "normal", "mean": 1, "sd": 1, "p5": 0}, K, "not a mix (found mean, sd, p5)"),
    ({"p5": 4.0, "p95": 2.0}, K, "p5 (4.0) must be below p95 (2.0)"),
    ({"dist": "normal", "p5": 1, "p95": 1}, K, "p5 (1) must be below p95 (1)"),
    ({"dist": "lognormal", "median": 3, "p95": 2}, K, "median (3) must be below p95 (2)"),
    ({"dist": "pert", "min": 3, "mode": 2, "max": 4}, K, "min (3) must not exceed mode (2)"),
    ({"dist": "triangular", "min": 1, "mode": 5, "max": 4}, K, "mode (5) must not exceed max (4)"),
    ({"dist": "uniform", "min": 2, "max": 1}, K, "min (2) must not exceed max (1)"),
    ({"dist": "beta", "a": 1, "b": 1, "min": 2, "max": 1}, K, "min (2) must not exceed max (1)"),
    ({"dist": "normal", "mean": 1, "sd": -1}, f"{K}.sd", "sd must not be negative, got -1"),
    ({"dist": "lognormal", "mean": 1, "sd": -2}, f"{K}.sd", "sd must not be negative, got -2"),
    ({"dist": "gamma", "mean": 1, "sd": -0.5}, f"{K}.sd", "sd must not be negative, got -0.5"),
    ({"dist": "lognormal", "p5": 0, "p95": 2}, f"{K}.p5", "lognormal p5 must be positive, got 0"),
    (
        {"dist": "lognormal", "median": -1, "p95": 2},
        f"{K}.median",
        "lognormal median must be positive",
    ),
    (
        {"dist": "lognormal", "mean": 0, "sd": 1},
        f"{K}.mean",
        "lognormal mean must be positive, got 0",
    ),
    (
        {"dist": "choice", "values": [1, 2], "weights": [1]},
        f"{K}.weights",
        "weights has 1 entries but values has 2",
    ),
    (
        {"dist": "choice", "values": [1, 2], "weights": [1, -1]},
        f"{K}.weights",
        "weights must not be negative, got -1",
    ),
    (
        {"dist": "choice", "values": [1, 2], "weights": [0, 0]},
        f"{K}.weights",
        "weights sum to zero",
    ),
    (
        {"dist": "choice", "values": []},
        f"{K}.values",
        "values must be a non-empty list of finite numbers",
    ),
    ({"dist": "empirical", "samples": [1, "x"]}, f"{K}.samples", "got [1, 'x']"),
    ({"dist": "beta", "a": 0, "b": 1}, f"{K}.a", "beta a must be positive, got 0"),
    ({"dist": "beta", "a": 1, "b": -2}, f"{K}.b", "beta b must be positive, got -2"),
    ({"dist": "gamma", "mean": 0, "sd": 1}, f"{K}.mean", "gamma mean must be positive, got 0"),
    (
        {"dist": "pert", "min": 1, "mode": 2, "max": 3, "lambda": 0},
        f"{K}.lambda",
        "lambda must be positive, got 0",
    ),
    (
        {"p5": 1, "p95": 2, "truncate": [3, 1]},
        f"{K}.truncate",
        "truncate lower bound (3) exceeds upper bound (1)",
    ),
    ({"p5": 1, "p95": 2, "truncate": [1]}, f"{K}.truncate", "truncate must be [lo, hi]"),
    (
        {"dist": "uniform", "min": 0, "max": 1, "truncate": [2, 3]},
        f"{K}.truncate",
        "has zero probability under uniform(min=0, max=1)",
    ),
    (
        {"dist": "choice", "values": [1, 2], "truncate": [3, 4]},
        f"{K}.truncate",
        "keeps no value of choice(values=[1, 2])",
    ),
    ({"dist": "empirical", "samples": [1], "file": "x.csv", "column": "c"}, K, "not a mix"),
]


@pytest.mark.parametrize(("value", "key_path", "message"), REJECTIONS, ids=lambda v: str(v)[:50])
def test_validation_rejects(value: object, key_path: str, message: str) -> None:
    dist, issues = parse_distribution(value, KEY, None)
    assert dist is None
    assert any(i.key_path == key_path and message in i.message for i in issues), issues
    assert all(i.key_path.startswith(KEY) and "\n" not in i.message for i in issues)


def test_validation_collects_every_issue() -> None:
    value = {"dist": "pert", "min": 3, "mode": 2, "max": 1, "lambda": -1, "lamda": 2}
    _, issues = parse_distribution(value, KEY, None)
    assert [i.key_path for i in issues] == [f"{KEY}.lamda", KEY, KEY, f"{KEY}.lambda"]
    assert "did you mean 'lambda'?" in issues[0].message


@pytest.mark.parametrize(
    ("file", "column", "key", "message"),
    [
        ("missing.csv", "c", "file", "cannot read empirical file 'missing.csv'"),
        (
            "obs.csv",
            "tokns",
            "column",
            "column 'tokns' not found in 'obs.csv' (columns: day, tokens); did you mean 'tokens'?",
        ),
        (
            "bad.csv",
            "tokens",
            "column",
            "column 'tokens' of 'bad.csv' has non-numeric or non-finite values on line 3",
        ),
        ("empty.csv", "tokens", "file", "empirical file 'empty.csv' is empty"),
    ],
)
def test_validation_rejects_unreadable_empirical_file(
    tmp_path: Path, file: str, column: str, key: str, message: str
) -> None:
    (tmp_path / "obs.csv").write_text("day,tokens\n1,300\n", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("tokens\n1\nn/a\n2\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    value = {"dist": "empirical", "file": file, "column": column}
    dist, issues = parse_distribution(value, KEY, tmp_path)
    assert dist is None
    assert [i.key_path for i in issues] == [f"{KEY}.{key}"]
    assert message in issues[0].message


def test_each_form_is_its_own_class():
    # Consumers dispatch on the class (e.g. benchmarks/monaco_model.py maps forms to scipy
    # laws): a lognormal must not also pass for a normal.
    from ftsim.distributions import LogNormal, Normal

    lognormal, _ = parse_distribution({"p5": 1.0, "p95": 2.0}, "x", None)
    normal, _ = parse_distribution({"p5": -1.0, "p95": 2.0}, "x", None)
    assert isinstance(lognormal, LogNormal) and not isinstance(lognormal, Normal)
    assert isinstance(normal, Normal) and not isinstance(normal, LogNormal)


# ------------------------------------------------------------------ issue 9: extremes and files

U_EDGES = np.array([2.0**-53, 0.5, 1 - 2.0**-53])  # the sampler's extreme uniforms and the median


def test_choice_weights_whose_sum_overflows_draw_both_values() -> None:
    # 1e308 + 1e308 = inf: dividing by that sum made the probabilities (0, nan) and every
    # draw the last value; equal weights mean a 50/50 law whatever their scale.
    dist = parse({"dist": "choice", "values": [1, 2], "weights": [1e308, 1e308]})
    u = (np.arange(10_000) + 0.5) / 10_000
    x = dist.ppf(u)
    assert np.count_nonzero(x == 1.0) == 5000 and np.count_nonzero(x == 2.0) == 5000
    assert dist.mean == 1.5


def test_choice_tiny_and_huge_weights_keep_their_ratio() -> None:
    dist = parse({"dist": "choice", "values": [1, 2, 3], "weights": [1e300, 3e300, 0]})
    u = (np.arange(1000) + 0.5) / 1000
    assert np.count_nonzero(dist.ppf(u) == 1.0) == 250  # 1 / (1 + 3) of the grid


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"dist": "gamma", "mean": 2, "sd": 2e300}, "both must be finite and positive"),
        ({"dist": "gamma", "mean": 1e-200, "sd": 1}, "both must be finite and positive"),
        ({"dist": "lognormal", "mean": 1, "sd": 1e200}, "has no finite sigma"),
        ({"dist": "lognormal", "mean": 36, "sd": 1e-200}, "sigma 0 in double precision"),
        ({"dist": "pert", "min": -1e308, "mode": 0, "max": 1e308}, "not a usable law"),
        ({"dist": "uniform", "min": -1e308, "max": 1e308}, "not a usable law"),
        ({"dist": "triangular", "min": -1e308, "mode": 0, "max": 1e308}, "not a usable law"),
        ({"dist": "beta", "a": 1, "b": 1, "min": -1e308, "max": 1e308}, "not a usable law"),
        ({"dist": "gamma", "mean": 1, "sd": 1e150}, "not a usable law"),
    ],
)
def test_laws_beyond_double_precision_are_refused_naming_the_key(
    value: dict[str, object], message: str
) -> None:
    # Each of these raised OverflowError / ValueError (or built a nan law) before issue 9.
    dist, issues = parse_distribution(value, KEY, None)
    assert dist is None
    assert [i.key_path for i in issues] == [KEY], issues
    assert message in issues[0].message


@pytest.mark.parametrize(
    "value",
    [
        {"dist": "lognormal", "p5": 5e-324, "p95": 1e308},  # sigma ~ 442: a valid, wild law
        {"dist": "normal", "mean": 0, "sd": 1e300},
        {"dist": "normal", "p5": -1e308, "p95": 1.7e308},  # p5 + p95 would overflow
        {"dist": "beta", "a": 1e308, "b": 1e-300},
        {"dist": "gamma", "mean": 1, "sd": 30},  # shape 1/900
        {"dist": "pert", "min": 0, "mode": 1, "max": 2, "lambda": 1e6},
    ],
)
def test_extreme_but_valid_laws_evaluate_without_warnings(value: dict[str, object]) -> None:
    # pytest turns warnings into errors: the probe of the extremes must not emit any
    from ftsim.distributions import safe_ppf

    dist = parse(value)
    x = safe_ppf(dist, U_EDGES)
    assert x is not None and not np.isnan(x).any()


def test_huge_integer_parameter_is_refused_not_crashing() -> None:
    _, issues = parse_distribution({"p5": 1, "p95": 10**400}, KEY, None)
    assert [i.key_path for i in issues] == [f"{KEY}.p95"]
    _, issues = parse_distribution(10**400, KEY, None)
    assert [i.key_path for i in issues] == [KEY] and "out of range" in issues[0].message


def _empirical(file: str, base: Path, column: str = "tokens", outside: bool = False):
    return parse_distribution({"dist": "empirical", "file": file, "column": column}, KEY, base,
                              allow_outside=outside)


def test_empirical_file_outside_the_folder_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "scenario"
    base.mkdir()
    secret = tmp_path / "secret.csv"
    secret.write_text("tokens\n1\n", encoding="utf-8")
    for file in (str(secret), "../secret.csv"):
        dist, issues = _empirical(file, base)
        assert dist is None and [i.key_path for i in issues] == [f"{KEY}.file"]
        assert "outside the scenario's folder" in issues[0].message
        assert "--allow-files-outside" in issues[0].message
        dist, issues = _empirical(file, base, outside=True)
        assert issues == [] and dist is not None and dist.support == (1.0, 1.0)


def test_empirical_symlink_is_followed_before_the_containment_check(tmp_path: Path) -> None:
    base = tmp_path / "scenario"
    base.mkdir()
    (tmp_path / "target.csv").write_text("tokens\n1\n2\n", encoding="utf-8")
    (base / "link.csv").symlink_to(tmp_path / "target.csv")
    _, issues = _empirical("link.csv", base)
    assert [i.key_path for i in issues] == [f"{KEY}.file"]
    assert "resolves to" in issues[0].message and "target.csv" in issues[0].message
    (base / "sub").mkdir()
    (base / "sub" / "in.csv").write_text("tokens\n4\n", encoding="utf-8")
    (base / "inner.csv").symlink_to(base / "sub" / "in.csv")
    dist, issues = _empirical("inner.csv", base)
    assert issues == [] and dist is not None


def test_empirical_relative_to_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "obs.csv").write_text("tokens\n7\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    dist, issues = _empirical("obs.csv", None)
    assert issues == [] and dist is not None and dist.support == (7.0, 7.0)
    _, issues = _empirical("/etc/hostname", None)
    assert "outside the scenario's folder" in issues[0].message


@pytest.mark.parametrize(
    ("content", "column", "key", "message"),
    [
        # first line of a password file: neither it nor any cell is echoed
        (b"root:x:0:0:root:/root:/bin/bash\nsecret-value\n", "tokens", "column",
         "its first row (1 cells) is not a row of column names"),
        (b"tokens\n1\nsecret-value\n", "tokens", "column", "non-finite values on line 3"),
        (b"tokens\n1\x002\n", "tokens", "file", "contains NUL bytes"),
        (b"tokens\n\xff\xfe1\n", "tokens", "file", "is not UTF-8 text (invalid byte at offset 7)"),
    ],
)
def test_empirical_file_content_is_never_echoed(
    tmp_path: Path, content: bytes, column: str, key: str, message: str
) -> None:
    (tmp_path / "f.csv").write_bytes(content)
    dist, issues = _empirical("f.csv", tmp_path, column)
    assert dist is None and [i.key_path for i in issues] == [f"{KEY}.{key}"]
    assert message in issues[0].message
    for word in ("root", "bash", "secret"):
        assert word not in issues[0].message


def test_empirical_file_size_limit(tmp_path: Path, monkeypatch) -> None:
    from ftsim.distributions import files

    (tmp_path / "big.csv").write_text("tokens\n" + "1\n" * 100, encoding="utf-8")
    monkeypatch.setattr(files, "EMPIRICAL_MAX_BYTES", 100)
    _, issues = _empirical("big.csv", tmp_path)
    assert [i.key_path for i in issues] == [f"{KEY}.file"]
    assert "is 207 bytes, above the 100 bytes limit" in issues[0].message  # 7 + 100 * 2 bytes


def test_empirical_directory_and_nul_name(tmp_path: Path) -> None:
    (tmp_path / "d.csv").mkdir()
    _, issues = _empirical("d.csv", tmp_path)
    assert "is not a regular file" in issues[0].message
    _, issues = _empirical("a\0b.csv", tmp_path)
    assert [i.key_path for i in issues] == [f"{KEY}.file"]
    assert "contains a NUL character" in issues[0].message


def test_truncated_triangular_with_mode_a_hair_from_min_has_no_overflow_warning() -> None:
    # found by the property tests: cdf's discarded branch t*t/c overflowed (c ~ 3e-309) and
    # the RuntimeWarning escaped from the loader
    dist = parse({"dist": "triangular", "min": 0.0, "mode": 2.2250738585072033e-303,
                  "max": 789062.5, "truncate": [115555.5, 615555.5]})
    lo, hi = dist.support
    assert (lo, hi) == (115555.5, 615555.5)
    # F(x) = 1 - (1 - x/max)^2 away from the mode: the truncated median solves
    # F(m) = (F(lo) + F(hi)) / 2
    f = lambda x: 1 - (1 - x / 789062.5) ** 2  # noqa: E731
    target = 0.5 * (f(lo) + f(hi))
    median = 789062.5 * (1 - math.sqrt(1 - target))
    assert float(dist.ppf(np.array([0.5]))[0]) == pytest.approx(median, rel=1e-9)
