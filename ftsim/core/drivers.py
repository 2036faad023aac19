"""Drivers of one option: how much each random input moves P(payback within N) and NPV.

Two measures per input, each with its Monte Carlo error: the swing of P(payback) between
the input's bottom and top decile of draws (what the report headlines), and first-order
variance shares of the payback indicator and of NPV (conditional.py). An input is
``significant`` when its effect on P(payback) survives Holm's step-down correction at a
family-wise 5 % over the option's inputs (each input's p-value is the smaller of the swing's
two-sided and the share's one-sided normal p-values, doubled for taking the smaller); rows
rank by |swing|, significant ones first, so an input whose effect is within noise never
headlines. A plain 2-se rule per input would flag about one noise input in twenty: with the
30-odd inputs of a scenario, one or two each run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .conditional import FirstOrder, bin_moments, equal_count_edges, first_order, indicator_bin_moments
from .metrics import SortedSample
from .summary_parts import DriverRow

__all__ = ["DecileSwing", "decile_swing", "driver_row", "effect_p_value", "holm_significant",
           "rank_drivers"]


@dataclass(frozen=True)
class DecileSwing:
    """P(hit) among paths whose input is <= its P10 (``low``) and >= its P90 (``high``).

    ``swing`` = p_high - p_low with standard error sqrt(p1 q1 / n1 + p2 q2 / n2); both None
    for an input that never varies (there is no bottom or top decile to compare).
    """

    p_low: float
    p_high: float
    n_low: int
    n_high: int
    swing: float | None
    se: float | None


def decile_swing(sample: SortedSample, sorted_hit: np.ndarray, low_below: float,
                 high_above: float) -> DecileSwing:
    """The decile swing of an indicator already ordered by the input (``sorted_hit``): the
    bottom decile is a prefix of the sorted input, the top decile a suffix, so ties at a
    threshold all fall in its decile."""
    n = sample.values.shape[0]
    n_low = int(np.searchsorted(sample.values, low_below, side="right"))
    n_high = n - int(np.searchsorted(sample.values, high_above, side="left"))
    p_low = int(np.count_nonzero(sorted_hit[:n_low])) / n_low
    p_high = int(np.count_nonzero(sorted_hit[n - n_high:])) / n_high
    if sample.is_constant():
        return DecileSwing(p_low, p_high, n_low, n_high, None, None)
    se = math.sqrt(p_low * (1 - p_low) / n_low + p_high * (1 - p_high) / n_high)
    return DecileSwing(p_low, p_high, n_low, n_high, p_high - p_low, se)


def _clipped(share: float | None) -> float | None:
    """A share as reported: at least 0 (the bias-corrected estimate dips below 0 by noise)."""
    return None if share is None else max(0.0, share)


def driver_row(key: str, label: str, sample: SortedSample, deciles: tuple[float, float],
               hit: np.ndarray, npv: np.ndarray | None, spearman: float | None) -> DriverRow:
    """One input's DriverRow for one option.

    ``sample`` is the input sorted once, ``deciles`` its (P10, P90), ``hit`` the option's
    payback indicator and ``npv`` its NPV in path order (None when NPV is constant: its
    share is then undefined). Holds at most one float64 copy of NPV at a time (ordered by
    the input) beyond its arguments.
    """
    edges = equal_count_edges(sample.values)
    sorted_hit = hit[sample.order]
    swing = decile_swing(sample, sorted_hit, *deciles)
    payback = first_order(indicator_bin_moments(sorted_hit, edges))
    del sorted_hit
    npv_share = (FirstOrder(None, None) if npv is None
                 else first_order(bin_moments(npv[sample.order], edges)))
    return DriverRow(
        input=key, label=label, swing=swing.swing, swing_se=swing.se,
        p_payback_low=swing.p_low, p_payback_high=swing.p_high,
        low_below=deciles[0], high_above=deciles[1],
        first_order=_clipped(payback.share), first_order_se=payback.se,
        npv_first_order=_clipped(npv_share.share), npv_first_order_se=npv_share.se,
        spearman=spearman, significant=False,  # decided over the family: rank_drivers
    )


FAMILY_ALPHA = 0.05


def _normal_tail(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def effect_p_value(row: DriverRow) -> float:
    """The evidence that an input moves P(payback): the smaller of the swing's two-sided and
    the payback share's one-sided p-value, doubled (Bonferroni over the two tests); 1 when
    neither can be computed (a constant input, an outcome that never varies)."""
    candidates = []
    if row.swing is not None and row.swing_se is not None:
        candidates.append(_p_from_z(abs(row.swing), row.swing_se, two_sided=True))
    if row.first_order is not None and row.first_order_se is not None:
        candidates.append(_p_from_z(row.first_order, row.first_order_se, two_sided=False))
    return min(1.0, 2.0 * min(candidates)) if candidates else 1.0


def _p_from_z(effect: float, se: float, *, two_sided: bool) -> float:
    """The normal p-value of ``effect`` over ``se``; with no error (se 0) a nonzero effect is
    certain (a perfectly separated decile) and a zero one is no evidence."""
    if se <= 0.0:
        return 0.0 if effect > 0.0 else 1.0
    tail = _normal_tail(effect / se)
    return min(1.0, 2.0 * tail) if two_sided else tail


def holm_significant(p_values: Sequence[float], alpha: float = FAMILY_ALPHA) -> list[bool]:
    """Holm's step-down rejections: the i-th smallest p-value (0-based) is rejected while it
    is at most alpha / (m - i); the family-wise error rate stays at most alpha."""
    m = len(p_values)
    rejected = [False] * m
    for step, index in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        if p_values[index] > alpha / (m - step):
            break
        rejected[index] = True
    return rejected


def rank_drivers(rows: Iterable[DriverRow]) -> tuple[DriverRow, ...]:
    """Mark the significant rows (Holm over the family), then rank: significant rows first,
    each group by |swing| descending (None last), ties by key."""
    rows = list(rows)
    flags = holm_significant([effect_p_value(row) for row in rows])
    marked = [replace(row, significant=flag) for row, flag in zip(rows, flags, strict=True)]
    return tuple(sorted(marked, key=lambda r: (not r.significant,
                                               -abs(r.swing) if r.swing is not None else 1.0,
                                               r.input)))
