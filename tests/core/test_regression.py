"""Spline bases and least squares of the value-of-information estimators.

Expected values come from independent constructions: scipy's natural cubic spline for the
spline space, numpy's least squares on the explicit design for the fits, explicit k-fold
refits for the cross-validation, and the model's own law for what the smoother must pick.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from ftsim.core.regression import (
    HARRELL_POSITIONS,
    additive_spline_design,
    choose_model,
    cross_validated_sse,
    fold_bounds,
    fold_gram,
    in_sample_sse,
    knot_positions,
    quantile_knots,
    r_squared,
    restricted_cubic_terms,
    smooth_bin_means,
    solve_columns,
)


def test_knot_positions_follow_harrell_then_even_spacing():
    assert knot_positions(5) == (0.05, 0.275, 0.50, 0.725, 0.95)
    assert knot_positions(3) == HARRELL_POSITIONS[3] == (0.10, 0.50, 0.90)
    assert knot_positions(11) == pytest.approx(np.linspace(0.025, 0.975, 11))


def test_quantile_knots_sorted_or_not_and_ties_merged():
    rng = np.random.default_rng(1)
    x = rng.lognormal(size=501)
    assert quantile_knots(x, 5) == pytest.approx(np.quantile(x, [0.05, 0.275, 0.5, 0.725, 0.95]))
    assert quantile_knots(np.sort(x), 5, is_sorted=True) == pytest.approx(quantile_knots(x, 5))
    # a two-valued input: every quantile is 0 or 1, so only two distinct knots remain
    assert quantile_knots(np.repeat([0.0, 1.0], [300, 200]), 5).tolist() == [0.0, 1.0]


def test_restricted_cubic_terms_span_the_natural_cubic_splines():
    # scipy's natural cubic spline through arbitrary values at the knots lies in the span
    # of {1, x, the K - 2 restricted terms}: least squares reproduces it to rounding
    knots = np.array([-1.3, -0.2, 0.4, 1.1, 2.5])
    rng = np.random.default_rng(2)
    spline = CubicSpline(knots, rng.normal(size=knots.size), bc_type="natural")
    x = np.linspace(knots[0], knots[-1], 400)
    design = np.column_stack([np.ones_like(x), x, restricted_cubic_terms(x, knots)])
    assert design.shape == (400, 5)
    coef = np.linalg.lstsq(design, spline(x), rcond=None)[0]
    assert np.max(np.abs(design @ coef - spline(x))) < 1e-9


def test_restricted_cubic_terms_are_linear_beyond_the_outer_knots():
    knots = np.array([0.0, 1.0, 2.0, 4.0])
    outside = np.concatenate([np.linspace(-5, 0, 11), np.linspace(4, 9, 11)])
    terms = restricted_cubic_terms(outside, knots)
    for part in (terms[:11], terms[11:]):  # evenly spaced points: second differences vanish
        assert np.max(np.abs(np.diff(part, n=2, axis=0))) < 1e-9
    assert np.all(terms[:11] == 0.0)  # below the first knot every term is zero
    assert restricted_cubic_terms(outside, knots[:2]).shape == (22, 0)


def test_smoothing_averages_to_the_overall_mean_and_keeps_a_constant_for_noise():
    rng = np.random.default_rng(3)
    bins = 60
    counts = rng.integers(40, 60, bins)
    centres = np.sort(rng.normal(size=bins))
    # pure noise around 2.0: each bin mean has variance s^2 / c with s^2 = 1
    means = 2.0 + rng.normal(size=(bins, 1)) / np.sqrt(counts)[:, None]
    smooth = smooth_bin_means(centres, means, counts, np.ones((bins, 1)))
    # the count-weighted fit has the weighted mean of the data (a constant is in every basis)
    assert counts @ smooth.fitted[:, 0] == pytest.approx(counts @ means[:, 0], rel=1e-12)
    assert smooth.dof == (1,)
    assert np.allclose(smooth.fitted[:, 0], counts @ means[:, 0] / counts.sum())


def test_smoothing_picks_a_line_for_a_line_and_raw_means_for_a_step():
    bins = 80
    counts = np.full(bins, 500)
    centres = np.linspace(-2.0, 2.0, bins)
    rng = np.random.default_rng(4)
    noise = rng.normal(size=bins) * 0.1 / np.sqrt(500)
    line = (1.0 + 0.5 * centres + noise)[:, None]
    smooth = smooth_bin_means(centres, line, counts, np.full((bins, 1), 0.01))
    assert smooth.dof[0] <= 3  # a line, or a spline barely wider
    fitted_line = smooth.evaluate(np.array([-1.0, 0.0, 1.0]), 0)
    assert fitted_line is not None
    assert fitted_line == pytest.approx([0.5, 1.0, 1.5], abs=0.01)
    # a jump of 1 between adjacent bins with noise 0.001: no spline fits it, raw means do
    step = (np.where(centres > 0.0, 1.0, 0.0) + noise / 100)[:, None]
    smooth = smooth_bin_means(centres, step, counts, np.full((bins, 1), 1e-4))
    assert smooth.dof == (bins,)
    assert smooth.evaluate(centres, 0) is None
    assert np.array_equal(smooth.fitted, step)


def _design_by_hand(xs: np.ndarray, knots: int) -> np.ndarray:
    mean, sd = xs.mean(axis=0), xs.std(axis=0)
    std = (xs - mean) / sd
    cols = [np.ones(xs.shape[0])] + [std[:, j] for j in range(xs.shape[1])]
    for j in range(xs.shape[1]):
        k = np.quantile(xs[:, j], knot_positions(knots))
        cols += list(restricted_cubic_terms(xs[:, j], k).T)
    cols += [std[:, a] * std[:, b] for a in range(xs.shape[1]) for b in range(a + 1, xs.shape[1])]
    return np.column_stack(cols)


def test_the_design_is_constant_inputs_splines_and_products():
    rng = np.random.default_rng(5)
    xs = np.column_stack([rng.normal(size=300), rng.lognormal(size=300), rng.random(300)])
    design = additive_spline_design(xs, 4, True)
    assert design.n_terms == 1 + 3 + 3 * 2 + 3
    assert np.allclose(design.matrix(xs), _design_by_hand(xs, 4))
    names = [name for name, _ in design.models()]
    assert names == ["constant", "linear", "additive splines", "splines and pairwise products"]
    assert [cols.size for _, cols in design.models()] == [1, 4, 10, 13]
    assert additive_spline_design(xs, 4, False).n_terms == 10


def test_fold_grams_give_the_least_squares_fit_and_its_k_fold_refits():
    rng = np.random.default_rng(6)
    n = 1000
    xs = rng.normal(size=(n, 2))
    y = np.column_stack([np.sin(xs[:, 0]) + xs[:, 1] ** 2, xs[:, 0] * xs[:, 1]]) + rng.normal(size=(n, 2))
    y -= y.mean(axis=0)
    design = additive_spline_design(xs, 5, True)
    bounds = fold_bounds(n, 5)
    assert bounds.tolist() == [0, 200, 400, 600, 800, 1000]
    grams = fold_gram(design, xs, y, bounds)
    x_full = _design_by_hand(xs, 5)
    columns = np.arange(design.n_terms)
    coef = solve_columns(grams.gram.sum(axis=0), grams.cross.sum(axis=0), columns)
    expected = np.linalg.lstsq(x_full, y, rcond=None)[0]
    assert np.allclose(coef, expected, atol=1e-8)
    assert in_sample_sse(grams, coef) == pytest.approx(((y - x_full @ expected) ** 2).sum(axis=0))
    # explicit 5-fold refits on a sub-model (constant and the two inputs)
    sub = np.arange(3)
    sse, out = cross_validated_sse(grams, sub)
    by_hand = np.zeros(2)
    for f in range(5):
        test = np.arange(bounds[f], bounds[f + 1])
        train = np.setdiff1d(np.arange(n), test)
        b = np.linalg.lstsq(x_full[np.ix_(train, sub)], y[train], rcond=None)[0]
        by_hand += ((y[test] - x_full[np.ix_(test, sub)] @ b) ** 2).sum(axis=0)
        assert np.allclose(out[f][sub], b, atol=1e-10) and np.all(out[f][3:] == 0)
    assert sse == pytest.approx(by_hand, rel=1e-10)


def test_cross_validation_chooses_products_for_a_product_and_reports_r2():
    rng = np.random.default_rng(7)
    n = 4000
    xs = rng.normal(size=(n, 2))
    # column 0: X1 X2 + N(0, 1): R^2 = Var(X1 X2) / (Var(X1 X2) + 1) = 1 / 2
    # column 1: pure noise: a constant, R^2 = 0
    y = np.column_stack([xs[:, 0] * xs[:, 1] + rng.normal(size=n), rng.normal(size=n)])
    y -= y.mean(axis=0)
    design = additive_spline_design(xs, 5, True)
    grams = fold_gram(design, xs, y, fold_bounds(n, 5))
    fit = choose_model(grams, design)
    assert fit.names[0] == "splines and pairwise products"
    assert fit.names[1] in ("constant", "linear")
    r2, r2_cv = r_squared(grams, fit)
    # R^2's sampling sd near 1/2 at n = 4000 is about 0.012: allow 4 of them
    assert r2[0] == pytest.approx(0.5, abs=0.05)
    assert r2_cv[0] is not None and r2[0] is not None and r2_cv[0] <= r2[0]
    assert r2_cv[1] is not None and r2_cv[1] <= 0.002
