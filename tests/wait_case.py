"""Constructed scenarios whose value of waiting is known by hand (not a test module).

Both serve 1,000,000 requests a month of 1,000 input and 100 output tokens, with no
quality or drift term, a lead time of L = 1 month and an upfront cost U (engineering
only), so a live month saves s_t = a I_t - b: the baseline's tokens cost a I_t, with I_t
its price index, the option's tokens plus maintenance cost b. Committing after month k
(docs/model.md, "The option to wait") gives

    NPV_k = -U v^k + sum_{t = k + L + 1}^{H} v^t (a I_t - b),   v = (1 + r)^(-1/12).

- CONSTANT: nothing is random (I_t = 1). Waiting can only lose the months cut off at the
  horizon and gain the interest on U: NPV_k = v^k (-U + (a - b) sum_{t=L+1}^{H-k} v^t).
- PRICE_EVENT: the baseline's index has no trend and Poisson list-price changes, rate c a
  year, each doubling the price (m = 2). After month k with j changes seen, the future
  changes are still Poisson, so E[I_t | j] = m^j exp(-c/12 (t - k)(1 - m)) for t > k, and
  the decision tree is sum_j P(j) max(E[NPV_k | j], 0) - max(E[NPV_0], 0) with j ~
  Poisson(c k / 12).
"""

from __future__ import annotations

import math

H, L, RATE = 24, 1, 0.08
A_MONTH = 1_000_000 * (1000 * 1.5 + 100 * 5.0) / 1e6  # baseline tokens: 2,000 a month
B_MONTH = 1_000_000 * (1000 * 0.5 + 100 * 1.0) / 1e6 + 1_100.0  # option: 600 + 1,100
EVENTS_PER_YEAR, MULTIPLIER = 0.5, 2.0


def scenario_text(upfront: float, *, events_per_year: float = 0.0) -> str:
    """A scenario as above; with ``events_per_year`` > 0 the baseline's price index "api"
    doubles at each Poisson list-price change (the option is priced on the undefined, so
    constant, "gpu" index)."""
    prices = (f"""
[prices.api]
events_per_year = {events_per_year}
event_multiplier = {MULTIPLIER}
""" if events_per_year else "")
    return f"""
[scenario]
name = "Hand-made wait"
horizon_months = {H}
payback_within_months = {H}
discount_rate_annual = {RATE}

[simulation]
paths = 2000
seed = 5

[traffic]
requests_per_month = 1_000_000
input_tokens = 1000
output_tokens = 100
{prices}
[baseline]
price_input_per_mtok = 1.5
price_output_per_mtok = 5.0

[options.ft]
name = "Fine-tune"
lead_time_months = {L}

[options.ft.serving]
mode = "api"
price_input_per_mtok = 0.5
price_output_per_mtok = 1.0
price_index = "gpu"

[options.ft.build]
engineering_cost = {upfront}

[options.ft.maintenance]
monthly_cost = 1_100
"""


def _v() -> float:
    return (1 + RATE) ** (-1 / 12)


def constant_npv(upfront: float, k: int) -> float:
    """NPV of committing after month k in the CONSTANT scenario."""
    v = _v()
    return -upfront * v**k + (A_MONTH - B_MONTH) * sum(v**t for t in range(k + L + 1, H + 1))


def constant_value(upfront: float, k: int) -> float:
    """Value of waiting k months with nothing to learn: max(NPV_k, 0) - max(NPV_0, 0)."""
    return max(constant_npv(upfront, k), 0.0) - max(constant_npv(upfront, 0), 0.0)


def event_npv(upfront: float, k: int, j: int) -> float:
    """E[NPV_k | j list-price changes by month k] in the PRICE_EVENT scenario."""
    v, lam = _v(), EVENTS_PER_YEAR / 12
    return -upfront * v**k + sum(
        v**t * (A_MONTH * MULTIPLIER**j * math.exp(-lam * (t - k) * (1 - MULTIPLIER)) - B_MONTH)
        for t in range(k + L + 1, H + 1))


def event_tree_value(upfront: float, k: int) -> float:
    """The decision tree's value of waiting k months in the PRICE_EVENT scenario."""
    mean = EVENTS_PER_YEAR / 12 * k
    tree = sum(math.exp(-mean) * mean**j / math.factorial(j) * max(event_npv(upfront, k, j), 0.0)
               for j in range(40))
    return tree - max(event_npv(upfront, 0, 0), 0.0)


# PILOT: the CONSTANT world plus a quality term: the fine-tune's error-rate gap is
# Normal(GAP_MEAN, GAP_SD) (baseline error rate 0.2, so the rate never clips), each error
# costs COST_PER_ERROR; a pilot measures the gap with Normal(0, TAU) noise. A live month
# then saves a - b - R c_err gap, so NPV_k = A_k - B_k gap with A_k = constant_npv(U, k)
# and B_k = R c_err sum_{t=k+L+1}^{H} v^t; after the pilot E[gap | y] is normal with mean
# GAP_MEAN and sd S = GAP_SD^2 / sqrt(GAP_SD^2 + TAU^2) (the normal-normal preposterior),
# so E[max(0, E[NPV_k | y])] = s phi(M / s) + M Phi(M / s), M = A_k - B_k GAP_MEAN,
# s = B_k S.
GAP_MEAN, GAP_SD, COST_PER_ERROR = 0.02, 0.02, 0.01
PILOT_EXAMPLES, PILOT_NOISE, PILOT_COST = 100, 0.1, 500.0  # TAU = 0.1 / sqrt(100) = 0.01


def pilot_text(upfront: float) -> str:
    """The PILOT scenario (its pilot is named "Pilot")."""
    return scenario_text(upfront).replace("[baseline]", f"""[quality]
baseline_error_rate = 0.2
cost_per_error = {COST_PER_ERROR}

[baseline]""").replace('lead_time_months = 1', f"""lead_time_months = 1
error_rate_gap = {{ dist = "normal", mean = {GAP_MEAN}, sd = {GAP_SD} }}""") + f"""
[[pilots]]
name = "Pilot"
input = "options.ft.error_rate_gap"
examples = {PILOT_EXAMPLES}
noise_sd_per_example = {PILOT_NOISE}
cost = {PILOT_COST}
duration_months = 1
"""


def pilot_value(upfront: float, k: int) -> float:
    """Value of waiting k months with the pilot, by the preposterior above, its cost paid."""
    v = _v()
    b_k = 1_000_000 * COST_PER_ERROR * sum(v**t for t in range(k + L + 1, H + 1))
    m = constant_npv(upfront, k) - b_k * GAP_MEAN
    tau = PILOT_NOISE / math.sqrt(PILOT_EXAMPLES)
    s = b_k * GAP_SD**2 / math.sqrt(GAP_SD**2 + tau**2)
    phi = math.exp(-0.5 * (m / s) ** 2) / math.sqrt(2 * math.pi)
    big_phi = 0.5 * (1 + math.erf(m / s / math.sqrt(2)))
    now = constant_npv(upfront, 0) - _b0() * GAP_MEAN
    return s * phi + m * big_phi - PILOT_COST - max(now, 0.0)


def _b0() -> float:
    v = _v()
    return 1_000_000 * COST_PER_ERROR * sum(v**t for t in range(L + 1, H + 1))
