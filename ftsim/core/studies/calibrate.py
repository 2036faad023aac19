"""Price dynamics fitted to a dated price history: the laws of a ``[prices.<name>]`` table.

The scenario's price index is ``I_t = (1-d)^((t-1)/12) * prod k_j`` (docs/model.md): a smooth
yearly decline ``d`` drawn once per path, plus sudden changes at Poisson rate ``c`` per year,
each multiplying the price by a fresh draw ``k``. The fit separates the two from a history:

1. Each row is an observation of a series' price (a model or a tier) on its date. A
   **step** is a change beyond the threshold in either direction (ratio below
   ``1 - threshold`` or above ``1 / (1 - threshold)``) between consecutive observations at
   most 31 days apart: a month-to-month change. Give the day before and the day of a known
   list-price change (or two consecutive months); a change between observations further
   apart has no known date and counts as trend.
2. Steps are the events; the share of observed months holding one gives ``c``
   (``-12 log(1 - steps / months)``: two events in a month look like one step; its law is
   the Jeffreys posterior Gamma(n + 1/2, years), scaled alike). Their ratios, each less
   the series' smooth trend over its gap, give ``k``: a lognormal whose log mean and sd are
   the step log ratios' moments solved for one event (a step month may hold two).
3. With the steps taken out, each series spanning at least ``min_months`` months gets an
   ordinary least-squares slope of log price on time, ``b`` per year, fitted on the 1st of
   each month (interpolated linearly between observations, so dense stretches do not
   outweigh sparse ones). The slopes are pooled across
   series: mean ``beta`` and a between-series variance ``tau^2`` = their variance less the
   mean squared standard error (method of moments, floored at 0). A new model's slope is
   then ``b ~ N(beta, tau^2 + se(beta)^2)`` and its decline ``d = 1 - exp(b)``: reported as a
   normal law with that d's mean and sd, truncated to [0, 0.95] (a rising trend has no place
   in ``d``: increases come through the steps).

Pure functions over arrays and typed records; reading the file is the caller's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["HistoryError", "Observation", "Step", "SeriesFit", "DynamicsFit",
           "parse_price_history", "fit_series", "fit_dynamics",
           "dynamics_toml", "DEFAULT_THRESHOLD", "DEFAULT_MIN_MONTHS", "DECLINE_TRUNCATE"]

DEFAULT_THRESHOLD = 0.15  # a month-to-month change of more than 15% is a step
DEFAULT_MIN_MONTHS = 6  # shortest series whose slope enters the pooled decline
STEP_DAYS = 31  # a step is a change between observations at most this many days apart
DECLINE_TRUNCATE = (0.0, 0.95)  # annual_decline's hard range [0, 1), plausible to 0.95
MULTIPLIER_TRUNCATE = (0.0, 100.0)  # event_multiplier's hard range (0, 100]
Z95 = 1.6448536269514722  # standard normal 95th percentile
REQUIRED_COLUMNS = ("date", "series", "price", "source")
OPTIONAL_COLUMNS = ("index", "unit", "note")


class HistoryError(ValueError):
    """A price-history file that cannot be read: one line naming the row and column."""


@dataclass(frozen=True)
class Observation:
    """One row: ``series`` cost ``price`` on ``day`` (unit consistent within the series)."""

    day: dt.date
    series: str
    price: float
    index: str  # the scenario price index it informs ("api", "gpu", ...)
    source: str


@dataclass(frozen=True)
class Step:
    """A step change of one series within one month (the grid month it ended in)."""

    series: str
    day: str  # "YYYY-MM-DD": the first observation at the new price
    ratio: float  # new / old price, less one month of the series' smooth trend


@dataclass(frozen=True)
class SeriesFit:
    series: str
    months: float  # from the first observation to the last (exposure = months / 12 years)
    slope: float | None  # log price per year with the steps removed; None if too short
    slope_se: float | None
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class DynamicsFit:
    """The fitted laws of one price index, and what they were fitted from."""

    index: str
    threshold: float
    series: tuple[SeriesFit, ...]
    first_day: dt.date
    last_day: dt.date
    slope_mean: float | None  # beta, log price per year
    slope_mean_se: float | None
    slope_tau: float | None  # between-series sd of the slope
    decline_mean: float | None  # of d = 1 - exp(b), b ~ N(beta, tau^2 + se^2)
    decline_sd: float | None
    events: int
    exposure_years: float
    log_ratio_mean: float | None
    log_ratio_sd: float | None

    @property
    def events_per_year(self) -> float:
        """Poisson rate whose chance of at least one event in a month is the observed share
        of step months: ``-12 log(1 - steps / months)`` (two events in one month look like
        one step)."""
        months = 12.0 * self.exposure_years
        if months <= 0 or self.events >= months:
            return math.inf if self.events else 0.0
        return -12.0 * math.log1p(-self.events / months)

    @property
    def slope_series(self) -> int:
        return sum(1 for s in self.series if s.slope is not None)


def _day(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` or ``YYYY-MM`` (its 1st) between 1990 and 2100, else None."""
    parts = text.strip().split("-")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    try:
        day = dt.date(int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) == 3 else 1)
    except ValueError:
        return None
    return day if 1990 <= day.year <= 2100 else None


def _row(row: dict[str, str | None], line: int) -> Observation:
    """One CSV row as an Observation, or a HistoryError naming the line and column."""
    cell = {k: (row.get(k) or "").strip() for k in (*REQUIRED_COLUMNS, "index")}
    day = _day(cell["date"])
    if day is None:
        raise HistoryError(f"line {line}, date: expected YYYY-MM-DD or YYYY-MM between 1990 "
                           f"and 2100, got {cell['date']!r}")
    for key in ("series", "source"):
        if not cell[key]:
            raise HistoryError(f"line {line}, {key}: empty")
    try:
        price = float(cell["price"])
    except ValueError:
        price = math.nan
    if not (math.isfinite(price) and price > 0):
        raise HistoryError(f"line {line}, price: expected a positive number, got "
                           f"{cell['price']!r}")
    return Observation(day, cell["series"], price, cell["index"] or "api", cell["source"])


def parse_price_history(text: str) -> tuple[Observation, ...]:
    """A price history in CSV (columns date, series, price, source; optional index, unit,
    note; lines starting with '#' are comments) as observations; one-line HistoryError."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise HistoryError("no rows: expected a header line 'date,series,price,source'")
    reader = csv.DictReader(io.StringIO("\n".join(line for _, line in lines)))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)]
    if missing or unknown:
        problem = f"missing column(s) {', '.join(missing)}" if missing else \
            f"unknown column(s) {', '.join(unknown)}"
        raise HistoryError(f"line {lines[0][0]}, header: {problem}; the columns are "
                           f"{', '.join(REQUIRED_COLUMNS)} and optionally "
                           f"{', '.join(OPTIONAL_COLUMNS)}")
    reader.fieldnames = header
    out: list[Observation] = []
    seen: dict[tuple[str, str, dt.date], float] = {}
    for (line, _), row in zip(lines[1:], reader, strict=False):
        if None in row:
            raise HistoryError(f"line {line}: more cells than the header's {len(header)}")
        obs = _row(row, line)
        key = (obs.index, obs.series, obs.day)
        if key in seen and seen[key] != obs.price:
            raise HistoryError(f"line {line}: a second price for series {obs.series!r} on "
                               f"{obs.day.isoformat()}")
        seen[key] = obs.price
        out.append(obs)
    if not out:
        raise HistoryError("no data rows after the header")
    return tuple(out)


def _month_number(day: dt.date) -> float:
    """Months since 0000-01 as a real number: the 1st of a month is a whole number."""
    days = (dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
            - dt.date(day.year, day.month, 1)).days
    return day.year * 12 + day.month - 1 + (day.day - 1) / days


def _ols_slope(x: np.ndarray, y: np.ndarray) -> float:
    xc = x - x.mean()
    return float(xc @ (y - y.mean()) / (xc @ xc))


def fit_series(series: str, days: Sequence[dt.date], prices: Sequence[float],
               threshold: float, min_months: int) -> SeriesFit:
    """Steps and the smooth slope of one series (observations in any order, distinct days).

    A step is a change beyond the threshold between consecutive observations at most
    ``STEP_DAYS`` apart; other changes are the smooth trend, whose slope ``b`` (log price
    per year) is fitted on the 1st of each month, the series with its steps removed being
    interpolated linearly between observations. A step also carries ``b`` times its gap, so
    the steps removed are ``change - b * gap``: with ``s0`` the slope of the series less its
    raw step changes and ``s1`` that of the cumulated step gaps, ``b = s0 + b * s1``, hence
    ``b = s0 / (1 - s1)``.
    """
    order = sorted(range(len(days)), key=lambda i: days[i])
    ordinal = np.array([days[i].toordinal() for i in order], dtype=float)
    months = np.array([_month_number(days[i]) for i in order])
    log_price = np.log(np.array([prices[i] for i in order], dtype=float))
    change, gap_days = np.diff(log_price), np.diff(ordinal)
    is_step = (np.abs(change) > -math.log1p(-threshold)) & (gap_days <= STEP_DAYS)
    zero = np.zeros(1)
    jumps = np.concatenate([zero, np.cumsum(change * is_step)])
    gaps = np.concatenate([zero, np.cumsum(np.diff(months) / 12.0 * is_step)])
    grid = np.arange(math.ceil(months[0]), math.floor(months[-1]) + 1, dtype=float)
    slope = se = None
    if months[-1] - months[0] >= min_months and len(grid) >= 3:
        years = grid / 12.0
        s0 = _ols_slope(years, np.interp(grid, months, log_price - jumps))
        s1 = _ols_slope(years, np.interp(grid, months, gaps))
        if s1 < 1:
            slope = s0 / (1 - s1)
            smooth = np.interp(grid, months, log_price - jumps + slope * gaps)
            x = years - years.mean()
            resid = smooth - smooth.mean() - slope * x
            se = float(math.sqrt(resid @ resid / (len(x) - 2) / (x @ x)))
    steps = tuple(
        Step(series, days[order[i + 1]].isoformat(),
             float(math.exp(change[i] - (slope or 0.0) * (months[i + 1] - months[i]) / 12)))
        for i in np.flatnonzero(is_step))
    return SeriesFit(series, float(months[-1] - months[0]), slope, se, steps)


def _pooled(fits: Sequence[SeriesFit]) -> tuple[float | None, float | None, float | None]:
    """(beta, se(beta), tau): mean slope, its standard error, between-series sd."""
    slopes = np.array([f.slope for f in fits if f.slope is not None], dtype=float)
    ses = np.array([f.slope_se for f in fits if f.slope is not None], dtype=float)
    if len(slopes) == 0:
        return None, None, None
    beta = float(slopes.mean())
    if len(slopes) == 1:
        return beta, float(ses[0]), 0.0
    variance = float(slopes.var(ddof=1))
    tau2 = max(0.0, variance - float(np.mean(ses ** 2)))
    return beta, math.sqrt(variance / len(slopes)), math.sqrt(tau2)


def _decline_law(beta: float, sd: float) -> tuple[float, float]:
    """Mean and sd of d = 1 - exp(b) for b ~ N(beta, sd^2) (lognormal moments)."""
    level = math.exp(beta + sd * sd / 2)
    return 1.0 - level, level * math.sqrt(math.expm1(sd * sd))


def fit_dynamics(observations: Sequence[Observation], index: str = "api",
                 threshold: float = DEFAULT_THRESHOLD,
                 min_months: int = DEFAULT_MIN_MONTHS) -> DynamicsFit:
    """The fitted laws of price index ``index`` from its observations (module docstring)."""
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    rows = [o for o in observations if o.index == index]
    if not rows:
        raise HistoryError(f"no rows for price index {index!r}")
    by_series: dict[str, list[Observation]] = {}
    for o in rows:
        by_series.setdefault(o.series, []).append(o)
    fits = []
    for name, obs in by_series.items():
        if len(obs) >= 2:
            fits.append(fit_series(name, [o.day for o in obs], [o.price for o in obs],
                                   threshold, min_months))
    if not fits:
        raise HistoryError(f"price index {index!r}: no series has two observations")
    beta, beta_se, tau = _pooled(fits)
    decline_mean = decline_sd = None
    if beta is not None and beta_se is not None and tau is not None:
        decline_mean, decline_sd = _decline_law(beta, math.hypot(tau, beta_se))
    logs = np.log([s.ratio for f in fits for s in f.steps])
    months = sum(f.months for f in fits)
    mean, sd = _one_event_moments(logs, len(logs) / months)
    return DynamicsFit(
        index, threshold, tuple(fits), min(o.day for o in rows), max(o.day for o in rows),
        beta, beta_se, tau, decline_mean, decline_sd, len(logs), months / 12.0, mean, sd)


def _one_event_moments(logs: np.ndarray, step_share: float
                       ) -> tuple[float | None, float | None]:
    """Mean and sd of one event's log multiplier from the step months' log ratios.

    A step month holds K >= 1 events, K ~ Poisson(lam) given K >= 1 with
    ``lam = -log(1 - step_share)``, so its log ratio has mean ``mu E[K]`` and variance
    ``sigma^2 E[K] + mu^2 Var[K]`` (moments of a random sum); solved for mu and sigma.
    """
    if len(logs) == 0:
        return None, None
    lam = -math.log1p(-step_share) if step_share < 1 else math.inf
    if not math.isfinite(lam):
        return float(logs.mean()), float(logs.std(ddof=1)) if len(logs) >= 2 else None
    p_any = -math.expm1(-lam)
    k_mean = lam / p_any if lam > 0 else 1.0
    k_var = ((lam + lam * lam) / p_any - k_mean ** 2) if lam > 0 else 0.0
    mu = float(logs.mean()) / k_mean
    if len(logs) < 2:
        return mu, None
    sigma2 = (float(logs.var(ddof=1)) - mu * mu * k_var) / k_mean
    return mu, math.sqrt(max(sigma2, 0.0))


def _g(x: float) -> str:
    """Three significant digits, always a TOML float (``0.0``, not ``0``)."""
    text = f"{x:.3g}"
    return text if any(c in text for c in ".en") else f"{text}.0"


def _meta(source: str, as_of: str) -> str:
    text = source.replace("\\", "/").replace('"', "'")
    return f'source = "{text}", as_of = "{as_of}"'


def _decline_line(fit: DynamicsFit, meta: str) -> str:
    if fit.decline_mean is None or fit.decline_sd is None:
        return "# annual_decline: no series long enough for a slope; keep your own"
    lo, hi = DECLINE_TRUNCATE
    mean, sd = fit.decline_mean, fit.decline_sd
    if mean + 3 * sd < lo:  # (nearly) all of the law below 0: prices rise between steps
        return (f"annual_decline = 0.0  # smooth trend {_g(mean)} +- {_g(sd)}: prices rise "
                f"between steps, which a decline cannot express")
    if sd < 1e-4:  # no spread to speak of: a number, not a degenerate normal
        return (f"annual_decline = {_g(min(max(mean, lo), hi))}  # every series' smooth "
                f"trend is {_g(mean)}: no spread")
    return (f"annual_decline = {{ dist = \"normal\", mean = {_g(mean)}, sd = {_g(sd)}, "
            f"truncate = [{lo}, {hi}], {meta} }}")


def dynamics_toml(fit: DynamicsFit, source: str) -> str:
    """The ``[prices.<index>]`` table with the fitted laws, each citing ``source``."""
    as_of = fit.last_day.strftime("%Y-%m")
    meta = _meta(source, as_of)
    lines = [f"[prices.{fit.index}]",
             f"# {len(fit.series)} series, {fit.first_day:%Y-%m}..{fit.last_day:%Y-%m}, "
             f"{fit.exposure_years:.1f} series-years; {fit.events} "
             f"step{'' if fit.events == 1 else 's'} (month-to-month "
             f"changes beyond {fit.threshold:.0%}); smooth slopes from {fit.slope_series} "
             f"series",
             _decline_line(fit, meta)]
    n, years = fit.events, fit.exposure_years
    if n == 0:
        upper = -math.log(0.05) / years if years > 0 else math.inf
        lines.append(f"events_per_year = 0.0  # no step in {years:.1f} series-years "
                     f"(95% upper bound {_g(upper)} a year)")
    else:
        # Jeffreys posterior Gamma(n + 1/2, years) of the step rate, scaled by the
        # correction for months holding two events (events_per_year / (n / years))
        scale = fit.events_per_year / (n / years)
        lines.append(f"events_per_year = {{ dist = \"gamma\", "
                     f"mean = {_g(scale * (n + 0.5) / years)}, "
                     f"sd = {_g(scale * math.sqrt(n + 0.5) / years)}, {meta} }}")
    if fit.log_ratio_mean is not None and fit.log_ratio_sd is not None and fit.log_ratio_sd > 0:
        mu, sd = fit.log_ratio_mean, fit.log_ratio_sd
        lines.append(f"event_multiplier = {{ dist = \"lognormal\", "
                     f"p5 = {_g(math.exp(mu - Z95 * sd))}, p95 = {_g(math.exp(mu + Z95 * sd))}, "
                     f"truncate = [{MULTIPLIER_TRUNCATE[0]}, {MULTIPLIER_TRUNCATE[1]}], {meta} }}")
    elif fit.log_ratio_mean is not None:
        lines.append(f"event_multiplier = {_g(math.exp(fit.log_ratio_mean))}  # one step only")
    return "\n".join(lines)
