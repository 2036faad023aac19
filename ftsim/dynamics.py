"""Month-by-month random events: traffic noise, price indices, drift and base-model updates.

Each quantity has a pure function of its draws (tested by hand) and a thin drawing wrapper.
Arrays are month-major, (H, paths), like the engine's.
"""

from __future__ import annotations

import numpy as np

from .distributions import Distribution

__all__ = [
    "month_numbers",
    "traffic_from_noise",
    "traffic",
    "poisson_counts",
    "index_from_events",
    "price_index",
]

_U_EPS = 2.0**-53


def month_numbers(horizon_months: int) -> np.ndarray:
    """Months 1..H as a float column of shape (H, 1), for broadcasting over paths."""
    return np.arange(1, horizon_months + 1, dtype=float)[:, None]


def traffic_from_noise(
    requests_month1: np.ndarray, monthly_growth: np.ndarray, monthly_volatility: np.ndarray,
    z: np.ndarray,
) -> np.ndarray:
    """R_t = R0 (1+g)^(t-1) eps_t with eps_t = exp(sigma z_t - sigma^2/2), so E[eps_t] = 1.

    MODEL.md section 4 "Traffic". (paths,) inputs and z of shape (H, paths) -> (H, paths).
    """
    # One exp of the summed logs instead of a power and an exp per path-month.
    sigma = monthly_volatility
    log_r = (month_numbers(z.shape[0]) - 1.0) * np.log1p(monthly_growth)
    log_r += sigma * z
    log_r -= 0.5 * sigma**2
    log_r = np.exp(log_r, out=log_r)
    log_r *= requests_month1
    return log_r


def traffic(
    rng: np.random.Generator, requests_month1: np.ndarray, monthly_growth: np.ndarray,
    monthly_volatility: np.ndarray, horizon_months: int,
) -> np.ndarray:
    """Draw z_t iid N(0, 1) and return R_t. The noise is drawn even when sigma = 0, so the
    stream's position never depends on input values."""
    z = rng.standard_normal((horizon_months, requests_month1.shape[0]))
    return traffic_from_noise(requests_month1, monthly_growth, monthly_volatility, z)


def poisson_counts(
    rng: np.random.Generator, events_per_year: np.ndarray, horizon_months: int
) -> np.ndarray:
    """Event counts per month, independent Poisson(rate / 12), shape (H, paths) of int64.

    Drawn as a Poisson process: each path's total over the horizon is
    Poisson(rate * H / 12) and each event falls in a uniformly drawn month. Given the total,
    the monthly counts of independent Poissons with equal means are exactly multinomial
    with equal cell probabilities, so the law is the same -- but only a few draws per path
    are needed instead of one per path-month. A stream whose rate is 0 on every path draws
    nothing (each stream has its own name, so skipping cannot shift any other draw).
    """
    from .kernel import count_events  # imports numba

    n_paths = events_per_year.shape[0]
    counts = np.zeros((horizon_months, n_paths), np.int64)
    if not np.any(events_per_year > 0):
        return counts
    totals = rng.poisson(events_per_year * (horizon_months / 12.0))
    months = rng.integers(0, horizon_months, size=int(totals.sum()))
    count_events(months, totals, counts)
    return counts


def index_from_events(
    annual_decline: np.ndarray, event_counts: np.ndarray, multipliers: np.ndarray
) -> np.ndarray:
    """I_t = (1-d)^((t-1)/12) * product of the multipliers of events in months 1..t.

    ``event_counts`` is (H, paths); ``multipliers`` holds one value per event, in row-major
    (month, path) order of the counts. MODEL.md section 4 "Price index".
    """
    from .kernel import price_index_months  # imports numba

    step = np.exp(np.log1p(-np.asarray(annual_decline, np.float64)) / 12.0)
    index = np.empty(event_counts.shape)
    price_index_months(np.ascontiguousarray(step), np.ascontiguousarray(event_counts, np.int64),
                       np.ascontiguousarray(multipliers, np.float64), index)
    return index


def price_index(
    rng: np.random.Generator, annual_decline: np.ndarray, events_per_year: np.ndarray,
    event_multiplier: Distribution, horizon_months: int,
) -> np.ndarray:
    """Draw Poisson(c/12) events per month and a fresh multiplier per event; return I_t."""
    counts = poisson_counts(rng, events_per_year, horizon_months)
    u = np.clip(rng.random(int(counts.sum())), _U_EPS, 1.0 - _U_EPS)
    return index_from_events(annual_decline, counts, event_multiplier.ppf(u))
