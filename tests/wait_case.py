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
