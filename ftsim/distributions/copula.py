"""The one Spearman -> Pearson conversion of the Gaussian copula (docs/model.md section 10)."""

from __future__ import annotations

import numpy as np

__all__ = ["spearman_to_pearson"]


def spearman_to_pearson(rho: float | np.ndarray) -> float | np.ndarray:
    """Pearson correlation of a Gaussian copula giving Spearman ``rho``: 2 sin(pi rho / 6)."""
    return 2.0 * np.sin(np.pi * np.asarray(rho) / 6.0)
