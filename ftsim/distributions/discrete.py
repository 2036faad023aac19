"""Discrete laws of docs/model.md section 10: Choice (weighted values) and Empirical (samples)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import Distribution, _list

__all__ = ["Choice", "Empirical"]


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
