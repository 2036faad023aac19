"""The laws of docs/model.md section 10 (one small class per law, sampled through ppf(u)) and the
parser of a `dist` value."""

from __future__ import annotations

from ..rng import U_MIN
from .base import TABLE_TOLERANCE, Distribution, Fixed, Truncated, safe_ppf
from .continuous import LogNormal, Normal, Triangular, Uniform
from .copula import spearman_to_pearson
from .discrete import Choice, Empirical
from .files import EMPIRICAL_MAX_BYTES
from .forms import DIST_NAMES, parse_distribution
from .tabulated import Beta, Gamma

# The sampler's uniforms lie in [U_EDGE, 1 - U_EDGE]: a random law's reachable extremes are
# its quantiles there (the name tests and the checks used before rng.U_MIN).
U_EDGE = U_MIN

__all__ = [
    "Beta",
    "Choice",
    "DIST_NAMES",
    "Distribution",
    "EMPIRICAL_MAX_BYTES",
    "Empirical",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Normal",
    "TABLE_TOLERANCE",
    "Triangular",
    "Truncated",
    "U_EDGE",
    "Uniform",
    "parse_distribution",
    "safe_ppf",
    "spearman_to_pearson",
]
