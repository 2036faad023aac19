"""A constructed scenario whose retraining policies have hand-computed E[NPV] (not a test
module): fixed inputs, only drift events random (Poisson, mu per month), no error-rate cap in
reach, no lead time and no base-model updates. A path's saving in month t is then
s0 - A * N_t - c_re * 1[retrain at t], with N_t the shifts not yet handled (docs/model.md
7.5-7.6), and E[NPV] per policy has the closed forms below:

- calendar cadence K, no drift trigger: E[N_t] = mu * w_t, w_t = ((t - 1) mod K) + 1 (the
  months since the last scheduled retrain, this one included; w_t = t for K = 0), and
  floor(H / K) retrains;
- with the drift trigger at lag D: after a reset the first shift comes in a month with
  probability p = 1 - exp(-mu) (E[count | >= 1] = mu / p), later months add mu each, and the
  retrain comes D months after the first shift or at the next scheduled month; a two-state
  recursion (idle, or age of the oldest unhandled shift) gives E[N_t] and P(retrain at t).
"""

from __future__ import annotations

import math

H, MU, DELTA = 24, 1.0, 0.002
R, COST_PER_ERROR = 1_000_000, 0.5
RETRAIN_COST, UPFRONT, RATE = 4_000.0, 5_000.0, 0.06
A = R * COST_PER_ERROR * DELTA  # money per unhandled shift per month: 1,000
# baseline (1000 x 3 + 100 x 10) / 1e6 per request, the option (1000 x 0.5 + 100 x 1) / 1e6
S0 = R * ((1000 * 3.0 + 100 * 10.0) - (1000 * 0.5 + 100 * 1.0)) / 1e6  # 3,400 a month

HAND = f"""
[scenario]
name = "Hand-made drift"
horizon_months = {H}
payback_within_months = {H}
discount_rate_annual = {RATE}

[simulation]
paths = 4000
seed = 11

[traffic]
requests_per_month = {R}
input_tokens = 1000
output_tokens = 100

[quality]
baseline_error_rate = 0.05
cost_per_error = {COST_PER_ERROR}

[drift]
events_per_year = {12 * MU}
error_increase = {DELTA}

[baseline]
price_input_per_mtok = 3.0
price_output_per_mtok = 10.0

[options.ft]
name = "Fine-tune"

[options.ft.serving]
mode = "api"
price_input_per_mtok = 0.5
price_output_per_mtok = 1.0

[options.ft.build]
engineering_cost = {UPFRONT}

[options.ft.maintenance]
retrain_every_months = 6
retrain_cost = {RETRAIN_COST}
"""


def hand_npv(cadence: int, on_drift: bool, lag: int) -> tuple[float, float]:
    """E[NPV] and E[retrains] of one policy in the HAND scenario, by the recursion above."""
    monthly = (1 + RATE) ** (1 / 12) - 1
    p = 1 - math.exp(-MU)
    idle, ages = 1.0, {}  # P(no unhandled shift), P(oldest unhandled shift is `age` old)
    npv, retrains = -UPFRONT, 0.0
    for t in range(1, H + 1):
        ages = {0: idle * p, **{age + 1: q for age, q in ages.items()}}
        idle *= 1 - p
        unhandled = sum(q * (MU / p + age * MU) for age, q in ages.items())
        if cadence and t % cadence == 0:
            retrain, idle, ages = 1.0, 1.0, {}
        elif on_drift:
            retrain = sum(q for age, q in ages.items() if age >= lag)
            idle += retrain
            ages = {age: q for age, q in ages.items() if age < lag}
        else:
            retrain = 0.0
        retrains += retrain
        npv += (S0 - A * unhandled - RETRAIN_COST * retrain) / (1 + monthly) ** t
    return npv, retrains


def closed_form_calendar(cadence: int) -> float:
    """E[NPV] of a calendar cadence without the drift trigger, written out directly."""
    monthly = (1 + RATE) ** (1 / 12) - 1
    total = -UPFRONT
    for t in range(1, H + 1):
        window = t if cadence == 0 else (t - 1) % cadence + 1
        retrain = 1.0 if cadence and t % cadence == 0 else 0.0
        total += (S0 - A * MU * window - RETRAIN_COST * retrain) / (1 + monthly) ** t
    return total
