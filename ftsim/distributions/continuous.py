"""Continuous laws of docs/model.md section 10 with a closed-form ppf: Normal, LogNormal,
Uniform, Triangular."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .base import Distribution, _at, _g

__all__ = ["Normal", "LogNormal", "Uniform", "Triangular"]


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
        zl, zh = float(self._z(_at(lo))), float(self._z(_at(hi)))
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
