"""Distribution forms of MODEL.md section 2: each a small class with a vectorised ppf(u).

INTERFACE STUB -- the full implementation replaces the body of this module but keeps
these names and signatures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import ScenarioIssue

__all__ = ["Distribution", "Fixed", "parse_distribution"]


class Distribution:
    """A univariate law sampled only through its inverse CDF."""

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantiles at ``u`` (any shape, values in (0, 1)) -> float64 array of the same shape."""
        raise NotImplementedError

    @property
    def support(self) -> tuple[float, float]:
        """Closed interval holding every value ppf can return (after truncation)."""
        raise NotImplementedError

    @property
    def is_fixed(self) -> bool:
        """True for a degenerate law (a plain number, sd = 0, min = max, one value)."""
        raise NotImplementedError

    def describe(self) -> str:
        """The law as the analyst wrote it, e.g. ``pert(min=1, mode=2, max=4)``."""
        raise NotImplementedError


class Fixed(Distribution):
    def __init__(self, value: float) -> None:
        self.value = float(value)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value)

    @property
    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    @property
    def is_fixed(self) -> bool:
        return True

    def describe(self) -> str:
        return f"{self.value:g}"


def parse_distribution(
    value: object, key_path: str, base_dir: Path | None
) -> tuple[Distribution | None, list[ScenarioIssue]]:
    """Turn a TOML value (number or inline table) into a Distribution, or issues."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, [ScenarioIssue(key_path, f"expected a number or a distribution table, got {value!r}")]
    return Fixed(float(value)), []
