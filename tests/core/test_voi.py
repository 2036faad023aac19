"""Value of information against closed forms (issue 12, "Correctness").

Every expected value is derived from the test model's own law, never from the code:
- one option with NB ~ Normal(m, s) against a baseline of 0: E[max(NB, 0)] - max(m, 0)
  = s phi(m / s) + m Phi(m / s) - max(m, 0) (the normal partial expectation);
- E[NB | X] of a linear model is again normal, so EVPPI and EVSI take the same form with
  the standard deviation of E[NB | X] (or of E[NB | pilot observation]);
- models without a closed form (three decisions, a product of inputs) are integrated
  numerically with scipy.integrate.quad over their defining law.
Tolerances are multiples of the estimate's own standard error, itself checked against the
spread over seeds in ``test_standard_errors_cover_about_95_percent``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from ftsim.core.conditional import equal_count_edges
from ftsim.core.metrics import sort_sample
from ftsim.core.voi import (
    bin_sums_of_squares,
    evpi,
    evppi_single,
    evsi_pilot,
    net_benefit_sample,
    optimal_decision,
    pilot_observation,
)
from ftsim.core.voi_group import evppi_group


def normal_gain(m: float, s: float) -> float:
    """E[max(N(m, s), 0)] - max(m, 0): the value of learning a N(m, s) net benefit."""
    if s == 0:
        return 0.0
    return s * stats.norm.pdf(m / s) + m * stats.norm.cdf(m / s) - max(m, 0.0)


def two_columns(option: np.ndarray) -> np.ndarray:
    return np.column_stack([np.zeros(option.size), option])


def test_evpi_by_hand_on_four_paths():
    # decisions: baseline 0, A, B; means A = 1.0, B = 0.5: d* = A
    nb = np.array([[0.0, 4.0, -1.0], [0.0, -2.0, 3.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    # per path max: 4, 3, 1, 1 (mean 2.25); regret of A: 0, 5, 0, 0 -> EVPI = 5 / 4
    result = evpi(nb)
    assert optimal_decision(nb) == 1
    assert result.value == pytest.approx(1.25)
    # se = sd(0, 5, 0, 0) / 2 = sqrt(6.25 * 4 / 3 / 4)... sample var = (3 * 1.25^2 + 3.75^2) / 3
    assert result.se == pytest.approx(math.sqrt((3 * 1.25**2 + 3.75**2) / 3 / 4))


def test_a_baseline_column_that_varies_shifts_nothing():
    # adding the same per-path amount to every decision changes neither which decision is
    # best on a path nor on average: every value of information is unchanged
    rng = np.random.default_rng(1)
    n = 2000
    x = rng.normal(size=n)
    nb = np.column_stack([np.zeros(n), 0.3 + x, -0.2 + 0.5 * x + rng.normal(size=n)])
    shifted = nb + rng.normal(size=n)[:, None] * 10
    assert evpi(shifted).value == pytest.approx(evpi(nb).value, rel=1e-9)
    assert evppi_single(x, shifted).value == pytest.approx(evppi_single(x, nb).value, rel=1e-9)


@pytest.mark.parametrize("ratio", [-1.5, -0.5, 0.0, 0.5, 1.5])
def test_evpi_of_a_linear_normal_net_benefit(ratio):
    # NB = a + b X, X ~ N(10, 2), b = -3: NB ~ N(a - 30, 6); a sets m / s = ratio
    rng = np.random.default_rng(2)
    b, s = -3.0, 6.0
    a = 30.0 + ratio * s
    x = rng.normal(10.0, 2.0, 20_000)
    nb = two_columns(a + b * x)
    exact = normal_gain(a - 30.0, s)
    result = evpi(nb)
    assert abs(result.value - exact) < 3 * result.se
    # with NB a function of X alone, EVPPI(X) = EVPI
    single = evppi_single(x, nb)
    assert abs(single.value - exact) < 3 * single.se


@pytest.mark.parametrize("m", [-1.0, 0.0, 0.6, 2.0])
def test_evppi_of_two_independent_inputs_and_of_the_pair(m):
    # NB = m + X1 + 0.7 X2 + 0.5 e; X1, X2, e ~ N(0, 1); X3 does not enter.
    # E[NB | X1] ~ N(m, 1), E[NB | X2] ~ N(m, 0.7), E[NB | X1, X2] ~ N(m, sqrt(1.49)),
    # NB ~ N(m, sqrt(1.74)); E[NB | X3] = m: EVPPI(X3) = 0.
    rng = np.random.default_rng(3)
    n = 40_000
    x1, x2, x3 = rng.normal(size=(3, n))
    nb = two_columns(m + x1 + 0.7 * x2 + 0.5 * rng.normal(size=n))
    sample = net_benefit_sample(nb)
    total = evpi(sample)
    assert abs(total.value - normal_gain(m, math.sqrt(1.74))) < 3 * total.se
    for x, s in ((x1, 1.0), (x2, 0.7)):
        single = evppi_single(x, sample)
        assert abs(single.value - normal_gain(m, s)) < 3 * single.se
        assert single.value <= total.value + 2 * total.se
    pair = evppi_group(np.column_stack([x1, x2]), sample)
    assert abs(pair.value - normal_gain(m, math.sqrt(1.49))) < 3 * pair.se
    assert abs(pair.value_cross_fitted - normal_gain(m, math.sqrt(1.49))) < 3 * pair.se_cross_fitted
    # the fit check: R^2 = 1.49 / 1.74 (sampling sd ~ 0.0015 here)
    (fit,) = pair.fits
    assert fit.r2 == pytest.approx(1.49 / 1.74, abs=0.01)
    assert fit.r2_cv == pytest.approx(1.49 / 1.74, abs=0.01)
    # an input that does not enter: zero within the scale of a standard error,
    # sd(NB) / sqrt(n), even where the decision is a toss-up (m = 0)
    scale = math.sqrt(1.74 / n)
    assert 0.0 <= evppi_single(x3, sample).value < 2 * scale
    assert 0.0 <= evppi_group(x3[:, None], sample).value < 2 * scale


def test_the_irrelevant_input_stays_near_zero_at_a_tie_over_seeds():
    # at m = 0 the max over noisy conditional means would add ~0.4 sd(NB) sqrt(B / n) per
    # seed for 100 raw bins (4 standard-error scales); smoothing must keep the mean small
    n = 5000
    values = []
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        noise_input, x = rng.normal(size=(2, n))
        values.append(evppi_single(noise_input, two_columns(x)).value)
    scale = 1.0 / math.sqrt(n)  # sd(NB) / sqrt(n)
    assert np.mean(values) < 0.5 * scale
    assert max(values) < 3 * scale


def test_three_decisions_against_numerical_integration():
    # A = 0.2 + 1.0 Z1, B = 0.3 + 0.8 Z2 (independent), baseline 0.
    # EVPI: E[max(0, A, B)] = int_0^inf (1 - F_A(t) F_B(t)) dt - max(0, 0.2, 0.3)
    # EVPPI(Z1): E[B | Z1] = 0.3, so E[max(0.3, A)] - 0.3 = normal_gain(0.2 - 0.3, 1.0)
    rng = np.random.default_rng(4)
    n = 40_000
    z1, z2 = rng.normal(size=(2, n))
    nb = np.column_stack([np.zeros(n), 0.2 + z1, 0.3 + 0.8 * z2])
    tail = integrate.quad(lambda t: 1 - stats.norm.cdf(t, 0.2, 1.0) * stats.norm.cdf(t, 0.3, 0.8),
                          0, np.inf)[0]
    assert optimal_decision(nb) == 2
    total = evpi(nb)
    assert abs(total.value - (tail - 0.3)) < 3 * total.se
    single = evppi_single(z1, nb)
    assert abs(single.value - normal_gain(-0.1, 1.0)) < 3 * single.se
    pair = evppi_group(np.column_stack([z1, z2]), nb)
    assert abs(pair.value - (tail - 0.3)) < 3 * pair.se
    assert len(pair.fits) == 2 and all(f.r2 is not None and f.r2 > 0.999 for f in pair.fits)


def test_a_product_is_worth_nothing_alone_and_everything_as_a_pair():
    # NB = 0.3 + X1 X2, X1, X2 ~ N(0, 1): E[NB | X1] = E[NB | X2] = 0.3, so each input's
    # EVPPI is 0; the pair determines NB: EVPPI = EVPI = E_X1[normal_gain(0.3, |X1|)]
    rng = np.random.default_rng(5)
    n = 40_000
    x1, x2 = rng.normal(size=(2, n))
    nb = two_columns(0.3 + x1 * x2)
    exact = integrate.quad(lambda t: normal_gain(0.3, abs(t)) * stats.norm.pdf(t), -np.inf, np.inf)[0]
    total = evpi(nb)
    assert abs(total.value - exact) < 3 * total.se
    scale = float(np.std(x1 * x2)) / math.sqrt(n)
    for x in (x1, x2):
        assert evppi_single(x, nb).value < 2 * scale
    pair = evppi_group(np.column_stack([x1, x2]), nb)
    assert pair.fits[0].model == "splines and pairwise products"
    assert abs(pair.value - exact) < 3 * pair.se
    additive = evppi_group(np.column_stack([x1, x2]), nb, interactions=False)
    assert additive.value < 2 * scale  # without the product the pair looks worthless


def test_a_discrete_input_and_a_step():
    # X in {0, 1, 2} with probabilities 0.5, 0.3, 0.2; NB = -1 + 1.2 X + N(0, 1):
    # E[NB | X] = -1, 0.2, 1.4; E[NB] = -0.5 + 0.06 + 0.28 = -0.16 < 0.
    # EVPPI = 0.3 * 0.2 + 0.2 * 1.4 - 0 = 0.34
    rng = np.random.default_rng(6)
    n = 30_000
    x = rng.choice([0.0, 1.0, 2.0], p=[0.5, 0.3, 0.2], size=n)
    result = evppi_single(x, two_columns(-1.0 + 1.2 * x + rng.normal(size=n)))
    assert result.bins == 3
    assert abs(result.value - 0.34) < 3 * result.se
    # a step: NB = 2 1[U > 0.6] - 1 + N(0, 0.5), U ~ U(0, 1): E[NB | U] = -1 or 1,
    # E[NB] = -0.2: EVPPI = 0.4 * 1 = 0.4
    u = rng.random(n)
    result = evppi_single(u, two_columns(np.where(u > 0.6, 1.0, -1.0) + rng.normal(0, 0.5, n)))
    assert abs(result.value - 0.4) < 3 * result.se


def test_standard_errors_cover_about_95_percent():
    # 100 seeds of a modest run (2,000 paths), m / s = 0.5: the estimate lands within 2 se
    # of the exact value about 95 % of the time; 88 or fewer of 100 would be 3 binomial
    # sds below 95; the se must not be grossly conservative either (within 1 se: 68 %)
    n, m = 2000, 0.6
    hits = {"evpi": [], "evppi": [], "evsi": []}
    for seed in range(100):
        rng = np.random.default_rng(1000 + seed)
        x1, x2 = rng.normal(size=(2, n))
        sample = net_benefit_sample(two_columns(m + x1 + 0.7 * x2))
        for key, result, exact in (
            ("evpi", evpi(sample), normal_gain(m, math.sqrt(1.49))),
            ("evppi", evppi_single(x1, sample), normal_gain(m, 1.0)),
            # pilot on X1 with per-example sd 2 and 4 examples: observation sd 1, so
            # Var(E[X1 | Y]) = 1 / (1 + 1) and E[NB | Y] ~ N(m, sqrt(0.5))
            ("evsi", evsi_pilot(x1, 2.0, 4, sample, rng), normal_gain(m, math.sqrt(0.5))),
        ):
            hits[key].append(abs(result.value - exact) / result.se)
    for key, z in hits.items():
        z = np.asarray(z)
        assert np.mean(z < 2) > 0.88, key
        assert np.mean(z < 1) < 0.9, key


@pytest.mark.parametrize("n_examples", [5, 50, 500])
def test_evsi_normal_normal_preposterior(n_examples):
    # theta ~ N(0.05, 0.02) (an error-rate gap), NB = 1.1 - 20 theta + N(0, 0.3): m = 0.1.
    # A pilot of n examples with per-example noise 0.3 observes Y = theta + N(0, 0.3/sqrt(n)).
    # E[theta | Y] has variance s^2 n / (n + sigma^2 / s^2) (s = 0.02, sigma = 0.3), so
    # E[NB | Y] ~ N(0.1, 20 sqrt of that): EVSI = normal_gain(0.1, that sd).
    # The rule: E[NB | Y] = 0.1 - 20 w (Y - 0.05) with w = s^2 / (s^2 + sigma^2 / n) crosses
    # 0 at g* = 0.05 + 0.1 / (20 w), 0.1 / (that sd) = 1.7, 0.6, 0.3 sds of Y above its
    # mean: go if the pilot observes a gap below g*.
    s, sigma, m = 0.02, 0.3, 0.1
    rng = np.random.default_rng(7)
    n = 50_000
    theta = rng.normal(0.05, s, n)
    nb = two_columns(m + 1.0 - 20 * theta + rng.normal(0, 0.3, n))
    preposterior_sd = 20 * s * math.sqrt(n_examples / (n_examples + sigma**2 / s**2))
    result = evsi_pilot(theta, sigma, n_examples, nb, rng)
    assert abs(result.value - normal_gain(m, preposterior_sd)) < 3 * result.se
    assert result.observation_sd == pytest.approx(sigma / math.sqrt(n_examples))
    w = s**2 / (s**2 + sigma**2 / n_examples)
    g_star = 0.05 + m / (20 * w)
    assert result.go_when == "below"
    assert result.decisions == (1, 0)
    assert result.threshold is not None
    # the fitted line's crossing: its error is about se(fitted value at g*) / slope, with
    # se = sd(residual) sqrt((1 + z^2) / n), z = (g* - E Y) / sd(Y); allow 5 of those (the
    # smooth may be a spline, a little noisier than a line)
    sd_y = math.sqrt(s**2 + sigma**2 / n_examples)
    sd_residual = math.sqrt(0.3**2 + 400 * s**2 * (1 - w))
    z = (g_star - 0.05) / sd_y
    tolerance = 5 * sd_residual * math.sqrt((1 + z * z) / n) / (20 * w)
    assert abs(result.threshold - g_star) < tolerance


def test_evsi_tends_to_evppi_for_a_large_pilot_and_to_zero_for_a_tiny_one():
    # same model as above: EVPPI(theta) = normal_gain(0.5, 20 * 0.02) = normal_gain(0.5, 0.4)
    rng = np.random.default_rng(8)
    n = 50_000
    theta = rng.normal(0.05, 0.02, n)
    nb = two_columns(1.5 - 20 * theta + rng.normal(0, 0.3, n))
    evppi = evppi_single(theta, nb)
    assert abs(evppi.value - normal_gain(0.5, 0.4)) < 3 * evppi.se
    big = evsi_pilot(theta, 0.3, 10**7, nb, rng)  # observation sd 1e-4: theta itself
    assert abs(big.value - normal_gain(0.5, 0.4)) < 3 * big.se
    # one example with noise 30: Var(E[theta | Y]) = s^2 / (1 + 30^2 / 0.02^2), sd 0.0053
    # of E[NB | Y] ~ 1.3e-5 sd: normal_gain(0.5, that) ~ 0
    tiny = evsi_pilot(theta, 30.0, 1, nb, rng)
    assert tiny.value < 3 * max(tiny.se, 0.3 / math.sqrt(n))
    assert tiny.threshold is None and tiny.go_when is None and tiny.decisions == (1,)


def test_a_pilot_that_observes_above_the_threshold_to_go():
    # NB = -0.4 + 10 theta: going pays when the gap is large; theta ~ N(0.05, 0.02), m = 0.1
    # exact observation (noise 0): g* = 0.04, go when the pilot observes above it
    rng = np.random.default_rng(9)
    theta = rng.normal(0.05, 0.02, 20_000)
    result = evsi_pilot(theta, 0.0, 1, two_columns(-0.4 + 10 * theta), rng)
    assert result.go_when == "above" and result.decisions == (0, 1)
    assert result.threshold == pytest.approx(0.04, abs=0.001)
    assert abs(result.value - normal_gain(0.1, 0.2)) < 3 * result.se


def test_pilot_observation_adds_the_mean_of_n_examples_noise():
    rng = np.random.default_rng(10)
    truth = np.full(200_000, 0.1)
    observed = pilot_observation(truth, 0.5, 25, rng)
    # noise sd 0.5 / sqrt(25) = 0.1; the sample sd of 200,000 draws is within 0.5 %
    assert np.std(observed) == pytest.approx(0.1, rel=0.005)
    assert np.mean(observed) == pytest.approx(0.1, abs=5 * 0.1 / math.sqrt(200_000))


def test_a_given_sort_gives_the_same_estimate():
    rng = np.random.default_rng(11)
    x = rng.lognormal(size=3000)
    nb = np.column_stack([np.zeros(3000), np.log(x) + rng.normal(size=3000), 0.2 - 0.1 * x])
    plain = evppi_single(x, nb)
    assert evppi_single(x, nb, order=np.argsort(x, kind="stable")) == plain
    assert evppi_single(sort_sample(x), nb) == plain
    with pytest.raises(ValueError, match="input: expected 3000 sorted values"):
        evppi_single(sort_sample(x[:10]), nb)


def test_only_a_baseline_is_worth_nothing():
    nb = np.zeros((100, 1))
    x = np.arange(100.0)
    assert evpi(nb).value == 0.0
    assert evppi_single(x, nb).value == 0.0
    assert evppi_group(x[:, None], nb).value == 0.0
    assert evsi_pilot(x, 1.0, 10, nb, np.random.default_rng(0)).value == 0.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: evpi(np.zeros(10)), "net_benefit: expected (n_paths >= 2, n_decisions >= 1)"),
        (lambda: evpi(np.array([[0.0, 1.0], [0.0, np.nan]])), "net_benefit: contains a value"),
        (lambda: evppi_single(np.zeros(3), np.zeros((4, 2))), "input: expected shape (4,)"),
        (lambda: evppi_single(np.array([0.0, np.inf]), np.zeros((2, 2))), "input: contains a value"),
        (lambda: evppi_group(np.zeros(4), np.zeros((4, 2))), "inputs: expected shape (4, k >= 1)"),
        (lambda: pilot_observation(np.zeros(4), -1.0, 5, np.random.default_rng(0)),
         "noise_sd_per_example: expected a finite number >= 0"),
        (lambda: pilot_observation(np.zeros(4), 1.0, 0, np.random.default_rng(0)),
         "n_examples: expected a whole number >= 1"),
        (lambda: pilot_observation(np.zeros(4), 1.0, 2.5, np.random.default_rng(0)),
         "n_examples: expected a whole number >= 1"),
    ],
)
def test_bad_arguments_raise_one_line_errors(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("n", [2, 137, 20_000, 65_537, 300_007])
@pytest.mark.parametrize("kind", ["continuous", "three values", "constant"])
def test_bin_sums_of_squares_are_the_sums_of_the_squared_copy(n, kind):
    # The blockwise sums read each bin's squares in the same order as a reduceat over a
    # squared copy of every row: the same float sums, bit for bit, for bins of any size
    # (below and above the block, one bin holding every row).
    rng = np.random.default_rng(n)
    rows = rng.standard_normal((n, 2)) * rng.lognormal(5.0, 2.0, (n, 1))
    x = {"continuous": np.sort(rng.random(n)), "constant": np.zeros(n),
         "three values": np.sort(rng.integers(0, 3, n).astype(float))}[kind]
    for bins in (None, 7):
        edges = equal_count_edges(x, bins)
        expected = np.add.reduceat(rows * rows, edges[:-1], axis=0)
        assert np.array_equal(bin_sums_of_squares(rows, edges), expected)


def test_a_float32_truth_is_observed_as_its_float64_copy():
    # the pilot's observation reads float32 inputs without widening them first: each value
    # widens exactly in the sum, so the observation is the float64 copy's
    truth = np.random.default_rng(3).lognormal(0.0, 1.0, 1000).astype(np.float32)
    direct = pilot_observation(truth, 0.3, 50, np.random.default_rng(4))
    widened = pilot_observation(truth.astype(np.float64), 0.3, 50, np.random.default_rng(4))
    assert direct.dtype == np.float64 and np.array_equal(direct, widened)
