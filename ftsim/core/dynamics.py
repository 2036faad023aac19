"""Month-by-month random events: traffic noise, price indices, drift and base-model updates.

Each quantity has a pure function of its draws (tested by hand) and a thin drawing wrapper.
Arrays are month-major, (H, paths), like the engine's.
"""

from __future__ import annotations

import numpy as np

from ..distributions import Distribution
from ..rng import U_MIN

__all__ = [
    "MAX_REQUESTS_PER_MONTH",
    "INDEX_MIN",
    "INDEX_MAX",
    "month_numbers",
    "traffic_from_noise",
    "traffic",
    "poisson_counts",
    "count_events",
    "index_from_events",
    "price_index",
]


# Engine safety clamps (agreed hard ranges, notes/ranges.md): R_t never exceeds 1e15
# requests a month -- a thousand times the largest requests_per_month a scenario may state
# (1e12), reached only by compounding growth or noise over many months -- so that money,
# a product of R_t with bounded prices and tokens, stays finite. No plausible scenario
# comes near it, and a clamp that does not bind changes no bit of the result.
MAX_REQUESTS_PER_MONTH = 1e15
# Growth-and-noise factor exp(...) is clamped in the log domain first, so exp cannot
# overflow and R0 (<= 1e12) times the factor stays finite (e^600 ~ 4e260); within the hard
# ranges the exponent stays below ~450 (599 ln 2 + a few sigma z), so this never binds.
_MAX_LOG_FACTOR = 600.0
# Safety clamp of a price index (notes/ranges.md, engine safety): it never binds in a
# plausible scenario, and a clamp that does not bind changes no bit. Plausible indices stay
# within a factor of a few hundred of 1, but x100 events 52 times a year for 50 years
# would overflow to inf (or a decline to 0).
INDEX_MIN = 1e-9
INDEX_MAX = 1e9
# A Poisson stream whose mean rate exceeds this (events per year, averaged over paths) is
# drawn one count per path-month instead of one month per event (see poisson_counts).
_EVENT_METHOD_MAX_RATE = 24.0
# Price-event multipliers are drawn and applied in blocks of about this many events, so
# memory stays bounded at 52 events a year over 600 months.
_EVENTS_PER_BLOCK = 1 << 20


def month_numbers(horizon_months: int) -> np.ndarray:
    """Months 1..H as a float column of shape (H, 1), for broadcasting over paths."""
    return np.arange(1, horizon_months + 1, dtype=float)[:, None]


def traffic_from_noise(
    requests_month1: np.ndarray, monthly_growth: np.ndarray, monthly_volatility: np.ndarray,
    z: np.ndarray,
) -> np.ndarray:
    """R_t = R0 (1+g)^(t-1) eps_t with eps_t = exp(sigma z_t - sigma^2/2), so E[eps_t] = 1.

    docs/model.md section 4 "Traffic". (paths,) inputs and z of shape (H, paths) -> (H, paths).
    R_t is capped at MAX_REQUESTS_PER_MONTH (a safety clamp that never binds in a
    plausible scenario, see above).
    """
    # One exp of the summed logs instead of a power and an exp per path-month.
    sigma = monthly_volatility
    log_r = (month_numbers(z.shape[0]) - 1.0) * np.log1p(monthly_growth)
    log_r += sigma * z
    log_r -= 0.5 * sigma**2
    np.minimum(log_r, _MAX_LOG_FACTOR, out=log_r)
    log_r = np.exp(log_r, out=log_r)
    log_r *= requests_month1
    np.minimum(log_r, MAX_REQUESTS_PER_MONTH, out=log_r)
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

    That trick stores one month index per event, so above an average of 24 events a year
    (hard ranges allow 365 over 600 months: 18,250 events a path) the counts are drawn
    directly, one Poisson(rate / 12) per path-month: the same law, memory bounded by the
    (H, paths) result. The choice depends on the rates only, never on draws, so each
    method's law is exact; every shipped scenario stays on the first method.
    """
    n_paths = events_per_year.shape[0]
    shape = (horizon_months, n_paths)
    if not np.any(events_per_year > 0):
        return np.zeros(shape, np.int64)
    if float(np.mean(events_per_year)) > _EVENT_METHOD_MAX_RATE:
        return rng.poisson(np.broadcast_to(events_per_year / 12.0, shape))
    totals = rng.poisson(events_per_year * (horizon_months / 12.0))
    months = rng.integers(0, horizon_months, size=int(totals.sum()))
    return count_events(months, totals, horizon_months)


def count_events(event_months: np.ndarray, totals: np.ndarray, horizon_months: int) -> np.ndarray:
    """Events per (month, path), (H, paths) int64: path i owns the next ``totals[i]``
    entries of ``event_months`` (0-based months). One compiled pass (kernel.event_counts)."""
    from .kernel import event_counts  # imports numba

    months = np.ascontiguousarray(event_months, np.int64)
    totals = np.ascontiguousarray(totals, np.int64)
    # the compiled pass does not check its indices: a wrong input would read or write
    # outside the arrays instead of raising
    if int(totals.sum()) != months.size or (months.size and not (
            0 <= int(months.min()) and int(months.max()) < horizon_months)):
        raise ValueError(f"count_events: {months.size} event months in 0..{horizon_months - 1}"
                         f" expected for totals summing to {int(totals.sum())}")
    return event_counts(months, totals, horizon_months)


def index_from_events(
    annual_decline: np.ndarray, event_counts: np.ndarray, multipliers: np.ndarray
) -> np.ndarray:
    """I_t = (1-d)^((t-1)/12) * product of the multipliers of events in months 1..t.

    ``event_counts`` is (H, paths); ``multipliers`` holds one value per event, in row-major
    (month, path) order of the counts. docs/model.md section 5 "Price indices". The index is kept
    within [1e-9, 1e9] (``INDEX_MIN``/``INDEX_MAX``), a safety clamp: a
    plausible index stays within a factor of a few hundred of 1, while at the hard-range
    edges (a x100 event 52 times a year for 50 years) it would overflow.
    """
    index = np.empty(event_counts.shape)
    _index_rows(_monthly_step(annual_decline), np.ascontiguousarray(event_counts, np.int64),
                np.ascontiguousarray(multipliers, np.float64), index, 0, event_counts.shape[0])
    return index


def _monthly_step(annual_decline: np.ndarray) -> np.ndarray:
    """(1 - d)^(1/12) per path."""
    return np.ascontiguousarray(np.exp(np.log1p(-np.asarray(annual_decline, np.float64)) / 12.0))


def _index_rows(step: np.ndarray, counts: np.ndarray, multipliers: np.ndarray,
                index: np.ndarray, first: int, end: int) -> None:
    """Fill rows first..end-1 of ``index``; ``multipliers`` are those rows' events only.

    I_1 = jumps_1, I_t = max(I_{t-1} step, INDEX_MIN) jumps_t, the level clamped to
    [INDEX_MIN, INDEX_MAX] after every event's factor (a path's k-th event of month t
    multiplies after its (k-1)-th): one compiled pass over the paths (kernel.index_rows).
    Rows before ``first`` must be filled already (the caller works in blocks of months).
    """
    from .kernel import index_rows  # imports numba

    if multipliers.size != int(counts[first:end].sum()):  # unchecked indices in the kernel
        raise ValueError(f"{multipliers.size} multipliers for "
                         f"{int(counts[first:end].sum())} events in rows {first}..{end - 1}")
    index_rows(step, counts, multipliers, index, first, end, INDEX_MIN, INDEX_MAX)


def price_index(
    rng: np.random.Generator, annual_decline: np.ndarray, events_per_year: np.ndarray,
    event_multiplier: Distribution, horizon_months: int,
) -> np.ndarray:
    """Draw Poisson(c/12) events per month and a fresh multiplier per event; return I_t.

    Multipliers are drawn and applied a block of months at a time (about a million events
    a block): the generator yields the same numbers in pieces as at once, so the result is
    that of one draw for all events, with memory bounded at the hard-range edges.
    """
    counts = poisson_counts(rng, events_per_year, horizon_months)
    step = _monthly_step(annual_decline)
    index = np.empty(counts.shape)
    per_month = counts.sum(axis=1)
    month = 0
    while month < horizon_months:
        # at least one month a block; then as many as fit in the block
        end = month + 1 + int(np.searchsorted(np.cumsum(per_month[month + 1:]),
                                              _EVENTS_PER_BLOCK - per_month[month], "right"))
        u = np.clip(rng.random(int(per_month[month:end].sum())), U_MIN, 1.0 - U_MIN)
        _index_rows(step, counts, np.ascontiguousarray(event_multiplier.ppf(u), np.float64),
                    index, month, end)
        month = end
    return index
