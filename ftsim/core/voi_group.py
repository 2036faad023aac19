"""EVPPI of a group of inputs by regression on every path (issue 12; voi.py for the rest).

E_X[max_d E[NB_d | X_1..X_k]] - max_d E[NB_d], with E[NB_d | X] fitted by least squares
(Strong, Oakley & Brennan 2014, Medical Decision Making 34(3): regression on the Monte
Carlo sample; they fit a GAM, here restricted cubic splines per input, which need no
iterative smoothing-parameter search, plus pairwise products for small groups, since the
model's NPV multiplies volumes by prices). Among nested designs (constant, linear,
additive splines, splines and products) the one with the least k-fold cross-validated
error is kept per option: a group that explains nothing gets a constant (value 0 exactly)
instead of fitted noise, whose max over decisions would invent value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .regression import (
    ChosenFit,
    FoldGram,
    additive_spline_design,
    choose_model,
    design_blocks,
    fold_bounds,
    fold_gram,
    r_squared,
    thin_product,
)
from .voi import NetBenefit, best_decisions, gain_estimate, gain_sums, net_benefit_sample

__all__ = ["MAX_INTERACTION_INPUTS", "FitCheck", "GroupEvppi", "evppi_group"]

# Pairwise products enter the group regression for groups of at most this many inputs
# (6 inputs: 15 products beside 6 x 4 spline columns).
MAX_INTERACTION_INPUTS = 6


@dataclass(frozen=True)
class FitCheck:
    """How well the group regression fits one option's incremental net benefit: the model
    chosen by cross-validation, its number of terms, R^2 in sample and cross-validated
    (out of fold; None when the net benefit does not vary)."""

    decision: int
    model: str
    terms: int
    r2: float | None
    r2_cv: float | None


@dataclass(frozen=True)
class GroupEvppi:
    """EVPPI of a group of inputs (value, se: the regression estimate, the mean of the max
    of the fitted values) and the cross-fitted value: the net benefit actually gained on
    each path by the decision a fit made without that path's fold would choose (unbiased
    for the value of that rule, so below the EVPPI in expectation: the pair brackets it)."""

    value: float
    se: float
    value_cross_fitted: float
    se_cross_fitted: float
    fits: tuple[FitCheck, ...]


def _fit_checks(grams: FoldGram, fit: ChosenFit) -> tuple[FitCheck, ...]:
    r2, r2_cv = r_squared(grams, fit)
    return tuple(FitCheck(j + 1, fit.names[j], fit.terms[j], r2[j], r2_cv[j])
                 for j in range(len(fit.names)))


def _gain_sums(decisions: np.ndarray, rows: np.ndarray, sample: NetBenefit) -> tuple[float, float]:
    """Sums of L and L^2 over ``rows`` (r, m) of the centred NB, for per-row decisions."""
    gain = np.zeros(rows.shape[0])  # the baseline's incremental NB
    for j in range(sample.n_options):
        np.copyto(gain, rows[:, j] + sample.means[j], where=decisions == j + 1)
    if sample.best:
        gain -= rows[:, sample.best - 1]
        gain -= sample.means[sample.best - 1]
    return gain_sums(gain)


def evppi_group(xs: np.ndarray, net_benefit: np.ndarray | NetBenefit, *, n_folds: int = 5,
                n_knots: int | None = None, interactions: bool | None = None) -> GroupEvppi:
    """EVPPI of the inputs ``xs`` (n_paths, k) together, by regression.

    Each option's incremental net benefit is regressed on a constant, the inputs, their
    restricted cubic splines (``n_knots``: 5 from 2,000 paths, 4 from 200, else 3) and,
    for k <= 6, the products of pairs of inputs (a volume times a price is a product).
    Of these nested models, the one with the least ``n_folds``-fold cross-validated error
    is kept per option (a constant when the group explains nothing: value 0). Fit check:
    R^2 and cross-validated R^2 per option (``fits``); the cross-fitted value beside.
    """
    sample = net_benefit_sample(net_benefit)
    n, m = sample.n_paths, sample.n_options
    xs = np.asarray(xs, dtype=np.float64)
    if xs.ndim != 2 or xs.shape[0] != n or xs.shape[1] < 1:
        raise ValueError(f"inputs: expected shape ({n}, k >= 1), got {xs.shape}")
    if not np.isfinite(xs).all():
        raise ValueError("inputs: contains a value that is not finite")
    if m == 0:
        return GroupEvppi(0.0, 0.0, 0.0, 0.0, ())
    knots = n_knots if n_knots is not None else 5 if n >= 2000 else 4 if n >= 200 else 3
    pairs = interactions if interactions is not None else xs.shape[1] <= MAX_INTERACTION_INPUTS
    design = additive_spline_design(xs, knots, pairs and xs.shape[1] > 1)
    bounds = fold_bounds(n, max(2, min(n_folds, n // 2)))
    centred = sample.centred
    grams = fold_gram(design, xs, centred, bounds)
    fit = choose_model(grams, design)
    best_total = l_sum = l_sq = cf_sum = cf_sq = 0.0
    # with a constant in every model, the fitted values average to each option's mean
    best_now = sample.best_mean()
    for fold, start, stop, block in design_blocks(design, xs, bounds):
        best_value, decisions = best_decisions(thin_product(block, fit.coef), sample.means)
        best_total += float((best_value - best_now).sum())
        sums = _gain_sums(decisions, centred[start:stop], sample)
        l_sum, l_sq = l_sum + sums[0], l_sq + sums[1]
        _, held_out = best_decisions(thin_product(block, fit.coef_out[fold]), sample.means)
        sums = _gain_sums(held_out, centred[start:stop], sample)
        cf_sum, cf_sq = cf_sum + sums[0], cf_sq + sums[1]
    value = best_total / n
    crossed = gain_estimate(cf_sum, cf_sq, n)
    return GroupEvppi(max(value, 0.0), gain_estimate(l_sum, l_sq, n).se, crossed.value, crossed.se,
                      _fit_checks(grams, fit))
