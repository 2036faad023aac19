"""The decision rule at a decision month k (ftsim/core/studies/wait.py): least squares of each
option's committed NPV on the history seen by k (Longstaff and Schwartz 2001), commit to the
option with the highest predicted NPV when above 0, cross-fitted on halves of the paths.

Which regression: per option, the nested designs of ``ftsim.core.regression`` (a constant,
the features, their restricted cubic splines, pairwise products), chosen by 5-fold
cross-validated squared error within the fitting half (``choose_model``). Then a check of
the rule itself on the same held-out folds: the NPV is heavy-tailed, and a regression that
fits its squares a little better than the mean may still decide worse than the mean. The
fitted rule is kept only when it earns more than two standard errors (of the per-path
difference) above deciding on the fold's means; otherwise the rule decides on the means,
as deciding now would, and a history that tells nothing costs nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..regression import (
    AdditiveSplineDesign,
    FoldGram,
    additive_spline_design,
    choose_model,
    cross_validated_sse,
    design_blocks,
    fold_bounds,
    thin_product,
)

__all__ = ["WaitDecision", "rule_decisions", "fit_rule", "decide_after_waiting"]

_FOLDS = 5
KEEP_SE = 2.0  # the fitted rule must beat the means by this many se on held-out folds
_BLOCK = 1 << 15  # rows of the design built at once when predicting


def rule_decisions(predicted: np.ndarray) -> np.ndarray:
    """Per row of predicted NPVs (r, m): the option with the highest when above 0 (j + 1),
    else 0 (the baseline)."""
    best = np.argmax(predicted, axis=1)
    return np.where(predicted[np.arange(predicted.shape[0]), best] > 0, best + 1, 0)


def _earned(decisions: np.ndarray, npv: np.ndarray) -> np.ndarray:
    """The NPV each row earns under its decision (0 for the baseline)."""
    taken = npv[np.arange(npv.shape[0]), np.maximum(decisions - 1, 0)]
    return np.where(decisions > 0, taken, 0.0)


def _held_out_gain(design: AdditiveSplineDesign, xs: np.ndarray, npv: np.ndarray,
                   means: np.ndarray, bounds: np.ndarray, fitted: np.ndarray,
                   constant: np.ndarray) -> np.ndarray:
    """(r,): per row, what the fitted rule earns minus what deciding on the means earns,
    both fitted without the row's fold (coefficients (F, p, m))."""
    out = np.empty(xs.shape[0])
    for fold, start, stop, block in design_blocks(design, xs, bounds):
        rows = npv[start:stop]
        rule = rule_decisions(thin_product(block, fitted[fold]) + means)
        mean = rule_decisions(thin_product(block, constant[fold]) + means)
        out[start:stop] = _earned(rule, rows) - _earned(mean, rows)
    return out


def _fold_gram(design: AdditiveSplineDesign, xs: np.ndarray, y: np.ndarray,
               bounds: np.ndarray) -> FoldGram:
    """``regression.fold_gram`` with numpy's own loops instead of BLAS: on two cores shared
    with other work, OpenBLAS's threads stalled ~0.3 s per (32768, 66) product (1.2 s a
    fit, 7 of a 100,000-path analysis's 11 s); einsum takes 0.07 s, whatever the load."""
    folds, p, m = bounds.shape[0] - 1, design.n_terms, y.shape[1]
    gram, cross, yy = np.zeros((folds, p, p)), np.zeros((folds, p, m)), np.zeros((folds, m))
    for fold, _start, _stop, block in design_blocks(design, xs, bounds, extra=y):
        rows = np.ascontiguousarray(block)
        products = np.einsum("ij,ik->jk", rows, rows, optimize=False)
        gram[fold] += products[:p, :p]
        cross[fold] += products[:p, p:]
        yy[fold] += np.diag(products[p:, p:])
    return FoldGram(gram, cross, yy)


def fit_rule(x_fit: np.ndarray, y_fit: np.ndarray,
             x_eval: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Every option's NPV (columns of ``y_fit``, (r, m)) regressed on the features
    ``x_fit`` (r, f), predicted at ``x_eval``, and each option's model ("constant" for all
    when the rule does not beat the means). Features constant over the fitting rows are
    left out (none left: the means)."""
    means = y_fit.mean(axis=0)
    m = y_fit.shape[1]
    varying = [j for j in range(x_fit.shape[1]) if np.ptp(x_fit[:, j]) > 0]
    rows = x_fit.shape[0]
    constant = (np.tile(means, (x_eval.shape[0], 1)), ("constant",) * m)
    if not varying or rows < 2 * _FOLDS:
        return constant
    xf, xe = x_fit[:, varying], x_eval[:, varying]
    knots = 5 if rows >= 2000 else 4 if rows >= 200 else 3
    design = additive_spline_design(xf, knots, len(varying) > 1)
    bounds = fold_bounds(rows, _FOLDS)
    grams = _fold_gram(design, xf, y_fit - means, bounds)
    fit = choose_model(grams, design)
    if all(name == "constant" for name in fit.names):
        return constant
    means_only = cross_validated_sse(grams, design.models()[0][1])[1]
    gain = _held_out_gain(design, xf, y_fit, means, bounds, fit.coef_out, means_only)
    if float(np.mean(gain)) <= KEEP_SE * float(np.std(gain, ddof=1)) / math.sqrt(rows):
        return constant
    out = np.empty((xe.shape[0], m))
    for a in range(0, xe.shape[0], _BLOCK):
        out[a:a + _BLOCK] = thin_product(design.matrix(xe[a:a + _BLOCK]), fit.coef)
    return out + means, fit.names


@dataclass(frozen=True)
class WaitDecision:
    """The cross-fitted rule at one decision month: per path the decision (0 the baseline,
    j >= 1 option j) and the NPV it earns (n,), per option the model chosen in each half
    (fitted on the first, on the second), and the out-of-sample R^2 of the predicted NPV
    per option (None when it does not vary)."""

    decisions: np.ndarray
    earned: np.ndarray
    models: tuple[tuple[str, str], ...]  # per option
    r2_out_of_sample: tuple[float | None, ...]


def decide_after_waiting(features: np.ndarray, npv: np.ndarray) -> WaitDecision:
    """Commit to the option with the highest predicted NPV when above 0, each path decided
    by a regression fitted on the other half of the paths (``features`` (n, f), ``npv``
    (n, m), n >= 4)."""
    n, m = npv.shape
    if n < 4:
        raise ValueError(f"npv: expected at least 4 paths, got {n}")
    half = n // 2
    predicted = np.empty((n, m))
    predicted[half:], first = fit_rule(features[:half], npv[:half], features[half:])
    predicted[:half], second = fit_rule(features[half:], npv[half:], features[:half])
    decisions = rule_decisions(predicted)
    sst = ((npv - npv.mean(axis=0)) ** 2).sum(axis=0)
    sse = ((npv - predicted) ** 2).sum(axis=0)
    r2 = tuple(float(1.0 - e / t) if t > 0 else None for e, t in zip(sse, sst, strict=True))
    return WaitDecision(decisions, _earned(decisions, npv),
                        tuple(zip(first, second, strict=True)), r2)
