"""Laws inverted through a z-space table (docs/model.md section 10, TABLE_TOLERANCE): Beta/PERT, Gamma."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import numpy as np
from scipy import special

from .base import _K_MAX, _K_START, _Z_SPAN, TABLE_TOLERANCE, Distribution, _g

__all__ = ["Beta", "Gamma"]


# Standardised tables by (class, shape): a scenario's PERT inputs often share a shape
# (support_bot: 26 Beta laws, 15 shapes; each table ~5 ms of betaincinv). The least
# recently used go once they pass this many bytes (a table is 64 KB for 4,097 points, up
# to 1 MB for an extreme shape's 65,537), so a long session of sweeps stays bounded.
_TABLE_BYTES_KEPT = 32 << 20
_tables: OrderedDict[tuple[object, ...], tuple[np.ndarray, np.ndarray] | tuple[()]] = OrderedDict()
_tables_lock = threading.Lock()


def _nbytes(table: tuple[np.ndarray, ...]) -> int:
    return sum(array.nbytes for array in table)


def _shared_table(law: _ZTabulated) -> tuple[np.ndarray, np.ndarray] | tuple[()]:
    """``law._build_table()``, built once per class and shape and shared (read-only arrays):
    the table is a function of the shape alone, so sharing changes no value."""
    key = (type(law), *law._shape_key())
    with _tables_lock:
        table = _tables.get(key)
        if table is not None:
            _tables.move_to_end(key)
            return table
    table = law._build_table()  # outside the lock: ~5 ms of scipy that releases the GIL
    for array in table:
        array.setflags(write=False)
    with _tables_lock:
        _tables[key] = table
        held = sum(_nbytes(kept) for kept in _tables.values())
        while held > _TABLE_BYTES_KEPT and len(_tables) > 1:
            held -= _nbytes(_tables.popitem(last=False)[1])
    return table


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
            self._tab = _shared_table(self)
        return self._tab

    def _shape_key(self) -> tuple[float, ...]:
        """What the standardised table depends on (the law's shape, not where it sits)."""
        raise NotImplementedError

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

    def _ppf_exact(self, u: np.ndarray) -> np.ndarray:
        return self._finish(self._exact_std(special.ndtri(u)))

    def _isf_exact(self, q: np.ndarray) -> np.ndarray:
        return self._finish(self._exact_std(-special.ndtri(q)))

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

    def _shape_key(self) -> tuple[float, ...]:
        return (self.a, self.b)

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

    def _shape_key(self) -> tuple[float, ...]:
        return (self.shape,)

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
