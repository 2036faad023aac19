"""Exact per-month percentiles of CS_t without holding every path's months.

Why: CS_t of 10M paths x 36 months x 2 options is 2.9 GB as float32, and sorting it for
five percentiles per month needs as much again. A pilot of the first 65,536 paths gives,
per month and percentile, a value bracket that holds the wanted order statistics with
overwhelming probability (6 binomial standard errors of the pilot on each side). Every
chunk then only counts its values below each bracket and keeps those inside it (~8% of
values); the order statistics are read off the kept values. That is exact, not an
estimate: the kept values are checked to contain the wanted ranks, and any bracket that
missed them is re-collected with no bound (the runner simulates the run again -- same
seed, same numbers -- keeping that month's values in full). Percentiles use numpy's
default (linear) method, as ``metrics.sorted_quantiles`` does on the sorted rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["PILOT_PATHS", "Brackets", "Tally", "CumulativeStream", "linear_percentiles",
           "order_positions", "load_tally_kernel"]

# Paths of the pilot whose CS rows set the brackets (kept in full until then).
PILOT_PATHS = 65_536
# Half-width of a bracket, in binomial standard errors of the pilot's quantile.
_WIDTH_SE = 6.0
# CS values tallied per compiled call (a chunk of 8,192 paths x 36 months is one call).
_SCRATCH_VALUES = 1 << 18


def order_positions(levels: Sequence[float], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """numpy's linear method: position q/100 (n - 1), its floor and the next rank (0-based)."""
    position = np.asarray(levels, float) / 100.0 * (n - 1)
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    return position, lo, hi


def linear_percentiles(sorted_rows: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Percentiles (len(levels), rows) of rows sorted along the last axis, numpy's linear
    method, in the arithmetic of ``metrics.sorted_quantiles`` (float32 read as float64)."""
    position, lo, hi = order_positions(levels, sorted_rows.shape[-1])
    a = sorted_rows[..., lo].astype(float)
    b = sorted_rows[..., hi].astype(float)
    return (a + (b - a) * (position - lo)).T


@dataclass(frozen=True)
class Brackets:
    """Per month and level, keep CS values v with low <= v <= high (float32, (H, L))."""

    low: np.ndarray
    high: np.ndarray

    @classmethod
    def from_pilot(cls, pilot: np.ndarray, levels: Sequence[float]) -> Brackets:
        """Brackets from pilot rows (H, m): the pilot's quantiles at q +- 6 SE + 2/m."""
        m = pilot.shape[1]
        ordered = np.sort(pilot, axis=1)
        low = np.empty((pilot.shape[0], len(levels)), np.float32)
        high = np.empty_like(low)
        for column, level in enumerate(levels):
            p = level / 100.0
            eps = _WIDTH_SE * math.sqrt(p * (1.0 - p) / m) + 2.0 / m
            below, above = (p - eps) * (m - 1), (p + eps) * (m - 1)
            low[:, column] = -np.inf if below < 0 else ordered[:, math.floor(below)]
            high[:, column] = np.inf if above > m - 1 else ordered[:, math.ceil(above)]
        return cls(low, high)

    def only(self, cells: Sequence[tuple[int, int]]) -> Brackets:
        """Unbounded brackets on ``cells`` (month, level), empty ones elsewhere."""
        low = np.full_like(self.low, np.inf)
        high = np.full_like(self.high, -np.inf)
        for month, column in cells:
            low[month, column], high[month, column] = -np.inf, np.inf
        return Brackets(low, high)


@dataclass(frozen=True)
class Tally:
    """One chunk's contribution: counts below each bracket, and the values inside it.

    ``values[l]`` holds level l's kept values month by month (``counts[l]`` per month).
    """

    below: np.ndarray  # (H, L) int64
    counts: np.ndarray  # (L, H) int64
    values: tuple[np.ndarray, ...]  # per level, float32

    @classmethod
    def of(cls, block: np.ndarray, brackets: Brackets) -> Tally:
        """Tally CS rows ``block`` (H, n) float32: compiled passes over a few months at a
        time, so the scratch for kept values stays at about L x 2^18 floats (5 MB)."""
        from .kernel import tally_months  # imports numba

        horizon, levels = brackets.low.shape
        below = np.empty((horizon, levels), np.int64)
        counts = np.empty((levels, horizon), np.int64)
        pieces: list[list[np.ndarray]] = [[] for _ in range(levels)]
        step = max(1, _SCRATCH_VALUES // max(1, block.shape[1]))
        kept = np.empty((levels, step * block.shape[1]), np.float32)
        for first in range(0, horizon, step):
            rows = slice(first, min(first + step, horizon))
            # these months' counts in a contiguous array of their own (then copied in):
            # one kernel signature whatever the step, the one load_tally_kernel loads
            month_counts = np.empty((levels, rows.stop - rows.start), np.int64)
            filled = tally_months(np.ascontiguousarray(block[rows], np.float32),
                                  brackets.low[rows], brackets.high[rows], below[rows],
                                  month_counts, kept)
            counts[:, rows] = month_counts
            for column in range(levels):
                pieces[column].append(kept[column, :filled[column]].copy())
        return cls(below, counts, tuple(np.concatenate(p) for p in pieces))


def load_tally_kernel() -> None:
    """Load ``tally_months``' cached machine code now (a tiny call typed as `Tally.of`
    passes its arguments), so the summary's first percentiles do not wait for it."""
    Tally.of(np.zeros((2, 4), np.float32),
             Brackets(np.zeros((2, 1), np.float32), np.ones((2, 1), np.float32)))


@dataclass
class CumulativeStream:
    """Collects one option's tallies over a run; ``percentiles(n)`` reads the exact values."""

    brackets: Brackets
    levels: tuple[float, ...]
    tallies: list[Tally] = field(default_factory=list)

    def add(self, tally: Tally) -> None:
        self.tallies.append(tally)

    def percentiles(self, n: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """(len(levels), H) float64 percentiles, and the (month, level) cells whose bracket
        missed the wanted ranks (their values are NaN: collect them again, unbounded)."""
        horizon = self.brackets.low.shape[0]
        position, lo, hi = order_positions(self.levels, n)
        below = np.asarray(np.sum([t.below for t in self.tallies], axis=0, dtype=np.int64))
        out = np.full((len(self.levels), horizon), np.nan)
        missed = []
        for column in range(len(self.levels)):
            values, starts = self._by_month(column)
            for month in range(horizon):
                ranks = np.array([lo[column], hi[column]]) - below[month, column]
                segment = values[starts[month]:starts[month + 1]]
                if ranks.min() < 0 or ranks.max() >= segment.size:
                    missed.append((month, column))
                    continue
                a, b = (float(v) for v in np.partition(segment, ranks)[ranks])
                out[column, month] = a + (b - a) * (position[column] - lo[column])
        return out, missed

    def _by_month(self, column: int) -> tuple[np.ndarray, np.ndarray]:
        """Level ``column``'s kept values grouped by month, and each month's start."""
        horizon = self.brackets.low.shape[0]
        counts = np.asarray(np.sum([t.counts[column] for t in self.tallies], axis=0,
                                   dtype=np.int64))
        starts = np.concatenate([[0], np.cumsum(counts)])
        values = np.concatenate([t.values[column] for t in self.tallies])
        if len(self.tallies) > 1:  # each tally is month-major: a stable sort by month
            months = np.concatenate([np.repeat(np.arange(horizon, dtype=np.uint16),
                                               t.counts[column]) for t in self.tallies])
            values = values[np.argsort(months, kind="stable")]
        return values, starts
