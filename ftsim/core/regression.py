"""Spline bases and least squares for the value-of-information estimators (voi*.py).

The single-input estimator smooths per-bin means, the basis size chosen by Stein's unbiased
risk estimate (``smooth_bin_means``). The group estimator regresses each option's net
benefit on every path's inputs (``AdditiveSplineDesign``), block by block into one Gram
matrix per fold (``fold_gram``): k-fold cross-validation then costs no second fit.

Restricted cubic splines (Harrell, Regression Modeling Strategies, 2nd ed., section 2.4.5):
natural cubic splines, linear beyond the outer knots, knots at fixed quantiles of the input,
so heavy tails (lognormal volumes) extrapolate linearly instead of as a cubic.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

__all__ = ["HARRELL_POSITIONS", "knot_positions", "quantile_knots", "restricted_cubic_terms",
           "SmoothingBasis", "smoothing_basis", "BinSmooth", "smooth_bin_means",
           "AdditiveSplineDesign", "additive_spline_design", "FoldGram", "fold_bounds",
           "design_blocks", "fold_gram", "solve_columns", "cross_validated_sse", "in_sample_sse",
           "ChosenFit", "choose_model", "r_squared", "thin_product"]

# Harrell's knot positions (quantiles of the input) for 3 to 7 knots.
HARRELL_POSITIONS: dict[int, tuple[float, ...]] = {
    3: (0.10, 0.50, 0.90),
    4: (0.05, 0.35, 0.65, 0.95),
    5: (0.05, 0.275, 0.50, 0.725, 0.95),
    6: (0.05, 0.23, 0.41, 0.59, 0.77, 0.95),
    7: (0.025, 0.1833, 0.3417, 0.50, 0.6583, 0.8167, 0.975),
}
# Knot counts tried when smoothing bin means (besides a constant, a line and the raw bins).
_SMOOTH_KNOTS = (3, 4, 5, 7, 10, 14, 20)
# Eigenvalues of a Gram matrix X'WX (squared singular values of the design) below this
# fraction of the largest are dropped: the directions of collinear columns.
_GRAM_RCOND = 1e-12
# Rows of the design built at once: 2^15 rows x 40 columns = 10 MB, reused per block.
_BLOCK = 1 << 15


def knot_positions(n_knots: int) -> tuple[float, ...]:
    """Quantile positions of ``n_knots`` knots: Harrell's table for 3-7, evenly spaced from
    the 2.5th to the 97.5th percentile beyond."""
    if n_knots in HARRELL_POSITIONS:
        return HARRELL_POSITIONS[n_knots]
    return tuple(np.linspace(0.025, 0.975, n_knots).tolist())


def quantile_knots(x: np.ndarray, n_knots: int, *, is_sorted: bool = False) -> np.ndarray:
    """Distinct knots at the quantiles of ``x`` (fewer than asked when ``x`` has ties);
    ``is_sorted`` reads them off an ascending ``x`` without a partition."""
    positions = np.asarray(knot_positions(n_knots))
    if is_sorted:
        knots = np.interp(positions * (x.shape[0] - 1), np.arange(x.shape[0]), x)
    else:
        knots = np.quantile(x, positions)
    return knots[np.append(True, np.diff(knots) > 0)]


def restricted_cubic_terms(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """The K - 2 nonlinear terms of a restricted cubic spline with K knots, (n, K - 2).

    With the linear term x and a constant they span the natural cubic splines with these
    knots. x is first mapped to (x - t_1) / (t_K - t_1), so the terms are of order one.
    """
    x = np.asarray(x, dtype=np.float64)
    k = knots.shape[0]
    out = np.empty((max(k - 2, 0), x.shape[0])).T  # column-major: each term contiguous
    if k < 3:
        return out
    span = float(knots[-1] - knots[0])
    z = (x - knots[0]) / span
    t = (knots - knots[0]) / span
    last, before = float(t[-1]), float(t[-2])
    cube_last, cube_before = _cube_above(z, last), _cube_above(z, before)
    for j in range(k - 2):
        tj = float(t[j])
        term = _cube_above(z, tj)
        term -= cube_before * ((last - tj) / (last - before))
        term += cube_last * ((before - tj) / (last - before))
        out[:, j] = term
    return out


def _cube_above(z: np.ndarray, knot: float) -> np.ndarray:
    """max(z - knot, 0)^3."""
    part = z - knot
    np.maximum(part, 0.0, out=part)
    cube = part * part
    cube *= part
    return cube


@dataclass(frozen=True)
class SmoothingBasis:
    """Candidate bases over an input, nested: 0 a constant, 1 a line, then restricted cubic
    splines with ``knots[c - 2]``; the line is (x - centre) / scale."""

    centre: float
    scale: float
    knots: tuple[np.ndarray, ...]

    @property
    def n_candidates(self) -> int:
        return 2 + len(self.knots)

    def matrix(self, x: np.ndarray, candidate: int) -> np.ndarray:
        """The design (len(x), size) of candidate ``candidate`` at inputs ``x``."""
        x = np.asarray(x, dtype=np.float64)
        ones = np.ones((x.shape[0], 1))
        if candidate == 0:
            return ones
        line = ((x - self.centre) / self.scale)[:, None]
        if candidate == 1:
            return np.hstack([ones, line])
        return np.hstack([ones, line, restricted_cubic_terms(x, self.knots[candidate - 2])])


def smoothing_basis(centres: np.ndarray) -> SmoothingBasis:
    """Candidates over the ascending bin centres (B,): splines of every distinct knot
    count in _SMOOTH_KNOTS below the number of bins."""
    bins = centres.shape[0]
    sd = float(centres.std())
    knot_sets: list[np.ndarray] = []
    for n_knots in _SMOOTH_KNOTS:
        knots = quantile_knots(centres, n_knots, is_sorted=True)
        size = knots.shape[0]
        if 3 <= size < bins and all(size != k.shape[0] for k in knot_sets):
            knot_sets.append(knots)
    return SmoothingBasis(float(centres.mean()), sd if sd > 0 else 1.0, tuple(knot_sets))


@dataclass(frozen=True)
class BinSmooth:
    """Smoothed bin means (B, m) and per column the chosen candidate of ``basis`` (None:
    the raw bin means), its coefficients, and its size (B for the raw means)."""

    fitted: np.ndarray
    candidate: tuple[int | None, ...]
    coef: tuple[np.ndarray | None, ...]
    dof: tuple[int, ...]
    basis: SmoothingBasis

    def evaluate(self, x: np.ndarray, column: int) -> np.ndarray | None:
        """The smooth of ``column`` at inputs ``x``; None for raw bin means (a step)."""
        candidate, coef = self.candidate[column], self.coef[column]
        if candidate is None or coef is None:
            return None
        return np.einsum("ij,j->i", self.basis.matrix(x, candidate), coef)


def smooth_bin_means(centres: np.ndarray, means: np.ndarray, counts: np.ndarray,
                     within_var: np.ndarray) -> BinSmooth:
    """Least-squares smoothing of bin means, one basis size per column.

    centres (B,): each bin's mean input; means (B, m): each bin's mean output; counts (B,);
    within_var (B, m): the output's variance inside each bin. The fit is weighted by the
    counts (so the fitted values average to the overall mean, exactly). Per column the
    basis minimises Stein's unbiased estimate of sum_b c_b (fit_b - E[Y | bin b])^2:
    RSS_w - sum_b s_b^2 + 2 sum_b h_bb s_b^2 (h the hat matrix). A constant wins when the
    input explains nothing, so the max over noisy bin means cannot invent value.
    """
    counts = counts.astype(np.float64)
    sqrt_w = np.sqrt(counts)
    basis = smoothing_basis(centres)
    designs = [basis.matrix(centres, c) for c in range(basis.n_candidates)]
    # All candidates at once, zero-padded to the widest (a zero column adds a zero
    # eigenvalue, dropped like any collinear direction); each X'WX pseudo-inverted by its
    # eigenvectors (21 x 21: cheaper than an SVD of the 100 x 21 design).
    stacked = np.zeros((len(designs), centres.shape[0], max(d.shape[1] for d in designs)))
    for c, design in enumerate(designs):
        stacked[c, :, :design.shape[1]] = design
    weighted = stacked * sqrt_w[None, :, None]
    eigval, eigvec = np.linalg.eigh(weighted.transpose(0, 2, 1) @ weighted)
    keep = eigval > eigval[:, -1:] * _GRAM_RCOND
    scaled = eigvec * np.where(keep, 1.0 / np.where(keep, eigval, 1.0), 0.0)[:, None, :]
    inverse = scaled @ eigvec.transpose(0, 2, 1)
    coefs = inverse @ (weighted.transpose(0, 2, 1) @ (means * sqrt_w[:, None]))
    fits = stacked @ coefs
    leverage = ((weighted @ inverse) * weighted).sum(axis=2)
    noise = within_var.sum(axis=0)
    risk = (np.einsum("b,cbm->cm", counts, (means[None] - fits) ** 2) - noise
            + 2.0 * (leverage @ within_var))
    best = risk.argmin(axis=0)  # the first (smallest) candidate among equals
    fitted = means.copy()
    candidate: list[int | None] = [None] * means.shape[1]
    coef: list[np.ndarray | None] = [None] * means.shape[1]
    dof = [means.shape[0]] * means.shape[1]
    for j, c in enumerate(best.tolist()):
        if risk[c, j] < noise[j]:  # the raw bin means: no residual, h_bb = 1, risk sum s_b^2
            fitted[:, j] = fits[c, :, j]
            candidate[j], coef[j], dof[j] = c, coefs[c, :designs[c].shape[1], j], designs[c].shape[1]
    return BinSmooth(fitted, tuple(candidate), tuple(coef), tuple(dof), basis)


@dataclass(frozen=True)
class AdditiveSplineDesign:
    """Columns: a constant; each input's standardised value; each input's restricted cubic
    terms; with ``interactions``, the products of pairs of standardised values.

    ``models`` names nested column sets, smallest first (constant, linear, additive
    splines, splines and pairwise products): the candidates cross-validation chooses from.
    """

    centres: np.ndarray
    scales: np.ndarray
    knots: tuple[np.ndarray, ...]
    interactions: bool

    @property
    def n_inputs(self) -> int:
        return self.centres.shape[0]

    def _counts(self) -> tuple[int, int, int]:
        k = self.n_inputs
        spline = sum(max(t.shape[0] - 2, 0) for t in self.knots)
        pairs = k * (k - 1) // 2 if self.interactions else 0
        return k, spline, pairs

    @property
    def n_terms(self) -> int:
        k, spline, pairs = self._counts()
        return 1 + k + spline + pairs

    def models(self) -> tuple[tuple[str, np.ndarray], ...]:
        k, spline, pairs = self._counts()
        out = [("constant", np.arange(1)), ("linear", np.arange(1 + k))]
        if spline:
            out.append(("additive splines", np.arange(1 + k + spline)))
        if pairs:
            out.append(("splines and pairwise products", np.arange(1 + k + spline + pairs)))
        return tuple(out)

    def matrix(self, xs: np.ndarray, spare: int = 0) -> np.ndarray:
        """The design (rows, n_terms + spare) of input rows ``xs`` (rows, k); the last
        ``spare`` columns are left for the caller to fill."""
        rows, k = xs.shape[0], self.n_inputs
        # column-major: every column below is written, and read by BLAS, contiguously
        out = np.empty((self.n_terms + spare, rows)).T
        out[:, 0] = 1.0
        for j in range(k):
            np.subtract(xs[:, j], self.centres[j], out=out[:, 1 + j])
            out[:, 1 + j] /= self.scales[j]
        col = 1 + k
        for j, knots in enumerate(self.knots):
            terms = restricted_cubic_terms(xs[:, j], knots)
            out[:, col:col + terms.shape[1]] = terms
            col += terms.shape[1]
        if self.interactions:
            for a in range(k):
                for b in range(a + 1, k):
                    np.multiply(out[:, 1 + a], out[:, 1 + b], out=out[:, col])
                    col += 1
        return out


def additive_spline_design(xs: np.ndarray, n_knots: int, interactions: bool) -> AdditiveSplineDesign:
    """The design for inputs ``xs`` (n, k): knots at each input's quantiles, centred and
    scaled by its mean and standard deviation (a constant input gets scale 1 and no
    spline; its column is collinear with the constant and dropped by the solver)."""
    # column by column: a reduction along the long axis of (n, k) is 5x slower
    centres = np.array([xs[:, j].mean() for j in range(xs.shape[1])])
    scales = np.array([xs[:, j].std() for j in range(xs.shape[1])])
    scales = np.where(scales > 0, scales, 1.0)
    knots = tuple(quantile_knots(xs[:, j], n_knots) for j in range(xs.shape[1]))
    return AdditiveSplineDesign(centres, scales, knots, interactions)


def fold_bounds(n_rows: int, n_folds: int) -> np.ndarray:
    """Row bounds of ``n_folds`` contiguous folds (paths are independent draws, so a
    contiguous fold is as random as any)."""
    return np.round(np.linspace(0, n_rows, n_folds + 1)).astype(np.int64)


def design_blocks(design: AdditiveSplineDesign, xs: np.ndarray, bounds: np.ndarray,
                  extra: np.ndarray | None = None) -> Iterator[tuple[int, int, int, np.ndarray]]:
    """(fold, first row, end row, design block) over all rows, fold by fold; with
    ``extra`` (n, m), its rows follow as the block's last m columns."""
    width = 0 if extra is None else extra.shape[1]
    for fold in range(bounds.shape[0] - 1):
        for start in range(int(bounds[fold]), int(bounds[fold + 1]), _BLOCK):
            stop = min(start + _BLOCK, int(bounds[fold + 1]))
            block = design.matrix(xs[start:stop], width)
            if extra is not None:
                block[:, design.n_terms:] = extra[start:stop]
            yield fold, start, stop, block


@dataclass(frozen=True)
class FoldGram:
    """Per fold f: X_f'X_f (F, p, p), X_f'Y_f (F, p, m), Y_f'Y_f per column (F, m)."""

    gram: np.ndarray
    cross: np.ndarray
    yy: np.ndarray


def fold_gram(design: AdditiveSplineDesign, xs: np.ndarray, y: np.ndarray,
              bounds: np.ndarray) -> FoldGram:
    """Sums of squares and products per fold of the design of ``xs`` (n, k) and the
    outputs ``y`` (n, m), in one pass over the rows."""
    folds, p, m = bounds.shape[0] - 1, design.n_terms, y.shape[1]
    gram, cross, yy = np.zeros((folds, p, p)), np.zeros((folds, p, m)), np.zeros((folds, m))
    for fold, _start, _stop, block in design_blocks(design, xs, bounds, extra=y):
        # the outputs ride along as the block's last m columns: one product gives X'X,
        # X'Y and Y'Y together
        products = block.T @ block
        gram[fold] += products[:p, :p]
        cross[fold] += products[:p, p:]
        yy[fold] += np.diag(products[p:, p:])
    return FoldGram(gram, cross, yy)


def thin_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (r, p) @ b (p, m) for few columns m, as p scaled additions per column, without
    BLAS: on two busy cores OpenBLAS's threads took 3-30 ms for a (32768, 16) by (16, 2)
    product that is 0.9 ms this way. Returned column-major (each column contiguous)."""
    out = np.zeros((b.shape[1], a.shape[0]))
    scratch = np.empty(a.shape[0])
    for j in range(b.shape[1]):
        for k in np.flatnonzero(b[:, j]):
            np.multiply(a[:, k], b[k, j], out=scratch)
            out[j] += scratch
    return out.T


def solve_columns(gram: np.ndarray, cross: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Least-squares coefficients (p, m) using only ``columns`` of the design (zeros
    elsewhere), from X'X and X'Y; collinear columns get the minimum-norm solution."""
    coef = np.zeros(cross.shape)
    sub = gram[np.ix_(columns, columns)]
    scale = np.sqrt(np.diag(sub))
    scale = np.where(scale > 0, scale, 1.0)
    solved = np.linalg.lstsq(sub / np.outer(scale, scale), cross[columns] / scale[:, None],
                             rcond=_GRAM_RCOND)[0]
    coef[columns] = solved / scale[:, None]
    return coef


def _sse(gram: np.ndarray, cross: np.ndarray, yy: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Per column sum of (y - X b)^2 = y'y - 2 b'X'y + b'X'X b."""
    return yy - 2.0 * np.einsum("pm,pm->m", coef, cross) + np.einsum("pm,pq,qm->m", coef, gram, coef)


def cross_validated_sse(grams: FoldGram, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the k-fold cross-validated sum of squared errors of the model on
    ``columns``, and the fold-left-out coefficients (F, p, m)."""
    total_gram, total_cross = grams.gram.sum(axis=0), grams.cross.sum(axis=0)
    sse = np.zeros(grams.yy.shape[1])
    coefs = np.empty((grams.gram.shape[0],) + grams.cross.shape[1:])
    for fold in range(grams.gram.shape[0]):
        coefs[fold] = solve_columns(total_gram - grams.gram[fold],
                                    total_cross - grams.cross[fold], columns)
        sse += _sse(grams.gram[fold], grams.cross[fold], grams.yy[fold], coefs[fold])
    return np.maximum(sse, 0.0), coefs


def in_sample_sse(grams: FoldGram, coef: np.ndarray) -> np.ndarray:
    """Per column, the sum of squared residuals of ``coef`` over all folds."""
    return np.maximum(_sse(grams.gram.sum(axis=0), grams.cross.sum(axis=0),
                           grams.yy.sum(axis=0), coef), 0.0)


@dataclass(frozen=True)
class ChosenFit:
    """Per output column, the nested model with the least cross-validated error: its name,
    number of terms and CV sum of squared errors, full-sample coefficients (p, m) and
    fold-left-out coefficients (F, p, m) (zeros outside the model's columns)."""

    names: tuple[str, ...]
    terms: tuple[int, ...]
    cv_sse: np.ndarray
    coef: np.ndarray
    coef_out: np.ndarray


def choose_model(grams: FoldGram, design: AdditiveSplineDesign) -> ChosenFit:
    """Cross-validate each of ``design.models()`` and keep, per column, the one with the
    least error (a bigger model must beat a smaller one by more than rounding)."""
    total_gram, total_cross = grams.gram.sum(axis=0), grams.cross.sum(axis=0)
    m = grams.yy.shape[1]
    coef, coef_out = np.zeros(total_cross.shape), np.zeros((grams.gram.shape[0],) + total_cross.shape)
    best = np.full(m, np.inf)
    names, terms = ["constant"] * m, [1] * m
    for name, columns in design.models():
        sse, out = cross_validated_sse(grams, columns)
        full = solve_columns(total_gram, total_cross, columns)
        for j in np.flatnonzero(sse < best * (1.0 - 1e-9)):
            best[j], coef[:, j], coef_out[:, :, j] = sse[j], full[:, j], out[:, :, j]
            names[j], terms[j] = name, int(columns.size)
    return ChosenFit(tuple(names), tuple(terms), best, coef, coef_out)


def r_squared(grams: FoldGram, fit: ChosenFit) -> tuple[list[float | None], list[float | None]]:
    """Per column, R^2 in sample and cross-validated, for outputs centred on their mean
    (so the total sum of squares is y'y); None for an output that does not vary."""
    sst = grams.yy.sum(axis=0)
    sse = in_sample_sse(grams, fit.coef)
    r2: list[float | None] = []
    r2_cv: list[float | None] = []
    for j in range(sst.shape[0]):
        varies = bool(sst[j] > 0 and np.isfinite(sst[j]))
        r2.append(float(1.0 - sse[j] / sst[j]) if varies else None)
        r2_cv.append(float(1.0 - fit.cv_sse[j] / sst[j]) if varies else None)
    return r2, r2_cv
