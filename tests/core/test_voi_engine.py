"""Value of information through the engine, against closed forms (issue 12, Correctness).

A scenario with every input fixed except one option's error-rate gap Delta ~ Normal(mu,
sigma): no drift, no traffic noise or growth, no price index, no escalation, no
abandonment (max_acceptable_gap left at its default, inf), and a baseline error rate of
0.4, so the option's error rate 0.4 + Delta is never clipped (sigma = 0.01: 40 sd away).
By docs/model.md sections 6-9, in a live month (t >= S = lead time + 1):

    C_B  = R q_B + R e_B c_err              q_B = (n_in p_in + n_out p_out) / 1e6
    C_O  = R q_O + R c_err (e_B + Delta) + m_O
    s_t  = C_B - C_O = R (q_B - q_O) - m_O - R c_err Delta

and s_t = 0 before S, so NPV = -U + sum_{t=S}^{H} s_t v^t = A + B Delta with
v = 1 / (1 + r_m), r_m = (1 + r)^(1/12) - 1, a = sum_{t=S}^{H} v^t:

    A = -U + (R (q_B - q_O) - m_O) a,        B = -R c_err a.

NPV ~ Normal(m, s) with m = A + B mu, s = |B| sigma. The decision is the option or the
baseline (0), so EVPI = E[max(NPV, 0)] - max(m, 0) = s phi(m/s) + m Phi(m/s) - max(m, 0),
and the EVPPI of Delta is the same (NPV is a function of Delta). A pilot observing
Y = Delta + Normal(0, tau), tau = noise / sqrt(examples), gives E[NPV | Y] ~ Normal(m, s_Y)
with s_Y = |B| sigma^2 / sqrt(sigma^2 + tau^2) (the preposterior), so EVSI has the same form
with s_Y, and the rule is: go when Y < mu - m / (B k), k = sigma^2 / (sigma^2 + tau^2).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ftsim import parse_scenario, simulate, summarize
from ftsim.core.summary_types import Summary

# The inputs, by hand
R, N_IN, N_OUT = 100_000.0, 1_000.0, 200.0
P_IN_B, P_OUT_B, P_IN_O, P_OUT_O = 2.0, 8.0, 0.5, 1.5
E_B, C_ERR, M_O, U = 0.4, 2.0, 1_000.0, 20_000.0
H, LEAD, RATE = 24, 2, 0.10
SIGMA = 0.01
NOISE, EXAMPLES, PILOT_COST, PILOT_MONTHS = 0.1, 100, 3_000.0, 2.0

Q_B = (N_IN * P_IN_B + N_OUT * P_OUT_B) / 1e6
Q_O = (N_IN * P_IN_O + N_OUT * P_OUT_O) / 1e6
R_M = (1 + RATE) ** (1 / 12) - 1
ANNUITY = sum((1 + R_M) ** -t for t in range(LEAD + 1, H + 1))
A = -U + (R * (Q_B - Q_O) - M_O) * ANNUITY
B = -R * C_ERR * ANNUITY
TAU = NOISE / math.sqrt(EXAMPLES)
SHRINK = SIGMA**2 / (SIGMA**2 + TAU**2)
PATHS = 20_000


def _phi(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


def normal_value(m: float, s: float) -> float:
    """E[max(X, 0)] - max(E[X], 0) for X ~ Normal(m, s)."""
    return s * _phi(m / s) + m * _cdf(m / s) - max(m, 0.0)


def _scenario_text(mu: float) -> str:
    return f"""
[scenario]
name = "Linear normal"
horizon_months = {H}
payback_within_months = 12
discount_rate_annual = {RATE}

[traffic]
requests_per_month = {R}
input_tokens = {N_IN}
output_tokens = {N_OUT}

[quality]
baseline_error_rate = {E_B}
cost_per_error = {C_ERR}

[baseline]
price_input_per_mtok = {P_IN_B}
price_output_per_mtok = {P_OUT_B}

[options.ft]
lead_time_months = {LEAD}
error_rate_gap = {{ dist = "normal", mean = {mu!r}, sd = {SIGMA} }}

[options.ft.serving]
mode = "api"
price_input_per_mtok = {P_IN_O}
price_output_per_mtok = {P_OUT_O}

[options.ft.build]
engineering_cost = {U}

[options.ft.maintenance]
monthly_cost = {M_O}

[[voi.groups]]
name = "The gap alone"
inputs = ["options.ft.error_rate_gap"]

[[pilots]]
name = "Pilot"
input = "options.ft.error_rate_gap"
examples = {EXAMPLES}
noise_sd_per_example = {NOISE}
cost = {PILOT_COST}
duration_months = {PILOT_MONTHS}
"""


def _mu_for(ratio: float) -> float:
    """The mean gap that puts m / s at ``ratio``."""
    return (ratio * abs(B) * SIGMA - A) / B


def test_hand_constants() -> None:
    """The derivation above, step by step, at these inputs."""
    assert Q_B == pytest.approx(0.0036) and Q_O == pytest.approx(0.0008)
    assert R * (Q_B - Q_O) - M_O == pytest.approx(-720.0)
    assert ANNUITY == pytest.approx(sum(1.1 ** (-t / 12) for t in range(3, 25)))
    assert 19 < ANNUITY < 22 and B == pytest.approx(-200_000 * ANNUITY)


@pytest.fixture(scope="module")
def runs() -> dict[float, tuple[np.ndarray, np.ndarray, Summary]]:
    """Per m/s: the gap drawn on each path, the option's NPV, and the summary."""
    out = {}
    for ratio in (-1.5, -0.5, 0.0, 0.5, 1.5):
        scenario = parse_scenario(_scenario_text(_mu_for(ratio)))
        result = simulate(scenario, paths=PATHS, seed=11, jobs=1)
        gap = np.asarray(result.inputs["options.ft.error_rate_gap"], dtype=float)
        out[ratio] = (gap, result.options["ft"].npv, summarize(result, threads=1))
    return out


def test_npv_is_the_hand_made_line(runs: dict[float, tuple[np.ndarray, np.ndarray, Summary]]
                                   ) -> None:
    for gap, npv, _ in runs.values():
        assert np.allclose(npv, A + B * gap, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("ratio", [-1.5, -0.5, 0.0, 0.5, 1.5])
def test_evpi_and_evppi_match_the_closed_form(
        runs: dict[float, tuple[np.ndarray, np.ndarray, Summary]], ratio: float) -> None:
    m, s = A + B * _mu_for(ratio), abs(B) * SIGMA
    exact = normal_value(m, s)
    voi = runs[ratio][2].value_of_information
    assert voi is not None
    assert abs(voi.evpi.value - exact) < 3 * voi.evpi.se, (voi.evpi, exact)
    single = voi.input_value("options.ft.error_rate_gap")
    assert abs(single.value - exact) < 3 * single.se + 1e-3 * s, (single, exact)
    assert single.value <= voi.evpi.value + 3 * voi.evpi.se
    (group,) = voi.groups
    assert abs(group.value - exact) < 3 * group.se + 1e-3 * s, (group, exact)
    # the decision best now: the option when m > 0 (its sample mean decides near m = 0)
    if abs(ratio) > 0.1:
        assert voi.decision_now == ("ft" if m > 0 else None)
        assert voi.expected_npv_now == pytest.approx(max(m, 0.0), abs=4 * s / math.sqrt(PATHS))


@pytest.mark.parametrize("ratio", [-1.5, -0.5, 0.0, 0.5, 1.5])
def test_pilot_matches_the_preposterior(
        runs: dict[float, tuple[np.ndarray, np.ndarray, Summary]], ratio: float) -> None:
    m = A + B * _mu_for(ratio)
    s_y = abs(B) * SIGMA**2 / math.sqrt(SIGMA**2 + TAU**2)
    exact = normal_value(m, s_y)
    voi = runs[ratio][2].value_of_information
    assert voi is not None
    (pilot,) = voi.pilots
    assert pilot.observation_sd == pytest.approx(TAU)
    assert abs(pilot.evsi - exact) < 3 * pilot.se + 1e-3 * s_y, (pilot, exact)
    factor = (1 + RATE) ** (-PILOT_MONTHS / 12)
    net = factor * exact - PILOT_COST - (1 - factor) * max(m, 0.0)
    assert abs(pilot.net_value - net) < 3 * pilot.net_value_se + 1e-3 * s_y + \
        4 * (1 - factor) * abs(B) * SIGMA / math.sqrt(PATHS)
    # the rule: go (with the option) when the pilot measures a gap below g* (which lies
    # 2.1 sd of Y from its mean at |m/s| = 1.5: about 350 of the 20,000 paths beyond)
    threshold = _mu_for(ratio) - m / (B * SHRINK)
    assert pilot.go_when == "below" and pilot.go_option == "ft"
    assert pilot.threshold is not None
    spread_y = math.sqrt(SIGMA**2 + TAU**2)
    assert abs(pilot.threshold - threshold) < 0.05 * spread_y, (pilot.threshold, threshold)


def test_switched_off_and_old_summaries() -> None:
    scenario = parse_scenario(_scenario_text(0.0) + "\n[voi]\nenabled = false\n")
    result = simulate(scenario, paths=500, seed=1, jobs=1)
    summary = summarize(result, threads=1)
    assert summary.value_of_information is None
    assert "value_of_information" not in summary.to_dict()
    on = summarize(result, threads=1, value_of_information=True)
    assert on.value_of_information is not None
    d = on.to_dict()
    assert Summary.from_dict(d) == on
    d.pop("value_of_information")  # a summary.json written before value of information
    assert Summary.from_dict(d).value_of_information is None


def test_the_gap_is_worth_learning(runs: dict[float, tuple[np.ndarray, np.ndarray, Summary]]
                                   ) -> None:
    for _, _, summary in runs.values():
        voi = summary.value_of_information
        assert voi is not None and voi.evppi[0].worth_learning


def test_worth_learning_is_holm_over_the_inputs() -> None:
    """One-sided p = 1 - Phi(value / se); Holm at 5 % over 4 inputs rejects while the k-th
    smallest p (0-based) is <= 0.05 / (4 - k): p(10) ~ 0 <= 0.0125, p(3) = 0.00135 <=
    0.0167, p(1.5) = 0.0668 > 0.025 stops; and a value under 1 % of EVPI is not worth
    learning."""
    from ftsim.core.summary_types import InputValue
    from ftsim.core.voi_summary import _mark_worth_learning

    rows = [InputValue("a", "a", 10.0, 1.0), InputValue("b", "b", 3.0, 1.0),
            InputValue("c", "c", 1.5, 1.0), InputValue("d", "d", 0.0, 0.0)]
    assert [r.worth_learning for r in _mark_worth_learning(rows, 100.0)] == [True, True, False,
                                                                             False]
    assert [r.worth_learning for r in _mark_worth_learning(rows, 400.0)] == [True, False, False,
                                                                             False]


def test_learning_a_fixed_input_is_worth_nothing() -> None:
    """The gap fixed by an override: the pilot and the group can learn nothing (value 0
    exactly) and the pilot's net value is minus its cost and the delay's."""
    mu = _mu_for(0.5)  # m > 0: the option is best now and waiting costs (1 - f) m
    scenario = parse_scenario(_scenario_text(mu), overrides=[("options.ft.error_rate_gap", mu)])
    summary = summarize(simulate(scenario, paths=200, seed=1, jobs=1), threads=1)
    voi = summary.value_of_information
    assert voi is not None and voi.evpi.value == 0 and voi.evppi == ()
    (group,) = voi.groups
    assert (group.value, group.fits) == (0.0, ())
    (pilot,) = voi.pilots
    m = A + B * mu
    factor = (1 + RATE) ** (-PILOT_MONTHS / 12)
    assert (pilot.evsi, pilot.threshold, pilot.decisions) == (0.0, None, ("ft",))
    assert pilot.net_value == pytest.approx(-PILOT_COST - (1 - factor) * m, rel=1e-9)
