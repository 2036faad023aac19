"""Distribution forms of MODEL.md section 2: one small class per form, sampled through ppf(u)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special

__all__ = [
    "Beta",
    "Choice",
    "Distribution",
    "Empirical",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Normal",
    "Triangular",
    "Truncated",
    "Uniform",
    "TABLE_TOLERANCE",
]


# Beta/PERT and Gamma invert through a table; MODEL.md section 2 asks for the exact law,
# and this is the documented (and tested) distance from it, as a share of (max - min)
# for beta/PERT and of max(x, q_0.999999) for gamma.
TABLE_TOLERANCE = 1e-6
_Z_SPAN = 8.5  # tables cover |z| <= 8.5, i.e. 5e-18 < u < 1 - 5e-18; beyond, exact inverse
_K_START = 256  # intervals of the first table; doubled until the midpoint check passes
_K_MAX = 1 << 16  # at most 65536 intervals: 2 arrays of 8 * 65537 bytes, about 1 MB
_SIMPSON_POINTS = 4097  # z-space quadrature for truncated means (odd, for Simpson)


def _g(x: float) -> str:
    return f"{x:g}"


class Distribution:
    """A univariate law sampled only through its inverse CDF."""

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantiles at ``u`` (any shape, values in (0, 1)) -> float64 array of the same shape."""
        u = np.asarray(u, dtype=np.float64)
        return self._ppf(u.reshape(-1)).reshape(u.shape)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        """ppf on a 1-d array, returning a new array (callers may write into it)."""
        raise NotImplementedError

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(X <= x), vectorised; truncation maps its bounds through it."""
        raise NotImplementedError

    def sf(self, x: np.ndarray) -> np.ndarray:
        """P(X > x); overridden where ``1 - cdf`` would lose the upper tail."""
        return 1.0 - self.cdf(x)

    def isf(self, q: np.ndarray) -> np.ndarray:
        """Inverse of ``sf``: the quantile at 1 - q, precise in the upper tail."""
        q = np.asarray(q, dtype=np.float64)
        return self._isf(q.reshape(-1)).reshape(q.shape)

    def _isf(self, q: np.ndarray) -> np.ndarray:
        """isf on a 1-d array; overridden where ``ppf(1 - q)`` would lose the upper tail."""
        return self._ppf(1.0 - q)

    @property
    def support(self) -> tuple[float, float]:
        """Closed interval holding every value ppf can return (after truncation)."""
        raise NotImplementedError

    @property
    def is_fixed(self) -> bool:
        """True for a degenerate law (a plain number, sd = 0, min = max, one value)."""
        return False

    def describe(self) -> str:
        """The law as the analyst wrote it, e.g. ``pert(min=1, mode=2, max=4)``."""
        raise NotImplementedError

    @property
    def mean(self) -> float:
        """Expected value (after truncation)."""
        raise NotImplementedError

    def _x_at_z(self, z: np.ndarray) -> np.ndarray:
        """Quantile at normal score z, precise in both tails (for quadrature in z)."""
        lower = z <= 0
        out = np.empty_like(z)
        out[lower] = self.ppf(special.ndtr(z[lower]))
        out[~lower] = self.isf(special.ndtr(-z[~lower]))
        return out

    def _truncated_mean(self, lo: float, hi: float) -> float:
        """E[X | lo <= X <= hi] by Simpson's rule in z = Phi^-1(F(x)), where x(z) is smooth."""
        z_lo, z_hi = _z_of(self, lo), _z_of(self, hi)
        start = max(z_lo, min(z_hi, 12.0) - 24.0)  # phi beyond 24 of the bulk is negligible
        z = np.linspace(start, min(z_hi, start + 24.0), _SIMPSON_POINTS)
        w = np.ones(_SIMPSON_POINTS)
        w[1:-1:2], w[2:-1:2] = 4.0, 2.0
        z_peak = min(max(0.0, z[0]), z[-1])  # phi relative to its largest value: no underflow
        w *= np.exp(-0.5 * (z * z - z_peak * z_peak))
        x = np.clip(self._x_at_z(z), lo, hi)
        return float(np.dot(w, x) / w.sum())


def _z_of(dist: Distribution, x: float) -> float:
    """Normal score of F(x), taken from the nearer tail so it stays precise."""
    f = float(dist.cdf(np.float64(x)))
    return float(special.ndtri(f)) if f <= 0.5 else -float(special.ndtri(dist.sf(np.float64(x))))


class Fixed(Distribution):
    """A plain number, or a degenerate law (``text`` keeps how it was written)."""

    def __init__(self, value: float, text: str | None = None) -> None:
        self.value = float(value)
        self.text = text

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(u.shape, self.value)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) >= self.value).astype(np.float64)

    @property
    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    @property
    def is_fixed(self) -> bool:
        return True

    def describe(self) -> str:
        return self.text if self.text is not None else _g(self.value)

    @property
    def mean(self) -> float:
        return self.value


class _Gaussian(Distribution):
    """Shared by Normal and LogNormal (not a law itself): mu, sigma and normal quantiles."""

    def __init__(self, mu: float, sigma: float, text: str | None = None) -> None:
        if not sigma > 0:
            raise ValueError(f"sigma must be positive, got {sigma!r} (use Fixed)")
        if not (math.isfinite(mu) and math.isfinite(sigma)):
            raise ValueError(f"mu and sigma must be finite, got {mu!r}, {sigma!r}")
        self.mu, self.sigma, self.text = float(mu), float(sigma), text

    def _normal_ppf(self, u: np.ndarray) -> np.ndarray:
        x = special.ndtri(u)
        x *= self.sigma
        x += self.mu
        return x

    def _normal_isf(self, q: np.ndarray) -> np.ndarray:
        return self.mu - self.sigma * special.ndtri(q)


class Normal(_Gaussian):
    """Normal(mu, sigma), sigma > 0; exact ppf via ndtri."""

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self._normal_ppf(u)

    def _isf(self, q: np.ndarray) -> np.ndarray:
        return self._normal_isf(q)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(special.ndtr((np.asarray(x, dtype=np.float64) - self.mu) / self.sigma))

    def sf(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(special.ndtr((self.mu - np.asarray(x, dtype=np.float64)) / self.sigma))

    @property
    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def describe(self) -> str:
        return self.text or f"normal(mean={_g(self.mu)}, sd={_g(self.sigma)})"

    @property
    def mean(self) -> float:
        return self.mu

    def _truncated_mean(self, lo: float, hi: float) -> float:
        # mu + sigma * (phi(a) - phi(b)) / (Phi(b) - Phi(a)), mass from the nearer tail
        a, b = (lo - self.mu) / self.sigma, (hi - self.mu) / self.sigma
        mass = special.ndtr(-a) - special.ndtr(-b) if a > 0 else special.ndtr(b) - special.ndtr(a)
        dens = (math.exp(-0.5 * a * a) if math.isfinite(a) else 0.0) - (
            math.exp(-0.5 * b * b) if math.isfinite(b) else 0.0
        )
        return self.mu + self.sigma * dens / math.sqrt(2 * math.pi) / float(mass)


class LogNormal(_Gaussian):
    """exp(Normal(mu, sigma)), sigma > 0: the normal's quantiles, exponentiated."""

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        x = self._normal_ppf(u)
        return np.exp(x, out=x)

    def _isf(self, q: np.ndarray) -> np.ndarray:
        return np.exp(self._normal_isf(q))

    def _z(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > 0, (np.log(np.maximum(x, 0.0)) - self.mu) / self.sigma, -np.inf)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(special.ndtr(self._z(x)))

    def sf(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(special.ndtr(-self._z(x)))

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def describe(self) -> str:
        return self.text or f"lognormal(mu={_g(self.mu)}, sigma={_g(self.sigma)})"

    @property
    def mean(self) -> float:
        return math.exp(self.mu + 0.5 * self.sigma**2)

    def _truncated_mean(self, lo: float, hi: float) -> float:
        # E[X; lo<=X<=hi] = exp(mu + s^2/2) * (Phi(zh - s) - Phi(zl - s)), z = (ln x - mu)/s
        zl, zh = float(self._z(np.float64(lo))), float(self._z(np.float64(hi)))
        s = self.sigma
        if zl > s:  # both bounds in the upper tail: differences of survival functions
            part, mass = (
                special.ndtr(s - zl) - special.ndtr(s - zh),
                special.ndtr(-zl) - special.ndtr(-zh),
            )
        else:
            part, mass = (
                special.ndtr(zh - s) - special.ndtr(zl - s),
                special.ndtr(zh) - special.ndtr(zl),
            )
        return self.mean * float(part) / float(mass)


class Uniform(Distribution):
    """Uniform on [lo, hi], lo < hi."""

    def __init__(self, lo: float, hi: float, text: str | None = None) -> None:
        if not lo < hi:
            raise ValueError(f"need lo < hi, got {lo!r}, {hi!r} (use Fixed)")
        if not math.isfinite(hi - lo):  # also rejects infinite ends
            raise ValueError(f"need a finite width hi - lo, got {lo!r}, {hi!r}")
        self.lo, self.hi, self.text = float(lo), float(hi), text

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        x = u * (self.hi - self.lo)
        x += self.lo
        return x

    def cdf(self, x: np.ndarray) -> np.ndarray:
        t = (np.asarray(x, dtype=np.float64) - self.lo) / (self.hi - self.lo)
        return np.clip(t, 0.0, 1.0)

    @property
    def support(self) -> tuple[float, float]:
        return (self.lo, self.hi)

    def describe(self) -> str:
        return self.text or f"uniform(min={_g(self.lo)}, max={_g(self.hi)})"

    @property
    def mean(self) -> float:
        return 0.5 * (self.lo + self.hi)


class Triangular(Distribution):
    """Triangular(lo, mode, hi) with lo <= mode <= hi, lo < hi; closed-form ppf like scipy's."""

    def __init__(self, lo: float, mode: float, hi: float, text: str | None = None) -> None:
        if not (lo <= mode <= hi and lo < hi):
            raise ValueError(f"need lo <= mode <= hi, lo < hi, got {lo!r}, {mode!r}, {hi!r}")
        if not math.isfinite(hi - lo):
            raise ValueError(f"need a finite width hi - lo, got {lo!r}, {hi!r}")
        self.lo, self.mode, self.hi, self.text = float(lo), float(mode), float(hi), text
        self._c = (self.mode - self.lo) / (self.hi - self.lo)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        u = u
        c = self._c
        t = np.where(u < c, np.sqrt(c * u), 1.0 - np.sqrt((1.0 - c) * (1.0 - u)))
        t *= self.hi - self.lo
        t += self.lo
        return t

    def cdf(self, x: np.ndarray) -> np.ndarray:
        t = np.clip((np.asarray(x, dtype=np.float64) - self.lo) / (self.hi - self.lo), 0.0, 1.0)
        c = self._c
        # each branch is evaluated everywhere and np.where keeps the right one; with a mode a
        # hair from min or max (c ~ 1e-303) the discarded branch overflows harmlessly
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            lower = t * t / c if c > 0 else np.zeros_like(t)
            upper = 1.0 - (1.0 - t) ** 2 / (1.0 - c) if c < 1 else np.ones_like(t)
        return np.where(t <= c, lower, upper)

    @property
    def support(self) -> tuple[float, float]:
        return (self.lo, self.hi)

    def describe(self) -> str:
        return (
            self.text or f"triangular(min={_g(self.lo)}, mode={_g(self.mode)}, max={_g(self.hi)})"
        )

    @property
    def mean(self) -> float:
        return (self.lo + self.mode + self.hi) / 3.0


class _ZTabulated(Distribution):
    """A law whose exact inverse is slow, inverted by linear interpolation of x(z), z = Phi^-1(u).

    Why z: near u = 0 or 1 the Beta quantile behaves like u**(1/a) (infinite slope), so a
    uniform grid in u is far off there; as a function of the normal score it is smooth with
    bounded curvature, so one uniform z grid serves the whole range and lookup is O(1)
    (ndtri + index arithmetic, no binary search). The table is built lazily on first use
    (cached on the instance, plain arrays, so instances pickle) by doubling the grid from
    256 intervals: when the exact values at the midpoints of a K-interval grid are within
    ``_tol_std`` of the linear interpolant, those midpoints are added, giving the 2K-interval
    table whose error is about a quarter of that (curvature error scales as h**2).
    If 2**16 intervals do not suffice (extreme shapes, e.g. a or b ~ 0.01), every value is
    inverted exactly instead (slow, never wrong). |z| > 8.5 (u < 5e-18) is always exact.
    """

    _loc: float
    _scale: float
    _tab: tuple[np.ndarray, np.ndarray] | tuple[()] | None

    def _exact_std(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _tol_std(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _table(self) -> tuple[np.ndarray, np.ndarray] | tuple[()]:
        if self._tab is None:
            self._tab = self._build_table()
        return self._tab

    def _build_table(self) -> tuple[np.ndarray, np.ndarray] | tuple[()]:
        k = _K_START
        t = self._exact_std(np.linspace(-_Z_SPAN, _Z_SPAN, k + 1))
        while k < _K_MAX:
            h = 2 * _Z_SPAN / k
            mid = self._exact_std(-_Z_SPAN + (np.arange(k) + 0.5) * h)
            ok = bool(np.all(np.abs(mid - 0.5 * (t[:-1] + t[1:])) <= self._tol_std(mid)))
            merged = np.empty(2 * k + 1)
            merged[0::2], merged[1::2] = t, mid
            t, k = merged, 2 * k
            if ok:
                return t, np.diff(t)
        return ()

    def _std_at_z(self, z: np.ndarray) -> np.ndarray:
        tab = self._table()
        if not tab:
            return self._exact_std(z)
        t, dt = tab
        k = dt.size
        s = z * (k / (2 * _Z_SPAN))
        s += k / 2
        outside = (s < 0) | (s > k)
        np.clip(s, 0, k, out=s)
        i = s.astype(np.intp)
        np.minimum(i, k - 1, out=i)
        s -= i
        x = dt[i]
        x *= s
        x += t[i]
        if outside.any():
            x[outside] = self._exact_std(z[outside])
        return x

    def _finish(self, x: np.ndarray) -> np.ndarray:
        x *= self._scale
        x += self._loc
        return x

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self._finish(self._std_at_z(special.ndtri(u)))

    def _isf(self, q: np.ndarray) -> np.ndarray:
        return self._finish(self._std_at_z(-special.ndtri(q)))

    def _x_at_z(self, z: np.ndarray) -> np.ndarray:
        return self._loc + self._scale * self._exact_std(z)


class Beta(_ZTabulated):
    """Beta(a, b) rescaled to [lo, hi] (also Beta-PERT); ppf tabulated to 1e-6 * (hi - lo).

    Error bound: |ppf(u) - exact| <= TABLE_TOLERANCE * (hi - lo) for every u (exact inverse
    for u beyond 5e-18 of 0 or 1); tests check it against scipy.special.betaincinv
    including u in [1e-12, 1e-3] and [1 - 1e-3, 1 - 1e-12].
    """

    def __init__(
        self, a: float, b: float, lo: float = 0.0, hi: float = 1.0, text: str | None = None
    ) -> None:
        if not (a > 0 and b > 0 and lo < hi):
            raise ValueError(f"need a > 0, b > 0, lo < hi, got {a!r}, {b!r}, {lo!r}, {hi!r}")
        if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(hi - lo)):
            raise ValueError(f"need finite a, b and hi - lo, got {a!r}, {b!r}, {lo!r}, {hi!r}")
        self.a, self.b, self.lo, self.hi, self.text = float(a), float(b), float(lo), float(hi), text
        self._loc, self._scale = self.lo, self.hi - self.lo
        self._tab = None

    def _exact_std(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        out = np.empty_like(z)
        low = z <= 0
        out[low] = special.betaincinv(self.a, self.b, special.ndtr(z[low]))
        out[~low] = special.betainccinv(self.a, self.b, special.ndtr(-z[~low]))
        bad = ~np.isfinite(out)  # scipy 1.17 returns nan for some u < 1e-150 (a = 2.33, b = 3.67)
        if bad.any():
            # there I_x(a, b) = x^a / (a B(a, b)) to double precision, so x = (u a B)^(1/a)
            zb = z[bad]
            tail = np.where(zb <= 0, self.a, self.b)
            log_b = special.betaln(self.a, self.b)
            t = np.exp((special.log_ndtr(-np.abs(zb)) + np.log(tail) + log_b) / tail)
            out[bad] = np.where(zb <= 0, t, 1.0 - t)
        return out

    def _tol_std(self, x: np.ndarray) -> np.ndarray:
        return np.full_like(x, TABLE_TOLERANCE)

    def _finish(self, x: np.ndarray) -> np.ndarray:
        # rounding in lo + (hi - lo) * x may step an ulp outside the support; keep it closed
        return np.clip(super()._finish(x), self.lo, self.hi, out=x)

    def _std(self, x: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(x, dtype=np.float64) - self.lo) / self._scale, 0.0, 1.0)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(special.betainc(self.a, self.b, self._std(x)))

    def sf(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(special.betaincc(self.a, self.b, self._std(x)))

    @property
    def support(self) -> tuple[float, float]:
        return (self.lo, self.hi)

    def describe(self) -> str:
        return (
            self.text
            or f"beta(a={_g(self.a)}, b={_g(self.b)}, min={_g(self.lo)}, max={_g(self.hi)})"
        )

    @property
    def mean(self) -> float:
        return self.lo + self._scale * self.a / (self.a + self.b)

    def _truncated_mean(self, lo: float, hi: float) -> float:
        # E[Y; Y <= y] = a / (a + b) * I_y(a + 1, b); differences taken in the nearer tail
        y = self._std(np.array([lo, hi]))
        a, b = self.a, self.b
        f = special.betaincc if special.betainc(a, b, y[0]) > 0.5 else special.betainc
        part, mass = np.diff(f(a + 1, b, y)), np.diff(f(a, b, y))
        return self.lo + self._scale * a / (a + b) * float(part[0] / mass[0])


class Gamma(_ZTabulated):
    """Gamma(shape, scale); ppf tabulated to 1e-6 * max(x, q_0.999999).

    Error bound: |ppf(u) - exact| <= TABLE_TOLERANCE * max(exact, Q), Q the 99.9999%
    quantile (so relative 1e-6 in the far upper tail, 1e-6 of Q elsewhere); tests check it
    against scipy.special.gammaincinv including both tails.
    """

    def __init__(self, shape: float, scale: float, text: str | None = None) -> None:
        if not (shape > 0 and scale > 0 and math.isfinite(shape) and math.isfinite(scale)):
            raise ValueError(f"need finite shape > 0 and scale > 0, got {shape!r}, {scale!r}")
        self.shape, self.scale, self.text = float(shape), float(scale), text
        self._loc, self._scale = 0.0, self.scale
        self._q_top = float(special.gammainccinv(self.shape, 1e-6))
        if not self._q_top > 0:
            # so small a shape puts (nearly) all mass at 0: no table, no useful law
            raise ValueError(f"shape {shape!r} is too small: the 1 - 1e-6 quantile is "
                             f"{self._q_top!r}")
        self._tab = None

    def _exact_std(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        out = np.empty_like(z)
        low = z <= 0
        out[low] = special.gammaincinv(self.shape, special.ndtr(z[low]))
        out[~low] = special.gammainccinv(self.shape, special.ndtr(-z[~low]))
        return out

    def _tol_std(self, x: np.ndarray) -> np.ndarray:
        return TABLE_TOLERANCE * np.maximum(x, self._q_top)

    def _finish(self, x: np.ndarray) -> np.ndarray:
        x *= self.scale
        return x

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(special.gammainc(self.shape, np.maximum(x, 0.0) / self.scale))

    def sf(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(special.gammaincc(self.shape, np.maximum(x, 0.0) / self.scale))

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def describe(self) -> str:
        return self.text or f"gamma(shape={_g(self.shape)}, scale={_g(self.scale)})"

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    def _truncated_mean(self, lo: float, hi: float) -> float:
        # E[X; X <= x] = k theta P(k + 1, x / theta); differences taken in the nearer tail
        y = np.maximum([lo, hi], 0.0) / self.scale
        k = self.shape
        f = special.gammaincc if special.gammainc(k, y[0]) > 0.5 else special.gammainc
        part, mass = np.diff(f(k + 1, y)), np.diff(f(k, y))
        return self.mean * float(part[0] / mass[0])


class Choice(Distribution):
    """Discrete law on distinct ascending values; ppf: first value whose cumulative weight >= u."""

    def __init__(
        self,
        values: Sequence[float],
        weights: Sequence[float] | None = None,
        text: str | None = None,
    ) -> None:
        v = np.asarray(values, dtype=np.float64)
        w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=np.float64)
        if v.size == 0 or v.shape != w.shape or np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError("need matching non-empty values and finite non-negative weights")
        if not w.max() > 0:
            raise ValueError("need weights with a positive sum")
        # Divide by the largest weight first: [1e308, 1e308] would sum to inf and give
        # probabilities [0, nan] (every draw the last value); scaled, the sum is <= n.
        w = w / w.max()
        keep = w > 0  # a zero-weight value is never drawn, so it is not in the support
        self.values, inverse = np.unique(v[keep], return_inverse=True)
        self.probs = np.bincount(inverse, weights=w[keep]) / w[keep].sum()
        self._cum = np.cumsum(self.probs)
        self._cum[-1] = 1.0  # no u < 1 may fall past the last value through rounding
        self.text = text

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self._cum, u, side="left")
        np.minimum(i, self.values.size - 1, out=i)
        return self.values[i]

    def cdf(self, x: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.values, np.asarray(x, dtype=np.float64), side="right")
        return np.concatenate(([0.0], self._cum))[i]

    @property
    def support(self) -> tuple[float, float]:
        return (float(self.values[0]), float(self.values[-1]))

    @property
    def is_fixed(self) -> bool:
        return self.values.size == 1

    def describe(self) -> str:
        return self.text or f"choice(values={_list(self.values)}, weights={_list(self.probs)})"

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.probs))


class Empirical(Distribution):
    """Observed values, each with probability 1/n; O(1) ppf: sorted[ceil(u n) - 1]."""

    def __init__(self, samples: Sequence[float], text: str | None = None) -> None:
        self.samples = np.sort(np.asarray(samples, dtype=np.float64))
        if self.samples.size == 0:
            raise ValueError("need at least one sample")
        self.text = text

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        # Index arithmetic instead of searchsorted: files may hold 1e5 values, and a binary
        # search per draw would cost ~0.13 us; this equals searchsorted on (i+1)/n up to
        # rounding at u = i/n exactly (a set of measure zero).
        n = self.samples.size
        s = u * n
        i = np.ceil(s, out=s).astype(np.intp)
        i -= 1
        np.clip(i, 0, n - 1, out=i)
        return self.samples[i]

    def cdf(self, x: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.samples, np.asarray(x, dtype=np.float64), side="right")
        return np.asarray(i / self.samples.size)

    @property
    def support(self) -> tuple[float, float]:
        return (float(self.samples[0]), float(self.samples[-1]))

    @property
    def is_fixed(self) -> bool:
        return bool(self.samples[0] == self.samples[-1])

    def describe(self) -> str:
        return self.text or f"empirical(samples={_list(self.samples)})"

    @property
    def mean(self) -> float:
        return float(self.samples.mean())


class Truncated(Distribution):
    """A continuous law restricted to [lo, hi]: ppf(F(lo) + u * (F(hi) - F(lo))), not clamping.

    When F(lo) > 1/2 the same map is taken through the survival function,
    isf(S(lo) - u * (S(lo) - S(hi))), so upper-tail truncations keep their precision.
    """

    def __init__(self, base: Distribution, lo: float, hi: float) -> None:
        self.base, self.lo, self.hi = base, float(lo), float(hi)
        f_lo = float(base.cdf(np.float64(lo)))
        self._upper = f_lo > 0.5
        if self._upper:
            self._start, end = float(base.sf(np.float64(lo))), float(base.sf(np.float64(hi)))
        else:
            self._start, end = f_lo, float(base.cdf(np.float64(hi)))
        self.mass = abs(end - self._start)
        if not (lo <= hi and self.mass > 0):
            raise ValueError(f"[{lo!r}, {hi!r}] has no probability under {base.describe()}")
        self._step = end - self._start
        self._mean: float | None = None

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        v = u * self._step
        v += self._start
        x = self.base._isf(v) if self._upper else self.base._ppf(v)
        return np.clip(x, self.lo, self.hi, out=x)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        if self._upper:
            return np.clip((self._start - self.base.sf(x)) / self.mass, 0.0, 1.0)
        return np.clip((self.base.cdf(x) - self._start) / self.mass, 0.0, 1.0)

    @property
    def support(self) -> tuple[float, float]:
        b_lo, b_hi = self.base.support
        return (max(self.lo, b_lo), min(self.hi, b_hi))

    def describe(self) -> str:
        return f"{self.base.describe()} truncated to [{_g(self.lo)}, {_g(self.hi)}]"

    @property
    def mean(self) -> float:
        if self._mean is None:
            self._mean = self.base._truncated_mean(self.lo, self.hi)
        return self._mean


def _list(values: Sequence[float] | np.ndarray, limit: int = 8) -> str:
    items = [_g(float(v)) for v in values]
    if len(items) > limit:
        return f"[{', '.join(items[:3])}, ..., {items[-1]}] (n={len(items)})"
    return f"[{', '.join(items)}]"
