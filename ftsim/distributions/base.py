"""Distribution, Fixed and Truncated: the base of the laws of docs/model.md section 10
(sampled through ppf(u))."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy import special

__all__ = ["Distribution", "Fixed", "Truncated", "TABLE_TOLERANCE", "safe_ppf"]


# Beta/PERT and Gamma invert through a table; docs/model.md section 10 asks for the exact law,
# and this is the documented (and tested) distance from it, as a share of (max - min)
# for beta/PERT and of max(x, q_0.999999) for gamma.
TABLE_TOLERANCE = 1e-6
_Z_SPAN = 8.5  # tables cover |z| <= 8.5, i.e. 5e-18 < u < 1 - 5e-18; beyond, exact inverse
_K_START = 256  # intervals of the first table; doubled until the midpoint check passes
_K_MAX = 1 << 16  # at most 65536 intervals: 2 arrays of 8 * 65537 bytes, about 1 MB
_SIMPSON_POINTS = 4097  # z-space quadrature for truncated means (odd, for Simpson)


def _g(x: float) -> str:
    return f"{x:g}"


def _at(x: float) -> np.ndarray:
    """One point as the 0-d float64 array that cdf and sf take."""
    return np.array(x, dtype=np.float64)


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

    def ppf_exact(self, u: np.ndarray) -> np.ndarray:
        """Quantiles at a few ``u`` without building lookup tables.

        Why: the load-time range checks probe each law at three quantiles; building a
        tabulated law's 65k-point table for them made loading 10-50x slower.
        """
        u = np.asarray(u, dtype=np.float64)
        return self._ppf_exact(u.reshape(-1)).reshape(u.shape)

    def _ppf_exact(self, u: np.ndarray) -> np.ndarray:
        return self._ppf(u)  # every law but the tabulated ones is exact already

    def _isf_exact(self, q: np.ndarray) -> np.ndarray:
        return self._isf(q)

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
    f = float(dist.cdf(_at(x)))
    return float(special.ndtri(f)) if f <= 0.5 else -float(special.ndtri(dist.sf(_at(x))))


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



class Truncated(Distribution):
    """A continuous law restricted to [lo, hi]: ppf(F(lo) + u * (F(hi) - F(lo))), not clamping.

    When F(lo) > 1/2 the same map is taken through the survival function,
    isf(S(lo) - u * (S(lo) - S(hi))), so upper-tail truncations keep their precision.
    """

    def __init__(self, base: Distribution, lo: float, hi: float) -> None:
        self.base, self.lo, self.hi = base, float(lo), float(hi)
        f_lo = float(base.cdf(_at(lo)))
        self._upper = f_lo > 0.5
        if self._upper:
            self._start, end = float(base.sf(_at(lo))), float(base.sf(_at(hi)))
        else:
            self._start, end = f_lo, float(base.cdf(_at(hi)))
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

    def _ppf_exact(self, u: np.ndarray) -> np.ndarray:
        v = u * self._step + self._start
        x = self.base._isf_exact(v) if self._upper else self.base._ppf_exact(v)
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


def safe_ppf(dist: Distribution, u: Sequence[float]) -> np.ndarray | None:
    """``dist.ppf(u)`` without warnings or exceptions; None when the law cannot be evaluated.

    Why: the load-time checks probe a law at its extreme quantiles, where exp() may
    overflow to inf (fine: the range check then refuses it) or scipy may return nan for
    parameters it cannot handle (the law is then unusable and refused).
    """
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = dist.ppf_exact(np.asarray(u, dtype=np.float64))
    except (ArithmeticError, ValueError):
        return None
    return None if np.isnan(x).any() else x

